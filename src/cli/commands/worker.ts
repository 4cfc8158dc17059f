import { createWorker } from '../../../worker';
import { connectTemporal, projectTemporalSettings } from '../../temporal/connection';
import { startTemporal } from '../../temporal/server';
import { installTemporalRuntime } from '../../temporal/runtime';
import { metricsPortsFromEnv, startMetricsServer, type MetricsServer } from '../../ops/metrics';
import { cliContext, engineDeps } from '../context';
import { logTo } from '../output';

/**
 * `backflow worker`: a long-running worker. Opening the state store runs its migrations (PostgreSQL:
 * under an advisory lock, so a fleet starting together is safe). On SIGINT / SIGTERM the SDK stops
 * polling and lets in-flight activities finish for the grace time, then hands them back to Temporal.
 */
export async function workerCommand(options: { project?: string }): Promise<number> {
  const log = logTo(false);
  // Metrics are the worker's alone: the SDK's exporter is set up as the runtime is installed.
  const metrics = metricsPortsFromEnv();
  // A service: its logs go to a collector, one JSON object a line.
  const ctx = cliContext(options, { format: 'json' });
  installTemporalRuntime(ctx.logger, metrics ? { metricsBindAddress: metrics.temporalBindAddress } : {});
  const settings = projectTemporalSettings(ctx);
  const deps = await engineDeps(ctx);
  try {
    const server = settings.remote
      ? await connectTemporal(settings.remote, ctx.env.TEMPORAL_UI_URL)
      : await startTemporal({ env: { ...ctx.env, TEMPORAL_NAMESPACE: settings.namespace }, ui: true, log });
    let metricsServer: MetricsServer | undefined;
    try {
      if (metrics) {
        metricsServer = await startMetricsServer({ port: metrics.port, temporalBindAddress: metrics.temporalBindAddress });
        log(`Prometheus metrics: ${metricsServer.url}`);
      }
      const worker = await createWorker({
        connection: server.nativeConnection,
        namespace: server.namespace,
        taskQueue: settings.taskQueue,
        deps,
        shutdownGraceTime: settings.shutdownGraceMs,
        ...(ctx.env.BACKFLOW_WORKFLOW_BUNDLE ? { workflowBundlePath: ctx.env.BACKFLOW_WORKFLOW_BUNDLE } : {}),
      });
      log(`worker on ${server.address} (namespace ${server.namespace}, task queue ${settings.taskQueue})`);
      if (server.uiUrl) log(`Temporal Web: ${server.uiUrl}`);
      await worker.run(); // returns after SIGINT / SIGTERM, once activities in flight are done or handed back
      log('worker stopped');
    } finally {
      await metricsServer?.close();
      await server.stop();
    }
  } finally {
    await deps.state.destroy();
  }
  return 0;
}
