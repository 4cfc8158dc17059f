import type { EngineDeps } from '../engine/context';
import { endedRunError } from '../engine/endedRun';
import { finishRun } from '../engine/finishRun';
import type { RunWorkflowStatus } from '../engine/startRun';
import { closedRun } from '../state/runs';

/**
 * How Temporal says a workflow ended. Only these close a run here: 'NOT_FOUND' may be a workflow on
 * another cluster or namespace sharing this state store, which the next start of the sync judges.
 */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT', 'CONTINUED_AS_NEW']);

/**
 * Closes as RUN_ABANDONED each open run whose workflow Temporal says has ended (terminated in
 * Temporal Web, timed out): as its own finishRun would have, with alerts, metrics and write-back, and
 * as ending when its workflow did. The next start of its sync does the same, but a sync run by hand
 * may not start again for days: until then `backflow runs` showed the run `running`, and no alert
 * or metric told of it. Returns the runs it closed.
 */
export async function closeAbandonedRuns(deps: EngineDeps, workflowStatus: RunWorkflowStatus): Promise<string[]> {
  const open = await deps.state
    .selectFrom('runs')
    .select('run_id')
    .where('phase', '!=', 'finished')
    .where('run_id', 'not like', 'preview:%')
    .orderBy('started_at')
    .execute();
  const closed: string[] = [];
  for (const { run_id: runId } of open) {
    let ended: Awaited<ReturnType<RunWorkflowStatus>>;
    try {
      ended = await workflowStatus(runId);
    } catch (err) {
      // Temporal not answering for one run does not hold up the maintenance's other checks.
      deps.logger.warn({ runId, err: (err as Error).message }, 'maintenance: could not ask Temporal whether an open run\'s workflow still runs');
      continue;
    }
    const { status, closedAt } = ended;
    if (!ENDED.has(status)) continue;
    // Its workflow closed it while Temporal was asked (a run that just finished): nothing to do.
    if (await closedRun(deps.state, runId)) continue;
    await finishRun(deps, runId, endedRunError(ended, 'closed by the hourly maintenance'), closedAt);
    deps.logger.warn({ runId, workflowStatus: status }, 'maintenance closed a run its workflow left open');
    closed.push(runId);
  }
  return closed;
}
