import { DuckdbSource } from '../../src/sources/duckdb';
import { normalizePg } from '../../src/sources/postgres';
import { asSubquery } from '../../src/sources/subquery';
import { UnreadableValue } from '../../src/sources/source';
import { readAllRows } from '../support/sourceRows';

// PostgreSQL array OIDs: numeric[], float4[], float8[], int8[], int4[], text[].
const NUMERIC_ARRAY = 1231;
const FLOAT4_ARRAY = 1021;
const FLOAT8_ARRAY = 1022;
const INT8_ARRAY = 1016;
const INT4_ARRAY = 1007;

describe('PostgreSQL json naming a key twice', () => {
  // json (not jsonb) keeps its text as written: jsonb keeps the last value, json says nothing.
  it('is unreadable, naming the repeated key at any depth; json[] too; the same value twice is read', () => {
    const text = '{"a": {"tier": "gold", "tier": "silver"}}';
    expect(normalizePg(114, text)).toEqual(expect.objectContaining({ kind: 'json', raw: text, reason: 'key "tier" appears twice with different values' }));
    const array = '{"{\\"id\\": 1, \\"id\\": 2}"}';
    expect(normalizePg(199, array)).toEqual(expect.objectContaining({ kind: 'json', raw: array, reason: 'key "id" appears twice with different values' }));
    expect(normalizePg(114, '{"a": 1, "a": 1}')).toEqual({ a: 1 });
    // Not JSON at all has no reason beyond its text.
    expect((normalizePg(114, '{"a": ') as UnreadableValue).reason).toBeUndefined();
  });
});

describe('PostgreSQL arrays', () => {
  it('reads numeric[] elements as exact decimal strings in canonical form, NULL as null, at any depth', () => {
    expect(normalizePg(NUMERIC_ARRAY, '{1.10,123456789012345678901.5,NULL,-0.000001}')).toEqual(['1.1', '123456789012345678901.5', null, '-0.000001']);
    expect(normalizePg(NUMERIC_ARRAY, '{{1.0,2},{4,3}}')).toEqual([['1', '2'], ['4', '3']]);
  });

  it("makes a numeric[] holding NaN or ±Infinity unreadable, as a top-level NUMERIC's NaN is (no number field takes them)", () => {
    expect(normalizePg(NUMERIC_ARRAY, '{{1.0,2},{NaN,3}}')).toEqual(new UnreadableValue('json', '{{1.0,2},{NaN,3}}'));
    expect(normalizePg(NUMERIC_ARRAY, '{Infinity,1}')).toEqual(new UnreadableValue('json', '{Infinity,1}'));
    expect(normalizePg(NUMERIC_ARRAY, '{-Infinity}')).toEqual(new UnreadableValue('json', '{-Infinity}'));
  });

  it('makes an element it cannot read an unreadable value (its row invalid), not a failed extract', () => {
    expect(normalizePg(NUMERIC_ARRAY, '{1,abc}')).toEqual(new UnreadableValue('json', '{1,abc}'));
  });

  it('keeps NaN and Infinity in float arrays as text, which JSON would have turned into null', () => {
    expect(normalizePg(FLOAT8_ARRAY, '{1.5,NaN,Infinity,-Infinity,NULL}')).toEqual([1.5, 'NaN', 'Infinity', '-Infinity', null]);
    expect(normalizePg(FLOAT4_ARRAY, '{0.25,-2}')).toEqual([0.25, -2]);
  });

  it('reads every element of a built-in array as the top-level value of its type is, as DuckDB and BigQuery read it', async () => {
    // int8[]: numbers where exact, strings past 2^53 (pg's parser made them all strings).
    expect(normalizePg(INT8_ARRAY, '{9007199254740993,-5}')).toEqual(['9007199254740993', -5]);
    expect(normalizePg(INT4_ARRAY, '{1,NULL,3}')).toEqual([1, null, 3]);
    // jsonb[]: big integers stay exact (JSON.parse rounded them).
    expect(normalizePg(3807, '{"{\\"id\\": 12345678901234567890}"}')).toEqual([{ id: '12345678901234567890' }]);
    // timestamptz[], date[], bytea[], uuid[] were one literal string each.
    expect(normalizePg(1185, '{"2024-01-02 03:04:05+00"}')).toEqual(['2024-01-02T03:04:05.000000Z']);
    expect(normalizePg(1182, '{2024-01-02,NULL}')).toEqual(['2024-01-02', null]);
    expect(normalizePg(1001, '{"\\\\x0102"}')).toEqual([Buffer.from([1, 2]).toString('base64')]);
    expect(normalizePg(2951, '{3670ea3c-6b9f-4b0a-9d2f-1c0d1e2f3a4b}')).toEqual(['3670ea3c-6b9f-4b0a-9d2f-1c0d1e2f3a4b']);
    // The same values from DuckDB.
    const rows = await readAllRows(new DuckdbSource(':memory:'), `SELECT [9007199254740993, -5]::BIGINT[] AS a8, [TIMESTAMPTZ '2024-01-02 03:04:05+00'] AS tsa, [DATE '2024-01-02', NULL] AS da`);
    expect(rows).toEqual([{ a8: ['9007199254740993', -5], tsa: ['2024-01-02T03:04:05.000000Z'], da: ['2024-01-02', null] }]);
  });

  it('reads timetz[], "char"[], bit[] and varbit[] element by element, as DuckDB gives a list (they were one literal string)', async () => {
    expect(normalizePg(1270, '{12:00:00+02,NULL}')).toEqual(['12:00:00+02', null]);
    expect(normalizePg(1002, '{a,b}')).toEqual(['a', 'b']);
    expect(normalizePg(1561, '{101,010}')).toEqual(['101', '010']);
    expect(normalizePg(1563, '{1}')).toEqual(['1']);
    const rows = await readAllRows(new DuckdbSource(':memory:'), `SELECT [TIMETZ '12:00:00+02'] AS t`);
    expect(rows).toEqual([{ t: ['12:00:00+02'] }]);
  });
});

// PostgreSQL's interval OIDs: interval, interval[].
const INTERVAL = 1186;
const INTERVAL_ARRAY = 1187;

/** The same interval as a DuckDB literal, PostgreSQL's default (IntervalStyle postgres) text, its iso_8601 text. */
const INTERVALS: Array<[duckdb: string, postgres: string, iso: string]> = [
  ['1 year 2 months 3 days 04:05:06.789', '1 year 2 mons 3 days 04:05:06.789', 'P1Y2M3DT4H5M6.789S'],
  ['36 hours', '36:00:00', 'PT36H'],
  ['-1.5 seconds', '-00:00:01.5', 'PT-1.5S'],
  ['-1 year -2 months 3 days -4 hours -5 minutes -6 seconds', '-1 years -2 mons +3 days -04:05:06', 'P-1Y-2M3DT-4H-5M-6S'],
  ['-1 day 2 hours', '-1 days +02:00:00', 'P-1DT2H'],
  ['1 day -1 hour -30 minutes', '1 day -01:30:00', 'P1DT-1H-30M'],
  ['1 month', '1 mon', 'P1M'],
  ['-3 days', '-3 days', 'P-3D'],
  ['0.000001 seconds', '00:00:00.000001', 'PT0.000001S'],
  ['1000000 hours 59 seconds', '1000000:00:59', 'PT1000000H59S'],
  ['0 seconds', '00:00:00', 'PT0S'],
];

async function duckdbIntervals(): Promise<unknown[]> {
  const source = new DuckdbSource(':memory:');
  const values: unknown[] = [];
  try {
    const sql = INTERVALS.map(([literal], i) => `SELECT ${i} AS id, INTERVAL '${literal}' AS i`).join(' UNION ALL ');
    for await (const page of source.stream(`${sql} ORDER BY id`)) values.push(...page.map((row) => row['i']));
  } finally {
    await source.close();
  }
  return values;
}

describe('PostgreSQL intervals', () => {
  it('reads an interval as the ISO-8601 duration DuckDB gives the same interval, from either output style', async () => {
    const fromDuckdb = await duckdbIntervals();
    expect(fromDuckdb).toEqual(INTERVALS.map(([, , iso]) => iso));
    expect(INTERVALS.map(([, postgres]) => normalizePg(INTERVAL, postgres))).toEqual(fromDuckdb);
    expect(INTERVALS.map(([, , iso]) => normalizePg(INTERVAL, iso))).toEqual(fromDuckdb);
  });

  it('reads interval[] elements the same way, NULL as null', () => {
    expect(normalizePg(INTERVAL_ARRAY, '{"1 year 2 mons 3 days 04:05:06.789","36:00:00",NULL,"-00:00:01.5"}')).toEqual([
      'P1Y2M3DT4H5M6.789S',
      'PT36H',
      null,
      'PT-1.5S',
    ]);
  });

  it('makes an interval in another form (infinity, postgres_verbose, sql_standard) an unreadable value, never a zero', () => {
    for (const text of ['infinity', '@ 1 year 2 mons', '1-2', '3 4:05:06', '1 day 01:75:00', '']) {
      expect(normalizePg(INTERVAL, text)).toEqual(new UnreadableValue('interval', text));
    }
    expect(normalizePg(INTERVAL_ARRAY, '{"1 day",infinity}')).toEqual(new UnreadableValue('json', '{"1 day",infinity}'));
  });
});

describe('a PostgreSQL model as a subquery (describe)', () => {
  it('drops a closing ; and the line comments after it, and leaves everything else as written', () => {
    expect(asSubquery('SELECT 1 AS id; -- done\n')).toBe('(\nSELECT 1 AS id\n)');
    expect(asSubquery('SELECT 1 AS id;\n-- done\n-- really\n')).toBe('(\nSELECT 1 AS id\n)');
    expect(asSubquery("-- accounts that aren't churned\nselect 1 as id; -- done")).toBe("(\n-- accounts that aren't churned\nselect 1 as id\n)");
    // A comment without a closing ; stays: the parenthesis is on a line of its own.
    expect(asSubquery('SELECT 1 AS id -- the id')).toBe('(\nSELECT 1 AS id -- the id\n)');
    for (const kept of ['select 1 as "a--b"', 'select $$x--y$$ as s', 'select 1 as id /* outer /* inner */ still */']) expect(asSubquery(kept)).toBe(`(\n${kept}\n)`);
  });

  it('reads a line of dashes in linear time (a regular expression took seconds, blocking the worker)', () => {
    const separator = '-'.repeat(5_000);
    expect(asSubquery(`-- accounts at risk;\n${separator}\nSELECT id FROM accounts`)).toBe(`(\n-- accounts at risk;\n${separator}\nSELECT id FROM accounts\n)`);
    expect(asSubquery(`SELECT 1;${' --'.repeat(5_000)}`)).toBe('(\nSELECT 1\n)');
    expect(asSubquery(`SELECT 1${' ;--'.repeat(5_000)}`)).toBe('(\nSELECT 1\n)');
  });
});

