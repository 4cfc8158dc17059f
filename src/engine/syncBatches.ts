import { randomUUID } from 'node:crypto';
import type { Value } from '../sources/source';
import { addFailedAttemptCalls, claimBatch, commitBatch, getBatch, markDeletesSent, readBatchRecords, saveBatchCheckpoint, totalsOf, type BatchOutcome, type BatchTotals } from '../state/batches';
import type { BatchRow } from '../state/database';
import { closedRun, getRun, specOf } from '../state/runs';
import { WriteNotStarted, type DestinationRecord, type RecordResult, type WriteContext } from '../destinations/destination';
import type { SyncSpec } from '../config/schema';
import { apiCallsOf } from '../destinations/failedWriteCalls';
import { BackflowError, DestinationBatchRejected, DestinationBudgetExhausted } from '../errors';
import { interruptionOf, type RangeInterruption } from './rangeInterruption';
import { writeBisecting } from './bisect';
import { nowIso, openTarget, type EngineDeps, type OpenTarget } from './context';
import { pacerFor, type Pacer } from './pacing';
import { RekeyedRecords } from './rekeyed';

/** A run of consecutive batches one activity sends, first to last. */
export interface BatchRange {
  first: number;
  last: number;
}

export interface BatchRangeResult {
  /** The batches sent (or found committed), in order: may stop short of `last` (time slice, spent budget). */
  batches: BatchTotals[];
  /** Set when the destination's budget is spent: no later batch of the run may be sent. */
  budgetSpent?: { code: string; message: string };
  /**
   * Set when a batch failed retryably after this attempt had sent others: the rest of the range is
   * handed back to go out as a new activity (after `retryAfterMs`, when the destination named a
   * wait). Temporal's retry backoff grows with every failed attempt of one activity; a range making
   * progress must not inherit the backoff, nor exhaust the attempts, of its earlier batches' faults.
   */
  interrupted?: RangeInterruption;
}

/**
 * After this long an activity hands the rest of its range back. Grouping pays off only for fast
 * batches (Temporal's per-activity cost is ~100 ms); a batch slower than this goes alone, as do
 * progress updates and cancellation, which the workflow sees per activity.
 */
export const TIME_SLICE_MS = 1_000;

/**
 * Sends a range of staged batches in order, each committed on its own (so a retry resumes at the
 * first uncommitted one), opening the run, the destination and its pacer once for all of them.
 * A committed batch returns its stored totals without calling the destination again; an uncommitted
 * one is (re)sent — safe, because every verb is keyed by the external id or by a destination id
 * committed earlier. Each call is one attempt, fenced: it claims each batch before sending it (see
 * claimBatch), so an earlier attempt still running stops at its next checkpoint or commit.
 */
export async function syncBatches(
  deps: EngineDeps,
  runId: string,
  range: BatchRange,
  /** Asked after each batch, and before a batch that waited for the pacer is sent: true stops the range there (the activity was cancelled). */
  stopRequested: () => boolean = () => false,
): Promise<BatchRangeResult> {
  const started = Date.now();
  const timeSliceMs = deps.batchTimeSliceMs ?? TIME_SLICE_MS;
  const spec = specOf(await getRun(deps.state, runId));
  const target = openTarget(deps, spec);
  const pacer = pacerFor({ state: deps.state, connection: spec.destination.connection, limits: target.limits });
  const batches: BatchTotals[] = [];
  const fence = randomUUID();
  const rekeyed = new RekeyedRecords(deps.state);
  let sent = 0;
  for (let batchNo = range.first; batchNo <= range.last; batchNo++) {
    try {
      const batch = await getBatch(deps.state, runId, batchNo);
      if (batch.committed) {
        batches.push(totalsOf(batch, true));
      } else {
        await refuseIfClosed(deps, runId);
        const claimed = await claimBatch(deps.state, runId, batchNo, fence);
        if (claimed.committed) {
          batches.push(totalsOf(claimed, true));
        } else {
          batches.push(await sendBatch(deps, { runId, spec, batch: claimed, target, pacer, fence, rekeyed, stopRequested }));
          sent++;
        }
      }
    } catch (err) {
      // Cancelled before a batch went: the range ends there, the rest unsent.
      if (err instanceof WriteNotStarted) return { batches };
      if (err instanceof DestinationBudgetExhausted) return { batches, budgetSpent: { code: err.code, message: err.message } };
      const interrupted = sent > 0 ? interruptionOf(err) : undefined;
      if (!interrupted) throw err;
      return { batches, interrupted };
    }
    if (Date.now() - started >= timeSliceMs || stopRequested()) break;
  }
  return { batches };
}

/**
 * A run closed under its activity (abandoned when its workflow was terminated) sends nothing more:
 * its unsent records are the next run's now. Asked before each batch, as the close can come any time.
 */
async function refuseIfClosed(deps: EngineDeps, runId: string): Promise<void> {
  const closed = await closedRun(deps.state, runId);
  if (closed) throw new BackflowError('RUN_ALREADY_FINISHED', `run ${runId} is closed (${closed.error_code ?? closed.status}); its batches are not sent`);
}

async function sendBatch(
  deps: EngineDeps,
  input: { runId: string; spec: SyncSpec; batch: BatchRow; target: OpenTarget; pacer: Pacer | null; fence: string; rekeyed: RekeyedRecords; stopRequested: () => boolean },
): Promise<BatchTotals> {
  const { runId, batch, pacer, fence } = input;
  const syncName = input.spec.name;
  const { destination } = input.target;
  const batchNo = batch.batch_no;
  const records = await readBatchRecords(deps.state, runId, syncName, batchNo);
  if (batch.operation === 'delete') await markDeletesSent(deps.state, syncName, records.map((record) => record.key));
  const rekeyed = batch.operation === 'delete' ? new Set<string>() : await input.rekeyed.of(input.spec.destination, records);
  const idObjects = await input.rekeyed.idObjects(input.spec.destination, records);
  const payloads = records.map((record): DestinationRecord => {
    const payload: DestinationRecord = { key: record.key, fields: JSON.parse(record.payload) as Record<string, Value>, destinationId: record.destinationId };
    if (rekeyed.size > 0 && rekeyed.has(record.key)) payload.rekeyed = true;
    const idObject = idObjects.get(record.key);
    if (idObject !== undefined) payload.idObject = idObject;
    return payload;
  });
  // Live: each write of a bisected batch sees what the one before it saved.
  let checkpoint = batch.checkpoint;
  // Whether the run was cancelled before any of this batch went (then none of it goes).
  let sentAny = false;
  const notSentYet = () => !sentAny && input.stopRequested();
  const context: WriteContext = {
    syncName,
    runId,
    batchId: `${runId}#${batchNo}`,
    get checkpoint() {
      return checkpoint;
    },
    async saveCheckpoint(value: string) {
      checkpoint = value;
      await saveBatchCheckpoint(deps.state, runId, batchNo, value, fence);
    },
    stopRequested: () => notSentYet(),
    cancelled: () => input.stopRequested(),
  };
  // Every request of this attempt, those of writes that failed too: a failed attempt leaves its count
  // on the batch, so a 429 or a 5xx the retry got past still counts in the run's apiCalls.
  let spent = 0;
  try {
    const { results, apiCalls } = await writeBisecting(
      async (part) => {
        await pacer?.acquire();
        // Cancelled while it waited its turn: nothing of it sent, so nothing goes. Once under way, a
        // batch is finished and committed (a Slack batch's posts are only known to its commit).
        if (notSentYet()) throw new WriteNotStarted();
        try {
          const written = await destination.write(batch.operation, part, context);
          spent += written.apiCalls;
          sentAny = true;
          await pacer?.settle({ apiCalls: written.apiCalls });
          return written;
        } catch (error) {
          spent += error instanceof DestinationBatchRejected ? error.apiCalls : apiCallsOf(error);
          if (!(error instanceof WriteNotStarted)) sentAny = true;
          await pacer?.settle({ error });
          throw error;
        }
      },
      payloads,
    );
    return await commitBatch(deps.state, {
      runId,
      syncName,
      batchNo,
      records,
      outcomes: results.map(toOutcome),
      apiCalls,
      now: nowIso(deps),
      fence,
    });
  } catch (err) {
    // The attempt's own failure is what Temporal must see; a state store that cannot take the count now is only logged.
    await addFailedAttemptCalls(deps.state, runId, batchNo, spent).catch((countErr: unknown) =>
      deps.logger.warn({ runId, batchNo, apiCalls: spent, error: String(countErr) }, "could not count the failed attempt's API calls"),
    );
    throw err;
  }
}

function toOutcome(result: RecordResult): BatchOutcome {
  switch (result.status) {
    case 'ok':
      return { key: result.key, status: 'synced', destinationId: result.destinationId, created: result.created };
    case 'skipped':
      return {
        key: result.key,
        status: 'skipped',
        reason: result.reason,
        ...(result.destinationId ? { destinationId: result.destinationId } : {}),
        ...(result.filtered ? { filtered: true as const } : {}),
        ...(result.nothingToDelete ? { nothingToDelete: true as const } : {}),
      };
    case 'rejected':
      return { key: result.key, status: 'rejected', error: result.error };
  }
}
