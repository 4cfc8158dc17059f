import { msNumberToTs, tsToDate } from '@temporalio/common/lib/time';
import { observeStaleness } from '../../src/ops/incidents';
import { runDuration } from '../../src/ops/metrics';
import { getRun } from '../../src/state/runs';
import { pauseSchedule, resumeSchedule, syncScheduleOptions } from '../../src/temporal/schedules';
import { scheduleFacts } from '../../src/temporal/scheduleFacts';
import { startSync } from '../../src/temporal/startSync';
import { startAlertReceiver } from '../support/alertReceiver';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const fx = useSyncFixture();

/** The `nth` Sunday of a month (0 = January) at 00:00 UTC, in ms. */
function nthSunday(year: number, month: number, nth: number): number {
  const firstWeekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return Date.UTC(year, month, 1 + ((7 - firstWeekday) % 7) + 7 * (nth - 1));
}

// Next year's changes in America/New_York (at 2:00 local), so the schedule, created now, is older than the runs the test dates.
const YEAR = new Date().getUTCFullYear() + 1;
const SPRING_FORWARD = nthSunday(YEAR, 2, 2);
const FALL_BACK = nthSunday(YEAR, 10, 1);

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

  it('closes a run whose workflow was terminated as RUN_ABANDONED, alerting and counting it, and leaves a running one alone', async () => {
    const hooks = await startAlertReceiver();
    try {
      // A sync run by hand (no schedule): no next start comes to close what a terminate leaves open.
      fx.project.write(FILE, `${fx.project.read(FILE)}alerts: { webhook: ${hooks.url}/hook }\n`);
      const taskQueue = uniqueTaskQueue('maintenance-abandoned');
      const failedRuns = async () =>
        (await runDuration.get()).values
          .filter((v) => v.metricName === 'backflow_run_duration_seconds_count' && v.labels.sync === SYNC && v.labels.status === 'failed')
          .reduce((sum, v) => sum + v.value, 0);
      const failedBefore = await failedRuns();
      const maintain = (pass: string) =>
        fx.temporal.client.workflow.execute('maintenanceWorkflow', { taskQueue, workflowId: `backflow-maintenance-test-${taskQueue}-${pass}`, args: [] });
      fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
      let terminatedAt = 0;
      let runId = '';
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        const run = await startSync(fx.temporal.client, SYNC, { taskQueue });
        runId = run.workflowId;
        while ((await run.progress()).phase !== 'syncing') await new Promise((resolve) => setTimeout(resolve, 50));
        // Its workflow still running: not touched.
        expect(await maintain('running')).toMatchObject({ abandoned: [] });
        expect(await getRun(fx.project.deps.state, runId)).toMatchObject({ status: 'running' });
        terminatedAt = Date.now();
        await fx.temporal.client.workflow.getHandle(runId).terminate('stuck, said the operator');
        expect(await maintain('terminated')).toMatchObject({ abandoned: [runId] });
        // Closed once: a second pass finds nothing to close, and alerts nothing more.
        expect(await maintain('again')).toMatchObject({ abandoned: [] });
      });
      const closed = await getRun(fx.project.deps.state, runId);
      expect(closed).toMatchObject({
        status: 'failed',
        phase: 'finished',
        error_code: 'RUN_ABANDONED',
        error_message: 'its workflow ended (TERMINATED) without finishing the run; closed by the hourly maintenance',
      });
      // Ended when its workflow did, not when the maintenance found it.
      expect(Math.abs(Date.parse(closed.finished_at ?? '') - terminatedAt)).toBeLessThan(1_500);
      expect(await failedRuns()).toBe(failedBefore + 1);
      expect(hooks.posts.map((post) => post.body)).toEqual([expect.objectContaining({ type: 'incident.opened', kind: 'failed', runId })]);
      // The sync is free; its next run sends what the terminated one left.
      fx.sandbox.setFaults({});
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    } finally {
      await hooks.close();
    }
  });

  it.each([
    {
      change: 'spring-forward',
      cron: '30 2 * * *',
      // Last success Friday noon UTC, checked Tuesday noon: Saturday 2:30 EST, no 2:30 on Sunday, Monday and Tuesday 2:30 EDT.
      lastSuccessAt: SPRING_FORWARD - 2 * DAY + 12 * HOUR,
      now: SPRING_FORWARD + 2 * DAY + 12 * HOUR,
      fires: [SPRING_FORWARD - DAY + 7.5 * HOUR, SPRING_FORWARD + DAY + 6.5 * HOUR, SPRING_FORWARD + 2 * DAY + 6.5 * HOUR],
    },
    {
      change: 'fall-back',
      cron: '30 1 * * *',
      // Last success Friday noon UTC, checked Monday noon: Saturday 1:30 EDT, Sunday 1:30 EDT and again EST, Monday 1:30 EST.
      lastSuccessAt: FALL_BACK - 2 * DAY + 12 * HOUR,
      now: FALL_BACK + DAY + 12 * HOUR,
      fires: [FALL_BACK - DAY + 5.5 * HOUR, FALL_BACK + 5.5 * HOUR, FALL_BACK + 6.5 * HOUR, FALL_BACK + DAY + 6.5 * HOUR],
    },
  ])('counts the fires Temporal makes across a $change change in America/New_York ($cron)', async ({ cron, lastSuccessAt, now, fires }) => {
    const hooks = await startAlertReceiver();
    const taskQueue = uniqueTaskQueue('maintenance-dst');
    const schedule = { cron, timezone: 'America/New_York' };
    const { options } = syncScheduleOptions({ name: SYNC, schedule: { ...schedule, overlap: 'skip' } }, taskQueue);
    await fx.temporal.client.schedule.create(options);
    const base = fx.project.read(FILE);
    const withStaleAfter = (staleAfter: number) =>
      fx.project.write(FILE, `${base}schedule: { cron: '${cron}', timezone: America/New_York }\nalerts: { webhook: ${hooks.url}/hook, staleAfter: ${staleAfter} }\n`);
    /** The project's clock, `at` from now on (a run or a maintenance pass takes a few seconds). */
    const clockAt = (at: number) => {
      const offset = at - Date.now();
      return { ...fx.project.deps, now: () => new Date(Date.now() + offset) };
    };
    try {
      withStaleAfter(fires.length);
      await withWorker(fx.temporal, clockAt(lastSuccessAt), taskQueue, async () => {
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });
      const run = await fx.project.deps.state.selectFrom('runs').select('finished_at').executeTakeFirstOrThrow();
      const finishedAt = String(run.finished_at);

      // What Temporal itself fires in the window the check counts: after the run, a minute's grace before now.
      const listed = await fx.temporal.client.workflowService.listScheduleMatchingTimes({
        namespace: 'default',
        scheduleId: options.scheduleId,
        startTime: msNumberToTs(Date.parse(finishedAt)),
        endTime: msNumberToTs(now - 60_000),
      });
      expect((listed.startTime ?? []).map((time) => tsToDate(time).getTime())).toEqual(fires);

      const maintain = (pass: number) =>
        withWorker(fx.temporal, clockAt(now), taskQueue, () =>
          fx.temporal.client.workflow.execute('maintenanceWorkflow', { taskQueue, workflowId: `backflow-maintenance-test-${taskQueue}-${pass}`, args: [] }),
        );
      // One more than Temporal fired: not stale (cron-parser counted the spring-forward day's 2:30 that never came).
      withStaleAfter(fires.length + 1);
      expect(await maintain(0)).toMatchObject({ stale: [] });
      expect(hooks.posts).toEqual([]);
      // As many: stale, with Temporal's count (cron-parser counted the repeated 1:30 once, and held this alert back).
      withStaleAfter(fires.length);
      expect(await maintain(1)).toMatchObject({ stale: [SYNC] });
      expect(hooks.posts.map((post) => post.body)).toEqual([
        expect.objectContaining({
          type: 'incident.opened',
          kind: 'stale',
          detail: `missed ${fires.length} scheduled runs since the last success at ${finishedAt}; alerts at ${fires.length}`,
        }),
      ]);
    } finally {
      await fx.temporal.client.schedule.getHandle(options.scheduleId).delete();
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
      expect(await facts()).toEqual({ paused: false, scheduledAt: createdAt, fires: expect.any(Function) as unknown });
      await pauseSchedule(fx.temporal.client, SYNC, taskQueue);
      expect(await facts()).toEqual({ paused: true });

      // backflow schedules resume records the time (Temporal's update time does not move on a resume).
      const resumed = new Date('2026-11-26T14:10:00.000Z');
      await resumeSchedule(fx.temporal.client, SYNC, taskQueue, () => resumed);
      expect((await handle.describe()).info.lastUpdatedAt).toBeUndefined();
      expect(await facts()).toEqual({ paused: false, resumedAt: resumed.toISOString(), scheduledAt: createdAt, fires: expect.any(Function) as unknown });
      // The reviewer's case: last run Monday 06:00, paused, resumed Thursday; maintenance Thursday 15:00.
      const thursday = (resumedAt: string | undefined) =>
        observeStaleness({ schedule: { cron: '0 6 * * *' }, lastSuccessAt: '2026-11-23T06:00:20.000Z', since: '2026-11-01T00:00:00.000Z', staleAfter: 3, now: new Date('2026-11-26T15:00:00Z'), resumedAt });
      expect((await thursday((await facts()).resumedAt)).active).toBe(false);
      expect((await thursday(undefined)).active).toBe(true);

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
