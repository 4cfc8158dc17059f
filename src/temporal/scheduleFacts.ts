import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { FireCounter } from './missedRuns';
import { temporalFireCounter } from './scheduleFires';
import { cadenceSinceOf, markerOf, ownerQueueOf, resumedAtOfNote, resumedNote, scheduleIdFor } from './schedules';

/** What staleness needs to know of a sync's schedule. */
export interface ScheduleFacts {
  /** A paused schedule misses its fires on purpose: its sync is not judged stale. */
  paused: boolean;
  /**
   * When the schedule was last resumed (ISO), when it was: fires before it were missed on purpose.
   * Temporal keeps no such time (its update time does not move on a pause or resume), so backflow
   * records it in the schedule's note: `backflow schedules resume` writes the exact time; a resume
   * done elsewhere (Temporal Web, `temporal schedule toggle`) leaves its own note, which the first
   * check to see it replaces with the time it saw it resumed (at most one maintenance period late).
   */
  resumedAt?: string;
  /**
   * When the schedule's cadence took its present form (ISO): created, or last updated with another
   * spec (`schedules apply` of an edit; an overlap-only change keeps the time). Fires the schedule did
   * not have before then were never due: a new `schedule:` on a sync last run by hand days ago, or a
   * daily one made every 15 minutes, alerted stale at once.
   */
  scheduledAt?: string;
  /**
   * Counts the schedule's fire times as Temporal computes them (across DST changes too), when there
   * is a schedule of this deployment's to ask: staleness counts its sync's missed runs with it.
   */
  fires?: FireCounter;
}

/**
 * The facts of the sync's Temporal Schedule. A sync without one (its `schedule:` not applied yet)
 * is not paused: nothing fires for it, and staleness says so. Nor is one whose schedule id belongs
 * to another deployment on the namespace (`taskQueue`: this deployment's): that schedule fires the
 * other deployment's runs, not this one's.
 */
export async function scheduleFacts(client: Client, sync: string, taskQueue?: string, now: () => Date = () => new Date()): Promise<ScheduleFacts> {
  let description;
  try {
    description = await client.schedule.getHandle(scheduleIdFor(sync)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { paused: false };
    throw err;
  }
  const marker = markerOf(description.memo);
  if (taskQueue !== undefined && marker !== undefined && ownerQueueOf(marker, description) !== taskQueue) return { paused: false };
  if (description.state.paused) return { paused: true };
  const scheduledAt = cadenceSinceOf(description);
  const fires = temporalFireCounter(client, description.scheduleId);
  const note = description.state.note ?? '';
  const recorded = resumedAtOfNote(note);
  if (recorded) return { paused: false, resumedAt: recorded.toISOString(), scheduledAt, fires };
  // backflow creates its schedules without a note, and Temporal acts on no resume without one
  // (Web and the temporal CLI always give one): another note on a running schedule is a resume
  // done outside backflow, at an unknown time no later than now. Only backflow's own schedules are written to.
  if (note === '' || marker === undefined) return { paused: false, scheduledAt, fires };
  const seen = now();
  try {
    // The schedule exactly as described, with only its note changed; the conflict token makes
    // Temporal refuse it should anything (a pause, an apply) have changed the schedule since.
    const { raw } = description;
    await client.workflowService.updateSchedule({
      namespace: client.options.namespace,
      scheduleId: description.scheduleId,
      schedule: { ...raw.schedule, state: { ...raw.schedule?.state, notes: resumedNote(seen, false) } },
      conflictToken: raw.conflictToken ?? null,
      identity: client.options.identity,
      requestId: randomUUID(),
    });
  } catch {
    // Recording it is best-effort (a concurrent change wins); the next check tries again.
  }
  return { paused: false, resumedAt: seen.toISOString(), scheduledAt, fires };
}
