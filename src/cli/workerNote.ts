import type { TemporalServer } from '../temporal/server';
import { taskQueueHasPollers } from '../temporal/taskQueuePollers';

/**
 * On a cluster, says so on stderr when no worker serves the task queue: what was started (`waiting`:
 * a run, a schedule's runs) waits there for one, and the command said nothing of it (a worker not
 * started yet, or started with another BACKFLOW_TASK_QUEUE).
 */
export async function noteWithoutWorkers(server: TemporalServer, taskQueue: string, waiting: string): Promise<void> {
  if ((await taskQueueHasPollers(server.client, server.namespace, taskQueue)) !== false) return;
  process.stderr.write(
    `note: no worker is polling task queue ${taskQueue} on ${server.address} (namespace ${server.namespace}): ${waiting} until one does; ` +
      'start `backflow worker` with the same TEMPORAL_ADDRESS and BACKFLOW_TASK_QUEUE\n',
  );
}
