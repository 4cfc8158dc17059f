/**
 * The BigQuery sandbox driven over HTTP by the official client (`@google-cloud/bigquery`),
 * unchanged: typed values, paging, streaming, dry runs, errors and job/table metadata.
 *
 * The client runs in a plain Node process (`client()` below): its HTTP layer (teeny-request)
 * loads node-fetch with a dynamic `import()`, which jest's VM refuses without
 * --experimental-vm-modules. The sandbox itself runs here, so its request log is checked directly.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { startBigQuerySandbox, type BigQuerySandbox } from '../../src/sandbox/bigquery';

const ROOT = path.resolve(__dirname, '..', '..');
const EVENTS = 25_000;
const run = promisify(execFile);

let sandbox: BigQuerySandbox;

/**
 * Code every client script starts with: the client built exactly as users build it, `plain()`
 * tagging the client's typed values by class (they do not survive JSON), and `failure()`
 * returning the ApiError fields of a rejected call.
 */
const PRELUDE = `
const { BigQuery, BigQueryDate, BigQueryDatetime, BigQueryInt, BigQueryTime, BigQueryTimestamp } = require('@google-cloud/bigquery');
const bigquery = new BigQuery({ projectId: process.env.SANDBOX_PROJECT, apiEndpoint: process.env.SANDBOX_ENDPOINT });
function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? { NaN: true } : v;
  if (Buffer.isBuffer(v)) return { Buffer: v.toString('base64') };
  if (v instanceof BigQueryTimestamp) return { BigQueryTimestamp: v.value };
  if (v instanceof BigQueryDatetime) return { BigQueryDatetime: v.value };
  if (v instanceof BigQueryDate) return { BigQueryDate: v.value };
  if (v instanceof BigQueryTime) return { BigQueryTime: v.value };
  if (v instanceof BigQueryInt) return { BigQueryInt: v.value };
  if (v.constructor && v.constructor.name === 'Big') return { Big: v.toString() };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return { code: e.code === undefined ? null : e.code, message: e.message, errors: e.errors || null };
  }
  throw new Error('expected the call to fail');
}
`;

/** Runs `body` (an async function body using the client) in Node and returns its JSON result. */
async function client<T>(body: string): Promise<T> {
  const script = `${PRELUDE}\n(async () => {\n${body}\n})().then((r) => process.stdout.write(JSON.stringify(r === undefined ? null : r)), (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX_PROJECT: sandbox.projectId, SANDBOX_ENDPOINT: sandbox.apiEndpoint, METADATA_SERVER_DETECTION: 'none' };
  // No credentials: the client must reach a custom endpoint without a token.
  delete env.GOOGLE_APPLICATION_CREDENTIALS;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

interface ApiFailure {
  code: number | null;
  message: string;
  errors: Array<{ reason?: string; message?: string; location?: string; domain?: string }> | null;
}

/** Requests answered since `from` (an index into the log), as `METHOD /path-after-project status`. */
function requestsSince(from: number): string[] {
  const prefix = `/bigquery/v2/projects/${sandbox.projectId}`;
  return sandbox
    .requests()
    .slice(from)
    .map((r) => `${r.method} ${r.path.startsWith(prefix) ? r.path.slice(prefix.length) : r.path} ${r.status}`);
}

beforeAll(async () => {
  sandbox = await startBigQuerySandbox();
  await sandbox.exec(`
    CREATE SCHEMA analytics;
    CREATE TABLE analytics.accounts (
      id BIGINT NOT NULL, name VARCHAR, active BOOLEAN, score DOUBLE, mrr DECIMAL(12, 2), big_id BIGINT,
      signup_date DATE, opens_at TIME, local_created DATETIME, created_at TIMESTAMPTZ, attrs JSON, avatar BLOB,
      tags VARCHAR[], address STRUCT(city VARCHAR, zip VARCHAR)
    );
    INSERT INTO analytics.accounts VALUES
      (1, 'Acme', true, 72.5, 1200.50, 9007199254740993, DATE '2024-01-02', TIME '03:04:05', TIMESTAMP '2024-01-02 03:04:05',
       TIMESTAMPTZ '2024-01-02 03:04:05.123456+00', '{"tier":"gold"}', '\\x01\\x02'::BLOB, ['a', 'b'], {'city': 'Paris', 'zip': '75001'}),
      (2, 'Globex', false, 'NaN', 0.10, 2, DATE '2023-12-31', TIME '23:59:59.5', TIMESTAMP '2023-12-31 23:59:59',
       TIMESTAMPTZ '2023-12-31 23:59:59+00', '[1,2]', ''::BLOB, [], {'city': NULL, 'zip': '10001'}),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE SCHEMA big;
    CREATE TABLE big.events AS SELECT i AS id, 'event-' || i AS name FROM range(${EVENTS}) t(i);
  `);
});

afterAll(async () => {
  await sandbox.close();
});

describe('bigquery.query (jobs.query + getQueryResults)', () => {
  it("returns every row with the client's typed values", async () => {
    const rows = await client<Array<Record<string, unknown>>>(`
      const [rows] = await bigquery.query({ query: 'SELECT * FROM \`backflow-sandbox.analytics.accounts\` ORDER BY id', location: 'US' });
      return plain(rows);
    `);
    expect(rows).toEqual([
      {
        id: 1,
        name: 'Acme',
        active: true,
        score: 72.5,
        mrr: { Big: '1200.5' },
        big_id: 9007199254740992, // Number() of 9007199254740993: exact only with wrapIntegers (next test)
        signup_date: { BigQueryDate: '2024-01-02' },
        opens_at: { BigQueryTime: '03:04:05' },
        local_created: { BigQueryDatetime: '2024-01-02T03:04:05' },
        created_at: { BigQueryTimestamp: '2024-01-02T03:04:05.123456000Z' },
        attrs: '{"tier":"gold"}',
        avatar: { Buffer: 'AQI=' },
        tags: ['a', 'b'],
        address: { city: 'Paris', zip: '75001' },
      },
      {
        id: 2,
        name: 'Globex',
        active: false,
        score: { NaN: true },
        mrr: { Big: '0.1' },
        big_id: 2,
        signup_date: { BigQueryDate: '2023-12-31' },
        opens_at: { BigQueryTime: '23:59:59.500000' },
        local_created: { BigQueryDatetime: '2023-12-31T23:59:59' },
        created_at: { BigQueryTimestamp: '2023-12-31T23:59:59.000Z' }, // the client's PreciseDate spelling of whole seconds
        attrs: '[1,2]',
        avatar: { Buffer: '' },
        tags: [],
        address: { city: null, zip: '10001' },
      },
      // A NULL array comes back empty: BigQuery has no NULL arrays in results.
      {
        id: 3,
        name: null,
        active: null,
        score: null,
        mrr: null,
        big_id: null,
        signup_date: null,
        opens_at: null,
        local_created: null,
        created_at: null,
        attrs: null,
        avatar: null,
        tags: [],
        address: null,
      },
    ]);
  });

  it('keeps INT64 exact beyond 2^53 with wrapIntegers; COUNT/SUM are INT64 and unnamed columns f0_', async () => {
    const result = await client<{ wrapped: unknown; totals: unknown }>(`
      const [wrapped] = await bigquery.query({ query: 'SELECT big_id FROM analytics.accounts WHERE id = 1', wrapIntegers: true });
      const [totals] = await bigquery.query('SELECT COUNT(*), SUM(id) AS total, MAX(score) + 1.5 AS top FROM analytics.accounts WHERE id = 1');
      return { wrapped: plain(wrapped), totals: plain(totals) };
    `);
    expect(result.wrapped).toEqual([{ big_id: { BigQueryInt: '9007199254740993' } }]);
    expect(result.totals).toEqual([{ f0_: 1, total: 1, top: 74 }]);
  });

  it('binds named query parameters with their types', async () => {
    const rows = await client<unknown[]>(`
      const [rows] = await bigquery.query({
        query: 'SELECT @n + 1 AS next, @names AS names, @since AS since, name FROM analytics.accounts WHERE id = @n AND "y" IN UNNEST(@names)',
        params: { n: 1, names: ['x', 'y'], since: bigquery.timestamp('2024-01-02T03:04:05.123456Z') },
      });
      return plain(rows);
    `);
    expect(rows).toEqual([{ next: 2, names: ['x', 'y'], since: { BigQueryTimestamp: '2024-01-02T03:04:05.123456000Z' }, name: 'Acme' }]);
  });

  it('flattens arrays with CROSS JOIN UNNEST … AS alias as GoogleSQL does', async () => {
    const rows = await client<unknown[]>(`
      const [rows] = await bigquery.query('SELECT a.id, tag FROM analytics.accounts AS a CROSS JOIN UNNEST(a.tags) AS tag ORDER BY a.id, tag');
      return rows;
    `);
    expect(rows).toEqual([
      { id: 1, tag: 'a' },
      { id: 1, tag: 'b' },
    ]);
  });

  it('sends TIMESTAMP as float seconds unless useInt64Timestamp is asked for', async () => {
    const answers = await client<{ asFloat: Record<string, unknown>; asInt: Record<string, unknown> }>(`
      const [job] = await bigquery.createQueryJob({ query: 'SELECT created_at FROM analytics.accounts WHERE id = 1', location: 'US' });
      const raw = (qs) => new Promise((resolve, reject) => bigquery.request({ uri: '/queries/' + job.id, qs }, (e, body) => (e ? reject(e) : resolve(body))));
      return { asFloat: await raw({ location: 'US' }), asInt: await raw({ location: 'US', 'formatOptions.useInt64Timestamp': true }) };
    `);
    expect(answers.asFloat.rows).toEqual([{ f: [{ v: '1.704164645123456E9' }] }]);
    expect(answers.asInt.rows).toEqual([{ f: [{ v: '1704164645123456' }] }]);
    expect(answers.asInt).toMatchObject({
      kind: 'bigquery#getQueryResultsResponse',
      schema: { fields: [{ name: 'created_at', type: 'TIMESTAMP', mode: 'NULLABLE' }] },
      totalRows: '1',
      jobComplete: true,
      cacheHit: false,
    });
  });

  it("runs GoogleSQL's division functions: SAFE_DIVIDE is NULL on zero, IEEE_DIVIDE gives ±inf/NaN, DIV truncates and fails on zero", async () => {
    const result = await client<{ rows: unknown; divByZero: ApiFailure }>(`
      const [rows] = await bigquery.query('SELECT SAFE_DIVIDE(id, 0) AS none, SAFE_DIVIDE(7, 2) AS half, IEEE_DIVIDE(id, 0) AS inf, IEEE_DIVIDE(0, 0) AS nan, DIV(-7, 2) AS trunc FROM analytics.accounts WHERE id = 1');
      // JSON has no Infinity: it comes back as text.
      const [row] = rows;
      return { rows: [{ ...plain(row), inf: String(row.inf) }], divByZero: await failure(bigquery.query('SELECT DIV(id, 0) FROM analytics.accounts WHERE id = 1')) };
    `);
    expect(result.rows).toEqual([{ none: null, half: 3.5, inf: 'Infinity', nan: { NaN: true }, trunc: -3 }]);
    expect(result.divByZero).toMatchObject({ code: 400, message: 'division by zero: 1 / 0', errors: [{ reason: 'invalidQuery' }] });
  });

  it("hashes to BYTES (MD5, SHA1, SHA256), writes TO_HEX in lowercase and FORMATs printf-style, as GoogleSQL does (dbt's surrogate keys)", async () => {
    const rows = await client<unknown>(`
      const [rows] = await bigquery.query("SELECT TO_HEX(MD5(CONCAT(name, '-', CAST(id AS STRING)))) AS surrogate, MD5('a') AS md5, TO_HEX(SHA1('a')) AS sha1, TO_HEX(SHA256(b'a')) AS sha256, FROM_HEX('0cc') AS unhexed, FORMAT('%d-%s: %.2f', id, name, score) AS formatted FROM analytics.accounts WHERE id = 1");
      return plain(rows);
    `);
    expect(rows).toEqual([
      {
        // md5('Acme-1'), as BigQuery's TO_HEX(MD5(…)) writes it: 32 lowercase hex digits.
        surrogate: createHash('md5').update('Acme-1').digest('hex'),
        md5: { Buffer: createHash('md5').update('a').digest('base64') },
        sha1: createHash('sha1').update('a').digest('hex'),
        sha256: createHash('sha256').update('a').digest('hex'),
        unhexed: { Buffer: Buffer.from([0x00, 0xcc]).toString('base64') },
        formatted: '1-Acme: 72.50',
      },
    ]);
  });

  it('numbers EXTRACT(DAYOFWEEK …) from 1 (Sunday) to 7 (Saturday), as GoogleSQL does', async () => {
    const rows = await client<unknown>(`
      const [rows] = await bigquery.query("SELECT EXTRACT(DAYOFWEEK FROM DATE '2024-03-17') AS sunday, EXTRACT(DAYOFWEEK FROM signup_date) AS of_column, EXTRACT(DAYOFWEEK FROM TIMESTAMP '2024-03-16 23:00:00+00') * 10 AS saturday_times_ten, EXTRACT(DAYOFWEEK FROM DATE '2024-03-17') IN (1, 7) AS weekend FROM analytics.accounts WHERE id = 1");
      return plain(rows);
    `);
    // signup_date 2024-01-02 is a Tuesday.
    expect(rows).toEqual([{ sunday: 1, of_column: 3, saturday_times_ten: 70, weekend: true }]);
  });

  it('numbers EXTRACT(WEEK …) from Sunday (days before the first one in week 0), WEEK(MONDAY) from Monday, and ISOWEEK / ISOYEAR as ISO 8601, as GoogleSQL does', async () => {
    const rows = await client<unknown>(`
      const [rows] = await bigquery.query(\`
        SELECT d, EXTRACT(ISOYEAR FROM d) AS isoyear, EXTRACT(ISOWEEK FROM d) AS isoweek, EXTRACT(YEAR FROM d) AS year,
          EXTRACT(WEEK FROM d) AS week, EXTRACT(WEEK(MONDAY) FROM d) AS week_monday
        FROM UNNEST([DATE '2015-12-26', DATE '2015-12-27', DATE '2015-12-31', DATE '2016-01-01', DATE '2016-01-03', DATE '2016-01-04']) AS d
        ORDER BY d\`);
      const [timestamps] = await bigquery.query("SELECT EXTRACT(WEEK FROM TIMESTAMP '2016-01-03 02:00:00+00') AS utc, EXTRACT(WEEK FROM TIMESTAMP '2016-01-03 02:00:00+00' AT TIME ZONE 'America/New_York') AS new_york");
      return plain({ rows, timestamps });
    `);
    // The EXTRACT example of GoogleSQL's date functions reference (2015-12-23 … 2016-01-05).
    const day = (d: string, isoyear: number, isoweek: number, year: number, week: number, weekMonday: number): unknown => ({
      d: { BigQueryDate: d },
      isoyear,
      isoweek,
      year,
      week,
      week_monday: weekMonday,
    });
    expect(rows).toEqual({
      rows: [
        day('2015-12-26', 2015, 52, 2015, 51, 51),
        day('2015-12-27', 2015, 52, 2015, 52, 51),
        day('2015-12-31', 2015, 53, 2015, 52, 52),
        day('2016-01-01', 2015, 53, 2016, 0, 0),
        day('2016-01-03', 2015, 53, 2016, 1, 0),
        day('2016-01-04', 2016, 1, 2016, 1, 1),
      ],
      // 02:00 UTC on Sunday 3 January is Saturday evening in New York.
      timestamps: [{ utc: 1, new_york: 0 }],
    });
  });

  it('returns a DATE from DATE_ADD / DATE_SUB (month ends clamped), as GoogleSQL does, and no signature for a TIMESTAMP', async () => {
    const result = await client<{ rows: unknown; wrongType: ApiFailure }>(`
      const [rows] = await bigquery.query("SELECT DATE_ADD(DATE '2024-01-31', INTERVAL 1 MONTH) AS month_end, DATE_SUB(signup_date, INTERVAL 1 WEEK) AS week_before, DATE_ADD('2024-02-29', INTERVAL 1 YEAR) AS from_literal, DATE_SUB(CAST(NULL AS DATE), INTERVAL 1 DAY) AS none FROM analytics.accounts WHERE id = 1");
      const wrongType = await failure(bigquery.query("SELECT DATE_ADD(created_at, INTERVAL 1 DAY) FROM analytics.accounts"));
      return { rows: plain(rows), wrongType };
    `);
    // signup_date is 2024-01-02.
    expect(result.rows).toEqual([
      { month_end: { BigQueryDate: '2024-02-29' }, week_before: { BigQueryDate: '2023-12-26' }, from_literal: { BigQueryDate: '2025-02-28' }, none: null },
    ]);
    expect(result.wrongType).toMatchObject({ code: 400, message: 'No matching signature for function DATE_ADD at [1:8]', errors: [{ reason: 'invalidQuery' }] });
  });

  it('truncates with DATE_TRUNC / DATETIME_TRUNC / TIMESTAMP_TRUNC(x, part) as GoogleSQL does: the part last, weeks from Sunday, DATE_TRUNC a DATE', async () => {
    const rows = await client<unknown>(`
      const [rows] = await bigquery.query(\`
        SELECT DATE_TRUNC(DATE '2024-05-17', MONTH) AS month, DATE_TRUNC(DATE '2024-05-17', WEEK) AS week,
          DATE_TRUNC(DATE '2024-05-17', WEEK(MONDAY)) AS week_monday, DATE_TRUNC(DATE '2024-05-12', ISOWEEK) AS isoweek,
          DATE_TRUNC(DATE '2016-01-01', ISOYEAR) AS isoyear, DATE_TRUNC(signup_date, QUARTER) AS quarter,
          DATETIME_TRUNC(local_created, HOUR) AS hour, TIMESTAMP_TRUNC(TIMESTAMP '2024-05-18 10:11:12+00', WEEK) AS ts_week,
          TIMESTAMP_TRUNC(created_at, SECOND) AS second
        FROM analytics.accounts WHERE id = 1\`);
      return plain(rows);
    `);
    // 2024-05-17 is a Friday, 2024-05-12 a Sunday; ISO year 2015 began on Monday 2014-12-29.
    expect(rows).toEqual([
      {
        month: { BigQueryDate: '2024-05-01' },
        week: { BigQueryDate: '2024-05-12' },
        week_monday: { BigQueryDate: '2024-05-13' },
        isoweek: { BigQueryDate: '2024-05-06' },
        isoyear: { BigQueryDate: '2014-12-29' },
        quarter: { BigQueryDate: '2024-01-01' },
        hour: { BigQueryDatetime: '2024-01-02T03:00:00' },
        ts_week: { BigQueryTimestamp: '2024-05-12T00:00:00.000Z' },
        second: { BigQueryTimestamp: '2024-01-02T03:04:05.000Z' },
      },
    ]);
  });

  it('takes any INT64 expression as the count of an INTERVAL (a column, a negative number, a parameter), as GoogleSQL does', async () => {
    const rows = await client<unknown>(`
      const [rows] = await bigquery.query({
        query: 'SELECT DATE_ADD(signup_date, INTERVAL id DAY) AS by_id, DATE_ADD(signup_date, INTERVAL -1 DAY) AS yesterday, DATE_SUB(signup_date, INTERVAL @weeks * 2 WEEK) AS weeks_ago FROM analytics.accounts WHERE id = 1',
        params: { weeks: 1 },
      });
      return plain(rows);
    `);
    // signup_date is 2024-01-02.
    expect(rows).toEqual([{ by_id: { BigQueryDate: '2024-01-03' }, yesterday: { BigQueryDate: '2024-01-01' }, weeks_ago: { BigQueryDate: '2023-12-19' } }]);
  });

  it('casts FLOAT64 to INT64 rounding halfway cases away from zero, as GoogleSQL does, and keeps every other operand exact', async () => {
    const rows = await client<unknown>(`
      const [rows] = await bigquery.query({
        query: "SELECT CAST(2.5 AS INT64) AS up, CAST(-2.5 AS INT64) AS down, CAST(0.5 AS INT64) AS half, SAFE_CAST(score AS INT64) AS of_column, CAST(score * -1 AS INT64) AS negated, CAST(big_id AS INT64) AS big, CAST('9007199254740993' AS INT64) AS from_string, CAST(NUMERIC '-1.5' AS INT64) AS from_numeric, CAST(active AS INT64) AS from_bool FROM analytics.accounts WHERE id = 1",
        wrapIntegers: true,
      });
      return plain(rows);
    `);
    // score is 72.5; big_id 9007199254740993 (2^53 + 1, which a DOUBLE cannot hold).
    const int = (value: string): unknown => ({ BigQueryInt: value });
    expect(rows).toEqual([
      {
        up: int('3'),
        down: int('-3'),
        half: int('1'),
        of_column: int('73'),
        negated: int('-73'),
        big: int('9007199254740993'),
        from_string: int('9007199254740993'),
        from_numeric: int('-2'),
        from_bool: int('1'),
      },
    ]);
  });

  it('runs DML and reports the affected rows', async () => {
    await sandbox.exec('CREATE TABLE analytics.audit (id BIGINT)');
    const result = await client<{ inserted: unknown; stats: Record<string, unknown>; after: unknown }>(`
      const [inserted] = await bigquery.query('INSERT INTO analytics.audit (id) VALUES (1), (2)');
      const [job] = await bigquery.createQueryJob('UPDATE analytics.audit SET id = id + 10 WHERE true');
      const [after] = await bigquery.query('SELECT id FROM analytics.audit ORDER BY id');
      return { inserted, stats: job.metadata.statistics.query, after };
    `);
    expect(result.inserted).toEqual([]);
    expect(result.stats).toMatchObject({ statementType: 'UPDATE', numDmlAffectedRows: '2' });
    expect(result.after).toEqual([{ id: 11 }, { id: 12 }]);
  });
});

describe('jobs.query requestId', () => {
  it('answers a retried request with the first run\'s job instead of running it again', async () => {
    await sandbox.exec('CREATE TABLE analytics.once (id BIGINT)');
    const result = await client<{ first: string; retry: string; other: string; rows: unknown }>(`
      const post = (json) => new Promise((resolve, reject) => bigquery.request({ method: 'POST', uri: '/queries', json }, (e, b) => (e ? reject(e) : resolve(b))));
      const body = { query: 'INSERT INTO analytics.once VALUES (1)', useLegacySql: false, requestId: 'retry-me' };
      const first = await post(body);
      const retry = await post(body);
      const other = await post({ ...body, requestId: 'another-one' });
      const [rows] = await bigquery.query('SELECT COUNT(*) AS n FROM analytics.once');
      return { first: first.jobReference.jobId, retry: retry.jobReference.jobId, other: other.jobReference.jobId, rows };
    `);
    expect(result.retry).toBe(result.first);
    expect(result.other).not.toBe(result.first);
    expect(result.rows).toEqual([{ n: 2 }]);
  });
});

describe('paging', () => {
  it("pages a job's stored result through pageToken without re-running the query", async () => {
    await sandbox.exec('CREATE TABLE analytics.paging AS SELECT i AS id FROM range(7) t(i)');
    const start = sandbox.requests().length;
    const result = await client<{ jobId: string; sizes: number[]; ids: number[]; totals: string[]; tokens: number }>(`
      const [job] = await bigquery.createQueryJob({ query: 'SELECT id FROM analytics.paging ORDER BY id', location: 'US' });
      const sizes = [], ids = [], totals = [];
      let tokens = 0;
      let options = { maxResults: 3, autoPaginate: false };
      while (options) {
        const [rows, next, response] = await job.getQueryResults(options);
        sizes.push(rows.length);
        ids.push(...rows.map((r) => r.id));
        totals.push(response.totalRows);
        if (response.pageToken) tokens += 1;
        // Emptying the table after the first page must not change later pages.
        if (sizes.length === 1) await bigquery.query('DELETE FROM analytics.paging WHERE true');
        options = next;
      }
      return { jobId: job.id, sizes, ids, totals, tokens };
    `);
    expect(result.sizes).toEqual([3, 3, 1]);
    expect(result.ids).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.totals).toEqual(['7', '7', '7']);
    expect(result.tokens).toBe(2);
    const pages = `GET /queries/${result.jobId} 200`;
    expect(requestsSince(start)).toEqual(['POST /jobs 200', pages, 'POST /queries 200', pages, pages]);
  });

  it('rejects a page token issued for another job', async () => {
    const err = await client<ApiFailure>(`
      const [first] = await bigquery.createQueryJob('SELECT id FROM big.events WHERE id < 10');
      const [, , page] = await first.getQueryResults({ maxResults: 2, autoPaginate: false });
      const [second] = await bigquery.createQueryJob('SELECT id FROM big.events WHERE id < 10');
      return failure(second.getQueryResults({ maxResults: 2, pageToken: page.pageToken, autoPaginate: false }));
    `);
    expect(err.code).toBe(400);
    expect(err.errors?.[0]?.reason).toBe('invalid');
  });

  it(`streams ${EVENTS} rows with createQueryStream`, async () => {
    const start = sandbox.requests().length;
    const result = await client<{ count: number; inOrder: boolean; namesMatch: boolean }>(`
      let count = 0, inOrder = true, namesMatch = true;
      await new Promise((resolve, reject) => {
        bigquery
          .createQueryStream({ query: 'SELECT id, name FROM big.events ORDER BY id' })
          .on('data', (row) => {
            if (row.id !== count) inOrder = false;
            if (row.name !== 'event-' + row.id) namesMatch = false;
            count += 1;
          })
          .on('error', reject)
          .on('end', resolve);
      });
      return { count, inOrder, namesMatch };
    `);
    expect(result).toEqual({ count: EVENTS, inOrder: true, namesMatch: true });
    // One jobs.query answers them all: without maxResults BigQuery caps a page by its size (10 MB), not by rows.
    expect(requestsSince(start)).toEqual(['POST /queries 200']);
  });
});

describe('dry runs', () => {
  // Logical sizes: INT64 8 bytes; STRING 2 + UTF-8 bytes; NULL 0 ('Acme' 6 + 'Globex' 8 + NULL 0).
  it.each([
    ['SELECT name FROM analytics.accounts', '14'],
    ['SELECT id, name FROM analytics.accounts', '38'],
    ['SELECT name FROM analytics.accounts WHERE id = 1', '38'],
    ['SELECT COUNT(*) FROM analytics.accounts', '0'],
  ])('%s estimates %s bytes', async (query, bytes) => {
    const metadata = await client<{ statistics: Record<string, unknown>; status: unknown }>(`
      const [job] = await bigquery.createQueryJob({ query: ${JSON.stringify(query)}, dryRun: true });
      return job.metadata;
    `);
    expect(metadata.statistics.totalBytesProcessed).toBe(bytes);
    expect(metadata.statistics.query).toMatchObject({ totalBytesProcessed: bytes, statementType: 'SELECT', totalBytesProcessedAccuracy: 'PRECISE' });
    expect(metadata.status).toEqual({ state: 'DONE' });
  });

  it('returns the schema without rows and runs nothing', async () => {
    const result = await client<{ schema: unknown; rows: unknown; count: unknown }>(`
      const [job] = await bigquery.createQueryJob({ query: 'SELECT id, tags FROM analytics.accounts', dryRun: true });
      const [rows] = await bigquery.query({ query: 'SELECT * FROM analytics.accounts', dryRun: true });
      await bigquery.createQueryJob({ query: 'DELETE FROM analytics.accounts WHERE true', dryRun: true });
      const [count] = await bigquery.query('SELECT COUNT(*) AS n FROM analytics.accounts');
      return { schema: job.metadata.statistics.query.schema, rows, count };
    `);
    expect(result.schema).toEqual({
      fields: [
        { name: 'id', type: 'INTEGER', mode: 'NULLABLE' },
        { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      ],
    });
    expect(result.rows).toEqual([]);
    expect(result.count).toEqual([{ n: 3 }]);
  });

  it('reports the same bytes when the query really runs', async () => {
    const bytes = await client<string>(`
      const [job] = await bigquery.createQueryJob('SELECT name FROM analytics.accounts');
      return job.metadata.statistics.totalBytesProcessed;
    `);
    expect(bytes).toBe('14');
  });

  it('answers an invalid dry run with the HTTP error', async () => {
    const err = await client<ApiFailure>(`return failure(bigquery.createQueryJob({ query: 'SELECT nope FROM analytics.accounts', dryRun: true }));`);
    expect(err.code).toBe(400);
    expect(err.errors?.[0]?.reason).toBe('invalidQuery');
  });
});

describe('errors', () => {
  it('surfaces a syntax error as ApiError 400 invalidQuery', async () => {
    const err = await client<ApiFailure>(`return failure(bigquery.query('SELECT id\\nFORM analytics.accounts'));`);
    expect(err.code).toBe(400);
    expect(err.errors?.[0]).toMatchObject({ reason: 'invalidQuery', domain: 'global', location: 'q' });
    expect(err.message).toMatch(/^Syntax error: .* at \[2:\d+\]$/);
  });

  it('names an unknown column like BigQuery', async () => {
    const err = await client<ApiFailure>(`return failure(bigquery.query('SELECT nope FROM analytics.accounts'));`);
    expect(err.code).toBe(400);
    expect(err.message).toBe('Unrecognized name: nope at [1:8]');
  });

  it('answers a missing table in a query with 404 notFound', async () => {
    const err = await client<ApiFailure>(`return failure(bigquery.query('SELECT * FROM analytics.missing'));`);
    expect(err.code).toBe(404);
    expect(err.errors?.[0]?.reason).toBe('notFound');
    expect(err.message).toBe('Not found: Table backflow-sandbox:analytics.missing was not found in location US');
  });

  it('finds no dataset from a job run in another location than the datasets (US), as BigQuery', async () => {
    const err = await client<ApiFailure>(`return failure(bigquery.query({ query: 'SELECT * FROM analytics.accounts', location: 'asia-northeast1' }));`);
    expect(err.code).toBe(404);
    expect(err.message).toBe('Not found: Dataset backflow-sandbox:analytics was not found in location asia-northeast1');
    const fine = await client<number>(`const [rows] = await bigquery.query({ query: 'SELECT COUNT(*) AS n FROM analytics.accounts', location: 'us' }); return rows.length;`);
    expect(fine).toBe(1);
  });

  it('answers another project with 404 notFound', async () => {
    const err = await client<ApiFailure>("return failure(bigquery.query('SELECT * FROM `someone-else.analytics.accounts`'));");
    expect(err.code).toBe(404);
    expect(err.errors?.[0]?.reason).toBe('notFound');
  });

  it('fails a bad jobs.insert job as DONE with errorResult; getQueryResults answers its error', async () => {
    const result = await client<{ insert: ApiFailure; status: Record<string, unknown>; results: ApiFailure }>(`
      const insert = await failure(bigquery.createQueryJob({ query: 'SELECT FROM WHERE', jobId: 'broken-job', location: 'US' }));
      const failed = bigquery.job('broken-job', { location: 'US' });
      const [metadata] = await failed.getMetadata();
      return { insert, status: metadata.status, results: await failure(failed.getQueryResults()) };
    `);
    // jobs.insert answered 200; the client raised status.errors itself (hence no HTTP code).
    expect(result.insert.errors?.[0]?.reason).toBe('invalidQuery');
    expect(result.status).toMatchObject({ state: 'DONE', errorResult: { reason: 'invalidQuery', location: 'query' } });
    expect(result.results.code).toBe(400);
    expect(result.results.errors?.[0]?.reason).toBe('invalidQuery');
  });

  it('fails a query erroring part-way through its rows, as BigQuery does (it was DONE with the rows before the error)', async () => {
    const err = await client<ApiFailure>(
      // 75,000 rows, one of the last of them unreadable: DuckDB has streamed many chunks by then.
      "return failure(bigquery.query('SELECT e.id, k, CAST(IF(e.id = 24000 AND k = 3, \\'n/a\\', CAST(e.id AS STRING)) AS INT64) AS n FROM big.events AS e CROSS JOIN UNNEST([1, 2, 3]) AS k'));",
    );
    expect(err.code).toBe(400);
    expect(err.errors?.[0]?.reason).toBe('invalidQuery');
    expect(err.message).toMatch(/^Could not convert string 'n\/a' to INT64/);
  });

  it('rejects legacy SQL, which the sandbox does not run', async () => {
    const result = await client<{ job: ApiFailure; raw: ApiFailure }>(`
      const job = await failure(bigquery.createQueryJob({ query: 'SELECT 1', useLegacySql: true }));
      // The REST default is legacy SQL: a raw jobs.query without useLegacySql is refused too.
      const raw = await failure(new Promise((resolve, reject) => bigquery.request({ method: 'POST', uri: '/queries', json: { query: 'SELECT 1' } }, (e, b) => (e ? reject(e) : resolve(b)))));
      return { job, raw };
    `);
    expect(result.job.errors?.[0]?.reason).toBe('invalidQuery');
    expect(result.job.errors?.[0]?.message).toMatch(/Legacy SQL is not supported/);
    expect(result.raw.code).toBe(400);
  });
});

describe('tables.get', () => {
  it('answers an unknown table with 404 notFound', async () => {
    const result = await client<{ table: ApiFailure; exists: boolean; dataset: ApiFailure }>(`
      const table = await failure(bigquery.dataset('analytics').table('nope').get());
      const [exists] = await bigquery.dataset('analytics').table('nope').exists();
      const dataset = await failure(bigquery.dataset('nowhere').table('accounts').get());
      return { table, exists, dataset };
    `);
    expect(result.table.code).toBe(404);
    expect(result.table.errors?.[0]?.reason).toBe('notFound');
    expect(result.table.message).toBe('Not found: Table backflow-sandbox:analytics.nope');
    expect(result.exists).toBe(false);
    expect(result.dataset.message).toBe('Not found: Dataset backflow-sandbox:nowhere');
  });

  it('returns schema, numRows and numBytes', async () => {
    const result = await client<{ metadata: Record<string, unknown> & { schema: { fields: Array<{ name: string }> } }; dryBytes: string }>(`
      const [metadata] = await bigquery.dataset('analytics').table('accounts').getMetadata();
      const [dry] = await bigquery.createQueryJob({ query: 'SELECT * FROM analytics.accounts', dryRun: true });
      return { metadata, dryBytes: dry.metadata.statistics.totalBytesProcessed };
    `);
    expect(result.metadata).toMatchObject({ kind: 'bigquery#table', id: 'backflow-sandbox:analytics.accounts', type: 'TABLE', numRows: '3' });
    expect(result.metadata.schema.fields[0]).toEqual({ name: 'id', type: 'INTEGER', mode: 'REQUIRED' });
    expect(result.metadata.schema.fields.map((f) => f.name)).toContain('address');
    expect(result.metadata.numBytes).toBe(result.dryBytes);
    expect(Number(result.metadata.numBytes)).toBeGreaterThan(0);
  });
});

describe('jobs.get', () => {
  it('returns the Job resource, 404 for another location, 409 for a duplicate jobId', async () => {
    const result = await client<{ metadata: Record<string, unknown> & { statistics: Record<string, string> }; otherLocation: ApiFailure; unknown: ApiFailure; duplicate: ApiFailure }>(`
      await bigquery.createQueryJob({ query: 'SELECT 1 AS x', jobId: 'sandbox-job-1', location: 'US', labels: { team: 'data' } });
      const [metadata] = await bigquery.job('sandbox-job-1', { location: 'US' }).getMetadata();
      return {
        metadata,
        otherLocation: await failure(bigquery.job('sandbox-job-1', { location: 'EU' }).getMetadata()),
        unknown: await failure(bigquery.job('no-such-job', { location: 'US' }).getQueryResults()),
        duplicate: await failure(bigquery.createQueryJob({ query: 'SELECT 2', jobId: 'sandbox-job-1', location: 'US' })),
      };
    `);
    expect(result.metadata).toMatchObject({
      kind: 'bigquery#job',
      id: 'backflow-sandbox:US.sandbox-job-1',
      jobReference: { projectId: 'backflow-sandbox', jobId: 'sandbox-job-1', location: 'US' },
      configuration: { jobType: 'QUERY', labels: { team: 'data' }, query: { query: 'SELECT 1 AS x', useLegacySql: false } },
      status: { state: 'DONE' },
      statistics: { query: { statementType: 'SELECT', cacheHit: false } },
    });
    expect(Number(result.metadata.statistics.endTime)).toBeGreaterThanOrEqual(Number(result.metadata.statistics.creationTime));
    expect(result.otherLocation.code).toBe(404);
    expect(result.unknown.code).toBe(404);
    expect(result.unknown.errors?.[0]?.reason).toBe('notFound');
    expect(result.duplicate.code).toBe(409);
    expect(result.duplicate.errors?.[0]?.reason).toBe('duplicate');
    expect(result.duplicate.message).toBe('Already Exists: Job backflow-sandbox:US.sandbox-job-1');
  });
});

describe('a slow query (queryDelayMs)', () => {
  const DELAY_MS = 1_500;
  afterEach(() => sandbox.setQueryDelay(0));

  it('answers jobComplete: false with only the jobReference, waiting up to timeoutMs, until the job is DONE', async () => {
    sandbox.setQueryDelay(DELAY_MS);
    const result = await client<{
      query: { body: Record<string, unknown>; ms: number };
      running: Record<string, unknown> & { statistics: Record<string, unknown> };
      poll: { error: string; body: Record<string, unknown>; ms: number };
      done: Record<string, unknown>;
      rows: unknown[];
    }>(`
      const raw = (opts) => new Promise((resolve, reject) => {
        const started = Date.now();
        bigquery.request(opts, (e, body) => (e ? reject(e) : resolve({ body, ms: Date.now() - started })));
      });
      const query = await raw({ method: 'POST', uri: '/queries', json: { query: 'SELECT id FROM big.events WHERE id < 3 ORDER BY id', useLegacySql: false, timeoutMs: 300 } });
      const job = bigquery.job(query.body.jobReference.jobId, { location: 'US' });
      const [running] = await job.getMetadata();
      // Given a timeoutMs, the client reports an incomplete job as an error next to the response.
      const poll = await new Promise((resolve) => {
        const started = Date.now();
        job.getQueryResults({ timeoutMs: 200, autoPaginate: false }, (e, _rows, _next, body) => resolve({ error: String(e && e.message), body, ms: Date.now() - started }));
      });
      await job.promise();
      const [done] = await job.getMetadata();
      const [rows] = await job.getQueryResults();
      return { query, running, poll, done, rows };
    `);
    expect(result.query.body).toEqual({
      kind: 'bigquery#queryResponse',
      jobReference: { projectId: 'backflow-sandbox', jobId: expect.stringMatching(/^job_/) as unknown, location: 'US' },
      jobCreationReason: { code: 'REQUESTED' },
      queryId: expect.stringMatching(/^query_/) as unknown,
      location: 'US',
      jobComplete: false,
    });
    expect(result.query.ms).toBeGreaterThanOrEqual(250);
    expect(result.query.ms).toBeLessThan(DELAY_MS);
    expect(result.running.status).toEqual({ state: 'RUNNING' });
    expect(result.running.statistics.endTime).toBeUndefined();
    expect(result.poll.error).toBe('The query did not complete before 200ms');
    expect(result.poll.body).toEqual({
      kind: 'bigquery#getQueryResultsResponse',
      etag: expect.any(String) as unknown,
      jobReference: { projectId: 'backflow-sandbox', jobId: (result.query.body.jobReference as { jobId: string }).jobId, location: 'US' },
      jobComplete: false,
    });
    expect(result.poll.ms).toBeGreaterThanOrEqual(150);
    expect(result.done.status).toEqual({ state: 'DONE' });
    expect(result.rows).toEqual([{ id: 0 }, { id: 1 }, { id: 2 }]);
  });

  it("waits out a query slower than a call's default 10 s wait with the client's own bigquery.query()", async () => {
    sandbox.setQueryDelay(10_000 + DELAY_MS);
    const from = sandbox.requests().length;
    const rows = await client<unknown[]>(`
      const [rows] = await bigquery.query('SELECT id FROM big.events WHERE id < 3 ORDER BY id');
      return rows;
    `);
    expect(rows).toEqual([{ id: 0 }, { id: 1 }, { id: 2 }]);
    // jobs.query waited 10 s and said "not yet"; getQueryResults waited for the rest.
    expect(requestsSince(from)).toEqual(['POST /queries 200', expect.stringMatching(/^GET \/queries\/job_\S+ 200$/)]);
  }, 30_000);

  it('keeps a failing job RUNNING until its end, then answers its error', async () => {
    sandbox.setQueryDelay(DELAY_MS);
    const result = await client<{ insertState: unknown; poll: string; results: ApiFailure }>(`
      const [job, insert] = await bigquery.createQueryJob({ query: 'SELECT * FROM analytics.nope', location: 'US' });
      const poll = await new Promise((resolve) => job.getQueryResults({ timeoutMs: 100, autoPaginate: false }, (e, _r, _n, body) => resolve(String(e && e.message) + ' ' + body.jobComplete)));
      return { insertState: insert.status, poll, results: await failure(job.getQueryResults({ timeoutMs: 5000 })) };
    `);
    expect(result.insertState).toEqual({ state: 'RUNNING' });
    expect(result.poll).toBe('The query did not complete before 100ms false');
    expect(result.results.code).toBe(404);
    expect(result.results.errors?.[0]?.reason).toBe('notFound');
  });

  it('takes the delay as an option or from PUT /__sandbox/settings, rejecting bad values', async () => {
    const settings = `${sandbox.apiEndpoint}/__sandbox/settings`;
    const put = (body: string) => fetch(settings, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    const ok = await put('{"queryDelayMs": 250}');
    expect([ok.status, await ok.json()]).toEqual([200, { queryDelayMs: 250 }]);
    expect(await (await fetch(settings)).json()).toEqual({ queryDelayMs: 250 });
    const negative = await put('{"queryDelayMs": -1}');
    expect([negative.status, await negative.json()]).toEqual([400, { error: 'queryDelayMs must be a non-negative number of milliseconds' }]);
    const typo = await put('{"queryDelay": 5}');
    expect(typo.status).toBe(400);
    await expect(startBigQuerySandbox({ queryDelayMs: Number.NaN })).rejects.toThrow('queryDelayMs must be a non-negative number');
  });
});
