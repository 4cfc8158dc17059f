import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/**
 * What Temporal says of a workflow, by id: 'RUNNING', how it ended ('TERMINATED', 'TIMED_OUT',
 * 'FAILED', …), or 'NOT_FOUND' once its history is gone. The id names the newest execution, so a
 * run that continued as new reads as the running continuation.
 */
export async function workflowStatusOf(client: Client, workflowId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw err;
  }
}
