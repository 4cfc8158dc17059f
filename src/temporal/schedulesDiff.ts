/**
 * What `backflow schedules apply` must do to make Temporal match the config: a pure decision,
 * unit-tested on its own. Only schedules backflow created (its memo marker) for this deployment
 * (its task queue) are ever updated or deleted; one with a backflow id but no marker, or another
 * task queue's, is reported as a conflict and left alone. A schedule is up to date when both the
 * hash backflow stored in it matches the config's and its actual spec, action and policies (as
 * Temporal describes them, normalised: see ScheduleShape) match what the config makes of them.
 */

import { CRON_FIELDS, CRON_PART, CRON_SHORTHANDS, cronWithNumbers } from '../config/cron';
export interface DesiredSchedule {
  scheduleId: string;
  /** Hash of everything the schedule is built from; a different hash means "update". */
  hash: string;
  /** What the schedule must be on the cluster; any difference from the existing one's means "update". */
  shape?: ScheduleShape;
}

export interface ExistingSchedule {
  scheduleId: string;
  /** Created by backflow (memo marker present). */
  managed: boolean;
  /** The task queue of the deployment that created it (set when managed). */
  taskQueue?: string;
  /** The hash stored when backflow last wrote it. */
  hash?: string;
  /** What the schedule is on the cluster now, whoever last changed it (Temporal Web, the temporal CLI, a script). */
  shape?: ScheduleShape;
}

export interface SchedulePlan {
  create: string[];
  update: string[];
  delete: string[];
  unchanged: string[];
  /** Ids backflow wants but someone else's schedule already holds. */
  conflicts: string[];
  /** Ids backflow wants but another deployment's (another task queue's) schedule holds. */
  heldByOtherTaskQueue: Array<{ scheduleId: string; taskQueue: string }>;
  /**
   * Schedules whose spec, action or policies on the cluster differ from what the config makes of
   * them (changed by hand since backflow wrote them, whatever its memo's hash says), with what differs.
   */
  drifted: Array<{ scheduleId: string; differences: string[] }>;
}

export function planSchedules(desired: readonly DesiredSchedule[], existing: readonly ExistingSchedule[], taskQueue: string): SchedulePlan {
  const plan: SchedulePlan = { create: [], update: [], delete: [], unchanged: [], conflicts: [], heldByOtherTaskQueue: [], drifted: [] };
  const byId = new Map(existing.map((schedule) => [schedule.scheduleId, schedule]));
  // Deployments on one namespace tell their schedules apart by task queue, never by id alone.
  const ours = (schedule: ExistingSchedule) => schedule.managed && schedule.taskQueue === taskQueue;
  const wanted = new Set<string>();
  for (const want of desired) {
    wanted.add(want.scheduleId);
    const have = byId.get(want.scheduleId);
    if (!have) plan.create.push(want.scheduleId);
    else if (!have.managed) plan.conflicts.push(want.scheduleId);
    else if (!ours(have)) plan.heldByOtherTaskQueue.push({ scheduleId: want.scheduleId, taskQueue: have.taskQueue ?? '(unknown)' });
    else {
      // The memo's hash says what backflow last wrote; the shape, what the cluster has now. Only with
      // the config as it was written does a difference mean a change on the cluster: after an edit of
      // the sync's schedule it is the edit (and was reported as "changed on the cluster").
      const differences = want.shape && have.shape ? shapeDifferences(want.shape, have.shape) : [];
      if (differences.length > 0 && have.hash === want.hash) plan.drifted.push({ scheduleId: want.scheduleId, differences });
      if (have.hash !== want.hash || differences.length > 0) plan.update.push(want.scheduleId);
      else plan.unchanged.push(want.scheduleId);
    }
  }
  for (const have of existing) {
    if (ours(have) && !wanted.has(have.scheduleId)) plan.delete.push(have.scheduleId);
  }
  for (const list of [plan.create, plan.update, plan.delete, plan.unchanged, plan.conflicts]) list.sort();
  plan.heldByOtherTaskQueue.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  plan.drifted.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  return plan;
}

/** True when applying the plan would change nothing. */
export function isNoop(plan: SchedulePlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}

/**
 * What backflow decides about a schedule, in a form both the config and Temporal's describe() turn
 * into: Temporal keeps a cron only as the calendar it parsed it into, and durations as milliseconds,
 * so comparing texts would see a difference in every cron schedule. Each calendar field is the sorted
 * list of values it fires on (`*\/15` and `0,15,30,45` are the same minutes).
 */
export interface ScheduleShape {
  spec: {
    intervals: Array<{ everyMs: number; offsetMs: number }>;
    /** Undefined when the config's cron has no such form (never for one `backflow validate` accepts): the hash decides. */
    calendars: CalendarShape[] | undefined;
    timezone: string;
    /**
     * What backflow never sets, so any value is a hand edit (Temporal Web, the temporal CLI): a
     * jitter, a start or end (an `endAt` stops the schedule firing), skipped times.
     */
    jitterMs: number;
    startAt: string;
    endAt: string;
    skip: number;
  };
  action: { workflowType: string; workflowId: string; taskQueue: string; args: string; searchAttributes: string[] };
  policies: { overlap: string };
}

export interface CalendarShape {
  second: number[];
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  month: number[];
  /** 0 = Sunday (cron's 7 too). */
  dayOfWeek: number[];
  /** Empty: every year. */
  year: number[];
}

function sortedUnique(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** One cron field (`*`, `5`, `9-17`, `*\/15`, `5/15`, lists of them) as the values it matches; undefined for any other syntax. */
function cronFieldValues(field: string, min: number, max: number): number[] | undefined {
  const values: number[] = [];
  for (const part of field.split(',')) {
    const match = CRON_PART.exec(part);
    if (!match) return undefined;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    const start = match[2] !== undefined ? Number(match[2]) : min;
    // `5/15` runs from 5 to the field's end, as in Temporal (and robfig/cron).
    const end = match[3] !== undefined ? Number(match[3]) : match[2] !== undefined && match[4] === undefined ? start : max;
    if (!(step > 0) || start < min || end > max) return undefined;
    for (let value = start; value <= end; value += step) values.push(value);
  }
  return sortedUnique(values);
}

/** A 5-field cron (or shorthand) as the calendar Temporal parses it into; undefined when it is not that simple. */
export function calendarShapeOfCron(cron: string): CalendarShape | undefined {
  const text = cronWithNumbers(cron).trim();
  const fields = (Object.hasOwn(CRON_SHORTHANDS, text) ? (CRON_SHORTHANDS[text] as string) : text).split(/\s+/);
  if (fields.length !== 5) return undefined;
  const values = fields.map((field, index) => {
    const { min, max } = CRON_FIELDS[index] as (typeof CRON_FIELDS)[number];
    return cronFieldValues(field, min, max);
  });
  const [minute, hour, dayOfMonth, month, dayOfWeek] = values;
  if (!minute || !hour || !dayOfMonth || !month || !dayOfWeek) return undefined;
  return { second: [0], minute, hour, dayOfMonth, month, dayOfWeek: sortedUnique(dayOfWeek.map((day) => day % 7)), year: [] };
}

/** Ranges as Temporal's describe() returns them, named (months, weekdays) or numbered, as the values they cover. */
export function rangeValues<T>(ranges: readonly { start: T; end: T; step: number }[], toNumber: (value: T) => number): number[] {
  const values: number[] = [];
  for (const range of ranges) {
    const start = toNumber(range.start);
    const end = Math.max(start, toNumber(range.end));
    const step = range.step > 0 ? range.step : 1;
    for (let value = start; value <= end; value += step) values.push(value);
  }
  return sortedUnique(values);
}

/** The parts of the schedule that differ, by name (`spec.calendars`, `action.taskQueue`, …); empty when they match. */
export function shapeDifferences(want: ScheduleShape, have: ScheduleShape): string[] {
  const differences: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const group of ['spec', 'action', 'policies'] as const) {
    const wanted = want[group] as Record<string, unknown>;
    const had = have[group] as Record<string, unknown>;
    for (const key of Object.keys(wanted)) {
      // A cron the shape cannot express is compared by the hash alone.
      if (group === 'spec' && key === 'calendars' && (wanted[key] === undefined || had[key] === undefined)) continue;
      if (!same(wanted[key], had[key])) differences.push(`${group}.${key}`);
    }
  }
  return differences;
}
