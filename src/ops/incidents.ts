import type { AlertsConfig } from '../config/schema';
import type { RunSummary } from '../state/summary';
import { localFireCounter, MISSED_RUNS_CAP, STALE_GRACE_MS, type Cadence, type FireCounter, type MissedRuns } from '../temporal/missedRuns';

export type IncidentKind = 'failed' | 'rejected' | 'stale' | 'stopped';

/** What is observed now about one kind of problem: present or not (a kind not observed is left as it is). */
export interface Observation {
  kind: IncidentKind;
  active: boolean;
  detail: string;
}

export interface IncidentActions {
  /** Newly present problems: open an incident, send an alert. */
  open: Observation[];
  /** Problems that cleared: resolve the incident, send a recovery message. */
  resolve: Observation[];
}

/**
 * Once per incident: a problem already open is not alerted again, however many runs repeat it;
 * a problem that clears resolves its open incident exactly once.
 */
export function decideIncidents(openKinds: ReadonlySet<IncidentKind>, observations: readonly Observation[]): IncidentActions {
  const actions: IncidentActions = { open: [], resolve: [] };
  for (const observation of observations) {
    const isOpen = openKinds.has(observation.kind);
    if (observation.active && !isOpen) actions.open.push(observation);
    else if (!observation.active && isOpen) actions.resolve.push(observation);
  }
  return actions;
}

/** Share of the records a run sent that the destination rejected (0 when it sent none). */
export function rejectedShare(summary: Pick<RunSummary, 'counts'>): number {
  const sent = summary.counts.synced + summary.counts.rejected;
  return sent === 0 ? 0 : summary.counts.rejected / sent;
}

/**
 * What a finished run says about each kind of problem. A cancelled run says nothing, nor one its
 * schedule's terminate_other policy superseded: both ended as someone chose, and the run after it says.
 */
export function observeRun(summary: RunSummary, alerts: Pick<AlertsConfig, 'rejectedShare'>): Observation[] {
  if (summary.error?.code === 'CANCELLED' || summary.error?.code === 'RUN_SUPERSEDED') return [];
  const observations: Observation[] = [];
  const failed = summary.status === 'failed';
  observations.push({
    kind: 'failed',
    active: failed,
    detail: failed ? `run ${summary.runId} failed: ${summary.error?.code ?? 'UNKNOWN'}: ${summary.error?.message ?? ''}` : `run ${summary.runId} ${summary.status}`,
  });
  if (failed) return observations;
  // A run that completed (even with rejected records) is a success for staleness.
  observations.push({ kind: 'stale', active: false, detail: `run ${summary.runId} ${summary.status} at ${summary.finishedAt ?? ''}` });
  // One that stopped short (the destination's budget spent) left records unsent: a sync cut short
  // every run would otherwise never alert, and the people using its data act on stale values.
  const stopped = summary.error;
  observations.push({
    kind: 'stopped',
    active: stopped !== undefined,
    detail: stopped
      ? `run ${summary.runId} stopped before sending every record (${stopped.code}: ${stopped.message}); the rest go out with the next run`
      : `run ${summary.runId} sent every batch`,
  });
  if (alerts.rejectedShare !== undefined) {
    const share = rejectedShare(summary);
    const percent = (share * 100).toFixed(1);
    observations.push({
      kind: 'rejected',
      active: share > alerts.rejectedShare,
      detail: `run ${summary.runId}: ${summary.counts.rejected} of ${summary.counts.synced + summary.counts.rejected} records rejected (${percent}%, threshold ${(alerts.rejectedShare * 100).toFixed(1)}%)`,
    });
  }
  return observations;
}

/** `1 scheduled run`, `3 scheduled runs`, `100+ scheduled runs`. */
function runsText(missed: MissedRuns): string {
  return `${missed.count}${missed.capped ? '+' : ''} scheduled run${missed.count === 1 && !missed.capped ? '' : 's'}`;
}

/**
 * The resume or schedule change the staleness count starts from, when later than the last success (or
 * the first run): the latest of them, with what it was. Undefined when the count starts from a run.
 */
export function countedFromSchedule(input: {
  lastSuccessAt: string | undefined;
  since: string;
  resumedAt?: string | undefined;
  scheduledAt?: string | undefined;
}): { at: string; why: string } | undefined {
  const runReference = Date.parse(input.lastSuccessAt ?? input.since);
  const bounds = [
    { at: input.resumedAt, why: 'the schedule was resumed' },
    { at: input.scheduledAt, why: 'the schedule took its present form' },
  ].filter((bound): bound is { at: string; why: string } => bound.at !== undefined && Date.parse(bound.at) > runReference);
  return bounds.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
}

/**
 * Staleness: a scheduled sync that has missed `staleAfter` or more of its scheduled fires since its
 * last completed run (or since its first run, when none completed) and since its schedule was last
 * resumed (fires while it was paused were missed on purpose), counted on its actual schedule: by
 * Temporal when it can be asked (`countFires`), else on the sync's `schedule:` (localFires).
 */
export async function observeStaleness(
  input: {
    lastSuccessAt: string | undefined;
    /** When the sync could first have run (its first run, or when the check first saw it). */
    since: string;
    staleAfter: number;
    now: Date;
    /** How long a fire's run may take before the fire counts as missed (default STALE_GRACE_MS). */
    graceMs?: number;
    schedule: Cadence;
    /** Counts the schedule's fires (ScheduleFacts.fires: Temporal's own); default: computed here from `schedule`. */
    countFires?: FireCounter;
    /** When the schedule was last resumed (ScheduleFacts.resumedAt), if it ever was paused. */
    resumedAt?: string | undefined;
    /** When the schedule took its present form (ScheduleFacts.scheduledAt): earlier fires were never due. */
    scheduledAt?: string | undefined;
  },
): Promise<Observation> {
  const runReference = input.lastSuccessAt ?? input.since;
  const latest = countedFromSchedule(input);
  const after = new Date(latest?.at ?? runReference);
  const until = new Date(input.now.getTime() - (input.graceMs ?? STALE_GRACE_MS));
  // However large staleAfter is, the count can reach it.
  const cap = Math.max(MISSED_RUNS_CAP, Math.ceil(input.staleAfter));
  const countFires = input.countFires ?? localFireCounter(input.schedule);
  const missed: MissedRuns = after < until ? await countFires(after, until, cap) : { count: 0, capped: false };
  const lastRun = input.lastSuccessAt ? `the last success at ${input.lastSuccessAt}` : `the first run at ${input.since} (no successful run yet)`;
  const since = latest ? `since ${latest.why} at ${latest.at} (after ${lastRun})` : `since ${lastRun}`;
  return {
    kind: 'stale',
    active: missed.count >= input.staleAfter,
    detail: `missed ${runsText(missed)} ${since}; alerts at ${input.staleAfter}`,
  };
}
