import { createWorker } from '../../../worker';
import { startTemporal } from '../../temporal/server';
import { cliContext, engineDeps } from '../context';
import { logTo } from '../output';

/** `backflow worker`: a long-running worker; stops gracefully on SIGINT / SIGTERM. */
export async function workerCommand(options: { project?: string }): Promise<number> {
  const log = logTo(false);
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx);
  const server = await startTemporal({ env: ctx.env, ui: ctx.env.TEMPORAL_ADDRESS === undefined, log });
  try {
    const worker = await createWorker({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: ctx.env.BACKFLOW_TASK_QUEUE,
      deps,
      ...(ctx.env.BACKFLOW_WORKFLOW_BUNDLE ? { workflowBundlePath: ctx.env.BACKFLOW_WORKFLOW_BUNDLE } : {}),
    });
    log(`worker on ${server.address} (namespace ${server.namespace}, task queue ${ctx.env.BACKFLOW_TASK_QUEUE})`);
    if (server.uiUrl) log(`Temporal Web: ${server.uiUrl}`);
    await worker.run(); // returns after SIGINT / SIGTERM, once activities in flight are done or handed back
  } finally {
    await server.stop();
  }
  return 0;
}
