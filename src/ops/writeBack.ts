import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client } from 'pg';
import type { Connection, WriteBackConfig } from '../config/schema';
import { duckdbPath } from '../sources/duckdb';
import type { StateDb } from '../state/database';
import { resultsPage } from '../state/history';
import type { RunSummary } from '../state/summary';
import { pgConnectTimeoutMs } from '../state/stateUrl';

/** Columns of the sync log table; key and outcome only (no payload: analysts join on the key). */
export const SYNC_LOG_COLUMNS = [
  'sync_name',
  'run_id',
  'run_status',
  'record_key',
  'change',
  'status',
  'destination_id',
  'error_code',
  'error_message',
  'recorded_at',
] as const;

type LogRow = Array<string | null>;

/** How long the write-back table check waits for the warehouse before it lets the run go on. */
const CHECK_TIMEOUT_MS = 5_000;
/** How long a write-back waits for any one statement (a page of rows) to be answered; to connect, libpq's `connect_timeout` (10 s unless the URL sets it). */
const WRITE_QUERY_TIMEOUT_MS = 120_000;

const PAGE = 500;

/** The run's per-record results as log rows, a page at a time (memory flat in run size). */
async function* logRows(state: StateDb, summary: RunSummary): AsyncGenerator<LogRow[]> {
  let after = 0;
  for (;;) {
    const rows = await resultsPage(state, summary.runId, after, PAGE);
    if (rows.length === 0) return;
    after = Number(rows[rows.length - 1]?.id ?? after);
    yield rows.map((row) => [
      summary.sync,
      summary.runId,
      summary.status,
      row.key,
      row.change,
      row.status,
      row.destination_id,
      row.error_code,
      row.error_message,
      row.recorded_at,
    ]);
    // A short page is the last: asking again would walk the rest of the table for nothing.
    if (rows.length < PAGE) return;
  }
}

function createTableSql(table: string, timestampType: string): string {
  const columns = SYNC_LOG_COLUMNS.map((column) => `${column} ${column === 'recorded_at' ? timestampType : 'TEXT'}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')})`;
}

/**
 * Why `table` cannot take the sync log, or undefined: it exists without the log's columns (a model's
 * table named by mistake). Every write-back then failed and stayed owed, the runs succeeding. A
 * missing table is created on the first write; a warehouse not reachable now is not a config problem
 * (the write-back waits for it).
 */
export async function writeBackTableProblem(table: string, connection: Connection, projectDir: string): Promise<string | undefined> {
  const query = 'SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()';
  let names: string[];
  try {
    if (connection.type === 'duckdb') {
      const file = duckdbPath(connection, projectDir);
      // Read-only, as sources open it (dbt is never locked out); a file not there yet has no table.
      if (file !== ':memory:' && !existsSync(file)) return undefined;
      const instance = await DuckDBInstance.create(file, file === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
      const db = await instance.connect();
      try {
        names = (await db.runAndReadAll(query, [table])).getRowObjects().map((row) => String(row['column_name']));
      } finally {
        db.closeSync();
        instance.closeSync();
      }
    } else if (connection.type === 'postgres') {
      // A warehouse that does not answer is no config problem: checked again at the next run.
      const client = new Client({ connectionString: connection.url, application_name: 'backflow', connectionTimeoutMillis: CHECK_TIMEOUT_MS, query_timeout: CHECK_TIMEOUT_MS });
      await client.connect();
      try {
        names = (await client.query<{ column_name: string }>(query, [table])).rows.map((row) => row.column_name);
      } finally {
        await client.end();
      }
    } else return undefined;
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const missing = SYNC_LOG_COLUMNS.filter((column) => !names.includes(column));
  if (missing.length === 0) return undefined;
  return `table ${table} exists without the sync log's columns (${missing.join(', ')} missing): name a table of its own, which backflow creates`;
}

/**
 * Writes a run's per-record results to `table` in the warehouse (created if missing). A re-run of
 * the write (activity retry) replaces the run's rows instead of duplicating them. Returns rows written.
 */
export async function writeBackRun(
  state: StateDb,
  summary: RunSummary,
  target: WriteBackConfig,
  connection: Connection,
  projectDir: string,
): Promise<number> {
  // `table` is an identifier (validated by the config schema), so it is safe to inline.
  const table = target.table;
  let written = 0;
  if (connection.type === 'duckdb') {
    const instance = await DuckDBInstance.create(duckdbPath(connection, projectDir));
    const db = await instance.connect();
    try {
      await db.run(createTableSql(table, 'TIMESTAMPTZ'));
      await db.run('BEGIN TRANSACTION');
      await db.run(`DELETE FROM ${table} WHERE run_id = $1`, [summary.runId]);
      for await (const rows of logRows(state, summary)) {
        const placeholders = rows.map((_, r) => `(${SYNC_LOG_COLUMNS.map((__, c) => `$${r * SYNC_LOG_COLUMNS.length + c + 1}`).join(', ')})`);
        await db.run(`INSERT INTO ${table} (${SYNC_LOG_COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}`, rows.flat());
        written += rows.length;
      }
      await db.run('COMMIT');
    } catch (err) {
      await db.run('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      db.closeSync();
      instance.closeSync();
    }
    return written;
  }
  if (connection.type === 'postgres') {
    // A server that never answers (a dropping firewall) fails the write-back, which stays owed,
    // instead of holding its activity, and the `backflow run` waiting on it, for good.
    const client = new Client({ connectionString: connection.url, application_name: 'backflow', connectionTimeoutMillis: pgConnectTimeoutMs(connection.url, `writeBack connection ${target.connection} URL`), query_timeout: WRITE_QUERY_TIMEOUT_MS });
    await client.connect();
    try {
      await client.query(createTableSql(table, 'TIMESTAMPTZ'));
      await client.query('BEGIN');
      await client.query(`DELETE FROM ${table} WHERE run_id = $1`, [summary.runId]);
      for await (const rows of logRows(state, summary)) {
        const placeholders = rows.map((_, r) => `(${SYNC_LOG_COLUMNS.map((__, c) => `$${r * SYNC_LOG_COLUMNS.length + c + 1}`).join(', ')})`);
        await client.query(`INSERT INTO ${table} (${SYNC_LOG_COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}`, rows.flat());
        written += rows.length;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      await client.end();
    }
    return written;
  }
  throw new Error(`write-back to a ${connection.type} connection is not supported (duckdb or postgres)`);
}
