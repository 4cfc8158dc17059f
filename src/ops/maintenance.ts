import { loadProject, type Project } from '../config/load';
import type { EngineDeps } from '../engine/context';
import { formatConfigIssue } from '../errors';
import type { ScheduleConfig } from '../config/schema';
import { localFireCounter, STALE_GRACE_MS, type FireCounter } from '../temporal/missedRuns';
import { applyObservations } from './alerts';
import type { ScheduleFacts } from '../temporal/scheduleFacts';
import { countedFromSchedule, observeStaleness } from './incidents';
import { pruneRecordResults, type PruneResult } from './retention';
import { opsDb } from './schema';
import { deliverOwedWriteBacks } from './owedWriteBacks';
import { closeAbandonedRuns } from './abandonedRuns';
import { resolveRemovedSyncs } from './removedSyncs';
import type { RunWorkflowStatus } from '../engine/startRun';

/** Scheduled fires a sync may miss in a row (no completed run since) before it is stale. */
export const DEFAULT_STALE_AFTER = 3;

export interface MaintenanceResult {
  pruned: PruneResult;
  /** Syncs found stale (whether newly or still). */
  stale: string[];
  /** Syncs whose file is invalid: not checked, reported as failing (see reportInvalidSyncs). */
  invalid: string[];
  /** Runs closed RUN_ABANDONED: their workflow had ended without finishing them (see closeAbandonedRuns). */
  abandoned: string[];
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
 * How the sync's missed fires are counted: by Temporal (ScheduleFacts.fires), which fires a cron the
 * way the count must follow across DST changes; or on the sync's `schedule:` (localFires: right but
 * for the hours around a DST change) when there is no schedule to ask (not applied yet, another
 * deployment's, no Temporal: `scheduleOf`'s default) or asking failed (a server without
 * ListScheduleMatchingTimes), rather than leave the sync unchecked.
 */
function fireCounter(deps: EngineDeps, sync: string, schedule: ScheduleConfig, facts: ScheduleFacts): FireCounter {
  const local = localFireCounter(schedule);
  const temporal = facts.fires;
  if (!temporal) return local;
  return async (after, until, cap) => {
    try {
      return await temporal(after, until, cap);
    } catch (err) {
      deps.logger.warn({ sync, err: (err as Error).message }, "maintenance: Temporal did not list the schedule's fire times; counted on the sync's schedule instead");
      return local(after, until, cap);
    }
  };
}

/** What maintenance reports for an invalid sync file, and for the sync once its file is valid again. */
const INVALID_PREFIX = 'sync file invalid, not checked for staleness: ';

/**
 * A sync whose file is invalid cannot be checked (its schedule is unknown), and every run of it fails
 * to start: maintenance logs its problems (file + path) and opens a `failed` incident through
 * backflow.yaml's alerts, as a run that failed to start on that file would (one alert per incident).
 * The incident has no run id; once the file is valid again maintenance resolves it (one opened by a
 * run is resolved by the sync's next successful run, as usual).
 */
async function reportInvalidSyncs(deps: EngineDeps, project: Project, now: Date): Promise<string[]> {
  const alertDeps = { state: deps.state, logger: deps.logger, env: deps.env ?? process.env, now: () => now };
  for (const invalid of project.invalidSyncs.values()) {
    const problems = invalid.issues.map(formatConfigIssue);
    deps.logger.error({ sync: invalid.name, file: invalid.file, issues: problems }, 'maintenance: sync file invalid, its checks did not run');
    await applyObservations(alertDeps, invalid.name, project.alerts, [{ kind: 'failed', active: true, detail: `${INVALID_PREFIX}${problems.join('; ')}` }]);
  }
  const db = await opsDb(deps.state);
  const reported = await db
    .selectFrom('alert_incidents')
    .select('sync_name')
    .where('kind', '=', 'failed')
    .where('resolved_at', 'is', null)
    .where('run_id', 'is', null)
    .where('detail', 'like', `${INVALID_PREFIX}%`)
    .execute();
  for (const { sync_name: sync } of reported) {
    const spec = project.syncs.get(sync);
    if (!spec) continue; // still invalid, or gone
    const file = project.syncFiles.get(sync) ?? sync;
    await applyObservations(alertDeps, sync, spec.alerts, [{ kind: 'failed', active: false, detail: `${file} is valid again` }]);
  }
  return [...project.invalidSyncs.keys()];
}

/** Syncs with an alert still owed to a channel (its opening or its recovery). */
async function syncsOwedAlerts(deps: EngineDeps): Promise<string[]> {
  const db = await opsDb(deps.state);
  const rows = await db
    .selectFrom('alert_incidents')
    .select('sync_name')
    .distinct()
    .where((eb) => eb.or([eb('open_pending', 'is not', null), eb('resolve_pending', 'is not', null)]))
    .execute();
  return rows.map((row) => row.sync_name);
}

/**
 * The maintenance schedule's work: close runs whose workflow ended without finishing them (terminated,
 * timed out), write the write-backs still owed, prune per-record results past
 * retention, deliver alerts still owed to a channel (every sync's), and alert on scheduled syncs that
 * have missed `staleAfter` of their scheduled fires since their last completed run (resolving when
 * they have not). An invalid sync file does not stop the checks of the other syncs; it is reported
 * (reportInvalidSyncs). A sync deleted from the project has its incidents resolved (resolveRemovedSyncs).
 * An invalid backflow.yaml fails the whole of it.
 */
export async function runMaintenance(
  deps: EngineDeps,
  /** The sync's schedule: paused, a sync misses its fires on purpose (not stale); resumed, fires before count for nothing. */
  scheduleOf: (sync: string) => Promise<ScheduleFacts> = async () => ({ paused: false }),
  /** What Temporal says of a run's workflow; without it (no Temporal to ask) open runs are left to their sync's next start. */
  workflowStatus?: RunWorkflowStatus,
): Promise<MaintenanceResult> {
  const project = loadProject(deps.projectDir, { strict: false });
  const now = deps.now?.() ?? new Date();
  // Closed as its own finishRun would have: alerts, metrics and write-back included.
  const abandoned = workflowStatus ? await closeAbandonedRuns(deps, workflowStatus) : [];
  // Before pruning: an owed write-back needs its run's results.
  await deliverOwedWriteBacks(deps);
  const pruned = await pruneRecordResults(deps.state, project.recordRetentionMs, now);
  const invalid = await reportInvalidSyncs(deps, project, now);
  const stale: string[] = [];
  const alertDeps = { state: deps.state, logger: deps.logger, env: deps.env ?? process.env, now: () => now };
  await resolveRemovedSyncs(deps, project, alertDeps);
  // Syncs observed below: applying an observation delivers the sync's owed alerts too.
  const observed = new Set<string>();
  for (const spec of project.syncs.values()) {
    if (!spec.schedule || !spec.alerts) continue;
    const facts = await scheduleOf(spec.name);
    const { paused, resumedAt, scheduledAt } = facts;
    if (paused) continue;
    const times = await runTimes(deps, spec.name);
    // A sync that never ran has no reference point yet (its schedule may be minutes old).
    if (!times.firstStartedAt) continue;
    const observation = await observeStaleness({
      lastSuccessAt: times.lastSuccessAt,
      since: times.firstStartedAt,
      resumedAt,
      scheduledAt,
      schedule: spec.schedule,
      countFires: fireCounter(deps, spec.name, spec.schedule, facts),
      staleAfter: spec.alerts.staleAfter ?? DEFAULT_STALE_AFTER,
      now,
      // A fire's run gets as long as the last one took: a slow sync's run in flight is not a miss.
      graceMs: Math.max(STALE_GRACE_MS, times.lastDurationMs ?? 0),
    });
    if (observation.active) stale.push(spec.name);
    // Counted from a resume or a new schedule, "not stale" is no recovery: the sync has not completed a
    // run since it went stale, so an open incident waits for one (observeRun, or this check once it ran).
    const fromSchedule = countedFromSchedule({ lastSuccessAt: times.lastSuccessAt, since: times.firstStartedAt, resumedAt, scheduledAt });
    await applyObservations(alertDeps, spec.name, spec.alerts, !observation.active && fromSchedule !== undefined ? [] : [observation]);
    observed.add(spec.name);
  }
  // Alerts still owed for the syncs not observed (paused, unscheduled): their run's failure alert
  // would otherwise wait for a run that may not come.
  for (const sync of await syncsOwedAlerts(deps)) {
    const spec = project.syncs.get(sync);
    if (spec?.alerts && !observed.has(sync)) await applyObservations(alertDeps, sync, spec.alerts, []);
  }
  return { pruned, stale, invalid, abandoned };
}
