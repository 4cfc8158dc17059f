import type { SyncSpec } from '../config/schema';
import { project, resolvedConnection, type EngineDeps } from '../engine/context';
import { summarizeRun } from '../state/runs';
import { writeBackRun } from './writeBack';

/**
 * Writes the per-record results of runs that closed owing their write-back (`write_back_pending`),
 * oldest first, each cleared once written. A warehouse that cannot take one now (a file dbt holds, a
 * server down) leaves it owed, with a warning, for the sync's next run or the hourly maintenance;
 * before, its rows were lost for good. `sync`: only that sync's runs; `claimMs`: how long a claim
 * holds unrenewed (tests shorten it).
 */
export async function deliverOwedWriteBacks(deps: EngineDeps, sync?: string, options: { claimMs?: number } = {}): Promise<void> {
  let query = deps.state
    .selectFrom('runs')
    .select(['run_id', 'sync_name', 'spec_json', 'write_back_pending'])
    .where('write_back_pending', 'is not', null)
    .orderBy('started_at');
  if (sync !== undefined) query = query.where('sync_name', '=', sync);
  const owed = await query.execute();
  // A warehouse that failed one run's write-back is not asked again for the next in this pass.
  const failing = new Set<string>();
  for (const run of owed) {
    const target = (JSON.parse(run.spec_json) as SyncSpec).writeBack;
    const log = { sync: run.sync_name, runId: run.run_id, table: target?.table };
    if (target !== undefined && !(target.connection in project(deps).connections)) {
      deps.logger.warn({ ...log, connection: target.connection }, 'write-back dropped: its connection is no longer in backflow.yaml');
    } else if (target !== undefined) {
      if (failing.has(target.connection)) continue;
      const owedSince = run.write_back_pending ?? '';
      const claimMs = options.claimMs ?? CLAIM_MS;
      const held = await claim(deps, run.run_id, owedSince, claimMs);
      if (held === undefined) continue;
      // Renewed while it writes: a write-back longer than the claim (a large run's rows) was taken over
      // by the next maintenance pass, which wrote every row a second time beside it.
      const renewing = setInterval(() => void held.renew().catch(() => {}), claimMs / 3);
      try {
        const summary = await summarizeRun(deps.state, run.run_id);
        const rows = await writeBackRun(deps.state, summary, target, resolvedConnection(deps, target.connection), deps.projectDir);
        deps.logger.info({ ...log, rows }, 'write-back done');
      } catch (err) {
        failing.add(target.connection);
        await deps.state.updateTable('runs').set({ write_back_pending: unclaimed(owedSince) }).where('run_id', '=', run.run_id).execute();
        deps.logger.warn({ ...log, err: (err as Error).message }, 'write-back failed: owed, tried again at the next run or maintenance pass');
        continue;
      } finally {
        clearInterval(renewing);
      }
    }
    await deps.state.updateTable('runs').set({ write_back_pending: null }).where('run_id', '=', run.run_id).execute();
  }
}

/** How long a worker's claim on a write-back holds unrenewed: past it (the worker died), another takes it over. */
const CLAIM_MS = 15 * 60_000;
const CLAIMED = 'claimed ';

/** `write_back_pending` as the run first owed it: its close time, without any claim. */
function unclaimed(pending: string): string {
  return pending.startsWith(CLAIMED) ? (pending.split(' ')[2] ?? pending) : pending;
}

/**
 * Takes the run's owed write-back for this worker (`claimed <until> <owed since>`), unless another
 * holds an unexpired claim or took it since it was read. The write-back replaces the run's rows in
 * the warehouse by delete-then-insert: two workers delivering it at once (maintenance and a run's
 * finish) wrote every row twice.
 */
async function claim(deps: EngineDeps, runId: string, pending: string, claimMs: number): Promise<{ renew(): Promise<void> } | undefined> {
  if (pending.startsWith(CLAIMED) && Date.parse(pending.split(' ')[1] ?? '') > Date.now()) return undefined;
  let current = pending;
  const take = async (): Promise<boolean> => {
    const next = `${CLAIMED}${new Date(Date.now() + claimMs).toISOString()} ${unclaimed(pending)}`;
    const taken = await deps.state.updateTable('runs').set({ write_back_pending: next }).where('run_id', '=', runId).where('write_back_pending', '=', current).executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return false;
    current = next;
    return true;
  };
  if (!(await take())) return undefined;
  // Pushes the claim's end on, unless it changed since (it never should while held).
  return { renew: async () => void (await take()) };
}
