import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import type { RunSummary } from '../state/summary';
import { BackflowError, type ErrorCode } from '../errors';
import { SYNC_FAILED, progressQuery, type SyncProgress, type syncWorkflow } from '../../workflows';
import { failedMessage } from '../../workflows/failedMessage';
import { BACKFLOW_SYNC } from './searchAttributes';

export interface StartSyncOptions {
  taskQueue: string;
  full?: boolean;
  /** Default `sync:<name>:<UTC timestamp>`, readable in Temporal Web. */
  workflowId?: string;
}

export interface SyncHandle {
  workflowId: string;
  /** The run's summary; a `failed` run resolves too (its summary rides on the failure). */
  result(): Promise<RunSummary>;
  progress(): Promise<SyncProgress>;
  cancel(): Promise<void>;
}

export function syncWorkflowId(sync: string, at: Date = new Date()): string {
  return `sync:${sync}:${at.toISOString().replace(/[-:.]/g, '')}`;
}

/** What a failed run's failure details carry: its summary, or (refused before it opened) why it never started. */
function detailOfFailure(err: unknown): (Partial<RunSummary> & { startFailure?: { code: string; message: string } }) | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type === SYNC_FAILED) return cause.details?.[0] as ReturnType<typeof detailOfFailure>;
  return undefined;
}

/** The summary a failed run carries in its failure details, if it got far enough to have one. */
export function summaryOfFailure(err: unknown): RunSummary | undefined {
  const detail = detailOfFailure(err);
  return detail !== undefined && detail.startFailure === undefined ? (detail as RunSummary) : undefined;
}

/** Starts a sync run on Temporal; for teams that trigger syncs from their own code. */
export async function startSync(client: Client, sync: string, options: StartSyncOptions): Promise<SyncHandle> {
  const start = (workflowId: string): Promise<WorkflowHandle<typeof syncWorkflow>> =>
    client.workflow.start('syncWorkflow', {
      taskQueue: options.taskQueue,
      workflowId,
      args: [{ sync, ...(options.full ? { full: true } : {}) }],
      typedSearchAttributes: [{ key: BACKFLOW_SYNC, value: sync }],
    });
  let workflowId = options.workflowId ?? syncWorkflowId(sync);
  let handle: WorkflowHandle<typeof syncWorkflow>;
  try {
    handle = await start(workflowId);
  } catch (err) {
    // A generated id is a millisecond timestamp: another client (a second project on the namespace)
    // may have started the same sync name in the same millisecond. The next millisecond is free.
    if (options.workflowId !== undefined || !(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await new Promise((resolve) => setTimeout(resolve, 2));
    workflowId = syncWorkflowId(sync);
    handle = await start(workflowId);
  }
  return {
    workflowId,
    async result() {
      try {
        return await handle.result();
      } catch (err) {
        const summary = summaryOfFailure(err);
        if (summary) return summary;
        // Refused before it started (SYNC_ALREADY_RUNNING, a bad spec): the engine's own code, not ERROR.
        const refused = detailOfFailure(err)?.startFailure;
        if (refused) throw new BackflowError(refused.code as ErrorCode, failedMessage(sync, refused.message));
        // Cancelled: the engine's code, as `runs` records the run (failed, CANCELLED).
        if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) {
          throw new BackflowError('CANCELLED', `sync ${sync}: the run was cancelled; what it committed stands, the rest goes with the next run`);
        }
        // Terminated (Temporal Web, `temporal workflow terminate`): the engine's code, as `runs` records
        // the run once it is closed. It read as the operator's bare reason (`stuck`, code ERROR).
        if (err instanceof WorkflowFailedError && err.cause instanceof TerminatedFailure) {
          const reason = err.cause.message ? ` (${err.cause.message})` : '';
          throw new BackflowError(
            'RUN_ABANDONED',
            `sync ${sync}: its run was terminated in Temporal${reason}; what it committed stands, the run is closed RUN_ABANDONED by the sync's next start or the hourly maintenance, and the next run sends the rest`,
          );
        }
        // Surface the run's own reason, not the generic "Workflow execution failed".
        if (err instanceof WorkflowFailedError && err.cause) throw new Error(err.cause.message, { cause: err });
        throw err;
      }
    },
    progress: () => handle.query(progressQuery),
    cancel: async () => {
      await handle.cancel();
    },
  };
}
