import { finishRun } from '../../engine';
import { BackflowError } from '../../errors';
import { getRun, workflowIdOfRun } from '../../state/runs';
import { projectTemporalSettings } from '../../temporal/connection';
import { namespaceOf } from '../../temporal/namespaceOf';
import { installTemporalRuntime } from '../../temporal/runtime';
import type { TemporalServer } from '../../temporal/server';
import { workflowStatusOf } from '../../temporal/workflowStatus';
import { cliContext, engineDeps, type CliContext } from '../context';
import { logTo } from '../output';
import { renderSummary } from '../render';
import { openProjectTemporal } from '../temporalSession';

/**
 * `backflow runs abandon <runId>`: closes an open run as RUN_ABANDONED, freeing its sync — for a run
 * whose Temporal is gone for good (a cluster moved, a namespace deleted, an embedded Temporal's
 * database removed), which no start of the sync closes by itself (see runningElsewhere). Refused
 * while this project's Temporal runs the run's workflow: cancelling it closes the run properly.
 */
export async function runAbandonCommand(runId: string, options: { project?: string; json?: boolean }): Promise<number> {
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx);
  const run = await getRun(deps.state, runId);
  if (run.phase === 'finished') {
    throw new BackflowError('RUN_ALREADY_FINISHED', `run ${runId} is closed already (${run.status}${run.error_code ? `, ${run.error_code}` : ''}); nothing to abandon`);
  }
  const workflowId = workflowIdOfRun(runId);
  const { here, status } = await withProjectTemporal(ctx, async (server) => ({
    here: await namespaceOf(server.client),
    status: await workflowStatusOf(server.client, workflowId),
  }));
  const openedHere = run.temporal_namespace_id === null || run.temporal_namespace_id === here.id;
  if (openedHere && status.status === 'RUNNING') {
    throw new BackflowError(
      'SYNC_ALREADY_RUNNING',
      `run ${runId} is running: its workflow ${workflowId} runs on this Temporal (namespace ${here.name}). Cancel it instead ` +
        `(Temporal Web, or \`temporal workflow cancel --workflow-id ${workflowId}\`): its batch in flight commits and the run closes CANCELLED`,
    );
  }
  const where = openedHere
    ? status.status === 'NOT_FOUND' ? 'its workflow is not on this Temporal' : `its workflow ended (${status.status})`
    : `it was opened on Temporal namespace ${run.temporal_namespace ?? '(unnamed)'} (id ${run.temporal_namespace_id ?? ''})`;
  const summary = await finishRun(deps, runId, { code: 'RUN_ABANDONED', message: `closed by hand (backflow runs abandon): ${where}` }, openedHere ? status.closedAt : undefined);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else logTo(false)(`${renderSummary(summary)}\nrun ${runId} closed as RUN_ABANDONED; ${run.sync_name} may run again`);
  return 0;
}

/** The project's Temporal (openProjectTemporal), without a worker: only asked, then stopped. */
async function withProjectTemporal<T>(ctx: CliContext, work: (server: TemporalServer) => Promise<T>): Promise<T> {
  installTemporalRuntime(ctx.logger);
  const server = await openProjectTemporal(ctx, projectTemporalSettings(ctx));
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}
