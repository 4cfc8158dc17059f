import { SingleBar, Presets } from 'cli-progress';
import type { RunSummary } from '../state/summary';
import { startSync } from '../temporal/startSync';
import { workflowUrl } from '../temporal/server';
import type { TemporalSession } from './temporalSession';

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
  options: { full?: boolean; progressBar: boolean },
): Promise<SyncRunResult> {
  const handle = await startSync(session.server.client, sync, {
    taskQueue: session.taskQueue,
    ...(options.full ? { full: true } : {}),
  });
  const result = handle.result();
  if (options.progressBar) {
    const bar = new SingleBar(
      { format: `${sync} [{bar}] {value}/{total} batches | {phase} | synced {synced} rejected {rejected}`, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(1, 0, { phase: 'starting', synced: 0, rejected: 0 });
    const timer = setInterval(() => {
      handle
        .progress()
        .then((p) => {
          bar.setTotal(Math.max(1, p.batchesTotal));
          bar.update(p.batchesDone, { phase: p.phase, synced: p.synced, rejected: p.rejected });
        })
        .catch(() => {}); // the run may finish between polls
    }, 250);
    try {
      await result.catch(() => undefined);
    } finally {
      clearInterval(timer);
      bar.stop();
    }
  }
  const summary = await result;
  const webUrl = workflowUrl(session.server, handle.workflowId);
  return { summary, workflowId: handle.workflowId, ...(webUrl ? { webUrl } : {}) };
}
