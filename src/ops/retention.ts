import type { StateDb } from '../state/database';
import { opsDb } from './schema';

export interface PruneResult {
  /** Per-record results deleted. */
  records: number;
  /** Resolved alert incidents deleted. */
  incidents: number;
  cutoff: string;
}

/**
 * Deletes per-record results of runs that finished before `now - olderThanMs` and owe no write-back
 * (run summaries and batch totals stay, so `backflow runs` keeps its history), and resolved incidents as old whose
 * alerts all reached their channels.
 */
export async function pruneRecordResults(state: StateDb, olderThanMs: number, now: Date): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - olderThanMs).toISOString();
  const deleted = await state
    .deleteFrom('record_results')
    .where('run_id', 'in', (eb) =>
      // A run still owing its write-back keeps its results: they are what the write-back writes.
      eb.selectFrom('runs').select('run_id').where('finished_at', 'is not', null).where('finished_at', '<', cutoff).where('write_back_pending', 'is', null),
    )
    .executeTakeFirst();
  const ops = await opsDb(state);
  const incidents = await ops
    .deleteFrom('alert_incidents')
    .where('resolved_at', 'is not', null)
    .where('resolved_at', '<', cutoff)
    // An alert still owed to a channel (see alerts.ts) is kept until it is delivered: pruned, it never would be.
    .where('open_pending', 'is', null)
    .where('resolve_pending', 'is', null)
    .executeTakeFirst();
  return { records: Number(deleted.numDeletedRows), incidents: Number(incidents.numDeletedRows), cutoff };
}
