import { observeStaleness } from '../../src/ops/incidents';
import { pauseSchedule, resumeSchedule, syncScheduleOptions } from '../../src/temporal/schedules';
import { scheduleFacts } from '../../src/temporal/scheduleFacts';
import { startSync } from '../../src/temporal/startSync';
import { startAlertReceiver } from '../support/alertReceiver';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const DAY = 86_400_000;
const fx = useSyncFixture();

describe('the maintenance workflow (run by its schedule)', () => {
  it('prunes per-record results past retention and alerts once on a scheduled sync that stopped succeeding', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}retention:\n  records: 7d\n`);
      fx.project.write(FILE, `${fx.project.read(FILE)}schedule: { every: 1h }\nalerts: { webhook: ${hooks.url}/hook, staleAfter: 3 }\n`);
      const taskQueue = uniqueTaskQueue('maintenance');
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });

      // Ten days on: the results are past the 7-day retention and the hourly sync has not run since.
      const later = { ...fx.project.deps, now: () => new Date(Date.now() + 10 * DAY) };
      await withWorker(fx.temporal, later, taskQueue, async () => {
        for (let pass = 0; pass < 2; pass++) {
          const result = await fx.temporal.client.workflow.execute('maintenanceWorkflow', {
            taskQueue,
            workflowId: `backflow-maintenance-test-${taskQueue}-${pass}`,
            args: [],
          });
          expect(result).toMatchObject({ pruned: { records: pass === 0 ? 4 : 0 }, stale: [SYNC] });
        }
      });
      const results = await fx.project.deps.state.selectFrom('record_results').selectAll().execute();
      expect(results).toEqual([]);
      expect(await fx.project.deps.state.selectFrom('runs').selectAll().execute()).toHaveLength(1);
      // Stale on both passes, alerted once.
      expect(hooks.posts).toHaveLength(1);
      expect(hooks.posts[0]?.body).toMatchObject({ type: 'incident.opened', sync: SYNC, kind: 'stale' });
      // 240 hourly fires missed, counted up to the cap.
      expect(hooks.posts[0]?.body.detail).toMatch(/^missed 100\+ scheduled runs since the last success at \S+; alerts at 3$/);
    } finally {
      await hooks.close();
    }
  });

  it('does not judge a sync whose schedule is paused stale: it misses its fires on purpose', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write(FILE, `${fx.project.read(FILE)}schedule: { every: 1h }\nalerts: { webhook: ${hooks.url}/hook, staleAfter: 3 }\n`);
      const taskQueue = uniqueTaskQueue('maintenance-paused');
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });
      const spec = { name: SYNC, schedule: { every: '1h', overlap: 'skip' as const } };
      const { options } = syncScheduleOptions(spec, taskQueue);
      await fx.temporal.client.schedule.create({ ...options, state: { paused: true, note: 'paused by the test' } });
      const later = { ...fx.project.deps, now: () => new Date(Date.now() + 10 * DAY) };
      try {
        await withWorker(fx.temporal, later, taskQueue, async () => {
          const result = await fx.temporal.client.workflow.execute('maintenanceWorkflow', { taskQueue, workflowId: `backflow-maintenance-test-${taskQueue}`, args: [] });
          expect(result).toMatchObject({ stale: [] });
        });
        expect(hooks.posts).toEqual([]);
        // Another deployment (another task queue) with a sync of the same name: that paused schedule
        // is not its own, so its sync, which nothing fires, is judged stale.
        const otherQueue = uniqueTaskQueue('maintenance-other');
        await withWorker(fx.temporal, later, otherQueue, async () => {
          const result = await fx.temporal.client.workflow.execute('maintenanceWorkflow', { taskQueue: otherQueue, workflowId: `backflow-maintenance-test-${otherQueue}`, args: [] });
          expect(result).toMatchObject({ stale: [SYNC] });
        });
        expect(hooks.posts).toHaveLength(1);
      } finally {
        await fx.temporal.client.schedule.getHandle(options.scheduleId).delete();
      }
    } finally {
      await hooks.close();
    }
  });

  it('knows when a schedule was resumed, by backflow or in Temporal Web, so the fires while it was paused are not counted', async () => {
    const taskQueue = uniqueTaskQueue('maintenance-resumed');
    const { options } = syncScheduleOptions({ name: SYNC, schedule: { cron: '0 6 * * *', overlap: 'skip' } }, taskQueue);
    await fx.temporal.client.schedule.create(options);
    const handle = fx.temporal.client.schedule.getHandle(options.scheduleId);
    const facts = () => scheduleFacts(fx.temporal.client, SYNC, taskQueue);
    try {
      // Never paused: the count starts no earlier than the schedule's creation (its fires before were never due).
      const createdAt = (await handle.describe()).info.createdAt.toISOString();
      expect(await facts()).toEqual({ paused: false, scheduledAt: createdAt });
      await pauseSchedule(fx.temporal.client, SYNC, taskQueue);
      expect(await facts()).toEqual({ paused: true });

      // backflow schedules resume records the time (Temporal's update time does not move on a resume).
      const resumed = new Date('2026-11-26T14:10:00.000Z');
      await resumeSchedule(fx.temporal.client, SYNC, taskQueue, () => resumed);
      expect((await handle.describe()).info.lastUpdatedAt).toBeUndefined();
      expect(await facts()).toEqual({ paused: false, resumedAt: resumed.toISOString(), scheduledAt: createdAt });
      // The reviewer's case: last run Monday 06:00, paused, resumed Thursday; maintenance Thursday 15:00.
      const thursday = (resumedAt: string | undefined) =>
        observeStaleness({ schedule: { cron: '0 6 * * *' }, lastSuccessAt: '2026-11-23T06:00:20.000Z', since: '2026-11-01T00:00:00.000Z', staleAfter: 3, now: new Date('2026-11-26T15:00:00Z'), resumedAt });
      expect(thursday((await facts()).resumedAt).active).toBe(false);
      expect(thursday(undefined).active).toBe(true);

      // Paused and resumed in Temporal Web (its own note, no time): the first check to see it records when it saw it.
      await handle.pause('Paused via Temporal UI');
      await handle.unpause('Unpaused via Temporal UI');
      const before = Date.now();
      const seen = await facts();
      const after = Date.now();
      expect(seen.paused).toBe(false);
      expect(Date.parse(seen.resumedAt ?? '')).toBeGreaterThanOrEqual(before);
      expect(Date.parse(seen.resumedAt ?? '')).toBeLessThanOrEqual(after);
      const described = await handle.describe();
      expect(described.state).toEqual({ paused: false, note: `resumed outside backflow, first seen resumed at ${seen.resumedAt ?? ''}` });
      // Only the note changed; later checks read the same time back.
      expect(described.spec.calendars).toHaveLength(1);
      expect(described.action).toMatchObject({ workflowType: 'syncWorkflow', taskQueue, args: [{ sync: SYNC }] });
      expect((await facts()).resumedAt).toBe(seen.resumedAt);

      // Another deployment's schedule of the same id is not this one's.
      expect(await scheduleFacts(fx.temporal.client, SYNC, uniqueTaskQueue('maintenance-other'))).toEqual({ paused: false });
      // Applied with another cadence (an update): the count starts at the update.
      await handle.update((previous) => ({ ...previous, spec: { intervals: [{ every: '15m' }] } }));
      const updatedAt = (await handle.describe()).info.lastUpdatedAt?.toISOString();
      expect(updatedAt).toBeDefined();
      expect((await facts()).scheduledAt).toBe(updatedAt);
    } finally {
      await handle.delete();
    }
  });
});
