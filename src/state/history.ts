import { sql } from 'kysely';
import type { RecordStatus, StateDb } from './database';
import { isPostgres } from './dialect';
import { summarizeRun } from './runs';
import type { RunSummary } from './summary';

/** A sync's most recent runs, newest first; `failedOnly` keeps those that failed or ended partial. */
export async function listRuns(db: StateDb, sync: string, limit = 20, options: { failedOnly?: boolean } = {}): Promise<RunSummary[]> {
  let query = db.selectFrom('runs').select('run_id').where('sync_name', '=', sync).where('run_id', 'not like', 'preview:%');
  if (options.failedOnly) query = query.where('status', 'in', ['failed', 'partial']);
  const runs = await query.orderBy('started_at', 'desc').limit(limit).execute();
  return Promise.all(runs.map((run) => summarizeRun(db, run.run_id)));
}

export interface RecordError {
  code: string;
  message: string;
  fields: string[];
}

export interface RecordResultView {
  key: string | null;
  change: string;
  status: RecordStatus;
  destinationId: string | null;
  created: boolean | null;
  error: RecordError | null;
  batchNo: number | null;
  recordedAt: string;
}

/** A stored record result's error (or skip reason), as shown to users. */
export function errorOf(row: { error_code: string | null; error_message: string | null; error_fields: string | null }): RecordError | null {
  if (row.error_code === null) return null;
  return { code: row.error_code, message: row.error_message ?? '', fields: JSON.parse(row.error_fields ?? '[]') as string[] };
}

/** Per-record results of a run, in the order they were recorded; `failedOnly` keeps rejected + invalid. */
export async function recordResults(db: StateDb, runId: string, failedOnly: boolean): Promise<RecordResultView[]> {
  let query = db.selectFrom('record_results').selectAll().where('run_id', '=', runId);
  // Skipped records are the mode's choice, not failures.
  if (failedOnly) query = query.where('status', 'in', ['rejected', 'invalid']);
  const rows = await query.orderBy('id').execute();
  return rows.map((row) => ({
    key: row.key,
    change: row.change,
    status: row.status,
    destinationId: row.destination_id,
    created: row.created === null ? null : row.created === 1,
    error: errorOf(row),
    batchNo: row.batch_no,
    recordedAt: row.recorded_at,
  }));
}

/**
 * A run's results with ids above `after` (0: from the first), in id order, `limit` at a time: memory
 * flat in run size. PostgreSQL walks record_results_by_run_page (migration 012). SQLite walks the
 * rowid from the run's first result (`+run_id` keeps it off record_results_by_run, by which it
 * sorted the whole run for every page: quadratic in run size).
 */
export async function resultsPage(db: StateDb, runId: string, after: number, limit: number) {
  const page = db
    .selectFrom('record_results')
    .select(['id', 'key', 'change', 'status', 'destination_id', 'error_code', 'error_message', 'recorded_at'])
    .orderBy('id')
    .limit(limit);
  if (isPostgres(db)) return page.where('run_id', '=', runId).where('id', '>', after).execute();
  let from = after;
  if (from === 0) {
    const first = await db.selectFrom('record_results').select((eb) => eb.fn.min('id').as('id')).where('run_id', '=', runId).executeTakeFirst();
    if (first?.id === null || first?.id === undefined) return [];
    from = Number(first.id) - 1;
  }
  return page.where(sql<string>`+run_id`, '=', runId).where('id', '>', from).execute();
}
