/**
 * A wide model of N rows with the types most likely to drift between drivers (big integers,
 * decimals, booleans, dates, zoned timestamps, NULLs), written once per SQL dialect so every source
 * holds the same values. Used by the source benchmarks and the cross-source fingerprint test.
 */
export function duckdbWideTable(table: string, rows: number): string {
  return `CREATE OR REPLACE TABLE ${table} AS
  SELECT id, 'account ' || id AS name, (id % 100) AS health, id * 1000003 AS big_id,
         CAST(id / 4 AS DECIMAL(12,2)) AS mrr, (id % 2 = 0) AS active,
         DATE '2024-01-01' + CAST(id % 365 AS INTEGER) AS renewal_on,
         TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(id) AS seen_at,
         CASE WHEN id % 10 = 0 THEN NULL ELSE 'n' || (id % 7) END AS note
  FROM range(1, ${rows + 1}) AS t(id)`;
}

export function postgresWideTable(table: string, rows: number): string {
  return `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} AS
  SELECT id, 'account ' || id AS name, (id % 100) AS health, id::bigint * 1000003 AS big_id,
         CAST(id / 4.0 AS numeric(12,2)) AS mrr, (id % 2 = 0) AS active,
         DATE '2024-01-01' + (id % 365) AS renewal_on,
         TIMESTAMPTZ '2024-01-01 00:00:00+00' + id * INTERVAL '1 second' AS seen_at,
         CASE WHEN id % 10 = 0 THEN NULL ELSE 'n' || (id % 7) END AS note
  FROM generate_series(1, ${rows}) AS id`;
}
