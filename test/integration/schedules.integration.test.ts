import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { loadProject } from '../../src/config/load';
import { registerSearchAttributes } from '../../src/ops/searchAttributes';
import { scheduleFacts } from '../../src/temporal/scheduleFacts';
import type { CalendarSpecDescription } from '@temporalio/client';
import {
  applySchedules,
  backfillSchedule,
  cronOfCalendar,
  listSchedules,
  maintenanceScheduleIdFor,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
} from '../../src/temporal/schedules';
import { backflow, expectSucceeded } from '../support/cli';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';

const PROJECT = `version: 1
connections:
  warehouse: { type: duckdb, path: warehouse.duckdb }
  salesforce:
    type: salesforce
    instanceUrl: https://example.my.salesforce.com
    accessToken: \${env:SALESFORCE_ACCESS_TOKEN}
`;
const sync = (schedule?: string) => `source: warehouse
model: SELECT id, name FROM accounts
primaryKey: id
destination: { connection: salesforce, object: Account, externalIdField: External_Id__c }
mappings:
  - { from: name, to: Name }
${schedule ? `schedule: ${schedule}\n` : ''}`;

let temporal: TestTemporal;
let dir: string;
const taskQueue = uniqueTaskQueue('schedules');
const write = (file: string, text: string) => writeFileSync(path.join(dir, file), text);
const apply = () => applySchedules(temporal.client, loadProject(dir), { taskQueue });
const cliEnv = () => ({ TEMPORAL_ADDRESS: temporal.address, BACKFLOW_TASK_QUEUE: taskQueue, SALESFORCE_ACCESS_TOKEN: 'unused' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds of what `read` returns (Temporal applies triggers and lists asynchronously). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let attempt = 0; !done(value) && attempt < 100; attempt++) {
    await sleep(100);
    value = await read();
  }
  return value;
}

async function exists(scheduleId: string): Promise<boolean> {
  try {
    await temporal.client.schedule.getHandle(scheduleId).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

beforeAll(async () => {
  temporal = await connectTestTemporal();
  dir = mkdtempSync(path.join(tmpdir(), 'backflow-schedules-'));
  mkdirSync(path.join(dir, 'syncs'));
  write('backflow.yaml', PROJECT);
  write('syncs/sched_a.yaml', sync('{ every: 15m }'));
  write('syncs/sched_b.yaml', sync('{ cron: "0 * * * *", timezone: Europe/Paris }'));
  write('syncs/sched_c.yaml', sync());
});

afterAll(async () => {
  const ids = ['backflow:sched_a', 'backflow:sched_b', 'backflow:sched_taken', 'backflow:sched_trigger', 'backflow:sched_ok', 'backflow:sched_bad_tz'];
  ids.push('backflow:sched_q2', 'backflow:sched_legacy', 'backflow-maintenance', maintenanceScheduleIdFor(taskQueue), 'someone-elses');
  for (const id of ids) {
    await temporal.client.schedule.getHandle(id).delete().catch(() => undefined);
  }
  await temporal.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('backflow schedules', () => {
  it('apply creates what the config names, then has nothing to do', async () => {
    // A schedule someone else made: apply must never touch it.
    await temporal.client.schedule.create({
      scheduleId: 'someone-elses',
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: 'elsewhere' },
      state: { paused: true },
    });
    const maintenance = maintenanceScheduleIdFor(taskQueue);
    const first = await apply();
    expect(first).toMatchObject({ create: [maintenance, 'backflow:sched_a', 'backflow:sched_b'], update: [], delete: [], noop: false, failed: [] });
    const second = await apply();
    expect(second).toMatchObject({ create: [], update: [], delete: [], unchanged: [maintenance, 'backflow:sched_a', 'backflow:sched_b'], noop: true });

    const b = await temporal.client.schedule.getHandle('backflow:sched_b').describe();
    expect(b.spec.timezone).toBe('Europe/Paris');
    expect(b.policies.overlap).toBe('SKIP');
    expect(b.action).toMatchObject({ workflowType: 'syncWorkflow', workflowId: 'sync:sched_b:scheduled', taskQueue, args: [{ sync: 'sched_b' }] });

    // The CLI says the same on the same cluster.
    const cli = await backflow(['schedules', 'apply', '--json', '--project', dir], cliEnv());
    expectSucceeded(cli);
    expect(JSON.parse(cli.stdout)).toMatchObject({ noop: true, create: [], update: [], delete: [] });
  });

  it('list shows the cron a schedule was made from, not the calendar Temporal parsed it into', async () => {
    const listed = await eventually(() => listSchedules(temporal.client), (views) => views.some((s) => s.sync === 'sched_b'));
    expect(listed.find((s) => s.sync === 'sched_b')).toMatchObject({ when: 'cron 0 * * * * (Europe/Paris)', taskQueue });
  });

  it('pause and resume; apply keeps a paused schedule paused while updating it', async () => {
    await pauseSchedule(temporal.client, 'sched_a');
    expect((await listSchedules(temporal.client)).find((s) => s.sync === 'sched_a')).toMatchObject({ paused: true, when: 'every 15m' });
    write('syncs/sched_a.yaml', sync('{ every: 30m }'));
    expect(await apply()).toMatchObject({ create: [], update: ['backflow:sched_a'], delete: [] });
    const a = await temporal.client.schedule.getHandle('backflow:sched_a').describe();
    expect(a.state.paused).toBe(true);
    expect(a.spec.intervals).toEqual([expect.objectContaining({ every: 30 * 60_000 })]);
    expect((await apply()).noop).toBe(true);
    expect(await resumeSchedule(temporal.client, 'sched_a')).toBe(true);
    const resumed = await temporal.client.schedule.getHandle('backflow:sched_a').describe();
    expect(resumed.state.paused).toBe(false);
    // Not paused: a second resume changes nothing (its note would have told staleness "just resumed").
    expect(await resumeSchedule(temporal.client, 'sched_a', undefined, () => new Date('2030-01-01T00:00:00Z'))).toBe(false);
    expect((await temporal.client.schedule.getHandle('backflow:sched_a').describe()).state.note).toBe(resumed.state.note);
  });

  it('apply deletes backflow schedules whose sync or schedule is gone, never one it did not create', async () => {
    rmSync(path.join(dir, 'syncs/sched_b.yaml'));
    // An id backflow would use, held by a schedule backflow did not create: reported, left alone.
    await temporal.client.schedule.create({
      scheduleId: 'backflow:sched_taken',
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: 'elsewhere' },
      state: { paused: true },
    });
    write('syncs/sched_taken.yaml', sync('{ every: 1h }'));
    const result = await apply();
    expect(result).toMatchObject({ create: [], update: [], delete: ['backflow:sched_b'], conflicts: ['backflow:sched_taken'] });
    expect(await exists('backflow:sched_b')).toBe(false);
    expect(await exists('someone-elses')).toBe(true);
    expect((await temporal.client.schedule.getHandle('backflow:sched_taken').describe()).action.workflowType).toBe('somethingElse');
    rmSync(path.join(dir, 'syncs/sched_taken.yaml'));
  });

  it('refuses to delete every sync schedule when the project has no syncs at all (syncs/ renamed, a wrong folder)', async () => {
    renameSync(path.join(dir, 'syncs'), path.join(dir, 'sync'));
    try {
      await expect(apply()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('has no sync files under syncs/, so applying would delete all') as unknown });
      expect(await exists('backflow:sched_a')).toBe(true);
    } finally {
      renameSync(path.join(dir, 'sync'), path.join(dir, 'syncs'));
    }
  });

  it('trigger and backfill start runs with readable ids', async () => {
    await triggerSchedule(temporal.client, 'sched_a');
    const handle = temporal.client.schedule.getHandle('backflow:sched_a');
    let actions = (await handle.describe()).info.recentActions;
    for (let attempt = 0; actions.length === 0 && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      actions = (await handle.describe()).info.recentActions;
    }
    const workflowId = actions[0]?.action.workflow.workflowId ?? '';
    expect(workflowId).toMatch(/^sync:sched_a:scheduled-/);
    // No worker serves this queue: the run waits; stop it so backfill's first run is not skipped.
    await temporal.client.workflow.getHandle(workflowId).terminate('test');

    const now = Date.now();
    // Several fire times in the two hours, none skipped while the first runs.
    const skippedBefore = (await handle.describe()).info.numActionsSkippedOverlap;
    await backfillSchedule(temporal.client, 'sched_a', new Date(now - 150 * 60_000), new Date(now - 30 * 60_000 + 1));
    for (let attempt = 0; actions.length < 2 && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      actions = (await handle.describe()).info.recentActions;
    }
    expect(actions.length).toBeGreaterThanOrEqual(2);
    await sleep(500);
    expect((await handle.describe()).info.numActionsSkippedOverlap).toBe(skippedBefore);
    // The first backfilled run and those buffered behind it.
    for (let left = 0; left < 5; left++) {
      const running = (await handle.describe()).info.runningActions;
      if (running.length === 0) break;
      await Promise.all(running.map((run) => temporal.client.workflow.getHandle(run.workflow.workflowId).terminate('test').catch(() => undefined)));
      await sleep(300);
    }
    await expect(triggerSchedule(temporal.client, 'sched_c')).rejects.toThrow('sync sched_c has no schedule backflow:sched_c');
  });

  it('pause, resume, trigger and backfill of a name no sync has say so, with the syncs defined; of a sync without schedule:, how to add one', async () => {
    for (const action of [['pause'], ['resume'], ['trigger'], ['backfill', '--from', '2026-01-01', '--to', '2026-01-02']]) {
      const [verb, ...rest] = action as [string, ...string[]];
      const typo = await backflow(['schedules', verb, 'sched_aa', ...rest, '--project', dir], cliEnv());
      expect(typo.code).toBe(1);
      // Which syncs are defined by now depends on the tests before (one removes sched_b).
      expect(typo.stderr).toMatch(/^error: invalid configuration\n {2}syncs\/: no sync named "sched_aa" \(defined: sched_a, [^)]*sched_c[^)]*\)\n$/);
    }
    const unscheduled = await backflow(['schedules', 'trigger', 'sched_c', '--json', '--project', dir], cliEnv());
    expect([unscheduled.code, JSON.parse(unscheduled.stdout)]).toEqual([
      1,
      { error: { code: 'SCHEDULE_NOT_FOUND', message: 'sync sched_c has no schedule backflow:sched_c: add schedule: to its YAML and run backflow schedules apply' } },
    ]);
  });

  it('trigger with no worker polling the task queue says its run waits for one', async () => {
    const handle = temporal.client.schedule.getHandle('backflow:sched_a');
    const before = (await handle.describe()).info.recentActions.length;
    const cli = await backflow(['schedules', 'trigger', 'sched_a', '--project', dir], cliEnv());
    try {
      expectSucceeded(cli);
      expect(cli.stderr).toContain(
        `note: no worker is polling task queue ${taskQueue} on ${temporal.address} (namespace default): its run waits until one does; ` +
          'start `backflow worker` with the same TEMPORAL_ADDRESS and BACKFLOW_TASK_QUEUE',
      );
    } finally {
      // The triggered run waits on the queue: stop it, so later tests' triggers are not skipped.
      const started = await eventually(() => handle.describe(), (description) => description.info.recentActions.length > before);
      for (const run of started.info.runningActions) await temporal.client.workflow.getHandle(run.workflow.workflowId).terminate('test').catch(() => undefined);
    }
  });

  it("trigger keeps to the schedule's overlap policy: with a run still going, skip skips the second", async () => {
    // Once a year: only the triggers fire. No worker serves the queue, so the first run stays running.
    write('syncs/sched_trigger.yaml', sync('{ cron: "0 0 1 1 *", overlap: skip }'));
    expect((await apply()).create).toEqual(['backflow:sched_trigger']);
    const handle = temporal.client.schedule.getHandle('backflow:sched_trigger');
    const taken = (d: Awaited<ReturnType<typeof handle.describe>>) => d.info.recentActions.length + d.info.numActionsSkippedOverlap;

    expect(await triggerSchedule(temporal.client, 'sched_trigger')).toBe('SKIP');
    await eventually(() => handle.describe(), (d) => taken(d) >= 1);
    // Scheduled run ids end in the second they were taken at: keep the two triggers apart.
    await sleep(1_100);
    await triggerSchedule(temporal.client, 'sched_trigger');
    const after = await eventually(() => handle.describe(), (d) => taken(d) >= 2);

    expect(after.info.recentActions).toHaveLength(1);
    expect(after.info.runningActions).toHaveLength(1);
    expect(after.info.numActionsSkippedOverlap).toBe(1);
    for (const action of after.info.recentActions) {
      await temporal.client.workflow.getHandle(action.action.workflow.workflowId).terminate('test').catch(() => undefined);
    }
    await handle.delete();
    rmSync(path.join(dir, 'syncs/sched_trigger.yaml'));
  });

  it('apply carries on past a schedule Temporal refuses, names its sync, and the command exits 1', async () => {
    // `US/Pacific-New` passes validate (Node still knows it) but Temporal's time zone database no longer
    // does (IANA dropped it in 2020b): a refusal with no mock needed.
    write('syncs/sched_bad_tz.yaml', sync('{ cron: "0 * * * *", timezone: US/Pacific-New }'));
    write('syncs/sched_ok.yaml', sync('{ every: 1h }'));
    const result = await apply();
    expect(result).toMatchObject({ create: ['backflow:sched_ok'], update: [], delete: [] });
    expect(result.failed).toEqual([
      { scheduleId: 'backflow:sched_bad_tz', sync: 'sched_bad_tz', step: 'create', message: expect.stringContaining('could not create schedule backflow:sched_bad_tz of sync sched_bad_tz: ') as string },
    ]);
    expect(await exists('backflow:sched_ok')).toBe(true);

    const cli = await backflow(['schedules', 'apply', '--project', dir], cliEnv());
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('error: could not create schedule backflow:sched_bad_tz of sync sched_bad_tz: ');
    rmSync(path.join(dir, 'syncs/sched_bad_tz.yaml'));
    rmSync(path.join(dir, 'syncs/sched_ok.yaml'));
    // apply finds what to delete through the (eventually consistent) schedule list.
    await eventually(() => listSchedules(temporal.client), (views) => views.some((s) => s.scheduleId === 'backflow:sched_ok'));
    expect(await apply()).toMatchObject({ delete: ['backflow:sched_ok'], failed: [] });
  });

  it('two deployments on one namespace (two task queues) neither update nor delete each other\'s schedules', async () => {
    const otherQueue = uniqueTaskQueue('schedules-other');
    const otherDir = mkdtempSync(path.join(tmpdir(), 'backflow-schedules-other-'));
    mkdirSync(path.join(otherDir, 'syncs'));
    writeFileSync(path.join(otherDir, 'backflow.yaml'), PROJECT);
    // sched_a is also the first deployment's sync: same schedule id, another owner.
    writeFileSync(path.join(otherDir, 'syncs/sched_a.yaml'), sync('{ every: 5m }'));
    writeFileSync(path.join(otherDir, 'syncs/sched_q2.yaml'), sync('{ every: 1h }'));
    const applyOther = () => applySchedules(temporal.client, loadProject(otherDir), { taskQueue: otherQueue });
    // Created before markers named their queue: whose they are is the queue their runs go to.
    for (const [scheduleId, marker] of [['backflow:sched_legacy', { kind: 'sync', sync: 'sched_legacy' }], ['backflow-maintenance', { kind: 'maintenance' }]] as const) {
      await temporal.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1h' }] },
        action: { type: 'startWorkflow', workflowType: 'syncWorkflow', taskQueue },
        memo: { backflow: marker },
        state: { paused: true },
      });
    }

    const other = await applyOther();
    expect(other).toMatchObject({
      create: [maintenanceScheduleIdFor(otherQueue), 'backflow:sched_q2'],
      update: [],
      delete: [],
      heldByOtherTaskQueue: [{ scheduleId: 'backflow:sched_a', taskQueue }],
      failed: [],
    });
    const a = await temporal.client.schedule.getHandle('backflow:sched_a').describe();
    expect(a.action.taskQueue).toBe(taskQueue);
    expect(a.spec.intervals).toEqual([expect.objectContaining({ every: 30 * 60_000 })]);
    const cli = await backflow(['schedules', 'apply', '--project', otherDir], { ...cliEnv(), BACKFLOW_TASK_QUEUE: otherQueue });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`skipped backflow:sched_a: it belongs to the backflow deployment on task queue ${taskQueue}, not this one (${otherQueue})`);
    // Nor do pause, resume, trigger and backfill of the other deployment touch it.
    const held = `schedule backflow:sched_a belongs to the backflow deployment on task queue ${taskQueue}, not this one (${otherQueue})`;
    await expect(pauseSchedule(temporal.client, 'sched_a', otherQueue)).rejects.toThrow(held);
    await expect(triggerSchedule(temporal.client, 'sched_a', otherQueue)).rejects.toThrow(held);
    const paused = await backflow(['schedules', 'pause', 'sched_a', '--project', otherDir], { ...cliEnv(), BACKFLOW_TASK_QUEUE: otherQueue });
    expect(paused.code).toBe(1);
    expect(paused.stderr).toContain(held);
    expect((await temporal.client.schedule.getHandle('backflow:sched_a').describe()).state.paused).toBe(false);

    // The first deployment removes its own old schedules, legacy ones included, and nothing of the other's.
    const legacyListed = (views: Array<{ scheduleId: string }>) => ['backflow:sched_legacy', 'backflow-maintenance'].every((id) => views.some((s) => s.scheduleId === id));
    await eventually(() => listSchedules(temporal.client), legacyListed);
    expect(await apply()).toMatchObject({ create: [], update: [], delete: ['backflow-maintenance', 'backflow:sched_legacy'], heldByOtherTaskQueue: [] });
    expect(await exists('backflow:sched_q2')).toBe(true);
    expect(await exists(maintenanceScheduleIdFor(otherQueue))).toBe(true);
    expect(await applyOther()).toMatchObject({ update: [], delete: [], unchanged: [maintenanceScheduleIdFor(otherQueue), 'backflow:sched_q2'] });

    for (const id of ['backflow:sched_q2', maintenanceScheduleIdFor(otherQueue)]) await temporal.client.schedule.getHandle(id).delete();
    rmSync(otherDir, { recursive: true, force: true });
  });
});

describe('apply and the staleness count', () => {
  it("restarts the count of missed fires on a change of cadence only: an overlap-only change keeps it", async () => {
    const ownDir = mkdtempSync(path.join(tmpdir(), 'backflow-schedules-cadence-'));
    const ownQueue = uniqueTaskQueue('schedules-cadence');
    mkdirSync(path.join(ownDir, 'syncs'));
    writeFileSync(path.join(ownDir, 'backflow.yaml'), PROJECT);
    const applyWith = async (schedule: string) => {
      writeFileSync(path.join(ownDir, 'syncs/sched_cadence.yaml'), sync(schedule));
      return applySchedules(temporal.client, loadProject(ownDir), { taskQueue: ownQueue });
    };
    const handle = temporal.client.schedule.getHandle('backflow:sched_cadence');
    const scheduledAt = async () => (await scheduleFacts(temporal.client, 'sched_cadence', ownQueue)).scheduledAt;
    try {
      expect(await applyWith('{ every: 15m }')).toMatchObject({ create: expect.arrayContaining(['backflow:sched_cadence']) as unknown, failed: [] });
      const createdAt = (await handle.describe()).info.createdAt.toISOString();
      expect(await scheduledAt()).toBe(createdAt);
      // Temporal keeps times to the millisecond: a later update is told apart from the creation.
      await sleep(50);
      // Only the overlap policy: the schedule fires at the same times, the fires missed so far still count.
      expect(await applyWith('{ every: 15m, overlap: buffer_one }')).toMatchObject({ update: ['backflow:sched_cadence'], failed: [] });
      expect((await handle.describe()).policies.overlap).toBe('BUFFER_ONE');
      expect(await scheduledAt()).toBe(createdAt);
      // Another cadence: the fires of the old one were never due on the new one.
      await sleep(50);
      expect(await applyWith('{ every: 30m, overlap: buffer_one }')).toMatchObject({ update: ['backflow:sched_cadence'], failed: [] });
      const recadencedAt = (await handle.describe()).info.lastUpdatedAt?.toISOString();
      expect(recadencedAt).toBeDefined();
      expect(await scheduledAt()).toBe(recadencedAt);
      // And an overlap-only change after it keeps that time, not its own.
      await sleep(50);
      expect(await applyWith('{ every: 30m }')).toMatchObject({ update: ['backflow:sched_cadence'], failed: [] });
      expect((await handle.describe()).info.lastUpdatedAt?.toISOString()).not.toBe(recadencedAt);
      expect(await scheduledAt()).toBe(recadencedAt);
    } finally {
      for (const id of ['backflow:sched_cadence', maintenanceScheduleIdFor(ownQueue)]) await temporal.client.schedule.getHandle(id).delete().catch(() => undefined);
      rmSync(ownDir, { recursive: true, force: true });
    }
  });
});

describe('apply against a schedule changed on the cluster (Temporal Web, the temporal CLI)', () => {
  const driftQueue = uniqueTaskQueue('schedules-drift');
  let driftDir: string;
  const applyDrift = () => applySchedules(temporal.client, loadProject(driftDir), { taskQueue: driftQueue });
  const ids = ['backflow:drift_every', 'backflow:drift_hours', 'backflow:drift_daily', 'backflow:drift_sunday', maintenanceScheduleIdFor(driftQueue)];

  beforeAll(() => {
    driftDir = mkdtempSync(path.join(tmpdir(), 'backflow-schedules-drift-'));
    mkdirSync(path.join(driftDir, 'syncs'));
    writeFileSync(path.join(driftDir, 'backflow.yaml'), PROJECT);
    writeFileSync(path.join(driftDir, 'syncs/drift_every.yaml'), sync('{ every: 1h }'));
    writeFileSync(path.join(driftDir, 'syncs/drift_hours.yaml'), sync('{ cron: "*/15 9-17 * * MON-FRI", timezone: Europe/Paris }'));
    writeFileSync(path.join(driftDir, 'syncs/drift_daily.yaml'), sync('{ cron: "@daily", overlap: buffer_one }'));
    writeFileSync(path.join(driftDir, 'syncs/drift_sunday.yaml'), sync('{ cron: "30 6 1,15 * 7" }'));
  });

  afterAll(async () => {
    for (const id of ids) await temporal.client.schedule.getHandle(id).delete().catch(() => undefined);
    rmSync(driftDir, { recursive: true, force: true });
  });

  it('reads each schedule back as it wrote it: a second apply has nothing to do, whatever form Temporal keeps the cron in', async () => {
    expect(await applyDrift()).toMatchObject({ create: [...ids].sort(), failed: [] });
    expect(await applyDrift()).toMatchObject({ create: [], update: [], drifted: [], noop: true });
  });

  it('puts back what was changed on the cluster though the memo hash still matches, keeping a pause; list shows where runs really go', async () => {
    await temporal.client.schedule.getHandle('backflow:drift_every').pause('paused by an operator');
    // Changed by hand: every 1d, its runs sent to a queue no worker polls; another schedule's cron and overlap.
    await temporal.client.schedule.getHandle('backflow:drift_every').update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: '1d' }] },
      action: { ...previous.action, taskQueue: 'typo-queue' },
    }));
    await temporal.client.schedule.getHandle('backflow:drift_hours').update((previous) => ({
      ...previous,
      spec: { cronExpressions: ['*/15 8-17 * * 1-5'], timezone: 'Europe/Paris' },
      policies: { ...previous.policies, overlap: 'ALLOW_ALL' },
    }));

    const listed = await eventually(() => listSchedules(temporal.client), (views) => views.some((s) => s.sync === 'drift_every' && s.taskQueue === 'typo-queue'));
    expect(listed.find((s) => s.sync === 'drift_every')).toMatchObject({ taskQueue: 'typo-queue', deploymentTaskQueue: driftQueue, when: 'every 1d', paused: true });

    const dryRun = await applySchedules(temporal.client, loadProject(driftDir), { taskQueue: driftQueue, dryRun: true });
    expect(dryRun).toMatchObject({ update: ['backflow:drift_every', 'backflow:drift_hours'], noop: false });
    const applied = await applyDrift();
    expect(applied).toMatchObject({ create: [], update: ['backflow:drift_every', 'backflow:drift_hours'], delete: [], noop: false, failed: [] });
    expect(applied.drifted).toEqual([
      { scheduleId: 'backflow:drift_every', differences: ['spec.intervals', 'action.taskQueue'] },
      { scheduleId: 'backflow:drift_hours', differences: ['spec.calendars', 'policies.overlap'] },
    ]);

    const every = await temporal.client.schedule.getHandle('backflow:drift_every').describe();
    expect(every.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
    expect(every.action.taskQueue).toBe(driftQueue);
    // The operator's pause stays as they set it.
    expect(every.state).toMatchObject({ paused: true, note: 'paused by an operator' });
    const hours = await temporal.client.schedule.getHandle('backflow:drift_hours').describe();
    expect(hours.policies.overlap).toBe('SKIP');
    expect(cronOfCalendar(hours.spec.calendars?.[0] as CalendarSpecDescription)).toBe('*/15 9-17 * * 1-5');

    expect(await applyDrift()).toMatchObject({ update: [], drifted: [], noop: true });
    const relisted = await eventually(() => listSchedules(temporal.client), (views) => views.some((s) => s.sync === 'drift_every' && s.taskQueue === driftQueue));
    expect(relisted.find((s) => s.sync === 'drift_every')?.deploymentTaskQueue).toBeUndefined();
  });
});

describe('backflow setup', () => {
  it('registers the search attributes on a namespace that lacks them, and is idempotent', async () => {
    const namespace = `setup-${process.pid}`;
    await temporal.client.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const names = ['BackflowDestination', 'BackflowRejected', 'BackflowStatus', 'BackflowSync'];
    let first: Awaited<ReturnType<typeof registerSearchAttributes>> | undefined;
    for (let attempt = 0; !first && attempt < 50; attempt++) {
      // A new namespace takes a moment to be known to every service.
      first = await registerSearchAttributes(temporal.client.connection, namespace).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return undefined;
      });
    }
    expect(first?.added.sort()).toEqual(names);
    const second = await registerSearchAttributes(temporal.client.connection, namespace);
    expect(second).toEqual({ added: [], present: expect.arrayContaining(names) as string[] });
  });
});
