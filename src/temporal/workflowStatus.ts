import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * What Temporal says of a workflow, by id: 'RUNNING', how it ended ('TERMINATED', 'TIMED_OUT',
 * 'FAILED', …) and when, or 'NOT_FOUND' once its history is gone. The id names the newest
 * execution, so a run that continued as new reads as the running continuation.
 */
export async function workflowStatusOf(client: Client, workflowId: string): Promise<{ status: string; closedAt?: string }> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return { status: description.status.name, ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
    throw err;
  }
}
