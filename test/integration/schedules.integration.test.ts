import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { loadProject } from '../../src/config/load';
import { registerSearchAttributes } from '../../src/ops/searchAttributes';
import {
  applySchedules,
  backfillSchedule,
  listSchedules,
  MAINTENANCE_SCHEDULE_ID,
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
  for (const id of ['backflow:sched_a', 'backflow:sched_b', 'backflow:sched_taken', MAINTENANCE_SCHEDULE_ID, 'someone-elses']) {
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
    const first = await apply();
    expect(first).toMatchObject({ create: ['backflow-maintenance', 'backflow:sched_a', 'backflow:sched_b'], update: [], delete: [], noop: false });
    const second = await apply();
    expect(second).toMatchObject({ create: [], update: [], delete: [], unchanged: ['backflow-maintenance', 'backflow:sched_a', 'backflow:sched_b'], noop: true });

    const b = await temporal.client.schedule.getHandle('backflow:sched_b').describe();
    expect(b.spec.timezone).toBe('Europe/Paris');
    expect(b.policies.overlap).toBe('SKIP');
    expect(b.action).toMatchObject({ workflowType: 'syncWorkflow', workflowId: 'sync:sched_b:scheduled', taskQueue, args: [{ sync: 'sched_b' }] });

    // The CLI says the same on the same cluster.
    const cli = await backflow(['schedules', 'apply', '--json', '--project', dir], {
      TEMPORAL_ADDRESS: temporal.address,
      BACKFLOW_TASK_QUEUE: taskQueue,
      SALESFORCE_ACCESS_TOKEN: 'unused',
    });
    expectSucceeded(cli);
    expect(JSON.parse(cli.stdout)).toMatchObject({ noop: true, create: [], update: [], delete: [] });
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
    await resumeSchedule(temporal.client, 'sched_a');
    expect((await temporal.client.schedule.getHandle('backflow:sched_a').describe()).state.paused).toBe(false);
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
    await backfillSchedule(temporal.client, 'sched_a', new Date(now - 60 * 60_000), new Date(now - 30 * 60_000 + 1));
    for (let attempt = 0; actions.length < 2 && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      actions = (await handle.describe()).info.recentActions;
    }
    expect(actions.length).toBeGreaterThanOrEqual(2);
    await temporal.client.workflow.getHandle(actions[1]?.action.workflow.workflowId ?? '').terminate('test').catch(() => undefined);
    await expect(triggerSchedule(temporal.client, 'sched_c')).rejects.toThrow('sync sched_c has no schedule backflow:sched_c');
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
