import { loadProject } from '../config/load';
import type { EngineDeps } from '../engine/context';
import { STALE_GRACE_MS } from '../temporal/missedRuns';
import { applyObservations } from './alerts';
import { observeStaleness } from './incidents';
import { pruneRecordResults, type PruneResult } from './retention';

/** Scheduled fires a sync may miss in a row (no completed run since) before it is stale. */
export const DEFAULT_STALE_AFTER = 3;

export interface MaintenanceResult {
  pruned: PruneResult;
  /** Syncs found stale (whether newly or still). */
  stale: string[];
}

/** When the sync last completed a run (succeeded or partial) and how long that run took, and its first run. */
async function runTimes(deps: EngineDeps, sync: string): Promise<{ lastSuccessAt?: string; lastDurationMs?: number; firstStartedAt?: string }> {
  const first = await deps.state
    .selectFrom('runs')
    .select((eb) => eb.fn.min('started_at').as('first_started'))
    .where('sync_name', '=', sync)
    .where('run_id', 'not like', 'preview:%')
    .executeTakeFirst();
  const last = await deps.state
    .selectFrom('runs')
    .select(['started_at', 'finished_at'])
    .where('sync_name', '=', sync)
    .where('run_id', 'not like', 'preview:%')
    .where('status', 'in', ['succeeded', 'partial'])
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const durationMs = last?.finished_at ? Date.parse(String(last.finished_at)) - Date.parse(String(last.started_at)) : Number.NaN;
  return {
    ...(last?.finished_at ? { lastSuccessAt: String(last.finished_at) } : {}),
    ...(Number.isFinite(durationMs) ? { lastDurationMs: durationMs } : {}),
    ...(first?.first_started ? { firstStartedAt: String(first.first_started) } : {}),
  };
}

/**
 * The maintenance schedule's work: prune per-record results past retention, and alert on scheduled
 * syncs that have missed `staleAfter` of their scheduled fires since their last completed run
 * (resolving when they have not).
 */
export async function runMaintenance(
  deps: EngineDeps,
  /** Whether the sync's schedule is paused: a paused sync misses its fires on purpose, so it is not judged stale. */
  schedulePaused: (sync: string) => Promise<boolean> = async () => false,
): Promise<MaintenanceResult> {
  const project = loadProject(deps.projectDir);
  const now = deps.now?.() ?? new Date();
  const pruned = await pruneRecordResults(deps.state, project.recordRetentionMs, now);
  const stale: string[] = [];
  for (const spec of project.syncs.values()) {
    if (!spec.schedule || !spec.alerts) continue;
    if (await schedulePaused(spec.name)) continue;
    const times = await runTimes(deps, spec.name);
    // A sync that never ran has no reference point yet (its schedule may be minutes old).
    if (!times.firstStartedAt) continue;
    const observation = observeStaleness({
      lastSuccessAt: times.lastSuccessAt,
      since: times.firstStartedAt,
      schedule: spec.schedule,
      staleAfter: spec.alerts.staleAfter ?? DEFAULT_STALE_AFTER,
      now,
      // A fire's run gets as long as the last one took: a slow sync's run in flight is not a miss.
      graceMs: Math.max(STALE_GRACE_MS, times.lastDurationMs ?? 0),
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
