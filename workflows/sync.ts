import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { BatchRange, BatchRangeResult } from '../src/engine/syncBatches';
import type { BatchTotals } from '../src/state/batches';
import type { ChangeCounts } from '../src/state/staging';
import type { RunSummary } from '../src/state/summary';
import { failedMessage } from './failedMessage';
import { sealedMessageOf, sealedNote } from './sealedMessage';
import { EXTRACT_RETRY, RUN_STEP_RETRY, SYNC_BATCHES_RETRY, retryOptions } from './retryPolicies';
import { runAttributes } from './searchAttributes';

/** Where a run stands; carried across continue-as-new. Ids and counts only. */
export interface SyncProgress {
  runId: string;
  sync: string;
  phase: 'starting' | 'extracting' | 'syncing' | 'finishing' | 'finished';
  counts?: ChangeCounts;
  batchesTotal: number;
  batchesDone: number;
  synced: number;
  rejected: number;
  apiCalls: number;
}

export interface SyncWorkflowInput {
  sync: string;
  /** Re-send every row, not only the changed ones. */
  full?: boolean;
  /** Batches one execution schedules before continuing as new (default 1,000); bounds history size. */
  batchesPerExecution?: number;
  /** Set by continue-as-new: the run to resume and its progress so far. */
  resume?: { progress: SyncProgress; concurrency: number; nextBatch: number; batchesPerActivity?: number };
}

export const progressQuery = defineQuery<SyncProgress>('progress');

/** Failure type of a run that ended `failed`; its details carry the RunSummary. */
export const SYNC_FAILED = 'SyncFailed';

const BATCHES_PER_EXECUTION = 1_000;

/** The patch that marks a continued execution `continued` in visibility (see syncWorkflow). */
const CONTINUED_STATUS_PATCH = 'backflow-status-continued';

/** The patch under which a cancel waits for startRun / finishRun and is not lost at continue-as-new. */
const CANCEL_WAITS_PATCH = 'backflow-cancel-waits-for-run-steps';

/** The patch under which a lane's Retry-After wait is cut short once the run is ending. */
const LANE_WAITS_STOP_PATCH = 'backflow-lane-waits-stop-at-run-end';

/**
 * A run's start and finish heartbeat (activities/index.ts), so a worker lost during one is noticed
 * after `heartbeatTimeout`: without it the step was retried only at its start-to-close timeout, and the
 * run stayed open (holding its sync) two minutes more. Not shorter: a SQLite statement (the close
 * deleting a large run's staging) holds the event loop, and with it the heartbeats, for seconds.
 */
export const RUN_STEP_HEARTBEAT_TIMEOUT_MS = 30_000;
const RUN_STEP_OPTIONS = { startToCloseTimeout: '2 minutes', heartbeatTimeout: RUN_STEP_HEARTBEAT_TIMEOUT_MS, retry: retryOptions(RUN_STEP_RETRY) } as const;
const { startRun: startRunAbandoned, finishRun: finishRunAbandoned } = proxyActivities<SyncActivities>(RUN_STEP_OPTIONS);
/**
 * A cancel waits for these to finish rather than abandoning them: a startRun cancelled mid-way still
 * opened the run after the workflow had ended (left `running`, holding the sync's lease), and a
 * cancelled finishRun ran again, for CANCELLED, alongside itself.
 */
const waited = proxyActivities<SyncActivities>({ ...RUN_STEP_OPTIONS, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
const startRun: SyncActivities['startRun'] = (input) => (patched(CANCEL_WAITS_PATCH) ? waited.startRun : startRunAbandoned)(input);
const finishRun: SyncActivities['finishRun'] = (runId, error, ...options) => (patched(CANCEL_WAITS_PATCH) ? waited.finishRun : finishRunAbandoned)(runId, error, ...options);

/** The patch under which the write-back is an activity of its own (deliverWriteBacks), not part of finishRun. */
const WRITE_BACK_APART_PATCH = 'backflow-write-back-apart';
/** A failure leaves the write-back owed (the sync's next run or the hourly maintenance delivers it). */
const { deliverWriteBacks } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});
const { alertStartFailure } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});
const { extractChanges } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: retryOptions(EXTRACT_RETRY),
});
/**
 * One syncBatches attempt may take this long: a range's time slice hands most work back within
 * seconds, but one Salesforce Bulk API job is polled for up to two hours (heartbeating all along; a
 * dead worker is still noticed after `heartbeatTimeout`). Heartbeats do not extend this limit.
 */
export const SYNC_BATCHES_START_TO_CLOSE_MS = 135 * 60_000;

const { syncBatches } = proxyActivities<SyncActivities>({
  startToCloseTimeout: SYNC_BATCHES_START_TO_CLOSE_MS,
  // On cancel, wait for a batch in flight to finish (and commit) instead of abandoning it: else its
  // records reach the destination after the run closed, outside the snapshot.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // A killed worker's batch is handed to another worker after this long without a heartbeat.
  heartbeatTimeout: '10 seconds',
  retry: retryOptions(SYNC_BATCHES_RETRY),
});

/**
 * The failure's message as the workflow's own failure may carry it in history: a sealed one (see
 * sealedMessage.ts) only by its code, its message staying in the encrypted details (the summary, or
 * startFailure) that callers read.
 */
function inHistory(err: unknown, failure: { code: string; message: string }): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const sealed = cause instanceof ApplicationFailure && sealedMessageOf(cause) !== undefined;
  return sealed ? sealedNote(failure.code) : failure.message;
}

function failureOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  // A worker encrypting payloads seals its activities' messages into their (encrypted) details.
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'UNKNOWN', message: sealedMessageOf(cause) ?? cause.message };
  if (cause instanceof Error) return { code: cause.name, message: cause.message };
  return { code: 'UNKNOWN', message: String(cause) };
}

/**
 * One sync run: startRun → extractChanges → syncBatches × N (each a range of consecutive batches, a
 * window of `concurrency` ranges in flight, batches committed in any order) → finishRun. Resumes
 * after crashes from the last committed batch.
 */
export async function syncWorkflow(input: SyncWorkflowInput): Promise<RunSummary> {
  // The workflow id, unless that id's run finished already (startRun then names another: a backfill).
  let runId = input.resume?.progress.runId ?? workflowInfo().workflowId;
  const progress: SyncProgress = input.resume?.progress ?? {
    runId,
    sync: input.sync,
    phase: 'starting',
    batchesTotal: 0,
    batchesDone: 0,
    synced: 0,
    rejected: 0,
    apiCalls: 0,
  };
  setHandler(progressQuery, () => progress);
  const inFlight = new Map<number, Promise<void>>();
  // Keys of the ranges in flight.
  let rangeIds = 0;
  // Until startRun has opened the run record there is nothing to finish.
  let opened = input.resume !== undefined;
  // Ends the lanes' Retry-After waits (set once the lanes exist).
  let stopLaneWaits = () => {};

  const finish = async (error?: { code: string; message: string }): Promise<RunSummary> => {
    progress.phase = 'finishing';
    const writeBackApart = patched(WRITE_BACK_APART_PATCH);
    const summary = await (writeBackApart ? finishRun(runId, error, { writeBackApart }) : finishRun(runId, error));
    progress.phase = 'finished';
    // Temporal Web filters on the outcome; the memo shows the whole summary (ids and counts only).
    upsertSearchAttributes(runAttributes({ status: summary.status, rejected: summary.counts.rejected }));
    upsertMemo({ summary });
    // The run's outcome stands whatever becomes of its write-back: one that fails stays owed. Not
    // cancellable: it writes a closed run's results, and a cancel that came during finishRun skipped it.
    if (writeBackApart) await CancellationScope.nonCancellable(() => deliverWriteBacks(runId)).catch(() => undefined);
    return summary;
  };

  try {
    let concurrency = input.resume?.concurrency ?? 1;
    let nextBatch = input.resume?.nextBatch ?? 1;
    let perActivity = input.resume?.batchesPerActivity ?? 1;
    if (!input.resume) {
      const started = await startRun({ runId, sync: input.sync, full: input.full ?? false });
      // Histories from before startRun could rename a run answered its own id (or none): same commands.
      runId = started.runId ?? runId;
      progress.runId = runId;
      opened = true;
      upsertSearchAttributes(runAttributes({ destination: started.destination, status: 'running', rejected: 0 }));
      progress.phase = 'extracting';
      const extracted = await extractChanges(runId);
      progress.counts = extracted.counts;
      progress.batchesTotal = extracted.counts.batches;
      concurrency = Math.max(1, extracted.concurrency);
      perActivity = Math.max(1, extracted.batchesPerActivity);
    }
    progress.phase = 'syncing';

    const record = (totals: BatchTotals) => {
      progress.batchesDone++;
      progress.synced += totals.synced;
      progress.rejected += totals.rejected;
      progress.apiCalls += totals.apiCalls;
      if (totals.rejected > 0) upsertSearchAttributes(runAttributes({ rejected: progress.rejected }));
    };
    // Set when the destination's budget (daily quota, API reserve) is spent: no batch is sent after it.
    let budgetSpent: { code: string; message: string } | undefined;
    // The lanes' Retry-After waits. Once the run is ending (a lane failed, the budget is spent) no lane
    // sends again, yet the run stayed open, holding its sync, until every other lane's wait was out.
    const laneWaits = new CancellationScope();
    let laneWaitsStopped = false;
    stopLaneWaits = () => {
      if (laneWaitsStopped || !patched(LANE_WAITS_STOP_PATCH)) return;
      laneWaitsStopped = true;
      laneWaits.cancel();
    };
    // The rest of ranges an activity handed back (its time slice ran out): sent before any new range.
    const handedBack: BatchRange[] = [];
    let scheduled = 0;
    const perExecution = input.batchesPerExecution ?? BATCHES_PER_EXECUTION;
    const timeToContinue = () => scheduled >= perExecution || workflowInfo().continueAsNewSuggested;
    const nextRange = (): BatchRange | undefined => {
      const rest = handedBack.shift();
      if (rest) return rest;
      if (nextBatch > progress.batchesTotal || timeToContinue()) return undefined;
      const first = nextBatch;
      const last = Math.min(progress.batchesTotal, first + perActivity - 1, first + (perExecution - scheduled) - 1);
      nextBatch = last + 1;
      scheduled += last - first + 1;
      return { first, last };
    };
    const settle = (range: BatchRange) => async (result: BatchRangeResult) => {
      result.batches.forEach(record);
      if (result.budgetSpent) {
        budgetSpent ??= result.budgetSpent;
        stopLaneWaits();
        return;
      }
      // A rate limit interrupted the range: its lane waits out the destination's Retry-After first.
      const waitMs = result.interrupted?.retryAfterMs;
      if (waitMs !== undefined) {
        try {
          await laneWaits.run(() => sleep(waitMs));
        } catch (err) {
          // The run is ending: the rest of the range is for the next run.
          if (laneWaitsStopped && isCancellation(err)) return;
          throw err;
        }
      }
      // Batches come back in order from `first`; an activity always sends at least one.
      const next = range.first + result.batches.length;
      if (next <= range.last) handedBack.push({ first: next, last: range.last });
    };
    while (!budgetSpent || inFlight.size > 0) {
      while (inFlight.size < concurrency && !budgetSpent) {
        const range = nextRange();
        if (!range) break;
        const id = rangeIds++;
        inFlight.set(
          id,
          syncBatches(runId, range).then(settle(range)).finally(() => inFlight.delete(id)),
        );
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight.values());
    }
    // The unsent batches stay uncommitted: the next run sends their rows again. The run is partial.
    if (budgetSpent) return await finish(budgetSpent);
    if (nextBatch <= progress.batchesTotal) {
      // A cancel that came with the last batch's completion would be dropped by continue-as-new (the
      // next execution never sees it), and the run would send everything: close the run here instead.
      if (CancellationScope.current().consideredCancelled && patched(CANCEL_WAITS_PATCH)) throw new CancelledFailure('the run was cancelled');
      const next: SyncWorkflowInput = {
        sync: input.sync,
        ...(input.batchesPerExecution !== undefined ? { batchesPerExecution: input.batchesPerExecution } : {}),
        resume: { progress, concurrency, nextBatch, batchesPerActivity: perActivity },
      };
      // Versioned: histories that continued without it must replay (queries on them replay too).
      if (!patched(CONTINUED_STATUS_PATCH)) return await continueAsNew<typeof syncWorkflow>(next);
      // In Temporal Web this execution is over and the next one runs: without both, every execution of
      // a long run would keep `BackflowStatus = running` for good.
      upsertSearchAttributes(runAttributes({ status: 'continued' }));
      const running = workflowInfo().typedSearchAttributes.updateCopy(runAttributes({ status: 'running' }));
      return await makeContinueAsNewFunc<typeof syncWorkflow>({ typedSearchAttributes: running })(next);
    }
    return await finish();
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err; // not a failure: the run goes on in a fresh execution
    if (!opened) {
      if (isCancellation(err)) throw err;
      const failure = failureOf(err);
      // Refused by the one-run-per-sync lease: not a failed run, no run at all.
      upsertSearchAttributes(runAttributes({ status: failure.code === 'SYNC_ALREADY_RUNNING' ? 'skipped' : 'failed' }));
      await alertStartFailure({ runId, sync: input.sync, error: failure });
      // Its code in the details (there is no run summary to carry), so a caller tells busy from broken.
      throw ApplicationFailure.create({ type: SYNC_FAILED, message: failedMessage(input.sync, inHistory(err, failure)), nonRetryable: true, details: [{ startFailure: failure }] });
    }
    if (isCancellation(err)) {
      // Let the batches in flight commit, then close the run consistently before giving up.
      await CancellationScope.nonCancellable(async () => {
        await Promise.allSettled(inFlight.values());
        await finish({ code: 'CANCELLED', message: 'the run was cancelled' });
      });
      throw err;
    }
    stopLaneWaits();
    await Promise.allSettled(inFlight.values());
    const failure = failureOf(err);
    // A failure after a cancel (a batch timed out, its worker gone) still closes the run: in the
    // cancelled scope finishRun was never scheduled, and the run was left open.
    const cancelled = CancellationScope.current().consideredCancelled && patched(CANCEL_WAITS_PATCH);
    const summary = cancelled ? await CancellationScope.nonCancellable(() => finish(failure)) : await finish(failure);
    throw ApplicationFailure.create({
      type: SYNC_FAILED,
      message: failedMessage(input.sync, inHistory(err, failure)),
      nonRetryable: true,
      details: [summary],
    });
  }
}
