import { createHash } from 'node:crypto';
import {
  DAYS_OF_WEEK,
  MONTHS,
  ScheduleNotFoundError,
  type CalendarSpecDescription,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOverlapPolicy,
  type ScheduleSpec,
  type ScheduleHandle,
  type Range,
} from '@temporalio/client';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import stringify from 'safe-stable-stringify';
import { z } from 'zod';
import type { Project } from '../config/load';
import { durationMs, type OverlapPolicy, type ScheduleConfig, type SyncSpec } from '../config/schema';
import { BackflowError } from '../errors';
import { BACKFLOW_SYNC } from './searchAttributes';
import { calendarShapeOfCron, isNoop, planSchedules, rangeValues, type ExistingSchedule, type SchedulePlan, type ScheduleShape } from './schedulesDiff';

/** Schedule ids backflow owns start with this; the memo marker proves it. */
export const SCHEDULE_PREFIX = 'backflow:';
/**
 * The maintenance schedules (prune, staleness) start with this; `-` keeps them apart from any sync
 * name. Before schedules were per task queue, the id was exactly this.
 */
export const MAINTENANCE_SCHEDULE_PREFIX = 'backflow-maintenance';
export const MAINTENANCE_EVERY = '1h';
/** The memo key that marks a schedule as backflow's. */
const MARKER = 'backflow';
/** Key in the action's memo holding the hash of what the schedule was built from. */
const HASH_KEY = 'backflowScheduleHash';
/**
 * Key in the action's memo holding when the schedule's cadence (its spec) took its present form,
 * with a digest of that spec: Temporal's update time moves on any update, an overlap-only one too.
 */
const CADENCE_KEY = 'backflowCadence';

export function scheduleIdFor(sync: string): string {
  return `${SCHEDULE_PREFIX}${sync}`;
}

/** One per task queue: each deployment sharing a namespace prunes its own state store. */
export function maintenanceScheduleIdFor(taskQueue: string): string {
  return `${MAINTENANCE_SCHEDULE_PREFIX}:${taskQueue}`;
}

/**
 * Workflow id of a scheduled run. Temporal appends `-<scheduled time>`, so runs read
 * `sync:<name>:scheduled-2025-01-01T00:15:00Z`; the sync's lease (keyed by the sync name, not the
 * id) keeps them to one at a time with runs started any other way.
 */
export function scheduledWorkflowId(sync: string): string {
  return `sync:${sync}:scheduled`;
}

const markerSchema = z.object({
  kind: z.enum(['sync', 'maintenance']),
  sync: z.string().optional(),
  /** The deployment that owns the schedule; absent on schedules created before it was recorded. */
  taskQueue: z.string().optional(),
});
export type ScheduleMarker = z.infer<typeof markerSchema>;

function overlapOf(policy: OverlapPolicy): ScheduleOverlapPolicy {
  return policy.toUpperCase() as ScheduleOverlapPolicy;
}

export function scheduleSpecOf(schedule: ScheduleConfig): ScheduleSpec {
  if (schedule.every !== undefined) return { intervals: [{ every: durationMs(schedule.every) as number }] };
  return { cronExpressions: [schedule.cron as string], ...(schedule.timezone ? { timezone: schedule.timezone } : {}) };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type DesiredOptions = ScheduleOptions & { memo: { [MARKER]: ScheduleMarker } };

function withHash(options: Omit<DesiredOptions, 'action'> & { action: Omit<DesiredOptions['action'], 'memo'> }): { options: DesiredOptions; hash: string } {
  // Everything but the memo (fixed at creation, not updatable) decides whether an update is due.
  const hashed = { scheduleId: options.scheduleId, spec: options.spec, action: options.action, policies: options.policies, typedSearchAttributes: options.typedSearchAttributes };
  const hash = createHash('sha256').update(stringify(hashed) ?? '').digest('hex').slice(0, 16);
  return { options: { ...options, action: { ...options.action, memo: { [HASH_KEY]: hash } } }, hash };
}

/** The schedule a sync's `schedule:` becomes. */
export function syncScheduleOptions(spec: Pick<SyncSpec, 'name'> & { schedule: ScheduleConfig }, taskQueue: string): { options: DesiredOptions; hash: string } {
  return withHash({
    scheduleId: scheduleIdFor(spec.name),
    spec: scheduleSpecOf(spec.schedule),
    action: {
      type: 'startWorkflow',
      workflowType: 'syncWorkflow',
      workflowId: scheduledWorkflowId(spec.name),
      taskQueue,
      args: [{ sync: spec.name }],
      typedSearchAttributes: [{ key: BACKFLOW_SYNC, value: spec.name }],
    },
    policies: { overlap: overlapOf(spec.schedule.overlap) },
    memo: { [MARKER]: { kind: 'sync', sync: spec.name, taskQueue } },
    typedSearchAttributes: [{ key: BACKFLOW_SYNC, value: spec.name }],
  });
}

/** Hourly maintenance: prune old per-record results, look for stale syncs. */
export function maintenanceScheduleOptions(taskQueue: string): { options: DesiredOptions; hash: string } {
  return withHash({
    scheduleId: maintenanceScheduleIdFor(taskQueue),
    spec: { intervals: [{ every: durationMs(MAINTENANCE_EVERY) as number }] },
    // Another deployment's maintenance fires at the same instant: the queue keeps the run ids apart.
    action: { type: 'startWorkflow', workflowType: 'maintenanceWorkflow', workflowId: `backflow:maintenance:${taskQueue}`, taskQueue, args: [] },
    policies: { overlap: 'SKIP' },
    memo: { [MARKER]: { kind: 'maintenance', taskQueue } },
  });
}

/** Every schedule the project wants: one per sync with `schedule:`, plus maintenance. */
export function desiredSchedules(project: Project, taskQueue: string): Map<string, { options: DesiredOptions; hash: string }> {
  const desired = new Map<string, { options: DesiredOptions; hash: string }>();
  for (const spec of project.syncs.values()) {
    if (!spec.schedule) continue;
    const built = syncScheduleOptions({ ...spec, schedule: spec.schedule }, taskQueue);
    desired.set(built.options.scheduleId, built);
  }
  const maintenance = maintenanceScheduleOptions(taskQueue);
  desired.set(maintenance.options.scheduleId, maintenance);
  return desired;
}

export function markerOf(memo: Record<string, unknown> | undefined): ScheduleMarker | undefined {
  const parsed = markerSchema.safeParse(memo?.[MARKER]);
  return parsed.success ? parsed.data : undefined;
}

function isBackflowId(scheduleId: string): boolean {
  return scheduleId.startsWith(SCHEDULE_PREFIX) || scheduleId.startsWith(MAINTENANCE_SCHEDULE_PREFIX);
}

/** The task queue of the deployment a backflow schedule belongs to. */
export function ownerQueueOf(marker: ScheduleMarker, description: ScheduleDescription): string {
  // Schedules created before the marker named its queue: the queue their runs go to says whose they are.
  return marker.taskQueue ?? description.action.taskQueue;
}

async function describeOrUndefined(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

function existingOf(description: ScheduleDescription): ExistingSchedule {
  const hash = description.action.memo?.[HASH_KEY];
  const marker = markerOf(description.memo);
  return {
    scheduleId: description.scheduleId,
    managed: marker !== undefined,
    ...(marker ? { taskQueue: ownerQueueOf(marker, description) } : {}),
    ...(typeof hash === 'string' ? { hash } : {}),
    shape: shapeOfDescription(description),
  };
}

/** `BackflowSync="accounts"`, sorted: search attributes given as pairs or as Temporal returns them. */
function searchAttributesShape(attributes: readonly SearchAttributePair[] | TypedSearchAttributes | undefined): string[] {
  if (!attributes) return [];
  const pairs: readonly SearchAttributePair[] = Array.isArray(attributes) ? attributes : (attributes as TypedSearchAttributes).getAll();
  return pairs.map(({ key, value }) => `${key.name}=${stringify(value) ?? ''}`).sort();
}

/** What backflow decides of the schedule the config makes, in the form Temporal's describe() also turns into. */
export function shapeOfOptions(options: ScheduleOptions): ScheduleShape {
  const { spec, action } = options;
  const crons = spec.cronExpressions ?? [];
  const calendars = crons.map(calendarShapeOfCron);
  return {
    spec: {
      intervals: (spec.intervals ?? []).map((interval) => ({ everyMs: msToNumber(interval.every), offsetMs: interval.offset !== undefined ? msToNumber(interval.offset) : 0 })),
      calendars: calendars.every((calendar) => calendar !== undefined) ? calendars : undefined,
      timezone: spec.timezone ?? '',
      jitterMs: spec.jitter !== undefined ? msToNumber(spec.jitter) : 0,
      startAt: spec.startAt?.toISOString() ?? '',
      endAt: spec.endAt?.toISOString() ?? '',
      skip: spec.skip?.length ?? 0,
    },
    action: {
      workflowType: typeof action.workflowType === 'string' ? action.workflowType : action.workflowType.name,
      workflowId: action.workflowId ?? '',
      taskQueue: action.taskQueue,
      args: stringify(action.args ?? []) ?? '[]',
      searchAttributes: searchAttributesShape(action.typedSearchAttributes),
    },
    policies: { overlap: options.policies?.overlap ?? 'SKIP' },
  };
}

/** The schedule as it is on the cluster (whoever last changed it), in the form the config also turns into. */
export function shapeOfDescription(description: ScheduleDescription): ScheduleShape {
  const { spec, action } = description;
  const numbered = (names: readonly string[]) => (name: string) => names.indexOf(name);
  return {
    spec: {
      intervals: (spec.intervals ?? []).map((interval) => ({ everyMs: msToNumber(interval.every), offsetMs: interval.offset !== undefined ? msToNumber(interval.offset) : 0 })),
      calendars: (spec.calendars ?? []).map((calendar) => ({
        second: rangeValues(calendar.second, Number),
        minute: rangeValues(calendar.minute, Number),
        hour: rangeValues(calendar.hour, Number),
        dayOfMonth: rangeValues(calendar.dayOfMonth, Number),
        month: rangeValues(calendar.month, (name) => numbered(MONTHS)(name) + 1),
        dayOfWeek: rangeValues(calendar.dayOfWeek, numbered(DAYS_OF_WEEK)),
        year: rangeValues(calendar.year, Number),
      })),
      timezone: spec.timezone ?? '',
      jitterMs: spec.jitter ?? 0,
      startAt: spec.startAt?.toISOString() ?? '',
      endAt: spec.endAt?.toISOString() ?? '',
      skip: spec.skip?.length ?? 0,
    },
    action: {
      workflowType: action.workflowType,
      workflowId: action.workflowId,
      taskQueue: action.taskQueue,
      args: stringify(action.args ?? []) ?? '[]',
      searchAttributes: searchAttributesShape(action.typedSearchAttributes),
    },
    policies: { overlap: description.policies.overlap ?? 'SKIP' },
  };
}

const cadenceSchema = z.object({ since: z.iso.datetime(), spec: z.string() });

/** A digest of when a schedule fires (its spec's shape): equal for the config's spec and the cluster's same one. */
function cadenceDigest(spec: ScheduleShape['spec']): string {
  return createHash('sha256').update(stringify(spec) ?? '').digest('hex').slice(0, 16);
}

/**
 * When the schedule's cadence took its present form (ISO): fires before it were never due. The time
 * apply recorded when it last changed something else (the overlap policy, the task queue), while
 * the spec it recorded it for is still the schedule's; else its last update, or its creation.
 */
export function cadenceSinceOf(description: ScheduleDescription): string {
  const recorded = cadenceSchema.safeParse(description.action.memo?.[CADENCE_KEY]);
  if (recorded.success && recorded.data.spec === cadenceDigest(shapeOfDescription(description).spec)) return recorded.data.since;
  return (description.info.lastUpdatedAt ?? description.info.createdAt).toISOString();
}

/**
 * The action's memo for an update: with the cadence's time carried over when the update keeps the
 * cadence (the count of missed fires goes on); without it, when the cadence changes, the update's own
 * time (Temporal's) is when the new cadence began.
 */
function memoForUpdate(previous: ScheduleDescription, want: DesiredOptions): Record<string, unknown> {
  const memo = { ...want.action.memo };
  const wanted = shapeOfOptions(want).spec;
  // A cron whose calendar form is unknown cannot be compared: counted as a change, as before.
  if (wanted.calendars === undefined) return memo;
  const spec = cadenceDigest(shapeOfDescription(previous).spec);
  if (cadenceDigest(wanted) !== spec) return memo;
  return { ...memo, [CADENCE_KEY]: { since: cadenceSinceOf(previous), spec } };
}

/**
 * The schedules on the cluster that matter to backflow: each one the config names (described by
 * id, which is consistent) and every backflow-marked one the list shows (to find deletions).
 */
async function existingSchedules(client: Client, desiredIds: Iterable<string>): Promise<ExistingSchedule[]> {
  const found = new Map<string, ExistingSchedule>();
  for (const id of desiredIds) {
    const description = await describeOrUndefined(client, id);
    if (description) found.set(id, existingOf(description));
  }
  for await (const summary of client.schedule.list()) {
    if (found.has(summary.scheduleId) || !isBackflowId(summary.scheduleId) || !markerOf(summary.memo)) continue;
    const description = await describeOrUndefined(client, summary.scheduleId);
    if (description) found.set(summary.scheduleId, existingOf(description));
  }
  return [...found.values()];
}

/** A create, update or delete Temporal refused. */
export interface ScheduleFailure {
  scheduleId: string;
  /** Absent for the maintenance schedule. */
  sync?: string;
  step: 'create' | 'update' | 'delete';
  message: string;
}

export interface ApplyResult extends SchedulePlan {
  noop: boolean;
  /** Steps Temporal refused; they are not in create/update/delete, which list only what was done. */
  failed: ScheduleFailure[];
}

function syncOfId(scheduleId: string): string | undefined {
  return scheduleId.startsWith(SCHEDULE_PREFIX) ? scheduleId.slice(SCHEDULE_PREFIX.length) : undefined;
}

/**
 * Runs each step on its own: one schedule Temporal refuses must not leave the rest of the config
 * unapplied, and the failure must say which sync it is. Returns the ids whose step succeeded.
 */
async function eachStep(step: ScheduleFailure['step'], ids: readonly string[], failed: ScheduleFailure[], work: (id: string) => Promise<unknown>): Promise<string[]> {
  const done: string[] = [];
  for (const id of ids) {
    try {
      await work(id);
      done.push(id);
    } catch (err) {
      const sync = syncOfId(id);
      const what = sync ? `schedule ${id} of sync ${sync}` : `schedule ${id}`;
      failed.push({ scheduleId: id, ...(sync ? { sync } : {}), step, message: `could not ${step} ${what}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return done;
}

/**
 * Makes Temporal match the config: creates missing schedules, updates changed ones (keeping
 * whether they are paused), deletes this task queue's schedules whose sync is gone. Idempotent.
 */
export async function applySchedules(client: Client, project: Project, options: { taskQueue: string; dryRun?: boolean }): Promise<ApplyResult> {
  const desired = desiredSchedules(project, options.taskQueue);
  const existing = await existingSchedules(client, desired.keys());
  const plan = planSchedules(
    [...desired.values()].map(({ options: o, hash }) => ({ scheduleId: o.scheduleId, hash, shape: shapeOfOptions(o) })),
    existing,
    options.taskQueue,
  );
  // A project with no syncs at all is far likelier a wrong folder than a wish to unschedule everything.
  if (project.syncs.size === 0 && project.invalidSyncs.size === 0 && plan.delete.length > 0) {
    throw new BackflowError(
      'CONFIG_INVALID',
      `${project.dir} has no sync files under syncs/, so applying would delete all ${plan.delete.length} backflow schedule(s) ` +
        `of this deployment (${plan.delete.join(', ')}); nothing was changed. Check the project folder, or delete them with temporal schedule delete`,
    );
  }
  const noop = isNoop(plan);
  if (options.dryRun) return { ...plan, noop, failed: [] };
  const failed: ScheduleFailure[] = [];
  const create = await eachStep('create', plan.create, failed, async (id) => {
    const want = desired.get(id);
    if (want) await client.schedule.create(want.options);
  });
  const update = await eachStep('update', plan.update, failed, async (id) => {
    const want = desired.get(id);
    if (!want) return;
    const { spec, action, policies, typedSearchAttributes } = want.options;
    // Paused stays paused: apply changes what the config says, not what an operator decided.
    await client.schedule.getHandle(id).update((previous) => ({
      spec,
      action: { ...action, memo: memoForUpdate(previous, want.options) },
      ...(policies ? { policies } : {}),
      ...(typedSearchAttributes ? { typedSearchAttributes } : {}),
      state: previous.state,
    }));
  });
  const deleted = await eachStep('delete', plan.delete, failed, (id) => client.schedule.getHandle(id).delete());
  return { ...plan, create, update, delete: deleted, noop, failed };
}

export interface ScheduleView {
  scheduleId: string;
  sync?: string;
  kind: ScheduleMarker['kind'];
  /** The task queue the schedule's runs go to (its action's, as on the cluster). */
  taskQueue: string;
  /**
   * The deployment the schedule belongs to (its memo marker's task queue), when its runs go
   * elsewhere: it was changed on the cluster, and `schedules apply` puts it back.
   */
  deploymentTaskQueue?: string;
  /** `every 15m`, `cron 0 * * * * (Europe/Paris)`. */
  when: string;
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  lastRun?: { workflowId: string; at: string };
}

/** 900000 → `15m`, the way config writes it. */
function shortDuration(ms: number): string {
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * One cron field from Temporal's ranges: `*`, `9-17`, `5-59/15`, `1,15`, or a star with a step. A
 * range Temporal keeps twice (`0,7` for Sunday: both are SUNDAY) is written once.
 */
function cronField(ranges: readonly Range<number>[], min: number, max: number): string {
  const parts = ranges.map(({ start, end, step }) => {
    const every = step > 1 ? `/${step}` : '';
    if (start === min && end === max) return `*${every}`;
    return start === end && !every ? `${start}` : `${start}-${end}${every}`;
  });
  return [...new Set(parts)].join(',');
}

/**
 * Temporal keeps a cron only as the calendar it parsed it into (the text is gone); this writes it
 * back as a 5-field cron that fires at the same times, or undefined when it has no cron form.
 */
export function cronOfCalendar(calendar: CalendarSpecDescription): string | undefined {
  const onTheMinute = calendar.second.length === 1 && calendar.second[0]?.start === 0 && calendar.second[0].end === 0;
  if (!onTheMinute || calendar.year.length > 0) return undefined;
  const numbered = <T>(ranges: readonly Range<T>[], names: readonly T[], first: number) =>
    ranges.map(({ start, end, step }) => ({ start: names.indexOf(start) + first, end: names.indexOf(end) + first, step }));
  return [
    cronField(calendar.minute, 0, 59),
    cronField(calendar.hour, 0, 23),
    cronField(calendar.dayOfMonth, 1, 31),
    cronField(numbered(calendar.month, MONTHS, 1), 1, 12),
    cronField(numbered(calendar.dayOfWeek, DAYS_OF_WEEK, 0), 0, 6),
  ].join(' ');
}

function describeWhen(description: ScheduleDescription): string {
  const spec = description.spec;
  const parts: string[] = [];
  for (const interval of spec.intervals ?? []) parts.push(`every ${shortDuration(Number(interval.every))}`);
  for (const calendar of spec.calendars ?? []) {
    const cron = cronOfCalendar(calendar);
    parts.push(cron ? `cron ${cron}` : `calendar ${stringify(calendar) ?? ''}`);
  }
  return `${parts.join(', ')}${spec.timezone ? ` (${spec.timezone})` : ''}`;
}

/** backflow's schedules as they are on the cluster. */
export async function listSchedules(client: Client): Promise<ScheduleView[]> {
  const views: ScheduleView[] = [];
  for await (const summary of client.schedule.list()) {
    const marker = markerOf(summary.memo);
    if (!marker || !isBackflowId(summary.scheduleId)) continue;
    const description = await describeOrUndefined(client, summary.scheduleId);
    if (!description) continue;
    const next = description.info.nextActionTimes[0];
    const last = description.info.recentActions.at(-1);
    const owner = ownerQueueOf(marker, description);
    views.push({
      scheduleId: summary.scheduleId,
      ...(marker.sync ? { sync: marker.sync } : {}),
      kind: marker.kind,
      taskQueue: description.action.taskQueue,
      ...(owner !== description.action.taskQueue ? { deploymentTaskQueue: owner } : {}),
      when: describeWhen(description),
      paused: description.state.paused,
      ...(description.state.note ? { note: description.state.note } : {}),
      ...(next ? { nextRunAt: next.toISOString() } : {}),
      ...(last ? { lastRun: { workflowId: last.action.workflow.workflowId, at: last.takenAt.toISOString() } } : {}),
    });
  }
  return views.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/**
 * A sync's schedule, handle and description; a clear error when backflow has none for it, or when
 * the one with its id belongs to another deployment (`taskQueue`: this deployment's, when known).
 */
async function syncSchedule(client: Client, sync: string, taskQueue?: string): Promise<{ handle: ScheduleHandle; description: ScheduleDescription }> {
  const id = scheduleIdFor(sync);
  const description = await describeOrUndefined(client, id);
  const marker = description ? markerOf(description.memo) : undefined;
  if (!description || !marker) {
    throw new BackflowError('SCHEDULE_NOT_FOUND', `sync ${sync} has no schedule ${id}: add schedule: to its YAML and run backflow schedules apply`);
  }
  const owner = ownerQueueOf(marker, description);
  if (taskQueue !== undefined && owner !== taskQueue) {
    throw new BackflowError(
      'SCHEDULE_NOT_FOUND',
      `schedule ${id} belongs to the backflow deployment on task queue ${owner}, not this one (${taskQueue}); it was left alone`,
    );
  }
  return { handle: client.schedule.getHandle(id), description };
}

/** The handle of a sync's schedule; a clear error when backflow has none for it (on `taskQueue`, when given). */
export async function syncScheduleHandle(client: Client, sync: string, taskQueue?: string): Promise<ScheduleHandle> {
  return (await syncSchedule(client, sync, taskQueue)).handle;
}

export async function pauseSchedule(client: Client, sync: string, taskQueue?: string): Promise<void> {
  await (await syncScheduleHandle(client, sync, taskQueue)).pause('paused with backflow schedules pause');
}

/** The note `backflow schedules resume` leaves on the schedule: when it was resumed, which Temporal does not keep. */
const RESUMED_BY_BACKFLOW = 'resumed with backflow schedules resume at ';
/** The note maintenance leaves on a schedule it first finds resumed by someone else (Temporal Web, the temporal CLI). */
const RESUMED_ELSEWHERE = 'resumed outside backflow, first seen resumed at ';

export function resumedNote(at: Date, byBackflow = true): string {
  return `${byBackflow ? RESUMED_BY_BACKFLOW : RESUMED_ELSEWHERE}${at.toISOString()}`;
}

/** When the schedule was resumed, read from a note backflow left; undefined for any other note. */
export function resumedAtOfNote(note: string | undefined): Date | undefined {
  for (const prefix of [RESUMED_BY_BACKFLOW, RESUMED_ELSEWHERE]) {
    if (!note?.startsWith(prefix)) continue;
    const at = new Date(note.slice(prefix.length));
    return Number.isNaN(at.getTime()) ? undefined : at;
  }
  return undefined;
}

/** Resumes the sync's paused schedule; false (nothing changed) when it was not paused. */
export async function resumeSchedule(client: Client, sync: string, taskQueue?: string, now: () => Date = () => new Date()): Promise<boolean> {
  const { handle, description } = await syncSchedule(client, sync, taskQueue);
  // Not paused: nothing to resume. A resume note written anyway told staleness the schedule had just
  // been resumed, and the next maintenance pass resolved a stale sync's incident with nothing run.
  if (!description.state.paused) return false;
  // Temporal keeps no time of a resume (its update time does not move): the note records it for staleness.
  await handle.unpause(resumedNote(now()));
  return true;
}

/**
 * Starts a run now, under the schedule's own overlap policy, which it returns. The SDK's default is
 * ALLOW_ALL, whose runs the schedule does not count as running: its next fire would start another.
 */
export async function triggerSchedule(client: Client, sync: string, taskQueue?: string): Promise<NonNullable<ScheduleOverlapPolicy>> {
  const { handle, description } = await syncSchedule(client, sync, taskQueue);
  // Temporal fills the policy in on describe; SKIP is its default should it ever be missing.
  const overlap = description.policies.overlap ?? 'SKIP';
  await handle.trigger(overlap);
  return overlap;
}

/**
 * Takes the runs the schedule would have taken between `from` and `to`, one after another
 * (BUFFER_ALL): under the schedule's own policy (skip, by default) every fire time after the first was
 * dropped while the first ran, and the backfill took one run of many without a word.
 */
export async function backfillSchedule(client: Client, sync: string, from: Date, to: Date, taskQueue?: string): Promise<void> {
  if (!(from < to)) throw new BackflowError('CONFIG_INVALID', `backfill: --from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  await (await syncScheduleHandle(client, sync, taskQueue)).backfill({ start: from, end: to, overlap: 'BUFFER_ALL' });
}
