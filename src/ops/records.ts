import type { RecordStatus, StateDb } from '../state/database';
import { errorOf } from '../state/history';

/** One run's outcome for one record. */
export interface RecordHistoryEntry {
  runId: string;
  recordedAt: string;
  change: string;
  status: RecordStatus;
  destinationId: string | null;
  created: boolean | null;
  error: { code: string; message: string; fields: string[] } | null;
  /** The mapped payload that was sent (or would have been). */
  sent: unknown;
}

/** The history of one record across the sync's runs, oldest first (as long as retention keeps it). */
export async function recordHistory(state: StateDb, sync: string, key: string): Promise<RecordHistoryEntry[]> {
  const rows = await state
    .selectFrom('record_results')
    .innerJoin('runs', 'runs.run_id', 'record_results.run_id')
    .selectAll('record_results')
    .where('runs.sync_name', '=', sync)
    .where('record_results.key', '=', key)
    .where('runs.run_id', 'not like', 'preview:%')
    .orderBy('record_results.recorded_at')
    .orderBy('record_results.id')
    .execute();
  return rows.map((row) => ({
    runId: row.run_id,
    recordedAt: row.recorded_at,
    change: row.change,
    status: row.status,
    destinationId: row.destination_id,
    created: row.created === null ? null : row.created === 1,
    error: errorOf(row),
    sent: row.payload === null ? null : (JSON.parse(row.payload) as unknown),
  }));
}
