import { setImmediate } from 'node:timers/promises';
import type { StateDb } from '../state/database';
import { opsDb } from './schema';

export interface PruneResult {
  /** Per-record results deleted. */
  records: number;
  /** Resolved alert incidents deleted. */
  incidents: number;
  cutoff: string;
}

/** Results one prune statement deletes: milliseconds of lock and event loop each. */
export const PRUNE_CHUNK = 5_000;

/**
 * Deletes per-record results of runs that finished before `now - olderThanMs` and owe no write-back
 * (run summaries and batch totals stay, so `backflow runs` keeps its history), and resolved incidents as old whose
 * alerts all reached their channels.
 */
export async function pruneRecordResults(state: StateDb, olderThanMs: number, now: Date): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - olderThanMs).toISOString();
  let records = 0;
  // In chunks, each its own statement: one DELETE of millions of results (a first pass after weeks,
  // a shortened retention) held SQLite's write lock and the event loop for seconds (5M rows: 14 s,
  // a review measured), so the worker's heartbeats stopped and other processes' writes failed BUSY.
  for (;;) {
    const deleted = await state
      .deleteFrom('record_results')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('record_results')
          .select('id')
          .where('run_id', 'in', (runs) =>
            // A run still owing its write-back keeps its results: they are what the write-back writes.
            runs.selectFrom('runs').select('run_id').where('finished_at', 'is not', null).where('finished_at', '<', cutoff).where('write_back_pending', 'is', null),
          )
          .limit(PRUNE_CHUNK),
      )
      .executeTakeFirst();
    const count = Number(deleted.numDeletedRows);
    records += count;
    if (count < PRUNE_CHUNK) break;
    await setImmediate();
  }
  const ops = await opsDb(state);
  const incidents = await ops
    .deleteFrom('alert_incidents')
    .where('resolved_at', 'is not', null)
    .where('resolved_at', '<', cutoff)
    // An alert still owed to a channel (see alerts.ts) is kept until it is delivered: pruned, it never would be.
    .where('open_pending', 'is', null)
    .where('resolve_pending', 'is', null)
    .executeTakeFirst();
  return { records, incidents: Number(incidents.numDeletedRows), cutoff };
}
