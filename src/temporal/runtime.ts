import { Runtime, makeTelemetryFilterString, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;

/**
 * Routes the Temporal SDK's logs (worker state, core warnings) into backflow's logger, so they go to
 * stderr at LOG_LEVEL and stdout stays clean for tables and JSON. Once per process, before any worker.
 */
export function installTemporalRuntime(
  logger: Logger,
  /** shutdownSignals: the signals on which the SDK shuts workers down (its default: SIGINT, SIGTERM, …). */
  options: { metricsBindAddress?: string; shutdownSignals?: NodeJS.Signals[] } = {},
): void {
  if (installed) return;
  installed = true;
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    logger[method](meta ?? {}, message);
  };
  Runtime.install({
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
    logger: {
      log,
      trace: (message, meta) => log('TRACE', message, meta),
      debug: (message, meta) => log('DEBUG', message, meta),
      info: (message, meta) => log('INFO', message, meta),
      warn: (message, meta) => log('WARN', message, meta),
      error: (message, meta) => log('ERROR', message, meta),
    },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} },
      // The SDK's own metrics (workflow/activity latencies, task slots, polls) for Prometheus.
      ...(options.metricsBindAddress ? { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } : {}),
    },
  });
}
