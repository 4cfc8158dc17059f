import { loadProject } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import { desiredSchedules, MAINTENANCE_SCHEDULE_ID, syncScheduleOptions } from '../../src/temporal/schedules';
import { isNoop, planSchedules } from '../../src/temporal/schedulesDiff';
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

  it.each([
    ['{ every: 15 minutes }', 'syncs/accounts.yaml: schedule.every: must be a duration like 30s, 15m, 1h or 2d'],
    ['{ every: 0m }', 'syncs/accounts.yaml: schedule.every: must be longer than 0'],
    ['{ cron: "61 * * * *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "61 * * * *": minute 61 is out of range 0-59'],
    ['{ cron: "0 * * *" }', 'syncs/accounts.yaml: schedule.cron: invalid cron "0 * * *": must have 5 fields'],
    ['{ cron: "0 * * * *", timezone: Mars/Olympus }', 'syncs/accounts.yaml: schedule.timezone: unknown timezone "Mars/Olympus"'],
    ['{ every: 15m, timezone: Europe/Paris }', 'syncs/accounts.yaml: schedule.timezone: timezone applies only to cron'],
    ['{ every: 15m, cron: "0 * * * *" }', 'syncs/accounts.yaml: schedule: give either every'],
    ['{ every: 15m, overlap: sometimes }', 'syncs/accounts.yaml: schedule.overlap:'],
  ])('rejects %s with file and path', (schedule, message) => {
    expect(issuesOf(schedule)).toEqual([expect.stringContaining(message)]);
  });
});

describe('planSchedules (config vs cluster)', () => {
  const want = (scheduleId: string, hash = 'h1') => ({ scheduleId, hash });

  it('creates missing, updates changed, keeps equal, deletes backflow schedules the config no longer names', () => {
    const plan = planSchedules(
      [want('backflow:new'), want('backflow:changed', 'h2'), want('backflow:same')],
      [
        { scheduleId: 'backflow:changed', managed: true, hash: 'h1' },
        { scheduleId: 'backflow:same', managed: true, hash: 'h1' },
        { scheduleId: 'backflow:gone', managed: true, hash: 'h1' },
      ],
    );
    expect(plan).toEqual({ create: ['backflow:new'], update: ['backflow:changed'], delete: ['backflow:gone'], unchanged: ['backflow:same'], conflicts: [] });
    expect(isNoop(plan)).toBe(false);
  });

  it('never updates or deletes a schedule backflow did not create', () => {
    const plan = planSchedules([want('backflow:taken')], [
      { scheduleId: 'backflow:taken', managed: false },
      { scheduleId: 'someone-elses', managed: false },
    ]);
    expect(plan).toEqual({ create: [], update: [], delete: [], unchanged: [], conflicts: ['backflow:taken'] });
  });

  it('is a no-op when the cluster matches', () => {
    const plan = planSchedules([want('backflow:a')], [{ scheduleId: 'backflow:a', managed: true, hash: 'h1' }]);
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
      memo: { backflow: { kind: 'sync', sync: 'accounts' } },
    });
  });

  it('hashes what matters: same config same hash; another interval or task queue another hash', () => {
    if (!spec?.schedule) throw new Error('fixture has a schedule');
    const hash = (every: string, queue: string) => syncScheduleOptions({ ...spec, schedule: { every, overlap: 'skip' } }, queue).hash;
    expect(hash('15m', 'q')).toBe(hash('15m', 'q'));
    expect(hash('30m', 'q')).not.toBe(hash('15m', 'q'));
    expect(hash('15m', 'other')).not.toBe(hash('15m', 'q'));
  });

  it('wants one schedule per scheduled sync plus the maintenance schedule', () => {
    const project = loadProject(projectWith({ a: `${SYNC}schedule: { every: 1h }\n`, b: SYNC }));
    expect([...desiredSchedules(project, 'q').keys()].sort()).toEqual(['backflow-maintenance', 'backflow:a']);
    expect(MAINTENANCE_SCHEDULE_ID).toBe('backflow-maintenance');
  });
});
