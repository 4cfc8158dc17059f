import { createHash } from 'node:crypto';
import {
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import stringify from 'safe-stable-stringify';
import type { Project } from '../config/load';
import { durationMs, type OverlapPolicy, type ScheduleConfig, type SyncSpec } from '../config/schema';
import { BackflowError } from '../errors';
import { BACKFLOW_SYNC } from './searchAttributes';
import { isNoop, planSchedules, type ExistingSchedule, type SchedulePlan } from './schedulesDiff';

/** Schedule ids backflow owns start with this; the memo marker proves it. */
export const SCHEDULE_PREFIX = 'backflow:';
/** The maintenance schedule (prune, staleness); `-` keeps it apart from any sync name. */
export const MAINTENANCE_SCHEDULE_ID = 'backflow-maintenance';
export const MAINTENANCE_EVERY = '1h';
/** The memo key that marks a schedule as backflow's. */
const MARKER = 'backflow';
/** Key in the action's memo holding the hash of what the schedule was built from. */
const HASH_KEY = 'backflowScheduleHash';

export function scheduleIdFor(sync: string): string {
  return `${SCHEDULE_PREFIX}${sync}`;
}

/**
 * Workflow id of a scheduled run. Temporal appends `-<scheduled time>`, so runs read
 * `sync:<name>:scheduled-2025-01-01T00:15:00Z`; the sync's lease (keyed by the sync name, not the
 * id) keeps them to one at a time with runs started any other way.
 */
export function scheduledWorkflowId(sync: string): string {
  return `sync:${sync}:scheduled`;
}

export interface ScheduleMarker {
  kind: 'sync' | 'maintenance';
  sync?: string;
}

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
    memo: { [MARKER]: { kind: 'sync', sync: spec.name } },
    typedSearchAttributes: [{ key: BACKFLOW_SYNC, value: spec.name }],
  });
}

/** Hourly maintenance: prune old per-record results, look for stale syncs. */
export function maintenanceScheduleOptions(taskQueue: string): { options: DesiredOptions; hash: string } {
  return withHash({
    scheduleId: MAINTENANCE_SCHEDULE_ID,
    spec: { intervals: [{ every: durationMs(MAINTENANCE_EVERY) as number }] },
    action: { type: 'startWorkflow', workflowType: 'maintenanceWorkflow', workflowId: 'backflow:maintenance', taskQueue, args: [] },
    policies: { overlap: 'SKIP' },
    memo: { [MARKER]: { kind: 'maintenance' } },
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
  desired.set(MAINTENANCE_SCHEDULE_ID, maintenance);
  return desired;
}

export function markerOf(memo: Record<string, unknown> | undefined): ScheduleMarker | undefined {
  const marker = memo?.[MARKER];
  if (typeof marker !== 'object' || marker === null) return undefined;
  const kind = (marker as { kind?: unknown }).kind;
  return kind === 'sync' || kind === 'maintenance' ? (marker as ScheduleMarker) : undefined;
}

function isBackflowId(scheduleId: string): boolean {
  return scheduleId.startsWith(SCHEDULE_PREFIX) || scheduleId === MAINTENANCE_SCHEDULE_ID;
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
  return {
    scheduleId: description.scheduleId,
    managed: markerOf(description.memo) !== undefined,
    ...(typeof hash === 'string' ? { hash } : {}),
  };
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

export interface ApplyResult extends SchedulePlan {
  noop: boolean;
}

/**
 * Makes Temporal match the config: creates missing schedules, updates changed ones (keeping
 * whether they are paused), deletes backflow's schedules whose sync is gone. Idempotent.
 */
export async function applySchedules(client: Client, project: Project, options: { taskQueue: string; dryRun?: boolean }): Promise<ApplyResult> {
  const desired = desiredSchedules(project, options.taskQueue);
  const existing = await existingSchedules(client, desired.keys());
  const plan = planSchedules(
    [...desired.values()].map(({ options: o, hash }) => ({ scheduleId: o.scheduleId, hash })),
    existing,
  );
  if (!options.dryRun) {
    for (const id of plan.create) {
      const want = desired.get(id);
      if (want) await client.schedule.create(want.options);
    }
    for (const id of plan.update) {
      const want = desired.get(id);
      if (!want) continue;
      const { spec, action, policies, typedSearchAttributes } = want.options;
      // Paused stays paused: apply changes what the config says, not what an operator decided.
      await client.schedule.getHandle(id).update((previous) => ({
        spec,
        action,
        ...(policies ? { policies } : {}),
        ...(typedSearchAttributes ? { typedSearchAttributes } : {}),
        state: previous.state,
      }));
    }
    for (const id of plan.delete) await client.schedule.getHandle(id).delete();
  }
  return { ...plan, noop: isNoop(plan) };
}

export interface ScheduleView {
  scheduleId: string;
  sync?: string;
  kind: ScheduleMarker['kind'];
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

function describeWhen(description: ScheduleDescription): string {
  const spec = description.spec;
  const parts: string[] = [];
  for (const interval of spec.intervals ?? []) parts.push(`every ${shortDuration(Number(interval.every))}`);
  for (const calendar of spec.calendars ?? []) parts.push(`calendar ${stringify(calendar) ?? ''}`);
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
    views.push({
      scheduleId: summary.scheduleId,
      ...(marker.sync ? { sync: marker.sync } : {}),
      kind: marker.kind,
      when: describeWhen(description),
      paused: description.state.paused,
      ...(description.state.note ? { note: description.state.note } : {}),
      ...(next ? { nextRunAt: next.toISOString() } : {}),
      ...(last ? { lastRun: { workflowId: last.action.workflow.workflowId, at: last.takenAt.toISOString() } } : {}),
    });
  }
  return views.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** The handle of a sync's schedule; a clear error when backflow has none for it. */
export async function syncScheduleHandle(client: Client, sync: string) {
  const id = scheduleIdFor(sync);
  const description = await describeOrUndefined(client, id);
  if (!description || !markerOf(description.memo)) {
    throw new BackflowError('SCHEDULE_NOT_FOUND', `sync ${sync} has no schedule ${id}: add schedule: to its YAML and run backflow schedules apply`);
  }
  return client.schedule.getHandle(id);
}

export async function pauseSchedule(client: Client, sync: string, note = 'paused with backflow schedules pause'): Promise<void> {
  await (await syncScheduleHandle(client, sync)).pause(note);
}

export async function resumeSchedule(client: Client, sync: string, note = 'resumed with backflow schedules resume'): Promise<void> {
  await (await syncScheduleHandle(client, sync)).unpause(note);
}

/** Starts a run now, under the schedule's overlap policy. */
export async function triggerSchedule(client: Client, sync: string): Promise<void> {
  await (await syncScheduleHandle(client, sync)).trigger();
}

/** Takes the runs the schedule would have taken between `from` and `to`. */
export async function backfillSchedule(client: Client, sync: string, from: Date, to: Date): Promise<void> {
  if (!(from < to)) throw new BackflowError('CONFIG_INVALID', `backfill: --from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  await (await syncScheduleHandle(client, sync)).backfill({ start: from, end: to });
}
