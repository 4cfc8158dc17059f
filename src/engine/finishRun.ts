import { afterRun } from '../ops/afterRun';
import { afterRunDone, afterRunPending, closeRun, getRun, specOf } from '../state/runs';
import type { RunSummary } from '../state/summary';
import { nowIso, type EngineDeps } from './context';

/**
 * Totals, final status, staging cleanup and the lease released; `error` marks the run failed.
 * `finishedAt` (ISO): when the run ended, if not now (an abandoned run's workflow closed earlier).
 * `writeBackApart`: the caller delivers the write-back itself (deliverWriteBacks), not this step.
 */
export async function finishRun(
  deps: EngineDeps,
  runId: string,
  error?: { code: string; message: string },
  finishedAt?: string,
  options: { writeBackApart?: boolean } = {},
): Promise<RunSummary> {
  const spec = specOf(await getRun(deps.state, runId));
  const writeBackOwed = spec.writeBack !== undefined;
  const summary = await closeRun(deps.state, { runId, now: finishedAt ?? nowIso(deps), ...(error ? { error } : {}), ...(writeBackOwed ? { writeBackOwed } : {}) });
  // Metrics, alerts, write-back: once the run closed, until done — also on an activity retry after
  // the close committed (the worker lost, the store dropped before this point).
  if (await afterRunPending(deps.state, runId)) {
    await afterRun(deps, summary, spec, { writeBack: options.writeBackApart !== true });
    await afterRunDone(deps.state, runId);
  }
  deps.logger.info(
    { sync: summary.sync, runId, status: summary.status, counts: summary.counts, apiCalls: summary.apiCalls },
    'run finished',
  );
  return summary;
}
