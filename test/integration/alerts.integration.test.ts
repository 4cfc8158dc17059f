import { loadProject } from '../../src/config/load';
import { extractChanges, finishRun, startRun } from '../../src/engine';
import type { StateDb } from '../../src/state/database';
import { getRun } from '../../src/state/runs';
import { applySchedules, maintenanceScheduleIdFor, scheduleIdFor, triggerSchedule } from '../../src/temporal/schedules';
import { startSync } from '../../src/temporal/startSync';
import { progressQuery } from '../../workflows';
import { runDuration } from '../../src/ops/metrics';
import { listRuns } from '../../src/state/history';
import { answerBusy, answerOk, startAlertReceiver, type AlertReceiver } from '../support/alertReceiver';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const SYNC_FILE = 'syncs/accounts_to_salesforce.yaml';
const fx = useSyncFixture();

/** What the receiver was told, as [event type, incident kind]. */
const alertKinds = (hooks: AlertReceiver) => hooks.posts.map((post) => [post.body.type, post.body.kind]);

describe('alerts', () => {
  it('a failing sync alerts once across two failed runs and sends one recovery message when it succeeds', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write(
        'backflow.yaml',
        `${fx.project.read('backflow.yaml')}alerts:\n  slack: \${env:TEST_SLACK_WEBHOOK_URL}\n  webhook: ${hooks.url}/hook\n`,
      );
      const env = { ...fx.project.deps.env, TEST_SLACK_WEBHOOK_URL: `${hooks.url}/slack` };
      const taskQueue = uniqueTaskQueue('alerts');
      // A revoked token: the destination refuses every batch, the runs fail.
      const broken = { ...fx.project.deps, env: { ...env, SALESFORCE_ACCESS_TOKEN: 'revoked' } };
      await withWorker(fx.temporal, broken, taskQueue, async () => {
        for (let run = 0; run < 2; run++) {
          const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
          expect(summary).toMatchObject({ status: 'failed', error: { code: 'DESTINATION_AUTH_FAILED' } });
        }
      });
      expect(hooks.posts.map((post) => post.path).sort()).toEqual(['/hook', '/slack']);
      expect(hooks.posts.find((post) => post.path === '/hook')?.body).toMatchObject({ type: 'incident.opened', sync: SYNC, kind: 'failed' });
      expect(String(hooks.posts.find((post) => post.path === '/slack')?.body.text)).toContain(`backflow sync ${SYNC}: run failed`);

      await withWorker(fx.temporal, { ...fx.project.deps, env }, taskQueue, async () => {
        for (let run = 0; run < 2; run++) {
          expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
        }
      });
      const webhook = hooks.posts.filter((post) => post.path === '/hook').map((post) => [post.body.type, post.body.kind]);
      expect(webhook).toEqual([
        ['incident.opened', 'failed'],
        ['incident.resolved', 'failed'],
      ]);
      const slack = hooks.posts.filter((post) => post.path === '/slack').map((post) => String(post.body.text));
      expect(slack).toHaveLength(2);
      expect(slack[1]).toContain('recovered');
    } finally {
      await hooks.close();
    }
  });

  it('a run that fails before it opens (a SQL error in the model) alerts once too, and recovers', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}/hook\n`);
      const file = `syncs/${SYNC}.yaml`;
      const good = fx.project.read(file);
      fx.project.write(file, good.replace('FROM accounts', 'FROM acounts'));
      const taskQueue = uniqueTaskQueue('alerts-start');
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        for (let run = 0; run < 2; run++) {
          await expect((await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).rejects.toThrow(/acounts/);
        }
        expect(alertKinds(hooks)).toEqual([['incident.opened', 'failed']]);
        expect(String(hooks.posts[0]?.body.detail)).toContain('SOURCE_QUERY_FAILED');
        // Both are on record as failed runs (`backflow runs --failed` said there were none), and counted.
        const failed = await listRuns(fx.project.deps.state, SYNC, 20, { failedOnly: true });
        expect(failed.map((run) => [run.status, run.error?.code])).toEqual([
          ['failed', 'SOURCE_QUERY_FAILED'],
          ['failed', 'SOURCE_QUERY_FAILED'],
        ]);
        const failedRuns = (await runDuration.get()).values.find(
          (v) => v.metricName === 'backflow_run_duration_seconds_count' && v.labels.sync === SYNC && v.labels.status === 'failed',
        );
        expect(failedRuns?.value).toBeGreaterThanOrEqual(2);
        fx.project.write(file, good);
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });
      expect(alertKinds(hooks)).toEqual([
        ['incident.opened', 'failed'],
        ['incident.resolved', 'failed'],
      ]);
    } finally {
      await hooks.close();
    }
  });

  it('an invalid file of another sync stops none of this sync\'s runs; the invalid sync\'s run alerts through backflow.yaml, and maintenance reports it', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}/hook\n`);
      const file = `syncs/${SYNC}.yaml`;
      const good = fx.project.read(file);
      fx.project.write(file, `${good}schedule: { every: 1h }\n`);
      // A teammate adds a sync with a typo; the worker re-reads the project on every activity.
      fx.project.write('syncs/new_sync.yaml', good.replace('mappings:', 'mapings:'));
      const taskQueue = uniqueTaskQueue('alerts-invalid-file');
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
        await expect((await startSync(fx.temporal.client, 'new_sync', { taskQueue })).result()).rejects.toThrow(/syncs\/new_sync\.yaml: mappings: /);
      });
      expect(hooks.posts.map((post) => [post.body.type, post.body.sync, post.body.kind])).toEqual([['incident.opened', 'new_sync', 'failed']]);
      expect(String(hooks.posts[0]?.body.detail)).toContain('CONFIG_INVALID');

      // Ten days on, the hourly sync has not run since: maintenance still judges it, and names the invalid file.
      const later = { ...fx.project.deps, now: () => new Date(Date.now() + 10 * 86_400_000) };
      await withWorker(fx.temporal, later, taskQueue, async () => {
        const result = await fx.temporal.client.workflow.execute('maintenanceWorkflow', { taskQueue, workflowId: `backflow-maintenance-test-${taskQueue}`, args: [] });
        expect(result).toMatchObject({ stale: [SYNC], invalid: ['new_sync'] });
      });
      // The invalid sync's incident was already open (its run's): no second alert for it.
      expect(hooks.posts.map((post) => [post.body.type, post.body.sync, post.body.kind])).toEqual([
        ['incident.opened', 'new_sync', 'failed'],
        ['incident.opened', SYNC, 'stale'],
      ]);
    } finally {
      await hooks.close();
    }
  });

  it('an alert the receiver did not take is delivered with the next run, before the recovery message', async () => {
    const hooks = await startAlertReceiver();
    hooks.answer = answerBusy;
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}/hook\n`);
      const taskQueue = uniqueTaskQueue('alerts-owed');
      const broken = { ...fx.project.deps, env: { ...fx.project.deps.env, SALESFORCE_ACCESS_TOKEN: 'revoked' } };
      let firstRun = '';
      await withWorker(fx.temporal, broken, taskQueue, async () => {
        const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
        expect(summary).toMatchObject({ status: 'failed' });
        firstRun = summary.runId;
        expect(hooks.posts).toEqual([]);
        hooks.answer = answerOk;
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'failed' });
      });
      // The opening of the first run's incident, late, and not a second one for the second run.
      expect(hooks.posts.map((post) => [post.body.type, post.body.kind, post.body.runId])).toEqual([['incident.opened', 'failed', firstRun]]);
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
      });
      expect(alertKinds(hooks)).toEqual([
        ['incident.opened', 'failed'],
        ['incident.resolved', 'failed'],
      ]);
    } finally {
      await hooks.close();
    }
  });

  it("a run its schedule's terminate_other policy ended for the next fire alerts nothing: the user chose it, and the run is closed RUN_SUPERSEDED", async () => {
    const hooks = await startAlertReceiver();
    const taskQueue = uniqueTaskQueue('alerts-terminate-other');
    // A sync of its own: schedule ids are the namespace's, and other files' tests schedule SYNC.
    const scheduled = 'accounts_superseded';
    const schedule = fx.temporal.client.schedule.getHandle(scheduleIdFor(scheduled));
    const startedWorkflow = async (other?: string): Promise<string> => {
      for (let tries = 0; tries < 200; tries++) {
        const running = (await schedule.describe()).info.recentActions.map((action) => action.action.workflow.workflowId).find((id) => id !== other);
        if (running) return running;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the schedule started no run');
    };
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}/hook\n`);
      fx.project.write(`syncs/${scheduled}.yaml`, `${fx.project.read(SYNC_FILE)}schedule: { every: 1h, overlap: terminate_other }\n`);
      expect((await applySchedules(fx.temporal.client, loadProject(fx.project.dir), { taskQueue })).failed).toEqual([]);
      fx.sandbox.setFaults({ writeResponseDelayMs: 5_000 });
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        await triggerSchedule(fx.temporal.client, scheduled, taskQueue);
        const first = await startedWorkflow();
        const handle = fx.temporal.client.workflow.getHandle(first);
        for (let tries = 0; tries < 200 && (await handle.query(progressQuery)).phase !== 'syncing'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        // The next fire comes while the first run is still sending (a second later: a workflow id of
        // its own, as a real fire has): the schedule terminates the first.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        await triggerSchedule(fx.temporal.client, scheduled, taskQueue);
        const second = await startedWorkflow(first);
        fx.sandbox.setFaults({});
        expect(await fx.temporal.client.workflow.getHandle(second).result()).toMatchObject({ status: 'succeeded' });
        // Neither a page for the run the policy ended nor a recovery message for the one after it.
        expect(alertKinds(hooks)).toEqual([]);
        expect(await getRun(fx.project.deps.state, first)).toMatchObject({
          status: 'failed',
          phase: 'finished',
          error_code: 'RUN_SUPERSEDED',
          error_message: expect.stringContaining(`its schedule's overlap policy (terminate_other) ended it for the next run, ${second}`) as unknown,
        });
      });
    } finally {
      await schedule.delete().catch(() => undefined);
      await fx.temporal.client.schedule.getHandle(maintenanceScheduleIdFor(taskQueue)).delete().catch(() => undefined);
      await hooks.close();
    }
  });
});

/** A state store whose first read after its first committed transaction fails once, as a dropped connection does. */
function droppingAfterFirstCommit(real: StateDb): StateDb {
  let committed = false;
  let dropped = false;
  return new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'transaction') {
        return () => {
          const trx = real.transaction();
          return {
            execute: async <T>(work: Parameters<typeof trx.execute<T>>[0]) => {
              const out = await trx.execute(work);
              committed = true;
              return out;
            },
          };
        };
      }
      if (prop === 'selectFrom' && committed && !dropped) {
        dropped = true;
        return () => {
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('a run whose close is retried', () => {
  it('alerts once when the attempt that closed it failed right after (its retry found the run finished and skipped the alert)', async () => {
    const hooks = await startAlertReceiver();
    try {
      fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: ${hooks.url}/hook\n`);
      const deps = fx.project.deps;
      const { runId } = await startRun(deps, { runId: 'sync:accounts_to_salesforce:close-retried', sync: 'accounts_to_salesforce', full: false });
      await extractChanges(deps, runId);
      const error = { code: 'DESTINATION_AUTH_FAILED', message: 'token revoked' };
      // The close commits, then the store drops the connection: the activity fails, and Temporal retries it.
      await expect(finishRun({ ...deps, state: droppingAfterFirstCommit(deps.state) }, runId, error)).rejects.toThrow('Connection terminated');
      expect(await getRun(deps.state, runId)).toMatchObject({ phase: 'finished', status: 'failed' });
      await finishRun(deps, runId, error);
      await finishRun(deps, runId, error);
      expect(hooks.posts.map((post) => post.body.type)).toEqual(['incident.opened']);
    } finally {
      await hooks.close();
    }
  });
});

