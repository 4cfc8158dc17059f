import { loadProject } from '../config/load';
import type { EngineDeps } from '../engine/context';
import { expectedIntervalMs } from '../temporal/schedules';
import { applyObservations } from './alerts';
import { observeStaleness } from './incidents';
import { pruneRecordResults, type PruneResult } from './retention';

/** Times a scheduled sync's interval may pass without a completed run before it is stale. */
export const DEFAULT_STALE_AFTER = 3;

export interface MaintenanceResult {
  pruned: PruneResult;
  /** Syncs found stale (whether newly or still). */
  stale: string[];
}

/** When each sync last completed a run (succeeded or partial), and its first run. */
async function runTimes(deps: EngineDeps, sync: string): Promise<{ lastSuccessAt?: string; firstStartedAt?: string }> {
  const times = await deps.state
    .selectFrom('runs')
    .select((eb) => [
      eb.fn.max('finished_at').filterWhere('status', 'in', ['succeeded', 'partial']).as('last_success'),
      eb.fn.min('started_at').as('first_started'),
    ])
    .where('sync_name', '=', sync)
    .where('run_id', 'not like', 'preview:%')
    .executeTakeFirst();
  return {
    ...(times?.last_success ? { lastSuccessAt: String(times.last_success) } : {}),
    ...(times?.first_started ? { firstStartedAt: String(times.first_started) } : {}),
  };
}

/**
 * The maintenance schedule's work: prune per-record results past retention, and alert on scheduled
 * syncs that have not completed a run for `staleAfter` × their interval (resolving when they have).
 */
export async function runMaintenance(deps: EngineDeps): Promise<MaintenanceResult> {
  const project = loadProject(deps.projectDir);
  const now = deps.now?.() ?? new Date();
  const pruned = await pruneRecordResults(deps.state, project.recordRetentionMs, now);
  const stale: string[] = [];
  for (const spec of project.syncs.values()) {
    if (!spec.schedule || !spec.alerts) continue;
    const times = await runTimes(deps, spec.name);
    // A sync that never ran has no reference point yet (its schedule may be minutes old).
    if (!times.firstStartedAt) continue;
    const observation = observeStaleness({
      lastSuccessAt: times.lastSuccessAt,
      since: times.firstStartedAt,
      intervalMs: expectedIntervalMs(spec.schedule),
      staleAfter: spec.alerts.staleAfter ?? DEFAULT_STALE_AFTER,
      now,
    });
    if (observation.active) stale.push(spec.name);
    await applyObservations(
      { state: deps.state, logger: deps.logger, env: deps.env ?? process.env, now: () => now },
      spec.name,
      spec.alerts,
      [observation],
    );
  }
  return { pruned, stale };
}
