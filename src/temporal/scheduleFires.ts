import type { Client } from '@temporalio/client';
import { msNumberToTs, tsToDate } from '@temporalio/common/lib/time';
import type { FireCounter, MissedRuns } from './missedRuns';

/** Some of a schedule's fire times after `after` and up to `until`, from the first; none when none are left. */
export type FirePage = (after: Date, until: Date) => Promise<readonly Date[]>;

/**
 * Counts the fire times of `(after, until]`, `cap` at most, one page after another: each page starts
 * after the last time of the one before, so however the server limits a page (Temporal lists 1,000
 * times at most a call), the count is exact up to the cap, and a schedule that fired more than the
 * cap in the window costs `cap / page size + 1` calls at most.
 */
export async function countPagedFires(page: FirePage, after: Date, until: Date, cap: number): Promise<MissedRuns> {
  let count = 0;
  let firstAt: Date | undefined;
  let from = after;
  for (;;) {
    // Only times past the last page and within the window count: each page moves `from` on, so this ends.
    const fires = (await page(from, until)).filter((fire) => fire > from && fire <= until).sort((a, b) => a.getTime() - b.getTime());
    const last = fires.at(-1);
    if (last === undefined) return { count, capped: false, ...(firstAt ? { firstAt } : {}) };
    firstAt ??= fires[0];
    if (count + fires.length > cap) return { count: cap, capped: true, ...(firstAt ? { firstAt } : {}) };
    count += fires.length;
    from = last;
  }
}

/**
 * The schedule's fire times as Temporal itself computes them (ListScheduleMatchingTimes): its cron in
 * its timezone across DST changes (a time that never comes is skipped, a repeated hour fires twice),
 * its intervals with their phase, its start and end times, exclusions and jitter.
 */
export function temporalFireCounter(client: Client, scheduleId: string): FireCounter {
  const page: FirePage = async (after, until) => {
    const { startTime } = await client.workflowService.listScheduleMatchingTimes({
      namespace: client.options.namespace,
      scheduleId,
      startTime: msNumberToTs(after.getTime()),
      endTime: msNumberToTs(until.getTime()),
    });
    return (startTime ?? []).map(tsToDate);
  };
  return (after, until, cap) => countPagedFires(page, after, until, cap);
}
