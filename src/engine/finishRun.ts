import { afterRun } from '../ops/afterRun';
import { closeRun, getRun, specOf } from '../state/runs';
import type { RunSummary } from '../state/summary';
import { nowIso, type EngineDeps } from './context';

/**
 * Totals, final status, staging cleanup and the lease released; `error` marks the run failed.
 * `finishedAt` (ISO): when the run ended, if not now (an abandoned run's workflow closed earlier).
 */
export async function finishRun(
  deps: EngineDeps,
  runId: string,
  error?: { code: string; message: string },
  finishedAt?: string,
): Promise<RunSummary> {
  const before = await getRun(deps.state, runId);
  const spec = specOf(before);
  const writeBackOwed = spec.writeBack !== undefined;
  const summary = await closeRun(deps.state, { runId, now: finishedAt ?? nowIso(deps), ...(error ? { error } : {}), ...(writeBackOwed ? { writeBackOwed } : {}) });
  // Metrics, alerts, write-back: once, when this call closed the run (not on an activity retry).
  if (before.phase !== 'finished') await afterRun(deps, summary, spec);
  deps.logger.info(
    { sync: summary.sync, runId, status: summary.status, counts: summary.counts, apiCalls: summary.apiCalls },
    'run finished',
  );
  return summary;
}
