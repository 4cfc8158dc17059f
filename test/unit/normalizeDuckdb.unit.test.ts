import { DuckdbSource } from '../../src/sources/duckdb';
import { UnreadableValue, type SourceRow } from '../../src/sources/source';

async function rowsOf(sql: string): Promise<SourceRow[]> {
  const source = new DuckdbSource(':memory:');
  const rows: SourceRow[] = [];
  try {
    for await (const page of source.stream(sql)) rows.push(...page);
  } finally {
    await source.close();
  }
  return rows;
}

describe('DuckDB values a CRM field can hold', () => {
  it('INTERVAL as an ISO-8601 duration, each value its own', async () => {
    const rows = await rowsOf(`
      SELECT * FROM (VALUES (1, INTERVAL '1 year 2 months 3 days 04:05:06.789'), (2, INTERVAL '36 hours'),
                            (3, INTERVAL '-1.5 seconds'), (4, NULL::INTERVAL)) AS t(id, i) ORDER BY id`);
    expect(rows.map((r) => r.i)).toEqual(['P1Y2M3DT4H5M6.789S', 'PT36H', 'PT-1.5S', null]);
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
});
