import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** What Temporal says of a workflow: 'RUNNING' or how it ended, when, and (terminated) the reason given. */
export interface WorkflowStatus {
  status: string;
  closedAt?: string;
  /** The reason recorded with a terminate: the operator's, or the scheduler's for an overlap policy. */
  terminateReason?: string;
}

/**
 * What Temporal says of a workflow, by id: 'RUNNING', how it ended ('TERMINATED', 'TIMED_OUT',
 * 'FAILED', …) and when, or 'NOT_FOUND' once its history is gone. The id names the newest
 * execution, so a run that continued as new reads as the running continuation.
 */
export async function workflowStatusOf(client: Client, workflowId: string): Promise<WorkflowStatus> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    const status = description.status.name;
    return {
      status,
      ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
      ...(status === 'TERMINATED' ? await terminateReasonOf(client, workflowId, description.runId) : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
    throw err;
  }
}

/** The reason of a terminated execution, read from its close event alone (not the whole history). */
async function terminateReasonOf(client: Client, workflowId: string, runId: string): Promise<{ terminateReason?: string }> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  const reason = history?.events?.[0]?.workflowExecutionTerminatedEventAttributes?.reason;
  return reason ? { terminateReason: reason } : {};
}
