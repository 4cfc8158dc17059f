/**
 * `totalBytesProcessed`: a deterministic estimate computed the way BigQuery bills on-demand
 * queries — the logical size of every column the query reads, in every table it reads.
 *
 * Columns read come from DuckDB's plan (`EXPLAIN (FORMAT JSON)` with filter pushdown off, so
 * columns used only in WHERE still show up as scan projections; views expand to their base
 * tables, `COUNT(*)` reads no column). Sizes follow BigQuery's data type sizes
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#data_type_sizes):
 * INT64/FLOAT64/DATE/DATETIME/TIME/TIMESTAMP 8, BOOL 1, NUMERIC 16, BIGNUMERIC 32, INTERVAL 16,
 * STRING 2 + UTF-8 bytes, BYTES 2 + bytes, JSON its UTF-8 bytes, STRUCT the sum of its fields,
 * ARRAY the sum of its elements, NULL 0. A table read twice (self-join) is counted once.
 * Real BigQuery would also apply partition pruning and its 10 MB billing minimum; neither is modelled.
 */

import { DuckDBTypeId, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { quoteIdent, quoteString } from './params';
import { fieldFor } from './wire';

const FIXED_SIZES: Partial<Record<string, number>> = {
  INTEGER: 8,
  FLOAT: 8,
  DATE: 8,
  DATETIME: 8,
  TIME: 8,
  TIMESTAMP: 8,
  BOOLEAN: 1,
  NUMERIC: 16,
  BIGNUMERIC: 32,
  INTERVAL: 16,
};

/** SQL for the logical size in bytes of `expr` (a value of `type`), 0 for NULL. */
export function logicalSizeSql(expr: string, type: DuckDBType, depth = 0): string {
  const x = `x${depth}`;
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return `COALESCE(list_sum(list_transform(${expr}, ${x} -> ${logicalSizeSql(x, type.valueType, depth + 1)})), 0)`;
    case DuckDBTypeId.MAP:
      return `COALESCE(list_sum(list_transform(map_entries(${expr}), ${x} -> ${logicalSizeSql(`${x}.key`, type.keyType, depth + 1)} + ${logicalSizeSql(`${x}.value`, type.valueType, depth + 1)})), 0)`;
    case DuckDBTypeId.STRUCT: {
      const parts = type.entryNames.map((name, i) => logicalSizeSql(`struct_extract(${expr}, ${quoteString(name)})`, type.entryTypes[i] ?? type, depth + 1));
      return parts.length === 0 ? '0' : `(${parts.join(' + ')})`;
    }
    case DuckDBTypeId.BLOB:
      return `COALESCE(2 + octet_length(${expr}), 0)`;
    default: {
      const bigQueryType = fieldFor('', type).type;
      if (bigQueryType === 'JSON') return `COALESCE(strlen(CAST(${expr} AS VARCHAR)), 0)`;
      if (bigQueryType === 'STRING') return `COALESCE(2 + strlen(CAST(${expr} AS VARCHAR)), 0)`;
      const size = FIXED_SIZES[bigQueryType] ?? 8;
      return `CASE WHEN ${expr} IS NULL THEN 0 ELSE ${size} END`;
    }
  }
}

/** A table scan in a DuckDB plan: `catalog.schema.table` and the columns it reads. */
export interface TableScan {
  catalog: string;
  schema: string;
  table: string;
  columns: string[];
}

interface PlanNode {
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

function collectScans(node: PlanNode, out: TableScan[]): void {
  const info = node.extra_info ?? {};
  const table = info['Table'];
  if (typeof table === 'string') {
    const [catalog = '', schema = '', name = ''] = table.split('.');
    const projections = info['Projections'];
    const columns = Array.isArray(projections) ? projections.map(String) : typeof projections === 'string' && projections !== '' ? projections.split('\n') : [];
    out.push({ catalog, schema, table: name, columns });
  }
  for (const child of node.children ?? []) collectScans(child, out);
}

/** Tables and columns `sql` reads, per DuckDB's plan; [] for statements DuckDB cannot EXPLAIN. */
export async function plannedScans(connection: DuckDBConnection, sql: string): Promise<TableScan[]> {
  try {
    await connection.run("SET disabled_optimizers = 'filter_pushdown'");
    const reader = await connection.runAndReadAll(`EXPLAIN (FORMAT JSON) ${sql}`);
    const scans: TableScan[] = [];
    for (const row of reader.getRowsJson()) {
      const plan = JSON.parse(String(row[1] ?? '[]')) as PlanNode[];
      for (const node of plan) collectScans(node, scans);
    }
    return scans;
  } catch {
    // DDL, SET and friends have no plan; a broken statement fails properly when it runs.
    return [];
  } finally {
    await connection.run('RESET disabled_optimizers').catch(() => undefined);
  }
}

/** Logical bytes of `columns` of one table (all of them when `columns` is undefined). */
export async function tableBytes(connection: DuckDBConnection, qualifiedTable: string, columns?: string[]): Promise<bigint> {
  const list = columns === undefined ? '*' : columns.map(quoteIdent).join(', ');
  if (list === '') return 0n;
  const probe = await connection.prepare(`SELECT ${list} FROM ${qualifiedTable} LIMIT 0`);
  const sizes: string[] = [];
  for (let i = 0; i < probe.columnCount; i += 1) sizes.push(logicalSizeSql(quoteIdent(probe.columnName(i)), probe.columnType(i)));
  if (sizes.length === 0) return 0n;
  const reader = await connection.runAndReadAll(`SELECT CAST(COALESCE(SUM(${sizes.join(' + ')}), 0) AS VARCHAR) FROM ${qualifiedTable}`);
  return BigInt(String(reader.getRowsJson()[0]?.[0] ?? '0'));
}

/** The estimate for one statement: the union of columns it reads per table, sized. */
export async function bytesProcessed(connection: DuckDBConnection, sql: string): Promise<{ bytes: bigint; scans: TableScan[] }> {
  const scans = await plannedScans(connection, sql);
  const byTable = new Map<string, { scan: TableScan; columns: Set<string> }>();
  for (const scan of scans) {
    const key = `${scan.catalog}.${scan.schema}.${scan.table}`.toLowerCase();
    const entry = byTable.get(key) ?? { scan, columns: new Set<string>() };
    for (const c of scan.columns) entry.columns.add(c);
    byTable.set(key, entry);
  }
  let bytes = 0n;
  for (const { scan, columns } of byTable.values()) {
    const qualified = [scan.catalog, scan.schema, scan.table].map(quoteIdent).join('.');
    bytes += await tableBytes(connection, qualified, [...columns]);
  }
  return { bytes, scans: [...byTable.values()].map((e) => e.scan) };
}
