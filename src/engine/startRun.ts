import type { SyncSpec } from '../config/schema';
import { RunOfEndedExecution, SyncAlreadyRunning } from '../errors';
import type { RunRow } from '../state/database';
import type { WorkflowStatus } from '../temporal/workflowStatus';
import { getRun, openRun, type TemporalNamespace } from '../state/runs';
import { checkSync } from './check';
import { endedRunError } from './endedRun';
import { finishRun } from './finishRun';
import { runningElsewhere } from './runningElsewhere';
import { nowIso, resolvedConnection, type EngineDeps } from './context';
import { destinationMove, destinationMoved, locatorOf, storedLocator } from './destinationLocator';
import { stashSnapshot } from '../state/movedSnapshot';
import { adoptRenamedSync, reclaimName, renameOf, syncRenamed } from '../state/syncRenames';

export interface StartRunInput {
  runId: string;
  sync: string;
  full: boolean;
  /** A preview (dry run) opens a run record without taking the sync's lease. */
  lease?: boolean;
  /** The Temporal execution (its run id) starting the run, when a workflow does. */
  execution?: string;
  /** The Temporal namespace of that workflow, when a workflow starts the run. */
  temporal?: TemporalNamespace;
}

/** What Temporal says of a run's workflow (see workflowIdOfRun): 'RUNNING' or how it ended, when (ISO), and why when terminated. */
export type RunWorkflowStatus = (runId: string) => Promise<WorkflowStatus>;

/**
 * Checks everything that can be checked before touching the destination — the spec, the secrets,
 * the model's SQL and columns — then opens the run and takes the sync's lease.
 *
 * A lease whose run's workflow is no longer running (terminated, timed out, or failed before
 * finishRun could close the run) would refuse every later run for good: given `workflowStatus`, that
 * run is closed as RUN_ABANDONED and the lease taken. A holder still running is never touched.
 */
export async function startRun(
  deps: EngineDeps,
  input: StartRunInput,
  workflowStatus?: RunWorkflowStatus,
): Promise<{ runId: string; spec: SyncSpec }> {
  const { spec } = await checkSync(deps, input.sync);
  await settleRename(deps, spec, input, workflowStatus);
  const connection = spec.destination.connection;
  const locator = locatorOf(resolvedConnection(deps, connection));
  const move = locator ? await destinationMove(deps.state, { syncName: spec.name, locator }) : undefined;
  if (locator && move && !input.full) throw destinationMoved({ syncName: spec.name, connection, locator, move });
  const open = () =>
    openRun(deps.state, {
      runId: input.runId,
      spec,
      full: input.full,
      now: nowIso(deps),
      lease: input.lease ?? true,
      ...(input.execution !== undefined ? { execution: input.execution } : {}),
      ...(locator ? { locator: storedLocator(locator) } : {}),
      ...(input.temporal ? { temporal: input.temporal } : {}),
    });
  const opened = await unlessAbandoned(deps, input, workflowStatus, () => openOwnRun(deps, open));
  // A full resync at a moved destination sets the old one's snapshot aside (settled when the run
  // closes). With the lease: no run of the sync commits meanwhile; a preview changes nothing.
  if (move && (input.lease ?? true)) await stashSnapshot(deps.state, spec.name, opened.run_id);
  // Not input.runId when that id's run finished already (a backfill reusing a workflow id).
  return { runId: opened.run_id, spec };
}

/**
 * A sync renamed with `renamedFrom:` takes over its old name's state (a preview too: it is what the
 * run would see); a run under a name given up that way is refused, unless `--full` starts a new
 * sync under it.
 */
async function settleRename(deps: EngineDeps, spec: SyncSpec, input: StartRunInput, workflowStatus: RunWorkflowStatus | undefined): Promise<void> {
  const from = spec.renamedFrom;
  if (from !== undefined) {
    // A run of the old name its workflow left open (terminated) would hold the state for good: the
    // old file is gone, so no run of the old name comes to close it.
    const adopted = await unlessAbandoned(deps, input, workflowStatus, () => adoptRenamedSync(deps.state, { from, to: spec.name, now: nowIso(deps) }));
    if (adopted) deps.logger.info({ sync: spec.name, renamedFrom: spec.renamedFrom, ...adopted }, 'took over the state of the sync it was renamed from');
  }
  const rename = await renameOf(deps.state, spec.name);
  if (!rename) return;
  if (!input.full) throw syncRenamed(rename);
  if (input.lease ?? true) await reclaimName(deps.state, spec.name);
}

/**
 * Does `work`; refused because a run holds the sync (SyncAlreadyRunning) whose workflow is no longer
 * running (terminated, timed out, or failed before finishRun could close the run), closes that run
 * as RUN_ABANDONED and does `work` again. A holder still running is never touched, nor one another
 * Temporal namespace opened (see runningElsewhere).
 */
async function unlessAbandoned<T>(deps: EngineDeps, input: StartRunInput, workflowStatus: RunWorkflowStatus | undefined, work: () => Promise<T>): Promise<T> {
  const { runId } = input;
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof SyncAlreadyRunning) || !workflowStatus) throw err;
    // What this Temporal says of a workflow id is not about another namespace's run of it.
    const elsewhere = runningElsewhere(err, await getRun(deps.state, err.holderRunId), input.temporal);
    if (elsewhere) throw elsewhere;
    const ended = await workflowStatus(err.holderRunId);
    const { status, closedAt } = ended;
    if (status === 'RUNNING') throw err;
    // Closed as its own finishRun would have: alerts, metrics and write-back see a failed run (one
    // the schedule's terminate_other ended for this run: superseded, alerting nothing). It ended
    // when its workflow did: closed now, its duration would span the whole gap (days, maybe).
    const error = endedRunError(ended, `closed when run ${runId} started`, runId);
    await finishRun(deps, err.holderRunId, error, closedAt);
    deps.logger.warn({ sync: err.syncName, runId, abandonedRunId: err.holderRunId, workflowStatus: status, code: error.code }, 'closed an abandoned run that held the sync');
    return work();
  }
}

/**
 * Opens the run; a run of this workflow id left open by an earlier execution (terminated, then the id
 * started again: a schedule backfill over that time) is closed as RUN_ABANDONED first, and this
 * execution gets a run of its own (`…~2`) that extracts afresh.
 */
async function openOwnRun(deps: EngineDeps, open: () => Promise<RunRow>): Promise<RunRow> {
  try {
    return await open();
  } catch (err) {
    if (!(err instanceof RunOfEndedExecution)) throw err;
    await finishRun(deps, err.runId, { code: 'RUN_ABANDONED', message: 'its workflow execution ended without finishing the run; closed when the same workflow id started again' });
    deps.logger.warn({ abandonedRunId: err.runId }, 'closed a run an earlier execution of its workflow id left open');
    return open();
  }
}
