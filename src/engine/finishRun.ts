import { closeRun } from '../state/runs';
import type { RunSummary } from '../state/summary';
import { nowIso, type EngineDeps } from './context';

/** Totals, final status, staging cleanup and the lease released; `error` marks the run failed. */
export async function finishRun(
  deps: EngineDeps,
  runId: string,
  error?: { code: string; message: string },
): Promise<RunSummary> {
  const summary = await closeRun(deps.state, { runId, now: nowIso(deps), ...(error ? { error } : {}) });
  deps.logger.info(
    { sync: summary.sync, runId, status: summary.status, counts: summary.counts, apiCalls: summary.apiCalls },
    'run finished',
  );
  return summary;
}
