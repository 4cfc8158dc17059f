import { observeStaleness } from '../../src/ops/incidents';
import { missedRuns, type Cadence } from '../../src/temporal/missedRuns';

// 2024-06-03 is a Monday; 2024-06-07 a Friday.
const at = (iso: string) => new Date(iso);
const BUSINESS_HOURS = { cron: '*/15 9-17 * * 1-5' };
const TWICE_A_DAY = { cron: '0 9,17 * * *' };

async function stale(schedule: Cadence, lastSuccessAt: string, now: string, staleAfter = 3): Promise<boolean> {
  return (await observeStaleness({ schedule, lastSuccessAt, since: '2024-01-01T00:00:00.000Z', staleAfter, now: at(now) })).active;
}

describe('a business-hours cron (*/15 9-17 * * 1-5)', () => {
  it('is not stale in the evening after its last run of the day', async () => {
    expect(missedRuns(BUSINESS_HOURS, at('2024-06-03T17:45:30Z'), at('2024-06-03T19:00:00Z')).count).toBe(0);
    expect(await stale(BUSINESS_HOURS, '2024-06-03T17:45:30Z', '2024-06-03T19:00:00Z')).toBe(false);
  });

  it('is not stale over the weekend', async () => {
    expect(await stale(BUSINESS_HOURS, '2024-06-07T17:45:30Z', '2024-06-09T12:00:00Z')).toBe(false);
    expect(await stale(BUSINESS_HOURS, '2024-06-07T17:45:30Z', '2024-06-10T08:59:00Z')).toBe(false);
  });

  it('is stale on Monday once three fires (9:00, 9:15, 9:30) went by without a run', async () => {
    expect(await stale(BUSINESS_HOURS, '2024-06-07T17:45:30Z', '2024-06-10T09:20:00Z')).toBe(false);
    // 9:30's run may still be finishing within the grace.
    expect(await stale(BUSINESS_HOURS, '2024-06-07T17:45:30Z', '2024-06-10T09:30:30Z')).toBe(false);
    expect(await stale(BUSINESS_HOURS, '2024-06-07T17:45:30Z', '2024-06-10T10:00:00Z')).toBe(true);
    expect(missedRuns(BUSINESS_HOURS, at('2024-06-07T17:45:30Z'), at('2024-06-10T10:00:00Z'))).toEqual({
      count: 4,
      capped: false,
      firstAt: at('2024-06-10T09:00:00Z'),
    });
  });

  it('says how many scheduled runs were missed since when', async () => {
    const observed = await observeStaleness({ schedule: BUSINESS_HOURS, lastSuccessAt: '2024-06-07T17:45:30.000Z', since: '2024-01-01T00:00:00.000Z', staleAfter: 3, now: at('2024-06-10T10:00:00Z') });
    expect(observed.detail).toBe('missed 4 scheduled runs since the last success at 2024-06-07T17:45:30.000Z; alerts at 3');
  });
});

describe('the same business hours written with day names (*/15 9-17 * * MON-FRI)', () => {
  it('misses the same fires as 1-5', async () => {
    const named = { cron: '*/15 9-17 * * MON-FRI' };
    expect(missedRuns(named, at('2024-06-07T17:45:30Z'), at('2024-06-10T10:00:00Z'))).toEqual(missedRuns(BUSINESS_HOURS, at('2024-06-07T17:45:30Z'), at('2024-06-10T10:00:00Z')));
    expect(await stale(named, '2024-06-07T17:45:30Z', '2024-06-09T12:00:00Z')).toBe(false);
  });
});

describe('0 9,17 * * * (gaps of 8 h and 16 h, not 12 h)', () => {
  it('is not stale overnight, 15 h after the 17:00 run, with staleAfter 1', async () => {
    expect(await stale(TWICE_A_DAY, '2024-06-03T17:00:30Z', '2024-06-04T08:00:00Z', 1)).toBe(false);
    expect(await stale(TWICE_A_DAY, '2024-06-03T17:00:30Z', '2024-06-04T09:05:00Z', 1)).toBe(true);
  });

  it('is stale 8 h after the 9:00 run when 17:00 was missed, with staleAfter 1', async () => {
    expect(await stale(TWICE_A_DAY, '2024-06-04T09:00:30Z', '2024-06-04T16:59:00Z', 1)).toBe(false);
    expect(await stale(TWICE_A_DAY, '2024-06-04T09:00:30Z', '2024-06-04T17:05:00Z', 1)).toBe(true);
  });

  it('counts both fires of a day', () => {
    expect(missedRuns(TWICE_A_DAY, at('2024-06-03T17:00:30Z'), at('2024-06-05T10:00:00Z')).count).toBe(3);
  });
});

describe('a cron in its timezone', () => {
  const PARIS_MORNINGS = { cron: '0 9 * * 1-5', timezone: 'Europe/Paris' };

  it('fires at 9:00 Paris time (07:00 UTC in summer)', async () => {
    expect(missedRuns(PARIS_MORNINGS, at('2024-06-03T07:00:30Z'), at('2024-06-04T07:30:00Z'))).toEqual({
      count: 1,
      capped: false,
      firstAt: at('2024-06-04T07:00:00Z'),
    });
    expect(await stale(PARIS_MORNINGS, '2024-06-03T07:00:30Z', '2024-06-04T07:30:00Z', 1)).toBe(true);
    // Read as UTC, the 9:00 fire would still be ahead.
    expect(await stale({ cron: '0 9 * * 1-5' }, '2024-06-03T09:00:30Z', '2024-06-04T07:30:00Z', 1)).toBe(false);
  });

  it('keeps to local time across the DST change (08:00 UTC in winter)', () => {
    // Paris leaves summer time on 2024-10-27: Friday's 9:00 is 07:00Z, Monday's 08:00Z.
    expect(missedRuns(PARIS_MORNINGS, at('2024-10-25T07:00:30Z'), at('2024-10-28T07:59:00Z')).count).toBe(0);
    expect(missedRuns(PARIS_MORNINGS, at('2024-10-25T07:00:30Z'), at('2024-10-28T08:01:30Z')).count).toBe(1);
  });
});

describe('every: 15m', () => {
  const EVERY = { every: '15m' };

  it('is stale once three 15-minute fires went by', async () => {
    expect(await stale(EVERY, '2025-01-01T00:00:00.000Z', '2025-01-01T00:44:00Z')).toBe(false);
    expect(await stale(EVERY, '2025-01-01T00:00:00.000Z', '2025-01-01T00:46:00Z')).toBe(true);
  });

  it('fires on multiples of the interval, as Temporal does: a manual run at :07 does not move them', async () => {
    expect(missedRuns(EVERY, at('2025-01-01T00:07:00Z'), at('2025-01-01T00:46:00Z'))).toEqual({ count: 3, capped: false, firstAt: at('2025-01-01T00:15:00Z') });
    expect(missedRuns(15 * 60_000, at('2025-01-01T00:07:00Z'), at('2025-01-01T00:46:00Z')).count).toBe(3);
    expect(await stale(EVERY, '2025-01-01T00:07:00Z', '2025-01-01T00:46:00Z')).toBe(true);
  });
});

describe('missedRuns', () => {
  it('leaves out fires within the grace (a run that may still be finishing)', () => {
    const last = at('2024-06-03T17:00:30Z');
    expect(missedRuns(TWICE_A_DAY, last, at('2024-06-04T09:20:00Z'), { graceMs: 30 * 60_000 }).count).toBe(0);
    expect(missedRuns(TWICE_A_DAY, last, at('2024-06-04T09:31:00Z'), { graceMs: 30 * 60_000 }).count).toBe(1);
  });

  it('ANDs day of month and day of week, as Temporal does (Friday the 13th only)', () => {
    const fires = missedRuns({ cron: '0 9 13 * 5' }, at('2024-06-01T00:00:00Z'), at('2024-12-31T00:00:00Z'));
    expect(fires).toEqual({ count: 2, capped: false, firstAt: at('2024-09-13T09:00:00Z') });
  });

  it.each([
    ['@hourly', '2024-06-03T00:30:00Z', '2024-06-03T05:30:00Z', 5],
    ['@daily', '2024-06-03T00:30:00Z', '2024-06-06T00:30:00Z', 3],
    ['@midnight', '2024-06-03T00:30:00Z', '2024-06-06T00:30:00Z', 3],
    ['@weekly', '2024-06-03T00:30:00Z', '2024-06-30T00:30:00Z', 4],
    ['@monthly', '2024-06-03T00:30:00Z', '2024-09-03T00:30:00Z', 3],
    ['@yearly', '2024-06-03T00:30:00Z', '2026-06-03T00:30:00Z', 2],
    ['@annually', '2024-06-03T00:30:00Z', '2026-06-03T00:30:00Z', 2],
    ['5/15 * * * *', '2024-06-03T00:00:00Z', '2024-06-03T01:00:00Z', 4],
    ['0 1-6/2 * 1-12/3 0-7', '2024-07-01T00:00:00Z', '2024-07-02T00:00:00Z', 3],
    ['0 9 * * 7', '2024-06-03T00:00:00Z', '2024-06-17T00:00:00Z', 2],
    ['0 0 31 2 *', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 0],
  ])('reads %s as config accepts it', (cron, from, to, count) => {
    expect(missedRuns({ cron }, at(from), at(to)).count).toBe(count);
  });

  it('stops counting at the cap', () => {
    expect(missedRuns({ cron: '* * * * *' }, at('2024-06-01T00:00:00Z'), at('2024-07-01T00:00:00Z'), { cap: 50 })).toMatchObject({ count: 50, capped: true });
    expect(missedRuns({ every: '1m' }, at('2024-06-01T00:00:00Z'), at('2024-07-01T00:00:00Z'), { cap: 50 })).toMatchObject({ count: 50, capped: true });
  });

  it('counts from the first run when no run ever succeeded', async () => {
    const observed = await observeStaleness({ schedule: { every: '15m' }, lastSuccessAt: undefined, since: '2025-01-01T00:00:10.000Z', staleAfter: 3, now: at('2025-01-01T01:00:00Z') });
    expect(observed).toEqual({
      kind: 'stale',
      active: true,
      detail: 'missed 3 scheduled runs since the first run at 2025-01-01T00:00:10.000Z (no successful run yet); alerts at 3',
    });
  });

  describe('after a pause: fires before the schedule was resumed were missed on purpose', () => {
    // Cron 0 6 * * *: last run Monday 2026-11-23 06:00, paused that morning, resumed Thursday 14:10.
    const DAILY = { cron: '0 6 * * *' };
    const base = { schedule: DAILY, lastSuccessAt: '2026-11-23T06:00:20.000Z', since: '2026-11-01T00:00:00.000Z', staleAfter: 3, resumedAt: '2026-11-26T14:10:00.000Z' };

    it('is not stale right after the resume, before its next fire', async () => {
      expect(await observeStaleness({ ...base, now: at('2026-11-26T15:00:00Z') })).toEqual({
        kind: 'stale',
        active: false,
        detail: 'missed 0 scheduled runs since the schedule was resumed at 2026-11-26T14:10:00.000Z (after the last success at 2026-11-23T06:00:20.000Z); alerts at 3',
      });
    });

    it('counts the fires after the resume: stale at the third missed one (Sunday), not before', async () => {
      expect((await observeStaleness({ ...base, now: at('2026-11-28T07:00:00Z') })).active).toBe(false);
      expect((await observeStaleness({ ...base, now: at('2026-11-29T07:00:00Z') })).active).toBe(true);
    });

    it('a resume before the last success changes nothing', async () => {
      const observed = await observeStaleness({ ...base, resumedAt: '2026-11-20T00:00:00.000Z', now: at('2026-11-26T15:00:00Z') });
      expect(observed).toMatchObject({ active: true, detail: 'missed 3 scheduled runs since the last success at 2026-11-23T06:00:20.000Z; alerts at 3' });
    });
  });

  describe('a schedule new or changed since the last success: fires it did not have were never due', () => {
    // Last run by hand Sunday 2026-11-22; a daily 09:00 schedule applied Friday 14:00:30.
    const base = { schedule: { cron: '0 9 * * *' }, lastSuccessAt: '2026-11-22T10:00:00.000Z', since: '2026-11-01T00:00:00.000Z', staleAfter: 3, scheduledAt: '2026-11-27T14:00:30.000Z' };

    it('is not stale at once (it alerted "missed 5" seconds after the schedule was created)', async () => {
      expect(await observeStaleness({ ...base, now: at('2026-11-27T14:05:00Z') })).toEqual({
        kind: 'stale',
        active: false,
        detail: 'missed 0 scheduled runs since the schedule took its present form at 2026-11-27T14:00:30.000Z (after the last success at 2026-11-22T10:00:00.000Z); alerts at 3',
      });
    });

    it('counts its own fires from then: stale at the third missed one', async () => {
      expect((await observeStaleness({ ...base, now: at('2026-11-29T10:00:00Z') })).active).toBe(false);
      expect((await observeStaleness({ ...base, now: at('2026-11-30T10:00:00Z') })).active).toBe(true);
    });

    it('takes the later of a resume and the change', async () => {
      expect((await observeStaleness({ ...base, resumedAt: '2026-11-28T08:00:00.000Z', now: at('2026-11-28T08:30:00Z') })).detail).toContain('since the schedule was resumed at 2026-11-28T08:00:00.000Z');
    });
  });
});

