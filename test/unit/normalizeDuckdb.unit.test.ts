import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckdbSource } from '../../src/sources/duckdb';
import { normalizePg } from '../../src/sources/postgres';
import { UnreadableValue, type SourceRow } from '../../src/sources/source';
import { readAllRows } from '../support/sourceRows';

const rowsOf = (sql: string): Promise<SourceRow[]> => readAllRows(new DuckdbSource(':memory:'), sql);

describe('DuckDB values a CRM field can hold', () => {
  it("reads a model in UTC whatever the worker's time zone, as PostgreSQL's session is set", async () => {
    // In a process of its own: the time zone DuckDB starts with is the process's TZ.
    const script = `
      const { DuckdbSource } = require('./src/sources/duckdb');
      const { readAllRows } = require('./test/support/sourceRows');
      readAllRows(new DuckdbSource(':memory:'), "SELECT (TIMESTAMPTZ '2024-01-02 03:00:00+00')::DATE AS day, TIMESTAMP '2024-01-02 03:00:00' :: TIMESTAMPTZ AS instant, current_setting('TimeZone') AS zone")
        .then((rows) => process.stdout.write(JSON.stringify(rows)));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, TZ: 'America/Los_Angeles' },
    });
    expect(JSON.parse(stdout)).toEqual([{ day: '2024-01-02', instant: '2024-01-02T03:00:00.000000Z', zone: 'UTC' }]);
  });

  it('INTERVAL as an ISO-8601 duration, each value its own', async () => {
    const rows = await rowsOf(`
      SELECT * FROM (VALUES (1, INTERVAL '1 year 2 months 3 days 04:05:06.789'), (2, INTERVAL '36 hours'),
                            (3, INTERVAL '-1.5 seconds'), (4, NULL::INTERVAL)) AS t(id, i) ORDER BY id`);
    expect(rows.map((r) => r.i)).toEqual(['P1Y2M3DT4H5M6.789S', 'PT36H', 'PT-1.5S', null]);
  });

  it('FLOAT (4 bytes) as the shortest decimal of that float, as PostgreSQL `real` gives it, nested too', async () => {
    const rows = await rowsOf(`SELECT 0.1::FLOAT AS f, 16777217::FLOAT AS big, 'NaN'::FLOAT AS nan, [0.1::FLOAT, 3.3::FLOAT] AS l, 0.1::DOUBLE AS d`);
    expect(rows).toEqual([{ f: 0.1, big: 16777216, nan: 'NaN', l: [0.1, 3.3], d: 0.1 }]);
    // PostgreSQL's text for the same real values reads the same.
    expect([normalizePg(700, '0.1'), normalizePg(700, '3.3')]).toEqual([0.1, 3.3]);
  });

  it('BLOB as its bytes in base64, a backslash in it included (DuckDB\'s text form leaves it unescaped)', async () => {
    const rows = await rowsOf(`SELECT '\\x5Cx41'::BLOB AS escaped, 'A'::BLOB AS a, '\\x5Cxzz'::BLOB AS bad_escape, ['\\xAA\\x5C'::BLOB] AS nested`);
    expect(rows).toEqual([
      {
        escaped: Buffer.from('\\x41').toString('base64'),
        a: Buffer.from('A').toString('base64'),
        bad_escape: Buffer.from('\\xzz').toString('base64'),
        nested: [Buffer.from([0xaa, 0x5c]).toString('base64')],
      },
    ]);
  });

  it('two columns of one name are each read as their own type', async () => {
    const rows = await rowsOf(`SELECT 'Acme' AS name, 12.50::DECIMAL(5,2) AS name`);
    // The row keeps the last (a sync refuses such a model before reading it: see checkSync).
    expect(rows).toEqual([{ name: '12.5' }]);
  });

  it('UNION as the value of the member it holds, read by that member type', async () => {
    const rows = await rowsOf(`
      SELECT union_value(n := 2)::UNION(n INT, s VARCHAR, d DECIMAL(5,2), t TIMESTAMP) AS u
      UNION ALL SELECT union_value(s := 'x')::UNION(n INT, s VARCHAR, d DECIMAL(5,2), t TIMESTAMP)
      UNION ALL SELECT union_value(d := 1.50)::UNION(n INT, s VARCHAR, d DECIMAL(5,2), t TIMESTAMP)
      UNION ALL SELECT union_value(t := TIMESTAMP '2024-01-02 03:04:05')::UNION(n INT, s VARCHAR, d DECIMAL(5,2), t TIMESTAMP)
      UNION ALL SELECT NULL::UNION(n INT, s VARCHAR, d DECIMAL(5,2), t TIMESTAMP)`);
    expect(rows.map((r) => r.u)).toEqual([2, 'x', '1.5', '2024-01-02T03:04:05.000000', null]);
  });

  it('an infinite, BC or five-digit-year value becomes an UnreadableValue, the stream goes on', async () => {
    const rows = await rowsOf(`
      SELECT 1 AS id, 'infinity'::TIMESTAMP AS t, '0044-03-15 (BC)'::DATE AS d, '10000-01-01'::DATE AS big, DATE '0050-06-01' AS early
      UNION ALL SELECT 2, TIMESTAMP '2024-01-02 03:04:05', DATE '2024-01-02', DATE '2024-01-02', DATE '2024-01-02' ORDER BY id`);
    expect(rows[0]).toEqual({
      id: 1,
      t: new UnreadableValue('datetime', 'infinity'),
      d: new UnreadableValue('date', '0044-03-15 (BC)'),
      big: new UnreadableValue('date', '10000-01-01'),
      early: '0050-06-01',
    });
    expect(rows[1]).toEqual({ id: 2, t: '2024-01-02T03:04:05.000000', d: '2024-01-02', big: '2024-01-02', early: '2024-01-02' });
  });

  it('a value inside a LIST, ARRAY, STRUCT, MAP or UNION takes the canonical form it has at top level, at any depth', async () => {
    // Each value x beside itself nested every way: whatever x becomes, the nested copies become too.
    const values: Array<[string, string]> = [
      ['DECIMAL(5,2)', '1.10'],
      ['DECIMAL(5,2)', '-0.00'],
      ['BIGINT', '5'],
      ['HUGEINT', '170141183460469231731687303715884105727'],
      ['DOUBLE', "'nan'"],
      ['DATE', "'2024-01-02'"],
      ['TIME', "'01:02:03'"],
      ['TIMESTAMP', "'2024-01-02 03:04:05'"],
      ['TIMESTAMP_NS', "'2024-01-02 03:04:05.123456789'"],
      ['TIMESTAMPTZ', "'2024-01-02 03:04:05+02'"],
      ['INTERVAL', "'36 hours'"],
      ['BLOB', "'\\xAA\\x00z'"],
      ['JSON', `'{"a":[1,2.50]}'`],
    ];
    const rows: SourceRow[] = [];
    // One query per type: UNION ALL would cast them all to one.
    for (const [type, literal] of values) {
      rows.push(
        ...(await rowsOf(`SELECT x, [x] AS l, [[x, NULL]] AS ll, [x]::${type}[1] AS a, {'v': x, 's': {'w': [x]}} AS s,
          MAP {'k': x} AS m, MAP {x: 1} AS mk, [union_value(v := x)::UNION(v ${type}, n INT)] AS u FROM (SELECT ${literal}::${type} AS x)`)),
      );
    }
    for (const { x, l, ll, a, s, m, mk, u } of rows) {
      expect(x).not.toBeInstanceOf(UnreadableValue);
      expect({ l, ll, a, s, m, mk, u }).toEqual({
        l: [x],
        ll: [[x, null]],
        a: [x],
        s: { v: x, s: { w: [x] } },
        m: [{ key: 'k', value: x }],
        mk: [{ key: x, value: 1 }],
        u: [x],
      });
    }
    // The forms themselves, spelled out for a few.
    expect(rows.map((r) => r.l)).toEqual([
      ['1.1'],
      ['0'],
      [5],
      ['170141183460469231731687303715884105727'],
      ['NaN'],
      ['2024-01-02'],
      ['01:02:03.000000'],
      ['2024-01-02T03:04:05.000000'],
      ['2024-01-02T03:04:05.123456'],
      ['2024-01-02T01:04:05.000000Z'],
      ['PT36H'],
      ['qgB6'],
      [{ a: [1, 2.5] }],
    ]);
  });

  it('a value inside a nested one that cannot be read makes the whole value unreadable, the stream goes on', async () => {
    const rows = await rowsOf(`
      SELECT 1 AS id, ['infinity'::TIMESTAMP, TIMESTAMP '2024-01-02 03:04:05'] AS l, {'d': '0044-03-15 (BC)'::DATE} AS s, MAP {'k': '10000-01-01'::DATE} AS m
      UNION ALL SELECT 2, [TIMESTAMP '2024-01-02 03:04:05'], {'d': DATE '2024-01-02'}, MAP {'k': DATE '2024-01-02'} ORDER BY id`);
    expect(rows[0]).toEqual({
      id: 1,
      l: new UnreadableValue('json', '["infinity","2024-01-02 03:04:05"]'),
      s: new UnreadableValue('json', '{"d":"0044-03-15 (BC)"}'),
      m: new UnreadableValue('json', '[{"key":"k","value":"10000-01-01"}]'),
    });
    expect(rows[1]).toEqual({ id: 2, l: ['2024-01-02T03:04:05.000000'], s: { d: '2024-01-02' }, m: [{ key: 'k', value: '2024-01-02' }] });
  });
});
