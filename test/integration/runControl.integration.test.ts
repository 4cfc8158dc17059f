import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { createActivities } from '../../activities';
import { extractChanges, finishRun, startRun, syncBatches } from '../../src/engine';
import { runDuration } from '../../src/ops/metrics';
import { registerSearchAttributes } from '../../src/ops/searchAttributes';
import { claimBatch, getBatch } from '../../src/state/batches';
import { listRuns } from '../../src/state/history';
import { getRun } from '../../src/state/runs';
import type { RunSummary } from '../../src/state/summary';
import { BACKFLOW_STATUS } from '../../src/temporal/searchAttributes';
import { startSync } from '../../src/temporal/startSync';
import { progressQuery, type syncWorkflow } from '../../workflows';
import { createWorker } from '../../worker';
import { RUN_STEP_HEARTBEAT_TIMEOUT_MS } from '../../workflows/sync';
import { backflow } from '../support/cli';
import { useSyncFixture } from '../support/fixture';
import { startSilentServer } from '../support/silentServer';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const SYNC_FILE = 'syncs/accounts_to_salesforce.yaml';
const fx = useSyncFixture();

/** The batch ranges a run's history scheduled as `syncBatches` activities, in order. */
async function rangesOf(workflowId: string): Promise<{ first: number; last: number }[]> {
  const { events } = await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncBatches')
    .map((e) => {
      const payload = e.activityTaskScheduledEventAttributes?.input?.payloads?.[1]?.data;
      return JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString('utf8')) as { first: number; last: number };
    });
}

/** Waits until the workflow's history holds an event `matches` (a cancel request recorded, say). */
async function historyHas(workflowId: string, matches: (event: temporal.api.history.v1.IHistoryEvent) => boolean): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const { events } = await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    if ((events ?? []).some(matches)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${workflowId}: the awaited event never came`);
}

/** An activity held open until the test releases it: `reached` once it has been entered. */
function opening(): { entered: () => void; reached: Promise<void>; release: () => void; released: Promise<void> } {
  let entered = () => {};
  let release = () => {};
  const reached = new Promise<void>((resolve) => (entered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { entered: () => entered(), reached, release: () => release(), released };
}

/** backflow's activities, `name` held at `gate` until the test releases it; `calls` counts its calls. */
function holdingActivity(name: 'startRun' | 'finishRun', gate: ReturnType<typeof opening>): { activities: ReturnType<typeof createActivities>; calls: () => number } {
  const real = createActivities(fx.project.deps);
  const run = real[name] as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  const held = async (...args: unknown[]) => {
    calls++;
    gate.entered();
    await gate.released;
    return run(...args);
  };
  return { activities: { ...real, [name]: held }, calls: () => calls };
}

/** Cancels the run while `gate` holds its activity, and lets the activity go on once the workflow has taken the cancel in. */
async function cancelWhileHeld(handle: { workflowId: string; cancel(): Promise<unknown> }, gate: ReturnType<typeof opening>): Promise<void> {
  await gate.reached;
  await handle.cancel();
  // The workflow asked for the activity's cancellation: it has seen the cancel before the activity goes on.
  await historyHas(handle.workflowId, (e) => e.activityTaskCancelRequestedEventAttributes != null);
  gate.release();
}

/** The test worker on `taskQueue`, running `activities` (some of them held or rigged). */
function withActivities<T>(taskQueue: string, activities: ReturnType<typeof createActivities>, work: () => Promise<T>): Promise<T> {
  return withWorker(fx.temporal, fx.project.deps, taskQueue, work, activities);
}

/** The cancelled workflow ends CANCELLED, and so does its run. */
async function expectRunCancelled(result: Promise<unknown>, runId: string): Promise<void> {
  await expect(result).rejects.toThrow();
  expect(await getRun(fx.project.deps.state, runId)).toMatchObject({ status: 'failed', error_code: 'CANCELLED' });
}

/** The sync is free again: the next run starts and sends what the cancelled one left. */
async function expectNextRunSyncs(taskQueue: string, synced: number): Promise<void> {
  const next = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
  expect(next).toMatchObject({ status: 'succeeded', counts: { synced } });
}

describe('running a sync', () => {
  it('continues as new between batches and answers the progress query with the whole run', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    const taskQueue = uniqueTaskQueue('can');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const handle = await fx.temporal.client.workflow.start<typeof syncWorkflow>('syncWorkflow', {
        taskQueue,
        workflowId: `sync:${SYNC}:continue-as-new`,
        args: [{ sync: SYNC, batchesPerExecution: 2 }],
      });
      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'succeeded', batches: 4, apiCalls: 4, counts: { synced: 4 } });
      // Two executions of one run: batches 1–2, then 3–4 and the finish.
      // Visibility catches up on its own time: look until both executions show their final status.
      const statuses = async () => {
        const executions: string[] = [];
        for await (const execution of fx.temporal.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
          executions.push(`${execution.status.name} ${String(execution.typedSearchAttributes.get(BACKFLOW_STATUS))}`);
        }
        return executions.sort();
      };
      const expected = ['COMPLETED succeeded', 'CONTINUED_AS_NEW continued'];
      let seen = await statuses();
      for (let tries = 0; JSON.stringify(seen) !== JSON.stringify(expected) && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = await statuses();
      }
      // The continued execution is not left `running` in Temporal Web.
      expect(seen).toEqual(expected);
      const progress = await handle.query(progressQuery);
      expect(progress).toMatchObject({ phase: 'finished', batchesTotal: 4, batchesDone: 4, synced: 4, rejected: 0, apiCalls: 4 });
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });

  it('sends consecutive batches in one activity, and takes back the rest of a range whose time slice ran out', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    // Four one-record batches, one lane: a single activity sends them all (a time slice a slow CI can't run out).
    const taskQueue = uniqueTaskQueue('ranges');
    const first = await withWorker(fx.temporal, { ...fx.project.deps, batchTimeSliceMs: 60_000 }, taskQueue, async () =>
      (await startSync(fx.temporal.client, SYNC, { taskQueue })).result(),
    );
    expect(first).toMatchObject({ status: 'succeeded', batches: 4, apiCalls: 4, counts: { synced: 4 } });
    expect(await rangesOf(first.runId)).toEqual([{ first: 1, last: 4 }]);

    // A time slice of 0: every activity sends one batch and hands the rest back; nothing is lost or sent twice.
    const sliced = { ...fx.project.deps, batchTimeSliceMs: 0 };
    const writes = () => fx.sandbox.requests().filter((r) => r.path.includes('/composite/sobjects/')).length;
    const writesBefore = writes();
    const second = await withWorker(fx.temporal, sliced, taskQueue, async () =>
      (await startSync(fx.temporal.client, SYNC, { taskQueue, full: true })).result(),
    );
    expect(second).toMatchObject({ status: 'succeeded', batches: 4, apiCalls: 4, counts: { synced: 4 } });
    expect(await rangesOf(second.runId)).toEqual([
      { first: 1, last: 4 },
      { first: 2, last: 4 },
      { first: 3, last: 4 },
      { first: 4, last: 4 },
    ]);
    expect(writes() - writesBefore).toBe(4);
    expect(fx.sandbox.records('Account')).toHaveLength(4);
  });

  it('stops a range after the batch in flight when its activity is cancelled', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    const deps = { ...fx.project.deps, batchTimeSliceMs: 60_000 };
    const { runId } = await startRun(deps, { runId: 'cancel-in-range', sync: SYNC, full: false });
    expect((await extractChanges(deps, runId)).counts.batches).toBe(4);
    // Cancelled while batch 1 is sent: asked before it (no), then after it (yes).
    let asked = 0;
    const result = await syncBatches(deps, runId, { first: 1, last: 4 }, () => asked++ > 0);
    expect(result.batches.map((batch) => batch.batchNo)).toEqual([1]);
    expect(fx.sandbox.records('Account')).toHaveLength(1);
    await finishRun(deps, runId, { code: 'CANCELLED', message: 'cancelled' });
  });

  it('sends nothing of a batch whose activity was cancelled while it waited for the pacer (every queued batch went out)', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('apiVersion: "62.0"', 'apiVersion: "62.0"\n    limits: { requestsPerSecond: 0.5 }'));
    const deps = { ...fx.project.deps, batchTimeSliceMs: 60_000 };
    const { runId } = await startRun(deps, { runId: 'cancel-while-paced', sync: SYNC, full: false });
    expect((await extractChanges(deps, runId)).counts.batches).toBe(4);
    // Batch 1 takes the pacer's token; batch 2 waits about 2 s for the next, and the cancel comes meanwhile.
    await syncBatches(deps, runId, { first: 1, last: 1 });
    let cancelled = false;
    setTimeout(() => (cancelled = true), 300);
    const result = await syncBatches(deps, runId, { first: 2, last: 4 }, () => cancelled);
    expect(result.batches).toEqual([]);
    expect(fx.sandbox.records('Account')).toHaveLength(1);
    await finishRun(deps, runId, { code: 'CANCELLED', message: 'cancelled' });
  });

  it('sends nothing for a run closed under it (a batch activity of a terminated workflow still running)', async () => {
    const { runId } = await startRun(fx.project.deps, { runId: 'closed-under-it', sync: SYNC, full: false });
    expect((await extractChanges(fx.project.deps, runId)).counts.batches).toBe(1);
    await finishRun(fx.project.deps, runId, { code: 'RUN_ABANDONED', message: 'its workflow ended (TERMINATED) without finishing the run' });
    await expect(syncBatches(fx.project.deps, runId, { first: 1, last: 1 })).rejects.toMatchObject({
      code: 'RUN_ALREADY_FINISHED',
      message: `run ${runId} is closed (RUN_ABANDONED); its batches are not sent`,
    });
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toHaveLength(0);
  });

  it('lets one of two overlapping attempts of an extract own the staging; the other stops at its next write', async () => {
    // Mirror mode, where rows staged by neither attempt would read as removed, and be deleted.
    fx.project.write(SYNC_FILE, fx.project.read(SYNC_FILE).replace(/^mode: .*$/m, 'mode: mirror'));
    await fx.project.sql(`INSERT INTO accounts SELECT i, 'Account ' || i, 50, 'neutral', 100, NULL FROM range(5, 6001) t(i)`);
    const deps = { ...fx.project.deps, batchTimeSliceMs: 60_000 };
    const first = await startRun(deps, { runId: 'extract-first', sync: SYNC, full: false });
    const { counts } = await extractChanges(deps, first.runId);
    await syncBatches(deps, first.runId, { first: 1, last: counts.batches });
    expect(await finishRun(deps, first.runId)).toMatchObject({ status: 'succeeded', counts: { synced: 6000 } });
    // Two attempts of one extract at once (an attempt Temporal gave up on keeps running on its worker).
    const { runId } = await startRun(fx.project.deps, { runId: 'extract-twice', sync: SYNC, full: false });
    const attempts = await Promise.allSettled([extractChanges(fx.project.deps, runId), extractChanges(fx.project.deps, runId)]);
    const failed = attempts.filter((attempt) => attempt.status === 'rejected');
    expect(failed).toEqual([{ status: 'rejected', reason: expect.objectContaining({ code: 'EXTRACT_SUPERSEDED' }) as unknown }]);
    expect(await getRun(fx.project.deps.state, runId)).toMatchObject({ phase: 'extracted', extracted: 6000, unchanged: 6000, removed: 0, batches: 0 });
    await finishRun(fx.project.deps, runId);
  });

  it('an extract attempt that finds the extract finished since it looked returns its counts, not EXTRACT_SUPERSEDED', async () => {
    const { runId } = await startRun(fx.project.deps, { runId: 'extract-raced', sync: SYNC, full: false });
    const done = await extractChanges(fx.project.deps, runId);
    // This attempt reads the run while the other is still classifying…
    await fx.project.deps.state.updateTable('runs').set({ phase: 'started' }).where('run_id', '=', runId).execute();
    const real = fx.project.deps.state;
    let raced = false;
    const state = new Proxy(real, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop !== 'transaction' || raced) return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        raced = true;
        // …which finishes just before this attempt takes the staging over.
        return () => ({
          execute: async (work: Parameters<ReturnType<typeof real.transaction>['execute']>[0]) => {
            await real.updateTable('runs').set({ phase: 'extracted' }).where('run_id', '=', runId).execute();
            return real.transaction().execute(work);
          },
        });
      },
    });
    const late = await extractChanges({ ...fx.project.deps, state }, runId);
    expect(raced).toBe(true);
    expect(late.counts).toEqual(done.counts);
    await finishRun(fx.project.deps, runId);
  });

  it('fences the attempts of a batch: one a later attempt took over mid-send is refused its commit, and the later one commits', async () => {
    const deps = { ...fx.project.deps, batchTimeSliceMs: 60_000 };
    const { runId } = await startRun(deps, { runId: 'batch-taken-over', sync: SYNC, full: false });
    expect((await extractChanges(deps, runId)).counts.batches).toBe(1);
    // While Salesforce applies the first attempt's write (its worker cut off from Temporal, which
    // started another attempt), the later attempt takes the batch over.
    let takeover: Promise<unknown> | undefined;
    const stopListening = fx.sandbox.onWriteApplied(() => {
      stopListening();
      takeover = claimBatch(deps.state, runId, 1, 'the-later-attempt');
    });
    await expect(syncBatches(deps, runId, { first: 1, last: 1 })).rejects.toMatchObject({ code: 'BATCH_SUPERSEDED' });
    await takeover;
    expect(await getBatch(deps.state, runId, 1)).toMatchObject({ committed: 0, attempt_fence: 'the-later-attempt' });
    // The batch is the later attempt's to send and commit (an upsert by external id: no duplicate).
    const later = await syncBatches(deps, runId, { first: 1, last: 1 });
    expect(later.batches).toMatchObject([{ batchNo: 1, synced: 4, alreadyCommitted: false }]);
    expect(fx.sandbox.records('Account')).toHaveLength(4);
    expect(await finishRun(deps, runId)).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
  });

  it('hands the rest of a range back when a batch fails after others of it were sent', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    const deps = { ...fx.project.deps, batchTimeSliceMs: 60_000 };
    const { runId } = await startRun(deps, { runId: 'interrupted-range', sync: SYNC, full: false });
    expect((await extractChanges(deps, runId)).counts.batches).toBe(4);
    // The first write lands; from then on the sandbox answers 500 UNKNOWN_EXCEPTION.
    const stopListening = fx.sandbox.onWriteApplied(() => fx.sandbox.setFaults({ serverError: 1 }));
    const interrupted = await syncBatches(deps, runId, { first: 1, last: 4 });
    stopListening();
    expect(interrupted.batches.map((batch) => batch.batchNo)).toEqual([1]);
    expect(interrupted.interrupted).toMatchObject({ code: 'DESTINATION_TRANSIENT', message: expect.stringContaining('UNKNOWN_EXCEPTION') });
    // Nothing sent before the failure: nothing to hand back, the activity fails and Temporal retries it.
    await expect(syncBatches(deps, runId, { first: 2, last: 4 })).rejects.toMatchObject({ code: 'DESTINATION_TRANSIENT' });
    fx.sandbox.setFaults({});
    const rest = await syncBatches(deps, runId, { first: 2, last: 4 });
    expect(rest.batches.map((batch) => batch.batchNo)).toEqual([2, 3, 4]);
    expect(rest.interrupted).toBeUndefined();
    expect(fx.sandbox.records('Account')).toHaveLength(4);
    await finishRun(deps, runId);
  });

  it('sends the handed-back rest of an interrupted range as a new activity, after the wait the failure named, so its faults do not add up to one backoff', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    const deps = { ...fx.project.deps, batchTimeSliceMs: 60_000 };
    const activities = createActivities(deps);
    // One 500 after the first write; the fault is cleared once the activity that met it returned.
    const stopListening = fx.sandbox.onWriteApplied(() => {
      stopListening();
      fx.sandbox.setFaults({ serverError: 1 });
    });
    // The interruption is given a wait, as a rate limit's Retry-After would give it.
    const syncBatchesThenClear: typeof activities.syncBatches = async (runId, range) => {
      try {
        const result = await activities.syncBatches(runId, range);
        return result.interrupted ? { ...result, interrupted: { ...result.interrupted, retryAfterMs: 2_000 } } : result;
      } finally {
        fx.sandbox.setFaults({});
      }
    };
    const taskQueue = uniqueTaskQueue('interrupted');
    const summary = await withWorker(
      fx.temporal,
      deps,
      taskQueue,
      async () => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result(),
      { ...activities, syncBatches: syncBatchesThenClear },
    );
    expect(summary).toMatchObject({ status: 'succeeded', batches: 4, counts: { synced: 4 } });
    expect(await rangesOf(summary.runId)).toEqual([
      { first: 1, last: 4 },
      { first: 2, last: 4 },
    ]);
    // Every attempt was a first one: no activity failed.
    const { events } = await fx.temporal.client.workflow.getHandle(summary.runId).fetchHistory();
    const attempts = (events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    expect(attempts).toEqual(attempts.map(() => 1));
    // The lane waited out the wait before sending the rest.
    const timers = (events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : []));
    expect(timers).toEqual([2]);
    expect(fx.sandbox.records('Account')).toHaveLength(4);
  });

  it.each([
    ['a lane fails', 'failed', 'DESTINATION_AUTH_FAILED'],
    ["a lane spends the destination's budget", 'partial', 'DESTINATION_BUDGET_EXHAUSTED'],
  ])("closes the run as soon as %s, without waiting out another lane's Retry-After", async (_case, status, code) => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    const real = createActivities(fx.project.deps);
    const workflowId = `sync:${SYNC}:lane-ends-run-${code}`;
    const activities = {
      ...real,
      // Two lanes of one batch each, as a destination allowing two requests at a time has.
      async extractChanges(runId: string) {
        return { ...(await real.extractChanges(runId)), concurrency: 2, batchesPerActivity: 1 };
      },
      async syncBatches(runId: string, range: { first: number; last: number }) {
        if (range.first === 1) {
          // Batch 1 goes out; the next request met a 429 asking for ten minutes.
          const sent = await real.syncBatches(runId, range);
          return { ...sent, interrupted: { code: 'DESTINATION_TRANSIENT', message: '429 Too Many Requests', reason: 'rate-limit', retryAfterMs: 600_000 } };
        }
        // The other lane ends the run once the first lane is waiting.
        await historyHas(workflowId, (e) => e.timerStartedEventAttributes != null);
        if (code === 'DESTINATION_BUDGET_EXHAUSTED') return { batches: [], budgetSpent: { code, message: 'the daily API limit is spent' } };
        throw ApplicationFailure.nonRetryable('INVALID_SESSION_ID: Session expired or invalid', code);
      },
    };
    const taskQueue = uniqueTaskQueue('lane-ends-run');
    await withActivities(taskQueue, activities, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId });
      try {
        const closed = await Promise.race([
          handle.result(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the run was still open after 60 s: it waited out the other lane')), 60_000)),
        ]);
        expect(closed).toMatchObject({ status, error: { code }, counts: { synced: 1 } });
        expect(await getRun(fx.project.deps.state, workflowId)).toMatchObject({ status, phase: 'finished', error_code: code });
        // The wait was cut short, not run out.
        const { events } = await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory();
        expect((events ?? []).filter((e) => e.timerCanceledEventAttributes != null)).toHaveLength(1);
        expect(fx.sandbox.records('Account')).toHaveLength(1);
      } finally {
        await fx.temporal.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
      }
    });
  });

  it('a cancel arriving with the last batch of an execution closes the run CANCELLED instead of being lost at continue-as-new', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    const taskQueue = uniqueTaskQueue('cancel-at-continue');
    const workflowId = `sync:${SYNC}:cancel-at-continue`;
    const real = createActivities(fx.project.deps);
    const activities = {
      ...real,
      // Execution 1's last range: sent and committed, then the cancel lands before its completion does.
      async syncBatches(runId: string, range: { first: number; last: number }) {
        const result = await real.syncBatches(runId, range);
        if (range.last === 2) {
          await fx.temporal.client.workflow.getHandle(workflowId).cancel();
          await historyHas(workflowId, (e) => e.workflowExecutionCancelRequestedEventAttributes != null);
        }
        return result;
      },
    };
    await withActivities(taskQueue, activities, async () => {
      const handle = await fx.temporal.client.workflow.start<typeof syncWorkflow>('syncWorkflow', { taskQueue, workflowId, args: [{ sync: SYNC, batchesPerExecution: 2 }] });
      await expectRunCancelled(handle.result(), workflowId);
      // Batches 1–2 went and are committed; 3–4 are the next run's. Lost, the cancel let all four go.
      expect(fx.sandbox.records('Account')).toHaveLength(2);
      await expectNextRunSyncs(taskQueue, 2);
    });
  });

  it('a cancel while startRun runs waits for it, then closes the run CANCELLED and frees the sync', async () => {
    const taskQueue = uniqueTaskQueue('cancel-start');
    const gate = opening();
    const { activities } = holdingActivity('startRun', gate);
    await withActivities(taskQueue, activities, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await cancelWhileHeld(handle, gate);
      // Abandoned, startRun opened the run after the workflow ended: `running`, the sync's lease held.
      await expectRunCancelled(handle.result(), handle.workflowId);
      expect(fx.sandbox.records('Account')).toEqual([]);
      await expectNextRunSyncs(taskQueue, 4);
    });
  });

  it('a cancel while finishRun runs lets it finish once: the run and the workflow agree', async () => {
    const taskQueue = uniqueTaskQueue('cancel-finish');
    const gate = opening();
    const { activities, calls: finishes } = holdingActivity('finishRun', gate);
    await withActivities(taskQueue, activities, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await cancelWhileHeld(handle, gate);
      // Abandoned, finishRun ran a second time (for CANCELLED) and the workflow ended CANCELLED over a succeeded run.
      expect(await handle.result()).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
      expect(finishes()).toBe(1);
      expect(await getRun(fx.project.deps.state, handle.workflowId)).toMatchObject({ status: 'succeeded' });
    });
  });

  it('a batch failing after a cancel (its worker gone) still closes the run', async () => {
    const taskQueue = uniqueTaskQueue('cancel-then-fail');
    const real = createActivities(fx.project.deps);
    const gate = opening();
    const activities = {
      ...real,
      async syncBatches(): Promise<never> {
        gate.entered();
        await gate.released;
        throw ApplicationFailure.nonRetryable('the batch timed out', 'DESTINATION_TRANSIENT');
      },
    };
    await withActivities(taskQueue, activities, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await cancelWhileHeld(handle, gate);
      // The run's summary, as for any failed run; without it the workflow ended CANCELLED with the run open.
      expect(await handle.result()).toMatchObject({ status: 'failed', error: { code: 'DESTINATION_TRANSIENT' } });
      // Left open, the next start closed it RUN_ABANDONED "no records were sent", whatever the batch did.
      expect(await getRun(fx.project.deps.state, handle.workflowId)).toMatchObject({ status: 'failed', phase: 'finished', error_code: 'DESTINATION_TRANSIENT' });
    });
  });

  it.each(['startRun', 'finishRun'] as const)('retries a %s whose worker died after the heartbeat timeout, not the step\'s 2-minute limit', async (step) => {
    const real = createActivities(fx.project.deps);
    const realStep = real[step] as (...args: unknown[]) => Promise<unknown>;
    const lost = opening();
    let attempts = 0;
    const activities = {
      ...real,
      // The first attempt's worker is gone: it never heartbeats nor answers.
      [step]: async (...args: unknown[]) => {
        if (++attempts > 1) return realStep(...args);
        lost.entered();
        await lost.released;
        throw new Error('the lost attempt ended with the test');
      },
    };
    const taskQueue = uniqueTaskQueue(`lost-${step}`);
    await withActivities(taskQueue, activities, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      try {
        await lost.reached;
        const lostAt = Date.now();
        const summary = await Promise.race([
          handle.result(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run was still open 60 s after its ${step} worker was lost`)), 60_000)),
        ]);
        expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
        expect(Date.now() - lostAt).toBeGreaterThanOrEqual(RUN_STEP_HEARTBEAT_TIMEOUT_MS - 1_000);
        expect(attempts).toBe(2);
        expect(fx.sandbox.records('Account')).toHaveLength(4);
      } finally {
        // The worker shuts down only once the lost attempt has ended.
        lost.release();
        await fx.temporal.client.workflow.getHandle(handle.workflowId).terminate('test over').catch(() => undefined);
      }
    });
  });

  it('heartbeats while finishRun waits on a slow alert channel, so a worker that is alive is not taken for lost', async () => {
    const silent = await startSilentServer();
    fx.project.write('backflow.yaml', `${fx.project.read('backflow.yaml')}alerts:\n  webhook: http://127.0.0.1:${silent.port}/hook\n`);
    const real = createActivities(fx.project.deps);
    const failing = {
      ...real,
      // A failed run alerts from finishRun: the alert waits on a receiver that never answers.
      async syncBatches(): Promise<never> {
        throw ApplicationFailure.nonRetryable('INVALID_SESSION_ID: Session expired or invalid', 'DESTINATION_AUTH_FAILED');
      },
    };
    const taskQueue = uniqueTaskQueue('slow-finish');
    try {
      await withActivities(taskQueue, failing, async () => {
        const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
        const workflow = fx.temporal.client.workflow.getHandle(handle.workflowId);
        let heartbeatAt: unknown;
        for (let tries = 0; tries < 200 && !heartbeatAt; tries++) {
          const { raw } = await workflow.describe();
          heartbeatAt = raw.pendingActivities?.find((activity) => activity.activityType?.name === 'finishRun')?.lastHeartbeatTime;
          if (!heartbeatAt) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(heartbeatAt).toBeTruthy();
        expect(await handle.result()).toMatchObject({ status: 'failed', error: { code: 'DESTINATION_AUTH_FAILED' } });
      });
    } finally {
      await silent.close();
    }
  });

  it('never sends a committed batch again', async () => {
    const taskQueue = uniqueTaskQueue('committed');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      const requests = fx.sandbox.requests().length;
      const again = await syncBatches(fx.project.deps, summary.runId, { first: 1, last: 1 });
      expect(again.batches).toMatchObject([{ alreadyCommitted: true, synced: 4, apiCalls: 1 }]);
      expect(fx.sandbox.requests().length).toBe(requests);
    });
  });

  it('runs one run per sync at a time', async () => {
    const taskQueue = uniqueTaskQueue('lease');
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId: `sync:${SYNC}:first` });
      while ((await first.progress()).phase !== 'syncing') await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId: `sync:${SYNC}:second` });
      // Its code, so a script tells "busy" from "broken".
      await expect(second.result()).rejects.toMatchObject({
        code: 'SYNC_ALREADY_RUNNING',
        message: expect.stringContaining(`sync ${SYNC} is already running (run sync:${SYNC}:first)`) as unknown,
      });
      expect(await first.result()).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
      // The lease is released with the run: the next one may start.
      fx.sandbox.setFaults({});
      expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
    });
  });

  it('gives a workflow id started again after its run finished (a schedule backfill) a run of its own, which holds the lease like any run', async () => {
    const taskQueue = uniqueTaskQueue('reused-id');
    // The id a schedule gives the run it takes at a nominal time; a backfill over that time reuses it.
    const workflowId = `sync:${SYNC}:scheduled-2026-11-26T22:00:00Z`;
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId })).result()).toMatchObject({ runId: workflowId, status: 'succeeded' });
      await fx.project.sql(fx.project.read('changes.sql'));
      fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
      const again = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId });
      // Bounded: a run refused at its start never gets there.
      for (let tries = 0; tries < 200 && (await again.progress()).phase !== 'syncing'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await again.progress()).toMatchObject({ phase: 'syncing', runId: `${workflowId}~2` });
      // Its lease holds: the holder `…~2` is found running under its workflow id, not closed as abandoned.
      const other = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId: `sync:${SYNC}:meanwhile` });
      await expect(other.result()).rejects.toMatchObject({ code: 'SYNC_ALREADY_RUNNING' });
      fx.sandbox.setFaults({});
      expect(await again.result()).toMatchObject({ runId: `${workflowId}~2`, status: 'succeeded', counts: { changed: 2, synced: 2 } });
    });
    expect((await listRuns(fx.project.deps.state, SYNC)).map((run) => run.runId)).toEqual([`${workflowId}~2`, workflowId]);
  });

  it('gives a workflow id started again after its execution was terminated a run of its own: the old run is closed, not taken over', async () => {
    const taskQueue = uniqueTaskQueue('reused-terminated');
    const workflowId = `sync:${SYNC}:scheduled-2026-11-26T23:00:00Z`;
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId });
      for (let tries = 0; tries < 200 && (await first.progress()).phase !== 'syncing'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      await fx.temporal.client.workflow.getHandle(workflowId).terminate('stuck, said the operator');
      fx.sandbox.setFaults({});
      // The warehouse changes; then a backfill over that time starts the same workflow id again.
      await fx.project.sql(`UPDATE accounts SET name = 'Acme Renamed' WHERE id = 1`);
      const again = await (await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId })).result();
      // Taken over, the terminated run's staged rows went as they were: 'Acme', and no run of its own.
      expect(again).toMatchObject({ runId: `${workflowId}~2`, status: 'succeeded' });
    });
    expect(await getRun(fx.project.deps.state, workflowId)).toMatchObject({ status: 'failed', error_code: 'RUN_ABANDONED' });
    expect(fx.sandbox.records('Account').find((a) => a.External_Id__c === '1')).toMatchObject({ Name: 'Acme Renamed' });
  });

  it('closes a run whose workflow was terminated as RUN_ABANDONED when the next one starts, rather than refusing every later run', async () => {
    const taskQueue = uniqueTaskQueue('abandoned');
    const terminatedId = `sync:${SYNC}:terminated`;
    const failedRuns = async () =>
      (await runDuration.get()).values
        .filter((v) => v.metricName === 'backflow_run_duration_seconds_count' && v.labels.sync === SYNC && v.labels.status === 'failed')
        .reduce((sum, v) => sum + v.value, 0);
    const failedBefore = await failedRuns();
    let terminatedAt = 0;
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId: terminatedId });
      while ((await first.progress()).phase !== 'syncing') await new Promise((resolve) => setTimeout(resolve, 50));
      // Terminated, finishRun never runs: the run stays `running` and keeps the sync's lease.
      terminatedAt = Date.now();
      await fx.temporal.client.workflow.getHandle(terminatedId).terminate('stuck, said the operator');
      // Whoever waited on it hears of the terminate, with the code `runs` gives the run once it is closed.
      await expect(first.result()).rejects.toMatchObject({
        code: 'RUN_ABANDONED',
        message: expect.stringContaining(`sync ${SYNC}: its run was terminated in Temporal (stuck, said the operator); what it committed stands`) as unknown,
      });
      expect(await getRun(fx.project.deps.state, terminatedId)).toMatchObject({ status: 'running' });
      fx.sandbox.setFaults({});
      // The next run comes later: the abandoned run still ended when its workflow did.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded' });
    });
    expect(await getRun(fx.project.deps.state, terminatedId)).toMatchObject({
      status: 'failed',
      phase: 'finished',
      error_code: 'RUN_ABANDONED',
      error_message: expect.stringMatching(/^its workflow ended \(TERMINATED\) without finishing the run; closed when run .+ started$/) as unknown,
    });
    const { finished_at: finishedAt } = await getRun(fx.project.deps.state, terminatedId);
    expect(Date.parse(finishedAt ?? '') - terminatedAt).toBeLessThan(1_500);
    // Closed as its own finishRun would have: counted (and alerted on) as a failed run.
    expect(await failedRuns()).toBe(failedBefore + 1);
    expect(fx.sandbox.records('Account')).toHaveLength(4);
  });

  it('shows per-record results of a run with `backflow runs show --failed`', async () => {
    const taskQueue = uniqueTaskQueue('show');
    await fx.project.sql(`UPDATE accounts SET name = '' WHERE id = 3`);
    let summary: RunSummary | undefined;
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
    });
    const { stdout } = await backflow(['runs', 'show', summary?.runId ?? '', '--failed', '--json', '--project', fx.project.dir], fx.project.env);
    const shown = JSON.parse(stdout) as { summary: RunSummary; records: Array<Record<string, unknown>> };
    expect(shown.summary).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 1 } });
    expect(shown.records).toEqual([
      expect.objectContaining({
        key: '3',
        change: 'added',
        status: 'rejected',
        error: { code: 'REQUIRED_FIELD_MISSING', message: expect.stringContaining('Name') as string, fields: ['Name'] },
      }),
    ]);
  });
});

describe('a state store shared by two Temporal namespaces', () => {
  /** A namespace of its own on the suite's dev server, with backflow's search attributes: another cluster, as far as a run can tell. */
  async function otherNamespace(name: string): Promise<Client> {
    const namespace = `${name}-${process.pid}`;
    const { connection } = fx.temporal.client;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    for (let attempt = 0; ; attempt++) {
      // A new namespace takes a moment to be known to every service.
      const registered = await registerSearchAttributes(connection, namespace).then(() => true, () => false);
      if (registered) break;
      if (attempt > 50) throw new Error(`namespace ${namespace} never took backflow's search attributes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return new Client({ connection, namespace });
  }

  /** Runs `work` while a worker serves `taskQueue` on `client`'s namespace. */
  async function withWorkerOn<T>(client: Client, taskQueue: string, work: () => Promise<T>): Promise<T> {
    const bundle = process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE;
    const worker = await createWorker({
      connection: fx.temporal.nativeConnection,
      namespace: client.options.namespace,
      taskQueue,
      deps: fx.project.deps,
      ...(bundle ? { workflowBundlePath: bundle } : {}),
    });
    return worker.runUntil(work());
  }

  it('refuses a run while another namespace\'s run holds the sync, instead of closing that run as abandoned and running alongside it', async () => {
    const laptop = await otherNamespace('laptop');
    const taskQueue = uniqueTaskQueue('fleet');
    const fleetRun = `sync:${SYNC}:fleet`;
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const fleet = await startSync(fx.temporal.client, SYNC, { taskQueue, workflowId: fleetRun });
      for (let tries = 0; tries < 200 && (await fleet.progress()).phase !== 'syncing'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      // A `backflow run` with the fleet's state store but a Temporal of its own: the fleet's workflow is not there.
      await withWorkerOn(laptop, taskQueue, async () => {
        const local = await startSync(laptop, SYNC, { taskQueue, workflowId: `sync:${SYNC}:laptop` });
        await expect(local.result()).rejects.toMatchObject({
          code: 'SYNC_ALREADY_RUNNING',
          message: expect.stringContaining(`sync ${SYNC} is already running (run ${fleetRun}); one run per sync at a time. The run was opened on Temporal namespace default (id `) as unknown,
        });
        await expect(local.result()).rejects.toMatchObject({ message: expect.stringContaining(`close the run with \`backflow runs abandon ${fleetRun}\``) as unknown });
      });
      expect(await getRun(fx.project.deps.state, fleetRun)).toMatchObject({ status: 'running', temporal_namespace: 'default' });
      fx.sandbox.setFaults({});
      expect(await fleet.result()).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
    });
    // Each record written once, by the fleet's run alone.
    expect(fx.sandbox.requests().filter((request) => request.method !== 'GET')).toHaveLength(1);
  });

  it('`backflow runs abandon` closes a run whose namespace is gone for good, so the sync runs again; a running or closed run it refuses', async () => {
    const gone = await otherNamespace('gone');
    const taskQueue = uniqueTaskQueue('abandon');
    const stranded = `sync:${SYNC}:stranded`;
    const cli = (runId: string) => backflow(['runs', 'abandon', runId, '--project', fx.project.dir], { ...fx.project.env, TEMPORAL_ADDRESS: fx.temporal.address, TEMPORAL_NAMESPACE: 'default' });
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    await withWorkerOn(gone, taskQueue, async () => {
      const run = await startSync(gone, SYNC, { taskQueue, workflowId: stranded });
      for (let tries = 0; tries < 200 && (await run.progress()).phase !== 'syncing'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      // Its cluster goes away mid-run: the run stays open, holding the sync.
      await gone.workflow.getHandle(stranded).terminate('the cluster is being decommissioned');
    });
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await expect((await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).rejects.toMatchObject({ code: 'SYNC_ALREADY_RUNNING' });
      const abandoned = await cli(stranded);
      expect(abandoned).toMatchObject({ code: 0, stdout: expect.stringContaining(`run ${stranded} closed as RUN_ABANDONED; ${SYNC} may run again`) as unknown });
      expect(await getRun(fx.project.deps.state, stranded)).toMatchObject({
        status: 'failed',
        error_code: 'RUN_ABANDONED',
        error_message: expect.stringMatching(/^closed by hand \(backflow runs abandon\): it was opened on Temporal namespace gone-\d+ \(id /) as unknown,
      });
      expect(await cli(stranded)).toMatchObject({ code: 1, stderr: expect.stringContaining(`run ${stranded} is closed already (failed, RUN_ABANDONED); nothing to abandon`) as unknown });

      await fx.project.sql(`UPDATE accounts SET name = 'Acme Renamed' WHERE id = 1`);
      const next = await startSync(fx.temporal.client, SYNC, { taskQueue });
      for (let tries = 0; tries < 200 && (await next.progress()).phase !== 'syncing'; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
      // A run this Temporal is running is cancelled, not abandoned.
      expect(await cli(next.workflowId)).toMatchObject({ code: 1, stderr: expect.stringContaining(`run ${next.workflowId} is running: its workflow ${next.workflowId} runs on this Temporal (namespace default). Cancel it instead`) as unknown });
      fx.sandbox.setFaults({});
      expect(await next.result()).toMatchObject({ status: 'succeeded', counts: { changed: 1, synced: 1 } });
    });
  });
});
