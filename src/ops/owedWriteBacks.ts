import type { SyncSpec } from '../config/schema';
import { project, resolvedConnection, type EngineDeps } from '../engine/context';
import { summarizeRun } from '../state/runs';
import { writeBackRun } from './writeBack';

/**
 * Writes the per-record results of runs that closed owing their write-back (`write_back_pending`),
 * oldest first, each cleared once written. A warehouse that cannot take one now (a file dbt holds, a
 * server down) leaves it owed, with a warning, for the sync's next run or the hourly maintenance;
 * before, its rows were lost for good. `sync`: only that sync's runs.
 */
export async function deliverOwedWriteBacks(deps: EngineDeps, sync?: string): Promise<void> {
  let query = deps.state
    .selectFrom('runs')
    .select(['run_id', 'sync_name', 'spec_json'])
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
      try {
        const summary = await summarizeRun(deps.state, run.run_id);
        const rows = await writeBackRun(deps.state, summary, target, resolvedConnection(deps, target.connection), deps.projectDir);
        deps.logger.info({ ...log, rows }, 'write-back done');
      } catch (err) {
        failing.add(target.connection);
        deps.logger.warn({ ...log, err: (err as Error).message }, 'write-back failed: owed, tried again at the next run or maintenance pass');
        continue;
      }
    }
    await deps.state.updateTable('runs').set({ write_back_pending: null }).where('run_id', '=', run.run_id).execute();
  }
}
