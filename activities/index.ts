import { Context, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { extractChanges, finishRun, startRun, syncBatches, type BatchRange, type BatchRangeResult, type EngineDeps, type ExtractResult } from '../src/engine';
import type { RunSummary } from '../src/state/summary';
import { isRateLimitWait } from '../src/engine/rateLimitWait';
import { rateLimitWaitsTotal } from '../src/ops/metrics';
import { runMaintenance, type MaintenanceResult } from '../src/ops/maintenance';
import { deliverOwedWriteBacks } from '../src/ops/owedWriteBacks';
import { getRun, specOf, workflowIdOfRun } from '../src/state/runs';
import { asActivity } from './failures';
import { scheduleFacts } from '../src/temporal/scheduleFacts';
import { workflowStatusOf } from '../src/temporal/workflowStatus';
import { namespaceOf } from '../src/temporal/namespaceOf';
import { reportStartFailure } from '../src/ops/startFailure';

/** Heartbeats while a long call is in flight, so a dead worker is noticed within the heartbeat timeout. */
async function withHeartbeats<T>(work: Promise<T>, everyMs = 2_000): Promise<T> {
  const timer = setInterval(() => heartbeat(), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** The worker's client; none in a MockActivityEnvironment made without one (unit tests drive activities so). */
function workerClient(): Client | undefined {
  try {
    return Context.current().client;
  } catch (err) {
    if (err instanceof IllegalStateError) return undefined;
    throw err;
  }
}

/**
 * The activities of a sync run. Inputs and outputs are ids and counts only: rows and secrets stay
 * in the state store and the environment, never in Temporal history.
 */
export function createActivities(deps: EngineDeps) {
  return {
    async startRun(input: { runId: string; sync: string; full: boolean }): Promise<{ runId: string; destination: string }> {
      return asActivity(async () => {
        const execution = Context.current().info.workflowExecution?.runId;
        const client = workerClient();
        const temporal = client ? await namespaceOf(client) : undefined;
        const { runId, spec } = await withHeartbeats(
          startRun(
            deps,
            { ...input, ...(execution ? { execution } : {}), ...(temporal ? { temporal } : {}) },
            client ? (holder) => workflowStatusOf(client, workflowIdOfRun(holder)) : undefined,
          ),
        );
        // The destination connection's name becomes the run's BackflowDestination search attribute.
        return { runId, destination: spec.destination.connection };
      });
    },

    async extractChanges(runId: string): Promise<ExtractResult> {
      const stopRequested = () => Context.current().cancellationSignal.aborted;
      return asActivity(() =>
        withHeartbeats(extractChanges(deps, runId, (rows) => heartbeat({ rows }), { stopRequested })),
      );
    },

    /** Sends batches `first`..`last` in order, each committed on its own; may hand back the rest of the range. */
    async syncBatches(runId: string, range: BatchRange): Promise<BatchRangeResult> {
      return asActivity(() => {
        deps.logger.debug({ runId, ...range, attempt: Context.current().info.attempt }, 'sync batches');
        const cancelled = () => Context.current().cancellationSignal.aborted;
        const countRateLimitWait = async () => {
          const spec = specOf(await getRun(deps.state, runId));
          rateLimitWaitsTotal.inc({ sync: spec.name, destination: spec.destination.connection });
        };
        return withHeartbeats(syncBatches(deps, runId, range, cancelled)).then(
          async (result) => {
            if (result.interrupted) {
              // Handed back rather than failed: the workflow sends the rest as a new activity.
              deps.logger.warn({ runId, ...range, batchesDone: result.batches.length, error: result.interrupted }, 'batch range interrupted, rest handed back');
              if (isRateLimitWait(result.interrupted)) await countRateLimitWait();
            }
            return result;
          },
          async (err: unknown) => {
            // A rate limit: Temporal retries after the wait the destination named (or its backoff).
            if (isRateLimitWait(err)) await countRateLimitWait();
            throw err;
          },
        );
      });
    },

    /** A run that failed before it opened: alert as for a failed run (best-effort, never fails). */
    async alertStartFailure(input: { runId: string; sync: string; error: { code: string; message: string } }): Promise<void> {
      await reportStartFailure(deps, input);
    },

    /** `writeBackApart`: the workflow delivers the write-back with deliverWriteBacks (see there). */
    async finishRun(runId: string, error?: { code: string; message: string }, options?: { writeBackApart?: boolean }): Promise<RunSummary> {
      return asActivity(() => withHeartbeats(finishRun(deps, runId, error, undefined, options)));
    },

    /**
     * The closed run's write-back, with any its sync still owes: an activity of its own, heartbeating,
     * where finishRun has two minutes: a large run's rows (or a warehouse slow to answer) ran past them,
     * and the retried finishRun counted the run's metrics twice. A write-back that fails stays owed.
     */
    async deliverWriteBacks(runId: string): Promise<void> {
      return asActivity(async () => {
        const run = await getRun(deps.state, runId);
        if (specOf(run).writeBack !== undefined) await withHeartbeats(deliverOwedWriteBacks(deps, run.sync_name));
      });
    },

    /** The maintenance schedule's work: runs left open by an ended workflow closed, retention pruning, staleness alerts. */
    async runMaintenance(): Promise<MaintenanceResult> {
      const { client, info } = Context.current();
      return asActivity(() =>
        runMaintenance(
          deps,
          (sync) => scheduleFacts(client, sync, info.taskQueue),
          (runId) => workflowStatusOf(client, workflowIdOfRun(runId)),
        ),
      );
    },
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
