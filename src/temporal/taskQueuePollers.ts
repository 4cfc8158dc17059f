import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Whether any worker has polled `taskQueue` for workflow tasks lately (Temporal keeps a poller a few
 * minutes after its last poll); undefined when the cluster would not say. A run started on a queue
 * nobody polls waits there, silently, until a worker comes.
 */
export async function taskQueueHasPollers(client: Client, namespace: string, taskQueue: string): Promise<boolean | undefined> {
  try {
    const answer = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (answer.pollers ?? []).length > 0;
  } catch {
    // A note, not a check the run depends on: a cluster that refuses the call (permissions) gets none.
    return undefined;
  }
}
