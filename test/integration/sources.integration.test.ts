import { createHash } from 'node:crypto';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BigQuery } from '@google-cloud/bigquery';
import { duckdbWideTable, postgresWideTable } from '../../bench/wideModel';
import { fingerprint } from '../../src/diff/fingerprint';
import { startBigQuerySandbox, type BigQuerySandbox } from '../../src/sandbox/bigquery';
import { checkSync } from '../../src/engine/check';
import { createSource } from '../../src/sources';
import { POLL_WAIT_MS } from '../../src/sources/bigquery';
import { BackflowError } from '../../src/errors';
import type { Connection } from '../../src/config/schema';
import type { Row, SourceRow } from '../../src/sources/source';
import { startSync } from '../../src/temporal/startSync';
import type { RunSummary } from '../../src/state/summary';
import { backflow, expectSucceeded } from '../support/cli';
import { holdDuckdbWriteLock } from '../support/duckdbLock';
import { readAllRows } from '../support/sourceRows';
import { runOnTestWorker, useSyncFixture } from '../support/fixture';
import { startSilentServer } from '../support/silentServer';
import { createTestDatabase, runPostgres } from '../support/postgres';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const fx = useSyncFixture();
const bigquerySandboxes: BigQuerySandbox[] = [];
afterAll(async () => {
  await Promise.all(bigquerySandboxes.map((sandbox) => sandbox.close()));
});

/** A BigQuery sandbox for this file (closed after it). */
async function bigquerySandbox(): Promise<BigQuerySandbox> {
  const sandbox = await startBigQuerySandbox();
  bigquerySandboxes.push(sandbox);
  await sandbox.exec('CREATE SCHEMA analytics');
  return sandbox;
}

/** The demo's accounts table in PostgreSQL's dialect (the DuckDB seed uses CREATE OR REPLACE). */
const PG_SEED = `
  CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL, health integer, segment text, mrr integer, last_seen_at timestamp);
  INSERT INTO accounts VALUES
    (1, 'Acme', 38, 'at-risk', 900, '2026-11-20 09:00:00'), (2, 'Globex', 82, 'healthy', 4000, '2026-11-21 10:30:00'),
    (3, 'Initech', 55, 'neutral', 700, '2026-11-22 14:15:00'), (4, 'Umbrella', 91, 'healthy', 1200, '2026-11-23 16:45:00');`;

interface SourceCase {
  name: string;
  /** Points the demo project's `warehouse` connection at this source, seeded with the demo table. */
  setUp(): Promise<{ run(sql: string): Promise<void> }>;
}

function useWarehouse(yaml: string, env: Record<string, string>) {
  fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace(/  warehouse:\n    type: duckdb\n    path: warehouse.duckdb\n/, yaml));
  Object.assign(fx.project.deps.env ?? {}, env);
}

const cases: SourceCase[] = [
  { name: 'duckdb', setUp: async () => ({ run: (sql) => fx.project.sql(sql) }) },
  {
    name: 'postgres',
    setUp: async () => {
      const url = await createTestDatabase();
      await runPostgres(url, PG_SEED);
      useWarehouse('  warehouse:\n    type: postgres\n    url: ${env:WAREHOUSE_URL}\n    pageSize: 2\n', { WAREHOUSE_URL: url });
      return { run: (sql) => runPostgres(url, sql) };
    },
  },
  {
    name: 'bigquery',
    setUp: async () => {
      const sandbox = await bigquerySandbox();
      // The demo's DuckDB SQL, on the dataset `analytics`.
      const inDataset = (sql: string) => sql.replace(/\baccounts\b/g, 'analytics.accounts');
      await sandbox.exec(inDataset(fx.project.read('seed.sql')));
      useWarehouse(
        '  warehouse:\n    type: bigquery\n    projectId: backflow-sandbox\n    apiEndpoint: ${env:BIGQUERY_ENDPOINT}\n    pageSize: 2\n',
        { BIGQUERY_ENDPOINT: sandbox.apiEndpoint },
      );
      const file = 'syncs/accounts_to_salesforce.yaml';
      fx.project.write(file, fx.project.read(file).replace('FROM accounts', 'FROM `backflow-sandbox.analytics.accounts`'));
      return { run: (sql) => sandbox.exec(inDataset(sql)) };
    },
  },
];

/** The seed scenario's three runs on one source, and the Accounts it leaves in Salesforce. */
async function seedScenario(source: SourceCase) {
  const warehouse = await source.setUp();
  const taskQueue = uniqueTaskQueue(`source-${source.name}`);
  const runs: RunSummary[] = [];
  await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
    runs.push(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result());
    await warehouse.run(fx.project.read('changes.sql'));
    runs.push(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result());
    runs.push(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result());
  });
  const accounts = fx.sandbox.records('Account').map(({ External_Id__c, Name, Health_Score__c, Segment__c, MRR__c }) => ({
    External_Id__c,
    Name,
    Health_Score__c,
    Segment__c,
    MRR__c,
  }));
  return { counts: runs.map((r) => [r.status, r.counts, r.apiCalls]), accounts };
}

describe('the seed scenario on every source', () => {
  const results: Record<string, Awaited<ReturnType<typeof seedScenario>>> = {};

  it.each(cases.map((c) => [c.name, c] as const))('%s: 4 created, 2 updated, nothing sent', async (name, source) => {
    results[name] = await seedScenario(source);
    expect(results[name]?.counts.map(([, counts, apiCalls]) => [(counts as RunSummary['counts']).synced, apiCalls])).toEqual([
      [4, 1],
      [2, 1],
      [0, 0],
    ]);
  });

  it('gives identical results on every source', () => {
    const [first, ...others] = cases.map((c) => results[c.name]);
    expect(first).toBeDefined();
    for (const other of others) expect(other).toEqual(first);
  });
});

/** Streams a source and fingerprints every row; returns a digest of all fingerprints and the page sizes seen. */
async function fingerprintAll(connection: Connection, sql: string) {
  const source = createSource(connection, fx.project.dir);
  const digest = createHash('sha256');
  const pages: number[] = [];
  try {
    for await (const page of source.stream(sql)) {
      pages.push(page.length);
      for (const row of page as Row[]) digest.update(`${String(row.id)}:${fingerprint('t', row)}\n`);
    }
  } finally {
    await source.close();
  }
  return { digest: digest.digest('hex'), rows: pages.reduce((a, b) => a + b, 0), pages };
}

describe('types normalised the same way in every source', () => {
  // At least two pages at every page size below (DuckDB's 2,048-row chunks, 5,000, 20,000, 25,000).
  const ROWS = 30_000;

  it(`streams a ${ROWS.toLocaleString('en')}-row model in bounded pages, with identical fingerprints across sources and page sizes`, async () => {
    const duckdbFile = `${fx.project.dir}/wide.duckdb`;
    const instance = await DuckDBInstance.create(duckdbFile);
    const connection = await instance.connect();
    await connection.run(duckdbWideTable('wide', ROWS));
    connection.closeSync();
    instance.closeSync();
    const pgUrl = await createTestDatabase();
    await runPostgres(pgUrl, postgresWideTable('wide', ROWS));
    const sql = 'SELECT * FROM wide ORDER BY id';

    const duck = await fingerprintAll({ type: 'duckdb', path: duckdbFile }, sql);
    const pgSmall = await fingerprintAll({ type: 'postgres', url: pgUrl, pageSize: 5_000 }, sql);
    const pgLarge = await fingerprintAll({ type: 'postgres', url: pgUrl, pageSize: 20_000 }, sql);
    const bigquery = await bigquerySandbox();
    await bigquery.exec(duckdbWideTable('analytics.wide', ROWS));
    const bq = await fingerprintAll(
      { type: 'bigquery', projectId: bigquery.projectId, apiEndpoint: bigquery.apiEndpoint, pageSize: 25_000 },
      'SELECT * FROM `analytics.wide` ORDER BY id',
    );

    for (const result of [duck, pgSmall, pgLarge, bq]) expect(result.rows).toBe(ROWS);
    expect(Math.max(...bq.pages)).toBe(25_000);
    expect(Math.max(...duck.pages)).toBeLessThanOrEqual(2_048);
    expect(Math.max(...pgSmall.pages)).toBe(5_000);
    expect(pgLarge.pages).toHaveLength(Math.ceil(ROWS / 20_000));
    expect(pgSmall.digest).toBe(pgLarge.digest);
    expect(pgSmall.digest).toBe(duck.digest);
    expect(bq.digest).toBe(duck.digest);
  }, 180_000); // 30,000 rows through three warehouses, four times
});

describe('PostgreSQL whatever its server does', () => {
  const readAll = (url: string, sql: string): Promise<SourceRow[]> => readAllRows(createSource({ type: 'postgres', url, pageSize: 1_000 }, fx.project.dir), sql);

  it("reads values in their canonical forms whatever the session's DateStyle, IntervalStyle, extra_float_digits and bytea_output", async () => {
    const url = await createTestDatabase();
    const sql = `SELECT TIMESTAMPTZ '2024-03-17 10:00:00.25+00' AS tz, DATE '2024-03-17' AS d, INTERVAL '1 year 2 months 3 days 04:05:06' AS i,
                        0.1::float8 + 0.2::float8 AS f, '\\x616200ff6364'::bytea AS b`;
    const canonical = await readAll(url, sql);
    expect(canonical).toEqual([{ tz: '2024-03-17T10:00:00.250000Z', d: '2024-03-17', i: 'P1Y2M3DT4H5M6S', f: 0.30000000000000004, b: Buffer.from('ab\0\xffcd', 'latin1').toString('base64') }]);
    // A role or database that sets other styles (as ALTER ROLE … SET would).
    const options = encodeURIComponent('-c DateStyle=SQL,DMY -c IntervalStyle=sql_standard -c extra_float_digits=0 -c bytea_output=escape');
    expect(await readAll(`${url}?options=${options}`, sql)).toEqual(canonical);
  });

  it('gives a server that never answers its connect_timeout, then fails as unavailable (retried); it hung, heartbeating', async () => {
    const silent = await startSilentServer();
    const source = createSource({ type: 'postgres', url: `postgres://backflow@127.0.0.1:${silent.port}/warehouse?connect_timeout=1`, pageSize: 1_000 }, fx.project.dir);
    try {
      const failure = await source.describe('SELECT 1 AS id').catch((err: unknown) => err);
      expect(failure).toMatchObject({ name: 'SourceUnavailable', code: 'SOURCE_UNAVAILABLE' });
      expect((failure as Error).message).toBe("cannot connect to PostgreSQL: timeout expired (the warehouse is unavailable; retried)");
    } finally {
      await source.close();
      await silent.close();
    }
    const malformed = createSource({ type: 'postgres', url: 'postgres://backflow:secret@127.0.0.1:9/warehouse?connect_timeout=5s', pageSize: 1_000 }, fx.project.dir);
    await expect(malformed.describe('SELECT 1')).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'PostgreSQL connection URL postgres://backflow:***@127.0.0.1:9/warehouse?connect_timeout=5s: connect_timeout must be whole seconds (0 waits forever), got "5s"',
    });
  });

  it('describes a model ending in a semicolon or a line comment, as it reads one (the wrapped describe refused both)', async () => {
    const url = await createTestDatabase();
    const source = createSource({ type: 'postgres', url, pageSize: 1_000 }, fx.project.dir);
    try {
      for (const sql of ['SELECT 1 AS id;', 'SELECT 1 AS id -- the id', 'SELECT 1 AS id; -- done\n']) {
        expect((await source.describe(sql)).map((column) => column.name)).toEqual(['id']);
        expect(await readAll(url, sql)).toEqual([{ id: 1 }]);
      }
    } finally {
      await source.close();
    }
  });

  it('fails a read whose connection was lost as SOURCE_UNAVAILABLE (retried), without crashing the process, and reads again after', async () => {
    const url = await createTestDatabase();
    await runPostgres(url, `CREATE TABLE g AS SELECT generate_series(1, 10) AS n`);
    const source = createSource({ type: 'postgres', url, pageSize: 2 }, fx.project.dir);
    const pages: SourceRow[][] = [];
    const failure = await (async () => {
      try {
        for await (const page of source.stream(`SELECT n FROM g ORDER BY n`)) {
          pages.push(page);
          // The server ends the connection between two pages (a restart, a failover, an admin).
          if (pages.length === 1) await runPostgres(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'backflow' AND datname = current_database()`);
        }
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(pages).toHaveLength(1);
    expect(failure).toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    expect(failure).not.toBeInstanceOf(BackflowError);
    const again: SourceRow[] = [];
    for await (const page of source.stream(`SELECT n FROM g ORDER BY n`)) again.push(...page);
    await source.close();
    expect(again.map((row) => row['n'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('bad input on a real warehouse', () => {
  const run = () => backflow(['run', SYNC, '--json', '--project', fx.project.dir], { ...fx.project.env, ...(fx.project.deps.env as Record<string, string>) });

  it("fails a PostgreSQL query error with PostgreSQL's own message, before any destination call", async () => {
    const url = await createTestDatabase();
    await runPostgres(url, PG_SEED);
    useWarehouse('  warehouse:\n    type: postgres\n    url: ${env:WAREHOUSE_URL}\n', { WAREHOUSE_URL: url });
    const file = 'syncs/accounts_to_salesforce.yaml';
    fx.project.write(file, fx.project.read(file).replace('FROM accounts', 'FROM acounts'));
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}: model: PostgreSQL: relation "acounts" does not exist`);
    expect(fx.sandbox.requests()).toEqual([]);
  });

  it('names a primary key the model returns NULL, per row, and sends the rest', async () => {
    const url = await createTestDatabase();
    await runPostgres(url, `${PG_SEED} ALTER TABLE accounts DROP CONSTRAINT accounts_pkey; ALTER TABLE accounts ALTER COLUMN id DROP NOT NULL; UPDATE accounts SET id = NULL WHERE name = 'Globex';`);
    useWarehouse('  warehouse:\n    type: postgres\n    url: ${env:WAREHOUSE_URL}\n', { WAREHOUSE_URL: url });
    const result = await run();
    expect(result.code).toBe(2);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary).toMatchObject({ status: 'partial', counts: { invalid: 1, synced: 3 } });
    const invalid = await fx.project.deps.state.selectFrom('record_results').select(['error_code', 'error_message']).where('status', '=', 'invalid').execute();
    expect(invalid).toEqual([{ error_code: 'NULL_PRIMARY_KEY', error_message: expect.stringContaining('primary key id is NULL') as string }]);
  });
});

describe('a DuckDB file another process is writing to', () => {
  it('fails the read as retryable (an untyped error naming the lock), not as a final SOURCE_QUERY_FAILED', async () => {
    const file = path.join(fx.project.dir, 'locked.duckdb');
    const holder = await holdDuckdbWriteLock(file);
    try {
      const source = createSource({ type: 'duckdb', path: file }, fx.project.dir);
      const failure = await source.check().then(
        () => undefined,
        (err: unknown) => err,
      );
      await source.close();
      expect(failure).not.toBeInstanceOf(BackflowError);
      expect(failure).toMatchObject({ code: 'SOURCE_LOCKED', message: expect.stringContaining(`DuckDB database ${file} is locked by another process`) as unknown });
    } finally {
      holder.kill();
    }
  });

  it('waits the lock out in a run: the sync starts again once the writer lets go, and succeeds', async () => {
    const holder = await holdDuckdbWriteLock(path.join(fx.project.dir, 'warehouse.duckdb'));
    const taskQueue = uniqueTaskQueue('locked-warehouse');
    const { summary, retried } = await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const run = await startSync(fx.temporal.client, SYNC, { taskQueue });
      // Long enough for the run's check of the model to meet the lock at least once.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      holder.kill();
      const result = await run.result();
      const history = await fx.temporal.client.workflow.getHandle(run.workflowId).fetchHistory();
      const attempts = (history.events ?? []).map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 0);
      return { summary: result, retried: Math.max(...attempts) > 1 };
    });
    expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
    expect(retried).toBe(true);
  }, 60_000);
});

describe('backflow run on a DuckDB file another process is writing to', () => {
  it('starts the run and waits the lock out, where it failed at once; a dry run names SOURCE_LOCKED', async () => {
    const holder = await holdDuckdbWriteLock(path.join(fx.project.dir, 'warehouse.duckdb'));
    const env = { ...fx.project.env, ...(fx.project.deps.env as Record<string, string>) };
    try {
      const dryRun = await backflow(['run', SYNC, '--dry-run', '--json', '--project', fx.project.dir], env);
      expect(dryRun.code).toBe(1);
      expect(JSON.parse(dryRun.stdout)).toMatchObject({ error: { code: 'SOURCE_LOCKED' } });
      const running = backflow(['run', SYNC, '--json', '--project', fx.project.dir], env);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      holder.kill();
      const run = await running;
      expectSucceeded(run);
      expect(run.stderr).toMatch(/note: SOURCE_LOCKED: DuckDB database .* is locked by another process.*; the run starts and waits for it/);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
    } finally {
      holder.kill();
    }
  }, 90_000);
});

describe('BigQuery specifics', () => {
  async function onBigquery() {
    const sandbox = await bigquerySandbox();
    await sandbox.exec(fx.project.read('seed.sql').replace(/\baccounts\b/g, 'analytics.accounts'));
    useWarehouse('  warehouse:\n    type: bigquery\n    projectId: backflow-sandbox\n    apiEndpoint: ${env:BIGQUERY_ENDPOINT}\n', {
      BIGQUERY_ENDPOINT: sandbox.apiEndpoint,
    });
    const file = 'syncs/accounts_to_salesforce.yaml';
    return (from: string) => fx.project.write(file, fx.project.read(file).replace(/FROM .*\n/, `FROM ${from}\n`));
  }
  const run = (...args: string[]) =>
    backflow(['run', SYNC, '--json', ...args, '--project', fx.project.dir], { ...fx.project.env, ...(fx.project.deps.env as Record<string, string>) });

  it('shows the bytes the model will process in a dry run', async () => {
    (await onBigquery())('`analytics.accounts`');
    const result = await run('--dry-run');
    expectSucceeded(result);
    const preview = JSON.parse(result.stdout) as { counts: { added: number }; apiCalls: number; bytesProcessed: number };
    expect(preview).toMatchObject({ counts: { added: 4 }, apiCalls: 1 });
    expect(preview.bytesProcessed).toBeGreaterThan(0);
    expect(fx.sandbox.requests()).toEqual([]);
  });

  it('labels the query job with the sync and the run', async () => {
    (await onBigquery())('`analytics.accounts`');
    const bigquery = bigquerySandboxes.at(-1);
    const result = await run();
    const summary = JSON.parse(result.stdout) as RunSummary;
    const resultsRequest = bigquery?.requests().find((r) => /\/queries\/[^/]+$/.test(r.path));
    const jobId = resultsRequest?.path.split('/').pop() ?? '';
    const client = new BigQuery({ projectId: bigquery?.projectId ?? '', apiEndpoint: bigquery?.apiEndpoint ?? '' });
    const [metadata] = await client.job(jobId).getMetadata();
    expect(metadata.configuration.labels).toEqual({
      backflow_sync: SYNC,
      backflow_run: summary.runId.toLowerCase().replace(/[^a-z0-9_-]/g, '_'),
    });
  });

  it("fails a query error with BigQuery's own message, before any destination call", async () => {
    (await onBigquery())('`analytics.acounts`');
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/model: BigQuery: Not found: Table backflow-sandbox:analytics\.acounts was not found/);
    expect(fx.sandbox.requests()).toEqual([]);
  });

  // A query still running when a getQueryResults call's wait ends answers `jobComplete: false` and no
  // rows: read as an empty model, a mirror sync allowed to go empty would delete every record it made.
  it("waits for a model still running after one poll's wait: every row read, nothing deleted", async () => {
    (await onBigquery())('`analytics.accounts`');
    const bigquery = bigquerySandboxes.at(-1);
    const file = 'syncs/accounts_to_salesforce.yaml';
    fx.project.write(file, fx.project.read(file).replace(/^mode: .*$/m, 'mode: mirror\nallowEmptyMirror: true'));
    // On a test worker: the source's waiting is under test here, not the CLI.
    await runOnTestWorker(fx, SYNC, 'bigquery-first');
    expect(fx.sandbox.records('Account')).toHaveLength(4);

    bigquery?.setQueryDelay(POLL_WAIT_MS + 1_500);
    const from = bigquery?.requests().length ?? 0;
    const summary = await runOnTestWorker(fx, SYNC, 'bigquery-slow', { full: true });
    expect(summary).toMatchObject({ status: 'succeeded', counts: { extracted: 4, synced: 4, deleted: 0 } });
    expect(fx.sandbox.records('Account')).toHaveLength(4);
    // The first poll said "not yet"; the next one got the rows.
    const polls = (bigquery?.requests() ?? []).slice(from).filter((r) => /\/queries\/[^/]+$/.test(r.path));
    expect(polls.length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('fails a job that ends in an error after running past a poll with SOURCE_QUERY_FAILED', async () => {
    const sandbox = await bigquerySandbox();
    sandbox.setQueryDelay(POLL_WAIT_MS + 500);
    const source = createSource({ type: 'bigquery', projectId: sandbox.projectId, apiEndpoint: sandbox.apiEndpoint, pageSize: 10_000 }, fx.project.dir);
    const read = async () => {
      for await (const page of source.stream('SELECT * FROM `analytics.gone`')) expect(page).toBeUndefined();
    };
    const error = await read().then(() => undefined, (err: unknown) => err);
    await source.close();
    expect(error).toBeInstanceOf(BackflowError);
    expect(error).toMatchObject({ code: 'SOURCE_QUERY_FAILED', message: expect.stringMatching(/^BigQuery: Not found: Table backflow-sandbox:analytics\.gone/) as unknown });
  }, 30_000);
});

describe('a dbt model as the sync model', () => {
  it('reads the relation dbt built, named in manifest.json', async () => {
    fx.project.write(
      'manifest.json',
      JSON.stringify({
        nodes: {
          'model.shop.accounts_scored': {
            resource_type: 'model',
            name: 'accounts_scored',
            relation_name: '"warehouse"."main"."accounts"',
            config: { materialized: 'table' },
          },
        },
      }),
    );
    const file = 'syncs/accounts_to_salesforce.yaml';
    fx.project.write(file, fx.project.read(file).replace(/model: \|\n(?:  .*\n)+/, 'model: { dbt: accounts_scored, manifest: manifest.json }\n'));
    const taskQueue = uniqueTaskQueue('dbt');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(summary).toMatchObject({ status: 'succeeded', counts: { extracted: 4, synced: 4 } });
    });
    expect(fx.sandbox.records('Account').map((a) => a.Name)).toEqual(['Acme', 'Globex', 'Initech', 'Umbrella']);
  });

  it('says a relation the warehouse lacks came from the dbt manifest (a model renamed, or not built yet)', async () => {
    fx.project.write(
      'manifest.json',
      JSON.stringify({
        nodes: { 'model.shop.accounts_scored': { resource_type: 'model', name: 'accounts_scored', relation_name: '"warehouse"."main"."accounts_scored"', config: { materialized: 'table' } } },
      }),
    );
    const file = 'syncs/accounts_to_salesforce.yaml';
    fx.project.write(file, fx.project.read(file).replace(/model: \|\n(?:  .*\n)+/, 'model: { dbt: accounts_scored, manifest: manifest.json }\n'));
    await expect(checkSync(fx.project.deps, SYNC)).rejects.toMatchObject({
      code: 'SOURCE_QUERY_FAILED',
      message: expect.stringMatching(
        /^syncs\/accounts_to_salesforce\.yaml: model\.dbt: dbt model "accounts_scored" is read from "warehouse"\."main"\."accounts_scored", as manifest\.json names it \(.*`dbt run`\): DuckDB: Catalog Error: Table with name accounts_scored does not exist/,
      ) as unknown,
    });
  });

  it('waits for a manifest.json dbt is writing as the run starts, rather than failing the run', async () => {
    const manifest = JSON.stringify({
      nodes: { 'model.shop.accounts_scored': { resource_type: 'model', name: 'accounts_scored', relation_name: '"warehouse"."main"."accounts"', config: { materialized: 'table' } } },
    });
    // dbt truncates manifest.json and writes it anew: the run starts between the two.
    fx.project.write('manifest.json', manifest.slice(0, 30));
    const file = 'syncs/accounts_to_salesforce.yaml';
    fx.project.write(file, fx.project.read(file).replace(/model: \|\n(?:  .*\n)+/, 'model: { dbt: accounts_scored, manifest: manifest.json }\n'));
    const taskQueue = uniqueTaskQueue('dbt-writing');
    const written = setTimeout(() => fx.project.write('manifest.json', manifest), 1_500);
    try {
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
        expect(summary).toMatchObject({ status: 'succeeded', counts: { extracted: 4, synced: 4 } });
      });
    } finally {
      clearTimeout(written);
    }
  });
});
