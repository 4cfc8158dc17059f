import { loadProject } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import type { CalendarSpecDescription, ScheduleDescription } from '@temporalio/client';
import { cronOfCalendar, desiredSchedules, resumedAtOfNote, resumedNote, shapeOfDescription, shapeOfOptions, syncScheduleOptions } from '../../src/temporal/schedules';
import { calendarShapeOfCron, isNoop, planSchedules, shapeDifferences } from '../../src/temporal/schedulesDiff';
import { PROJECT, SYNC, writeProject } from '../support/configProject';

function projectWith(syncs: Record<string, string>) {
  return writeProject({ 'backflow.yaml': PROJECT, ...Object.fromEntries(Object.entries(syncs).map(([name, text]) => [`syncs/${name}.yaml`, text])) });
}

function issuesOf(schedule: string): string[] {
  try {
    loadProject(projectWith({ accounts: `${SYNC}schedule: ${schedule}\n` }));
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.file}: ${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('schedule: in a sync (config)', () => {
  it('accepts an interval and a cron with timezone; overlap defaults to skip', () => {
    const project = loadProject(projectWith({ a: `${SYNC}schedule: { every: 15m }\n`, b: `${SYNC}schedule: { cron: "0 * * * *", timezone: Europe/Paris, overlap: buffer_one }\n` }));
    expect(project.syncs.get('a')?.schedule).toEqual({ every: '15m', overlap: 'skip' });
    expect(project.syncs.get('b')?.schedule).toEqual({ cron: '0 * * * *', timezone: 'Europe/Paris', overlap: 'buffer_one' });
  });

  it.each(['0 22-22 * * *', '0 0 * * 5-7', '0 0 * * 0-7'])('accepts the cron "%s" (ranges that run upwards, 7 is Sunday)', (cron) => {
    expect(issuesOf(`{ cron: "${cron}" }`)).toEqual([]);
  });

  it.each(['*/15 9-17 * * MON-FRI', '0 9 * JAN,jul sun', '0 0 1 Dec Sat'])('accepts month and day names, as Temporal does: "%s"', (cron) => {
    expect(issuesOf(`{ cron: "${cron}" }`)).toEqual([]);
  });

  it('reads names as the numbers Temporal reads them as, and still refuses what is no name', () => {
    expect(calendarShapeOfCron('*/15 9-17 * * MON-FRI')).toEqual(calendarShapeOfCron('*/15 9-17 * * 1-5'));
    expect(calendarShapeOfCron('0 9 * JAN,jul sun')).toEqual(calendarShapeOfCron('0 9 * 1,7 0'));
    expect(issuesOf('{ cron: "0 9 * * FRI-MON" }')).toEqual([expect.stringContaining('day of week range 5-1 ends before it starts')]);
    expect(issuesOf('{ cron: "0 9 * * WEEKDAYS" }')).toEqual([expect.stringContaining('day of week field "WEEKDAYS" is not a number')]);
    // Real dates: February 29, the 31st of the months that have one, the 30th with any month but February.
    for (const cron of ['0 0 29 2 *', '0 0 31 1-12 *', '0 0 30 */2 *', '0 0 31 2 1']) expect(issuesOf(`{ cron: "${cron}" }`)).toEqual([]);
    expect(issuesOf('{ cron: "0 MON * * *" }')).toEqual([expect.stringContaining('hour field "MON" is not a number')]);
  });

  it.each([
    ['{ every: 15 minutes }', 'syncs/accounts.yaml: schedule.every: must be a duration like 30s, 15m, 1h or 2d'],
    ['{ every: 0m }', 'syncs/accounts.yaml: schedule.every: must be longer than 0'],
    ['{ cron: "61 * * * *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "61 * * * *": minute 61 is out of range 0-59'],
    ['{ cron: "0 * * *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "0 * * *": must have 5 fields'],
    // Ranges that wrap around: Temporal refuses them at apply ("Hour End is before Start").
    ['{ cron: "0 22-2 * * *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "0 22-2 * * *": hour range 22-2 ends before it starts; write 22-23,0-2'],
    ['{ cron: "* * * * 5-1" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "* * * * 5-1": day of week range 5-1 ends before it starts; write 5-6,0-1'],
    ['{ cron: "0 0 1 12-1 *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "0 0 1 12-1 *": month range 12-1 ends before it starts; write 12,1'],
    ['{ cron: "0 22-2/2 * * *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "0 22-2/2 * * *": hour range 22-2 ends before it starts'],
    // Valid fields that name no real date: Temporal takes them and never runs the sync.
    ['{ cron: "0 0 30 2 *" }', 'invalid cron "0 0 30 2 *": day of month 30 falls in none of month 2: the schedule would never run'],
    ['{ cron: "0 0 31 4,6,9,11 *" }', 'day of month 31 falls in none of month 4,6,9,11: the schedule would never run'],
    // Every problem at once, each field as written (not as rewritten to numbers).
    ['{ cron: "61 25 * * MON-FRY" }', 'minute 61 is out of range 0-59; hour 25 is out of range 0-23; day of week field "MON-FRY" is not a number, range, list, step or *'],
    ['{ cron: "0 * * * *", timezone: Mars/Olympus }', 'syncs/accounts.yaml: schedule.timezone: unknown timezone "Mars/Olympus"'],
    // Node knows these in any case; Temporal (the IANA database) does not.
    ['{ cron: "0 * * * *", timezone: utc }', 'syncs/accounts.yaml: schedule.timezone: time zone names are case-sensitive (Temporal reads the IANA database): write "UTC", not "utc"'],
    ['{ cron: "0 * * * *", timezone: europe/paris }', 'write "Europe/Paris", not "europe/paris"'],
    ['{ every: 15m, timezone: Europe/Paris }', 'syncs/accounts.yaml: schedule.timezone: timezone applies only to cron'],
    ['{ every: 15m, cron: "0 * * * *" }', 'syncs/accounts.yaml: schedule: give either every'],
    ['{ every: 15m, overlap: sometimes }', 'syncs/accounts.yaml: schedule.overlap:'],
  ])('rejects %s with file and path', (schedule, message) => {
    expect(issuesOf(schedule)).toEqual([expect.stringContaining(message)]);
  });
});

describe('planSchedules (config vs cluster)', () => {
  const want = (scheduleId: string, hash = 'h1') => ({ scheduleId, hash });
  const ours = (scheduleId: string, hash = 'h1') => ({ scheduleId, managed: true, taskQueue: 'q', hash });

  it('creates missing, updates changed, keeps equal, deletes backflow schedules the config no longer names', () => {
    const plan = planSchedules(
      [want('backflow:new'), want('backflow:changed', 'h2'), want('backflow:same')],
      [ours('backflow:changed'), ours('backflow:same'), ours('backflow:gone')],
      'q',
    );
    expect(plan).toEqual({
      create: ['backflow:new'],
      update: ['backflow:changed'],
      delete: ['backflow:gone'],
      unchanged: ['backflow:same'],
      conflicts: [],
      heldByOtherTaskQueue: [],
      drifted: [],
    });
    expect(isNoop(plan)).toBe(false);
  });

  it('never updates or deletes a schedule backflow did not create', () => {
    const plan = planSchedules([want('backflow:taken')], [
      { scheduleId: 'backflow:taken', managed: false },
      { scheduleId: 'someone-elses', managed: false },
    ], 'q');
    expect(plan).toEqual({ create: [], update: [], delete: [], unchanged: [], conflicts: ['backflow:taken'], heldByOtherTaskQueue: [], drifted: [] });
  });

  it("never updates or deletes another task queue's schedule: a shared id is reported with its queue", () => {
    const theirs = (scheduleId: string, taskQueue = 'other') => ({ scheduleId, managed: true, taskQueue, hash: 'h0' });
    const plan = planSchedules([want('backflow:shared'), want('backflow:mine')], [theirs('backflow:shared'), theirs('backflow:only_theirs'), ours('backflow:mine')], 'q');
    expect(plan).toEqual({
      create: [],
      update: [],
      delete: [],
      unchanged: ['backflow:mine'],
      conflicts: [],
      heldByOtherTaskQueue: [{ scheduleId: 'backflow:shared', taskQueue: 'other' }],
      drifted: [],
    });
  });

  it('is a no-op when the cluster matches', () => {
    const plan = planSchedules([want('backflow:a')], [ours('backflow:a')], 'q');
    expect(isNoop(plan)).toBe(true);
  });
});

describe('what a schedule is built from', () => {
  const spec = loadProject(projectWith({ accounts: `${SYNC}schedule: { every: 15m }\n` })).syncs.get('accounts');

  it('starts syncWorkflow with a readable id, SKIP overlap, the BackflowSync attribute and the backflow marker', () => {
    if (!spec?.schedule) throw new Error('fixture has a schedule');
    const { options } = syncScheduleOptions({ ...spec, schedule: spec.schedule }, 'backflow');
    expect(options).toMatchObject({
      scheduleId: 'backflow:accounts',
      spec: { intervals: [{ every: 900_000 }] },
      action: { workflowType: 'syncWorkflow', workflowId: 'sync:accounts:scheduled', taskQueue: 'backflow', args: [{ sync: 'accounts' }] },
      policies: { overlap: 'SKIP' },
      memo: { backflow: { kind: 'sync', sync: 'accounts', taskQueue: 'backflow' } },
    });
  });

  it('hashes what matters: same config same hash; another interval or task queue another hash', () => {
    if (!spec?.schedule) throw new Error('fixture has a schedule');
    const hash = (every: string, queue: string) => syncScheduleOptions({ ...spec, schedule: { every, overlap: 'skip' } }, queue).hash;
    expect(hash('15m', 'q')).toBe(hash('15m', 'q'));
    expect(hash('30m', 'q')).not.toBe(hash('15m', 'q'));
    expect(hash('15m', 'other')).not.toBe(hash('15m', 'q'));
  });

  it("wants one schedule per scheduled sync plus the task queue's maintenance schedule", () => {
    const project = loadProject(projectWith({ a: `${SYNC}schedule: { every: 1h }\n`, b: SYNC }));
    expect([...desiredSchedules(project, 'q').keys()].sort()).toEqual(['backflow-maintenance:q', 'backflow:a']);
    expect(desiredSchedules(project, 'q').get('backflow-maintenance:q')?.options).toMatchObject({
      action: { workflowType: 'maintenanceWorkflow', workflowId: 'backflow:maintenance:q', taskQueue: 'q' },
      memo: { backflow: { kind: 'maintenance', taskQueue: 'q' } },
    });
  });
});

describe('cronOfCalendar (schedules list)', () => {
  // Calendars as a Temporal 1.29 dev server describes what the cron became (its text is not kept).
  const all = <T>(start: T, end: T, step = 1) => [{ start, end, step }];
  const calendar = (fields: Partial<CalendarSpecDescription>): CalendarSpecDescription => ({
    second: all(0, 0),
    minute: all(0, 59),
    hour: all(0, 23),
    dayOfMonth: all(1, 31),
    month: all('JANUARY', 'DECEMBER'),
    year: [],
    dayOfWeek: all('SUNDAY', 'SATURDAY'),
    comment: '',
    ...fields,
  });

  it.each([
    ['0 * * * *', calendar({ minute: all(0, 0) })],
    ['*/15 9-17 * * 1-5', calendar({ minute: all(0, 59, 15), hour: all(9, 17), dayOfWeek: all('MONDAY', 'FRIDAY') })],
    ['5-59/15 0 1,15 1-3 *', calendar({ minute: all(5, 59, 15), hour: all(0, 0), dayOfMonth: [...all(1, 1), ...all(15, 15)], month: all('JANUARY', 'MARCH') })],
    ['0 0 * * 0', calendar({ minute: all(0, 0), hour: all(0, 0), dayOfWeek: all('SUNDAY', 'SUNDAY') })],
    // `0 9 * * 0,7`: Temporal keeps Sunday twice (it showed `0,0`).
    ['0 9 * * 0', calendar({ minute: all(0, 0), hour: all(9, 9), dayOfWeek: [...all('SUNDAY' as const, 'SUNDAY' as const), ...all('SUNDAY' as const, 'SUNDAY' as const)] })],
    ['0 0 1 12 *', calendar({ minute: all(0, 0), hour: all(0, 0), dayOfMonth: all(1, 1), month: all('DECEMBER', 'DECEMBER') })],
  ])('writes %s back', (cron, described) => {
    expect(cronOfCalendar(described)).toBe(cron);
  });

  it('has no cron for a calendar with seconds or years (backflow never writes one)', () => {
    expect(cronOfCalendar(calendar({ second: all(30, 30) }))).toBeUndefined();
    expect(cronOfCalendar(calendar({ year: all(2030, 2030) }))).toBeUndefined();
  });
});

describe('drift: the schedule on the cluster against the config, whatever the memo hash says', () => {
  const all = <T>(start: T, end: T, step = 1) => [{ start, end, step }];
  // A schedule as a Temporal 1.29 dev server describes it (crons come back as calendars, durations in ms).
  const described = (over: { spec?: Partial<ScheduleDescription['spec']>; action?: Partial<ScheduleDescription['action']>; overlap?: string } = {}) =>
    ({
      spec: { calendars: [], intervals: [], skip: [], timezone: '', ...over.spec },
      action: {
        type: 'startWorkflow',
        workflowType: 'syncWorkflow',
        workflowId: 'sync:accounts:scheduled',
        taskQueue: 'q',
        args: [{ sync: 'accounts' }],
        typedSearchAttributes: [{ key: { name: 'BackflowSync', type: 'KEYWORD' }, value: 'accounts' }],
        ...over.action,
      },
      policies: { overlap: over.overlap ?? 'SKIP', catchupWindow: 31_536_000_000, pauseOnFailure: false },
    }) as unknown as ScheduleDescription;
  const wanted = (schedule: Record<string, unknown>) => shapeOfOptions(syncScheduleOptions({ name: 'accounts', schedule: { overlap: 'skip', ...schedule } }, 'q').options);

  it('an every schedule as Temporal returns it matches its config; another interval or task queue does not', () => {
    const want = wanted({ every: '1h' });
    expect(shapeDifferences(want, shapeOfDescription(described({ spec: { intervals: [{ every: 3_600_000, offset: 0 }] } })))).toEqual([]);
    // The reviewer's case: changed by hand to every 1d, its runs sent to a queue no worker polls.
    const edited = described({ spec: { intervals: [{ every: 86_400_000, offset: 0 }] }, action: { taskQueue: 'typo-queue' } });
    expect(shapeDifferences(want, shapeOfDescription(edited))).toEqual(['spec.intervals', 'action.taskQueue']);
  });

  it('a jitter, a start or end time, or skipped times set by hand are drift: backflow never sets them', () => {
    const want = wanted({ every: '1h' });
    const every = { intervals: [{ every: 3_600_000, offset: 0 }] };
    const edited = described({
      spec: { ...every, jitter: 600_000, endAt: new Date('2026-12-01T00:00:00Z'), skip: [{ dayOfWeek: [{ start: 'SATURDAY', end: 'SUNDAY', step: 1 }] }] },
    } as never);
    expect(shapeDifferences(want, shapeOfDescription(edited))).toEqual(['spec.jitterMs', 'spec.endAt', 'spec.skip']);
    expect(shapeDifferences(want, shapeOfDescription(described({ spec: { ...every, startAt: new Date('2026-01-01T00:00:00Z') } })))).toEqual(['spec.startAt']);
  });

  it('a cron matches the calendar Temporal parsed it into, in its time zone; another hour, zone or overlap does not', () => {
    const calendar = (hour: number, days: [string, string]) =>
      ({
        second: all(0, 0),
        minute: all(0, 59, 15),
        hour: all(hour, 17),
        dayOfMonth: all(1, 31),
        month: all('JANUARY', 'DECEMBER'),
        year: [],
        dayOfWeek: all(...days),
        comment: '',
      }) as unknown as CalendarSpecDescription;
    const want = wanted({ cron: '*/15 9-17 * * 1-5', timezone: 'Europe/Paris' });
    const have = (hour = 9, timezone = 'Europe/Paris', overlap = 'SKIP') =>
      shapeOfDescription(described({ spec: { calendars: [calendar(hour, ['MONDAY', 'FRIDAY'])], timezone }, overlap }));
    expect(shapeDifferences(want, have())).toEqual([]);
    expect(shapeDifferences(want, have(8))).toEqual(['spec.calendars']);
    expect(shapeDifferences(want, have(9, 'UTC'))).toEqual(['spec.timezone']);
    expect(shapeDifferences(want, have(9, 'Europe/Paris', 'ALLOW_ALL'))).toEqual(['policies.overlap']);
  });

  it('reads crons the way Temporal does: shorthands, steps from a start, 7 as Sunday', () => {
    expect(calendarShapeOfCron('@daily')).toEqual(calendarShapeOfCron('0 0 * * *'));
    expect(calendarShapeOfCron('5/20 * * * *')?.minute).toEqual([5, 25, 45]);
    expect(calendarShapeOfCron('0 0 * * 7')?.dayOfWeek).toEqual([0]);
    expect(calendarShapeOfCron('0 0 * * 1-7')?.dayOfWeek).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(calendarShapeOfCron('0 0 L * *')).toBeUndefined();
  });

  it('updates a schedule whose hash matches but which differs on the cluster, and says what differs', () => {
    const want = wanted({ every: '1h' });
    const have = shapeOfDescription(described({ spec: { intervals: [{ every: 86_400_000, offset: 0 }] }, action: { taskQueue: 'typo-queue' } }));
    const plan = planSchedules([{ scheduleId: 'backflow:accounts', hash: 'h1', shape: want }], [{ scheduleId: 'backflow:accounts', managed: true, taskQueue: 'q', hash: 'h1', shape: have }], 'q');
    expect(plan).toMatchObject({ update: ['backflow:accounts'], unchanged: [], drifted: [{ scheduleId: 'backflow:accounts', differences: ['spec.intervals', 'action.taskQueue'] }] });
    expect(isNoop(plan)).toBe(false);
  });

  it('does not call an edit of the sync\'s schedule a change on the cluster', () => {
    const want = wanted({ every: '30m' });
    const have = shapeOfDescription(described({ spec: { intervals: [{ every: 3_600_000, offset: 0 }] } }));
    const plan = planSchedules([{ scheduleId: 'backflow:accounts', hash: 'h2', shape: want }], [{ scheduleId: 'backflow:accounts', managed: true, taskQueue: 'q', hash: 'h1', shape: have }], 'q');
    expect(plan).toMatchObject({ update: ['backflow:accounts'], drifted: [] });
  });
});

describe('the resume note (Temporal keeps no resume time)', () => {
  it('reads back the time backflow wrote, whether it resumed the schedule or first saw it resumed', () => {
    const at = new Date('2026-11-26T14:10:00.000Z');
    expect(resumedAtOfNote(resumedNote(at))).toEqual(at);
    expect(resumedAtOfNote(resumedNote(at, false))).toEqual(at);
    expect(resumedAtOfNote('Unpaused via Temporal UI')).toBeUndefined();
    expect(resumedAtOfNote('')).toBeUndefined();
  });
});
