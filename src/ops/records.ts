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

/**
 * The history of one record across the sync's runs, oldest first (as long as retention keeps it);
 * `limit`: only its latest N results (a key synced every 15 minutes has thousands a month).
 */
export async function recordHistory(state: StateDb, sync: string, key: string, options: { limit?: number } = {}): Promise<RecordHistoryEntry[]> {
  let query = historyOf(state, sync, key).selectAll('record_results').orderBy('record_results.recorded_at', 'desc').orderBy('record_results.id', 'desc');
  if (options.limit !== undefined) query = query.limit(options.limit);
  const rows = (await query.execute()).reverse();
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

/** How many results the record has on record in the sync's runs. */
export async function countRecordHistory(state: StateDb, sync: string, key: string): Promise<number> {
  const row = await historyOf(state, sync, key).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

function historyOf(state: StateDb, sync: string, key: string) {
  return state
    .selectFrom('record_results')
    .innerJoin('runs', 'runs.run_id', 'record_results.run_id')
    .where('runs.sync_name', '=', sync)
    .where('record_results.key', '=', key)
    .where('runs.run_id', 'not like', 'preview:%');
}
