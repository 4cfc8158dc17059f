/**
 * Runs a translated query once and keeps its result as wire cells (jobs.ts pages from them).
 *
 * Statements run in order on the job's own DuckDB session; the last one's rows are the
 * result, as for a BigQuery script. Before each statement the tables it names are checked so
 * a missing one answers BigQuery's 404 ("Not found: Table p:d.t was not found in location US"),
 * and its plan is sized for `totalBytesProcessed` (cost.ts). A dry run prepares the last
 * statement for its schema without running it (earlier script statements run inside a
 * transaction that is rolled back).
 */

import { DuckDBTypeId, ResultReturnType, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { bytesProcessed } from './cost';
import type { Warehouse } from './engine';
import { endedInError } from '../../sources/duckdbStreamEnd';
import { BigQueryApiError, datasetNotFound, duplicate, fromDuckDbError, internalError, invalidQuery, notFound, tableNotFound, QUERY_LOCATION } from './errors';
import { quoteIdent, quoteString } from './params';
import type { TranslatedStatement, Translation } from './sql';
import { fieldFor, fitsInt64, toWire, type FieldSchema, type WireCell } from './wire';

export interface Destination {
  dataset: string;
  table: string;
  /** WRITE_EMPTY (BigQuery's default for query jobs), WRITE_TRUNCATE or WRITE_APPEND. */
  writeDisposition: string;
  /** CREATE_IF_NEEDED (default) or CREATE_NEVER. */
  createDisposition: string;
}

export interface ExecuteOptions {
  projectId: string;
  location: string;
  dryRun: boolean;
  destination?: Destination | undefined;
}

export interface QueryOutcome {
  statementType: string;
  /** Result schema; null when the last statement returns no rows (DML, DDL). */
  schema: FieldSchema[] | null;
  rows: WireCell[][];
  totalBytesProcessed: bigint;
  numDmlAffectedRows: bigint | null;
  referencedTables: Array<{ dataset: string; table: string }>;
}

const DML = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

interface SelectItem {
  class?: string;
  alias?: string;
}
interface QueryNode {
  type?: string;
  left?: QueryNode;
  select_list?: SelectItem[];
}

/**
 * Result column names as BigQuery gives them: an unaliased expression is `f0_`, `f1_`, … in
 * order (DuckDB would name it after its text, e.g. `count_star()`). Read from DuckDB's parse
 * tree (json_serialize_sql); names are kept when it cannot tell which columns are anonymous.
 */
async function bigQueryNames(connection: DuckDBConnection, sql: string, names: string[]): Promise<string[]> {
  let anonymous: boolean[] | null = null;
  try {
    const reader = await connection.runAndReadAll(`SELECT json_serialize_sql(${quoteString(sql)})`);
    const parsed = JSON.parse(String(reader.getRowsJson()[0]?.[0] ?? '{}')) as { error?: boolean; statements?: Array<{ node?: QueryNode }> };
    let node = parsed.error === true ? undefined : parsed.statements?.[0]?.node;
    while (node?.type === 'SET_OPERATION_NODE') node = node.left;
    const items = node?.type === 'SELECT_NODE' ? (node.select_list ?? []) : null;
    if (items !== null) {
      const stars = items.filter((item) => item.class === 'STAR').length;
      const expanded = names.length - (items.length - stars);
      if (stars === 0 && items.length === names.length) anonymous = items.map((item) => item.alias === '' && item.class !== 'COLUMN_REF');
      else if (stars === 1 && expanded >= 0) {
        anonymous = items.flatMap((item) => (item.class === 'STAR' ? new Array<boolean>(expanded).fill(false) : [item.alias === '' && item.class !== 'COLUMN_REF']));
      }
    }
  } catch {
    anonymous = null;
  }
  let next = 0;
  const out = names.map((name, i) => (anonymous?.[i] === true ? `f${next++}_` : name));
  const seen = new Map<string, number>();
  for (const name of out) seen.set(name.toLowerCase(), (seen.get(name.toLowerCase()) ?? 0) + 1);
  const duplicates = out.filter((name, i) => (seen.get(name.toLowerCase()) ?? 0) > 1 && out.findIndex((n) => n.toLowerCase() === name.toLowerCase()) === i);
  if (duplicates.length > 0) {
    throw invalidQuery(`Duplicate column names in the result are not supported. Found duplicate(s): ${duplicates.join(', ')}`);
  }
  return out;
}

const WIDE_INTEGERS = new Set<DuckDBTypeId>([DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.BIGNUM]);

/**
 * Result schema; a HUGEINT column whose values all fit INT64 is reported as INTEGER, since that
 * is where DuckDB's SUM/COUNTIF over integers land while BigQuery returns INT64.
 */
function resultSchema(names: string[], types: DuckDBType[], rows: WireCell[][]): FieldSchema[] {
  return names.map((name, i) => {
    const type = types[i];
    if (type === undefined) return { name, type: 'STRING', mode: 'NULLABLE' };
    const field = fieldFor(name, type);
    if (WIDE_INTEGERS.has(type.typeId) && rows.every((row) => fitsInt64(row[i] ?? null))) return { ...field, type: 'INTEGER' };
    return field;
  });
}

interface ReadResult {
  names: string[];
  types: DuckDBType[];
  rows: WireCell[][];
  changed: bigint | null;
  returned: boolean;
}

async function readRows(connection: DuckDBConnection, sql: string, wanted: string[]): Promise<ReadResult> {
  const result = await connection.stream(sql);
  if (result.returnType !== ResultReturnType.QUERY_RESULT) {
    const changed = result.returnType === ResultReturnType.CHANGED_ROWS ? BigInt(result.rowsChanged) : null;
    return { names: [], types: [], rows: [], changed, returned: false };
  }
  const types = result.columnTypes();
  const names = wanted.length === types.length ? wanted : result.columnNames();
  const convert = types.map((type, c) => (value: DuckDBValue) => toWire(type, value, names[c] ?? ''));
  const rows: WireCell[][] = [];
  // Chunk by chunk: only wire strings are kept, never DuckDB's value objects.
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (const values of chunk.getRows()) rows.push(values.map((value, c) => convert[c]?.(value) ?? null));
  }
  // A query failing past its first chunks ended here as if complete: the job was DONE with the rows
  // before the error, where BigQuery fails it. DuckDB does not hand over the error: run again
  // (materialized, as the rows are kept anyway), the query fails with it.
  if (endedInError(result)) {
    await connection.run(sql);
    throw internalError('The query stopped part-way with an error DuckDB did not name, and ran to its end when run again. Retry the query.');
  }
  return { names, types, rows, changed: null, returned: true };
}

export class QueryExecutor {
  constructor(private readonly warehouse: Warehouse) {}

  private errorContext(statement: TranslatedStatement, options: ExecuteOptions) {
    return {
      projectId: options.projectId,
      location: options.location,
      sql: statement.sql,
      position: (offset: number) => statement.position(offset),
      datasetOf: (table: string) => statement.tables.find((t) => t.table.toLowerCase() === table.toLowerCase())?.dataset,
    };
  }

  /**
   * BigQuery resolves every table up front: a missing one fails the query with 404. The sandbox's
   * datasets live in the US multi-region: a job run in another location finds none of them, as a
   * wrong `location` does on BigQuery.
   */
  private async checkTables(connection: DuckDBConnection, statement: TranslatedStatement, options: ExecuteOptions): Promise<void> {
    for (const ref of statement.tables) {
      if (!inDatasetLocation(options.location) || !(await this.warehouse.datasetExists(connection, ref.dataset))) {
        throw datasetNotFound(options.projectId, ref.dataset, options.location);
      }
      if (ref.role === 'ddl') continue;
      if ((await this.warehouse.findRelation(connection, ref.dataset, ref.table)) === null) {
        throw tableNotFound(options.projectId, ref.dataset, ref.table, options.location);
      }
    }
  }

  async run(translation: Translation, options: ExecuteOptions): Promise<QueryOutcome> {
    const connection = await this.warehouse.connect();
    const statements = translation.statements;
    const rollback = options.dryRun && statements.length > 1;
    const outcome: QueryOutcome = {
      statementType: translation.statementType,
      schema: null,
      rows: [],
      totalBytesProcessed: 0n,
      numDmlAffectedRows: null,
      referencedTables: [],
    };
    const referenced = new Map<string, { dataset: string; table: string }>();
    try {
      if (rollback) await connection.run('BEGIN TRANSACTION');
      for (const [index, statement] of statements.entries()) {
        const last = index === statements.length - 1;
        try {
          await this.checkTables(connection, statement, options);
          const cost = await bytesProcessed(connection, statement.sql);
          outcome.totalBytesProcessed += cost.bytes;
          for (const scan of cost.scans) referenced.set(`${scan.schema}.${scan.table}`.toLowerCase(), { dataset: scan.schema, table: scan.table });
          if (!last) {
            if (!options.dryRun || rollback) await connection.run(statement.sql);
          } else if (options.dryRun) {
            await this.dryRunLast(connection, statement, outcome);
          } else {
            await this.runLast(connection, statement, options, outcome);
          }
        } catch (err) {
          throw err instanceof BigQueryApiError ? err : fromDuckDbError(err, this.errorContext(statement, options));
        }
      }
    } finally {
      if (rollback) await connection.run('ROLLBACK').catch(() => undefined);
      connection.closeSync();
    }
    outcome.referencedTables = [...referenced.values()];
    return outcome;
  }

  private async dryRunLast(connection: DuckDBConnection, statement: TranslatedStatement, outcome: QueryOutcome): Promise<void> {
    const prepared = await connection.prepare(statement.sql);
    if (statement.statementType !== 'SELECT') return;
    const names: string[] = [];
    const types: DuckDBType[] = [];
    for (let i = 0; i < prepared.columnCount; i += 1) {
      names.push(prepared.columnName(i));
      types.push(prepared.columnType(i));
    }
    outcome.schema = resultSchema(await bigQueryNames(connection, statement.sql, names), types, []);
  }

  private async runLast(connection: DuckDBConnection, statement: TranslatedStatement, options: ExecuteOptions, outcome: QueryOutcome): Promise<void> {
    if (options.destination !== undefined && statement.statementType === 'SELECT') {
      await this.runIntoDestination(connection, statement, options, options.destination, outcome);
      return;
    }
    const probe = statement.statementType === 'SELECT' ? await connection.prepare(statement.sql) : null;
    const rawNames: string[] = [];
    for (let i = 0; i < (probe?.columnCount ?? 0); i += 1) rawNames.push(probe?.columnName(i) ?? '');
    const names = probe === null ? [] : await bigQueryNames(connection, statement.sql, rawNames);
    const read = await readRows(connection, statement.sql, names);
    if (DML.has(statement.statementType)) outcome.numDmlAffectedRows = read.changed ?? 0n;
    if (!read.returned || DML.has(statement.statementType)) return;
    outcome.schema = resultSchema(read.names, read.types, read.rows);
    outcome.rows = read.rows;
  }

  /**
   * `configuration.query.destinationTable`: the query runs once into a session table, which is
   * written to the destination per the dispositions and read back as the job's result.
   */
  private async runIntoDestination(connection: DuckDBConnection, statement: TranslatedStatement, options: ExecuteOptions, destination: Destination, outcome: QueryOutcome): Promise<void> {
    const { projectId, location } = options;
    if (!inDatasetLocation(location) || !(await this.warehouse.datasetExists(connection, destination.dataset))) throw datasetNotFound(projectId, destination.dataset, location);
    const existing = await this.warehouse.findRelation(connection, destination.dataset, destination.table);
    if (existing === null && destination.createDisposition === 'CREATE_NEVER') {
      throw notFound(`Not found: Table ${projectId}:${destination.dataset}.${destination.table}`, QUERY_LOCATION);
    }
    const target = `${quoteIdent(existing?.schema ?? destination.dataset)}.${quoteIdent(existing?.name ?? destination.table)}`;
    if (existing !== null && destination.writeDisposition === 'WRITE_EMPTY') {
      const count = await connection.runAndReadAll(`SELECT count(*) > 0 FROM ${target}`);
      if (count.getRowsJson()[0]?.[0] === true) throw duplicate(`Already Exists: Table ${projectId}:${destination.dataset}.${destination.table}`);
    }
    const probe = await connection.prepare(statement.sql);
    const rawNames: string[] = [];
    for (let i = 0; i < probe.columnCount; i += 1) rawNames.push(probe.columnName(i));
    const names = await bigQueryNames(connection, statement.sql, rawNames);
    const staging = quoteIdent(`__bq_sandbox_result_${Date.now()}_${Math.floor(Math.random() * 1e9)}`);
    await connection.run(`CREATE TEMP TABLE ${staging} AS SELECT * FROM (${statement.sql}) AS q(${names.map(quoteIdent).join(', ')})`);
    try {
      if (existing !== null && destination.writeDisposition === 'WRITE_APPEND') {
        await connection.run(`INSERT INTO ${target} BY NAME SELECT * FROM ${staging}`);
      } else {
        await connection.run(`CREATE OR REPLACE TABLE ${target} AS SELECT * FROM ${staging}`);
      }
      const read = await readRows(connection, `SELECT * FROM ${staging}`, names);
      outcome.schema = resultSchema(read.names, read.types, read.rows);
      outcome.rows = read.rows;
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${staging}`).catch(() => undefined);
    }
  }
}

/** Where the sandbox's datasets are (datasets.get says `US`); multi-region names ignore case. */
export const DATASET_LOCATION = 'US';

export function inDatasetLocation(location: string): boolean {
  return location.toUpperCase() === DATASET_LOCATION;
}
