import { setImmediate } from 'node:timers/promises';
import type { StateDb } from '../state/database';
import { deleteRun } from '../state/runs';
import { opsDb } from './schema';

export interface PruneResult {
  /** Per-record results deleted. */
  records: number;
  /** Resolved alert incidents deleted. */
  incidents: number;
  /** Dry runs left behind by a process killed while it previewed, deleted. */
  previews: number;
  cutoff: string;
}

/** A dry run still on record this long after it started was cut short (its process killed): it cleans up after itself otherwise. */
export const ABANDONED_PREVIEW_MS = 86_400_000;

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
  const previews = await pruneAbandonedPreviews(state, new Date(now.getTime() - ABANDONED_PREVIEW_MS).toISOString());
  return { records, incidents: Number(incidents.numDeletedRows), previews, cutoff };
}

/**
 * Deletes the dry runs (`preview:` runs, never listed) a killed `backflow run --dry-run` left: a
 * preview deletes its run and staging when it ends, but a process killed mid-extract left the staged
 * rows of the whole model behind for good. Staging goes in chunks, as results do.
 */
async function pruneAbandonedPreviews(state: StateDb, startedBefore: string): Promise<number> {
  const abandoned = await state.selectFrom('runs').select('run_id').where('run_id', 'like', 'preview:%').where('started_at', '<', startedBefore).execute();
  for (const { run_id: runId } of abandoned) {
    for (;;) {
      const deleted = await state
        .deleteFrom('staged_rows')
        .where('run_id', '=', runId)
        .where('seq', 'in', (eb) => eb.selectFrom('staged_rows').select('seq').where('run_id', '=', runId).limit(PRUNE_CHUNK))
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) < PRUNE_CHUNK) break;
      await setImmediate();
    }
    await deleteRun(state, runId);
  }
  return abandoned.length;
}
