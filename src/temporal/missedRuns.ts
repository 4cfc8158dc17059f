import { cronWithNumbers } from '../config/cron';
import { CronExpressionParser, type CronDate, type CronExpression, type CronFieldCollection } from 'cron-parser';
import { durationMs, type ScheduleConfig } from '../config/schema';

const MINUTE = 60_000;

/** When a schedule fires: a sync's `schedule:` (its cron in its timezone, or `every`), or a fixed interval in ms. */
export type Cadence = Pick<ScheduleConfig, 'every' | 'cron' | 'timezone'> | number;

/** How long after a fire its run may still be finishing before the fire counts as missed. */
export const STALE_GRACE_MS = MINUTE;
/**
 * Missed fires counted at most: enough for a message, cheap for a `* * * * *` sync down for weeks.
 * Temporal lists up to 1,000 fire times a call, so below that one call finds the cap passed (a second
 * only confirms none are left when fewer fired); cron-parser takes ~0.5 ms a fire.
 */
export const MISSED_RUNS_CAP = 100;

export interface MissedRuns {
  /** Scheduled fires after the last completed run and at least the grace before now. */
  count: number;
  /** Counting stopped at the cap: `count` is a lower bound. */
  capped: boolean;
  /** The first of them. */
  firstAt?: Date;
}

/**
 * Counts a schedule's fire times after `after` and up to `until` (both ends as Temporal lists them:
 * the first excluded, the last included), `cap` at most. Staleness asks Temporal itself
 * (temporalFireCounter) and falls back on localFireCounter.
 */
export type FireCounter = (after: Date, until: Date, cap: number) => Promise<MissedRuns>;

/** Day-of-month and day-of-week both restricted: Temporal ANDs them, classic cron (and cron-parser) ORs them. */
function matchesBothDays(fields: CronFieldCollection, date: CronDate): boolean {
  if (fields.dayOfMonth.isWildcard || fields.dayOfWeek.isWildcard) return true;
  const weekdays: readonly (number | string)[] = fields.dayOfWeek.values;
  const weekday = date.getDay();
  const daysOfMonth: readonly (number | string)[] = fields.dayOfMonth.values;
  return daysOfMonth.includes(date.getDate()) && (weekdays.includes(weekday) || (weekday === 0 && weekdays.includes(7)));
}

function missedCronFires(schedule: Pick<ScheduleConfig, 'cron' | 'timezone'>, after: Date, until: Date, cap: number): MissedRuns {
  const text = cronWithNumbers(schedule.cron ?? '').trim();
  let fires: CronExpression;
  try {
    // Temporal reads a cron without timezone as UTC; cron-parser lacks the @midnight alias.
    fires = CronExpressionParser.parse(text === '@midnight' ? '@daily' : text, { currentDate: after, endDate: until, tz: schedule.timezone ?? 'UTC' });
  } catch {
    // cronProblem has vetted it; cron-parser still refuses dates that never come (`0 0 31 2 *`), which never fire.
    return { count: 0, capped: false };
  }
  let count = 0;
  let firstAt: Date | undefined;
  // Also bounds the AND filter's scan (`* * 13 * 5` offers every minute of every Friday and every 13th).
  for (let scanned = 0; fires.hasNext(); scanned++) {
    if (count >= cap || scanned >= 50 * cap) return { count, capped: true, ...(firstAt ? { firstAt } : {}) };
    const fire = fires.next();
    if (!matchesBothDays(fires.fields, fire)) continue;
    firstAt ??= fire.toDate();
    count++;
  }
  return { count, capped: false, ...(firstAt ? { firstAt } : {}) };
}

/**
 * The fires of the schedule after `after` and up to `until`, computed here from its cadence.
 * `every` fires on multiples of the interval from the epoch, as Temporal's interval specs do. Around
 * a DST change a cron's count differs from Temporal's, whose scheduler skips a time that never comes
 * (`30 2 * * *` on spring-forward day) and fires twice in a repeated hour: cron-parser does the
 * opposite. So this is only the fallback for when Temporal cannot be asked.
 */
export function localFires(schedule: Cadence, after: Date, until: Date, cap: number): MissedRuns {
  if (!(after < until)) return { count: 0, capped: false };
  if (typeof schedule !== 'number' && schedule.every === undefined) return missedCronFires(schedule, after, until, cap);
  const everyMs = typeof schedule === 'number' ? schedule : (durationMs(schedule.every ?? '') ?? 0);
  if (!(everyMs > 0)) return { count: 0, capped: false };
  const first = (Math.floor(after.getTime() / everyMs) + 1) * everyMs;
  if (first > until.getTime()) return { count: 0, capped: false };
  const count = Math.floor((until.getTime() - first) / everyMs) + 1;
  return { count: Math.min(count, cap), capped: count > cap, firstAt: new Date(first) };
}

/**
 * How many times the schedule fired after `lastCompletedAt` and at least `graceMs` before `now`
 * (a run that started on a fire within the grace may still be finishing), counted locally (localFires).
 */
export function missedRuns(schedule: Cadence, lastCompletedAt: Date, now: Date, options: { graceMs?: number; cap?: number } = {}): MissedRuns {
  return localFires(schedule, lastCompletedAt, new Date(now.getTime() - (options.graceMs ?? STALE_GRACE_MS)), options.cap ?? MISSED_RUNS_CAP);
}

/** localFires as a FireCounter. */
export function localFireCounter(schedule: Cadence): FireCounter {
  return async (after, until, cap) => localFires(schedule, after, until, cap);
}
