import type { RecordStatus, StateDb } from './database';
import { summarizeRun } from './runs';
import type { RunSummary } from './summary';

/** Most recent runs of a sync, newest first. */
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
