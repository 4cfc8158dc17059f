import path from 'node:path';
import type { EngineDeps } from '../engine';
import { connectTemporal, projectTemporalSettings } from '../temporal/connection';
import { installTemporalRuntime } from '../temporal/runtime';
import { startTemporal, type TemporalServer } from '../temporal/server';
import { createWorker } from '../../worker';
import type { CliContext } from './context';
import { exitOnSignal } from './output';

export interface TemporalSession {
  server: TemporalServer;
  taskQueue: string;
  /** Whether this process runs a worker for the session (embedded server, or `worker: 'always'`). */
  ownWorker: boolean;
  /** The project's own dev server (.backflow/temporal.db), which no other worker serves. */
  embedded: boolean;
}

/**
 * Runs `work` with Temporal at hand. With TEMPORAL_ADDRESS the workers are the fleet's; without it
 * an embedded dev server (history in `.backflow/temporal.db`) and an in-process worker are started
 * and stopped around the work.
 */
export async function withTemporal<T>(
  ctx: CliContext,
  deps: EngineDeps,
  options: {
    ui?: boolean;
    log: (line: string) => void;
    /** `auto`: an in-process worker only with the embedded server; `always`: on a queue of its own too. */
    worker?: 'auto' | 'always';
    /** `--json`: a signal that ends the command says so on stdout too (exitOnSignal). */
    json?: boolean;
  },
  work: (session: TemporalSession) => Promise<T>,
): Promise<T> {
  // TEMPORAL_* env or backflow.yaml's `temporal:` section name a cluster (address, TLS, API key).
  const settings = projectTemporalSettings(ctx);
  const embedded = settings.remote === undefined;
  const ownWorker = embedded || options.worker === 'always';
  // A command's own worker is not stopped by the SDK on Ctrl-C: the run it works on is cancelled
  // first, and the worker finishes it (runSync's cancelOnSignal).
  installTemporalRuntime(ctx.logger, ownWorker ? { shutdownSignals: [] } : {});
  // Until a run's own handling takes over (runSync's listeners), Ctrl-C or SIGTERM stops the command
  // through process.exit, which stops the dev server it started (see startDevServer). Left to the
  // signal, Node died without that and the server ran on, holding the project's Temporal database.
  const stopOnSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    exitOnSignal(signal, `${signal}: stopped (no run of this command was in progress)`, options.json === true);
  };
  if (ownWorker) {
    process.on('SIGINT', stopOnSignal);
    process.on('SIGTERM', stopOnSignal);
  }
  try {
    return await withServer(ctx, deps, { ...options, settings, ownWorker, embedded }, work);
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
  }
}

/** The project's Temporal: its cluster when one is configured, else its embedded dev server (history in .backflow/temporal.db). */
export async function openProjectTemporal(
  ctx: CliContext,
  settings: ReturnType<typeof projectTemporalSettings>,
  options: { ui?: boolean; log?: (line: string) => void } = {},
): Promise<TemporalServer> {
  if (settings.remote) return connectTemporal(settings.remote, ctx.env.TEMPORAL_UI_URL);
  return startTemporal({
    env: { ...ctx.env, TEMPORAL_NAMESPACE: settings.namespace },
    ui: options.ui ?? false,
    dbFile: path.join(ctx.projectDir, '.backflow', 'temporal.db'),
    ...(options.log ? { log: options.log } : {}),
  });
}

/** withTemporal's server (started, or the cluster's), its session and worker, stopped after `work`. */
async function withServer<T>(
  ctx: CliContext,
  deps: EngineDeps,
  options: { ui?: boolean; log: (line: string) => void; settings: ReturnType<typeof projectTemporalSettings>; ownWorker: boolean; embedded: boolean },
  work: (session: TemporalSession) => Promise<T>,
): Promise<T> {
  const { settings, ownWorker, embedded } = options;
  const server = await openProjectTemporal(ctx, settings, { ui: options.ui ?? false, log: options.log });
  // A private queue keeps a demo on a shared cluster away from the fleet's workers.
  const taskQueue = embedded || !ownWorker ? settings.taskQueue : `${settings.taskQueue}-${process.pid}`;
  const session: TemporalSession = { server, taskQueue, ownWorker, embedded };
  try {
    if (!ownWorker) return await work(session);
    const worker = await createWorker({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: session.taskQueue,
      deps,
      // A prebuilt bundle (as for `backflow worker`) saves bundling the workflows on every command.
      ...(ctx.env.BACKFLOW_WORKFLOW_BUNDLE ? { workflowBundlePath: ctx.env.BACKFLOW_WORKFLOW_BUNDLE } : {}),
    });
    return await worker.runUntil(work(session));
  } finally {
    await server.stop();
  }
}
