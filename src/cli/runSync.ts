import { SingleBar, Presets } from 'cli-progress';
import { BackflowError } from '../errors';
import type { RunSummary } from '../state/summary';
import { startSync } from '../temporal/startSync';
import { workflowUrl } from '../temporal/server';
import { exitOnSignal } from './output';
import type { TemporalSession } from './temporalSession';
import { noteWithoutWorkers } from './workerNote';

export interface SyncRunResult {
  summary: RunSummary;
  workflowId: string;
  /** Temporal Web page of the run, when Web is known. */
  webUrl?: string;
}

/** Starts one run and waits for it; a progress bar on a terminal, nothing otherwise. */
export async function runSync(
  session: TemporalSession,
  sync: string,
  options: { full?: boolean; progressBar: boolean; json?: boolean },
): Promise<SyncRunResult> {
  const handle = await startSync(session.server.client, sync, {
    taskQueue: session.taskQueue,
    ...(options.full ? { full: true } : {}),
  });
  const webUrl = workflowUrl(session.server, handle.workflowId);
  const json = options.json === true;
  const signals = session.ownWorker ? cancelOnSignal(handle, json) : stopWaitingOnSignal(handle.workflowId, webUrl, json);
  try {
    if (!session.ownWorker) await noteWithoutWorkers(session.server, session.taskQueue, `run ${handle.workflowId} waits`);
    return await Promise.race([waitFor(handle, sync, options.progressBar, webUrl), signals.forced]);
  } catch (err) {
    const signal = signals.cancelledBy();
    if (signal === undefined) throw err;
    throw new BackflowError(
      'CANCELLED',
      `run ${handle.workflowId} was cancelled (${signal}): what reached the destination is committed, and the next run sends the rest`,
    );
  } finally {
    signals.release();
  }
}

/** What Ctrl-C or SIGTERM does while a run is waited for. */
interface SignalWatch {
  /** Rejects when waiting must stop at once. */
  forced: Promise<never>;
  /** The signal that cancelled the run, if one did. */
  cancelledBy: () => NodeJS.Signals | undefined;
  release: () => void;
}

/** Listens to SIGINT and SIGTERM until released. */
function onSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * With this process's own worker doing the run, Ctrl-C or SIGTERM cancels the run and waits for it to
 * close: the batch in flight commits, the run closes CANCELLED, then the worker and server stop.
 * Stopped under it instead, the run stayed open in the server's history, and every later run of the
 * sync was refused SYNC_ALREADY_RUNNING. A second signal stops waiting at once.
 */
function cancelOnSignal(handle: Awaited<ReturnType<typeof startSync>>, json: boolean): SignalWatch {
  let received: NodeJS.Signals | undefined;
  let force: (err: Error) => void = () => {};
  const forced = new Promise<never>((_, reject) => (force = reject));
  forced.catch(() => {});
  const release = onSignals((signal) => {
    if (received !== undefined) {
      // At once: not after the batch in flight (the worker's shutdown waits for it) nor the server's
      // stop. Exiting kills the embedded dev server (see startDevServer); the next command finishes the run.
      exitOnSignal(signal, `${signal} again: stopping now; run ${handle.workflowId} stays open until a later run closes it`, json);
    }
    received = signal;
    process.stderr.write(`\n${signal}: cancelling run ${handle.workflowId}; its batch in flight commits first (${signal} again to stop at once)\n`);
    handle.cancel().catch((err: unknown) => force(err instanceof Error ? err : new Error(String(err))));
  });
  return { forced, cancelledBy: () => received, release };
}

/**
 * With the fleet's workers doing the run, Ctrl-C or SIGTERM (a CI job cancelled, `timeout`) only ends
 * the waiting; the run goes on on the cluster. The Temporal runtime's own handlers stop a worker
 * when there is one, and without one would swallow the first signal.
 */
function stopWaitingOnSignal(workflowId: string, webUrl: string | undefined, json: boolean): SignalWatch {
  const release = onSignals((signal) => {
    exitOnSignal(signal, `stopped waiting (${signal}); run ${workflowId} goes on on the cluster${webUrl ? `: ${webUrl}` : ''}`, json);
  });
  return { forced: new Promise<never>(() => {}), cancelledBy: () => undefined, release };
}

async function waitFor(
  handle: Awaited<ReturnType<typeof startSync>>,
  sync: string,
  progressBar: boolean,
  webUrl: string | undefined,
): Promise<SyncRunResult> {
  const result = handle.result();
  if (progressBar) {
    // forceRedraw: a log line of the in-process worker (stderr, as the bar) clears the bar's line; the
    // bar is drawn again below it on the next tick, not only when the figures change.
    const bar = new SingleBar(
      { format: `${sync} [{bar}] {value}/{total} batches | {phase} | synced {synced} rejected {rejected}`, hideCursor: true, forceRedraw: true },
      Presets.shades_classic,
    );
    bar.start(1, 0, { phase: 'starting', synced: 0, rejected: 0 });
    let done = 0;
    // One query at a time, and the last one awaited: a query still in flight when the session stops
    // the server retried on the closed connection and crashed the process after a finished run.
    let polling: Promise<void> | undefined;
    const timer = setInterval(() => {
      polling ??= handle
        .progress()
        .then((p) => {
          done = p.batchesDone;
          bar.setTotal(Math.max(1, p.batchesTotal));
          bar.update(p.batchesDone, { phase: p.phase, synced: p.synced, rejected: p.rejected });
        })
        .catch(() => {}) // the run may finish between polls
        .finally(() => (polling = undefined));
    }, 250);
    let finished: RunSummary | undefined;
    try {
      finished = await result.catch(() => undefined);
    } finally {
      clearInterval(timer);
      await polling;
      // A run faster than the polls would leave its first frame (0/N, extracting) above its summary.
      if (finished) {
        const last = finalFrame(finished, done);
        bar.setTotal(last.total);
        bar.update(last.done, last.payload);
      }
      bar.stop();
    }
  }
  const summary = await result;
  return { summary, workflowId: handle.workflowId, ...(webUrl ? { webUrl } : {}) };
}

/** The bar's last frame, from the run's summary: every batch of a run that ended without an error is done. */
export function finalFrame(summary: RunSummary, polledDone: number): { total: number; done: number; payload: { phase: string; synced: number; rejected: number } } {
  const total = Math.max(1, summary.batches);
  const done = summary.error === undefined ? summary.batches : Math.min(polledDone, summary.batches);
  return { total, done, payload: { phase: summary.status, synced: summary.counts.synced, rejected: summary.counts.rejected } };
}
