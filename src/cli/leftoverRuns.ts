import { WorkflowFailedError } from '@temporalio/client';
import type { EngineDeps } from '../engine';
import { runSpecOf } from '../engine/check';
import { SourceUnavailable } from '../sources/sourceErrors';
import { workflowIdOfRun } from '../state/runs';
import type { TemporalSession } from './temporalSession';

/**
 * On a project's embedded Temporal, a run of `sync` still open was left by a command that was killed
 * (its history survives in .backflow/temporal.db; this command's worker is the only one, and picks it
 * up). It is finished first — from its last committed batch — rather than the new run being refused
 * SYNC_ALREADY_RUNNING by a run nobody else will ever finish. Unless the sync was edited since it
 * started: its rows were read and its changes planned by the old definition (a mirror run's deletes
 * of rows a broken table had lost, say), so it is stopped instead, and the new run closes it
 * RUN_ABANDONED and starts afresh. On a cluster an open run is the fleet's, and the refusal stands.
 */
export async function finishLeftoverRuns(session: TemporalSession, deps: EngineDeps, sync: string, log: (line: string) => void): Promise<void> {
  if (!session.embedded) return;
  const { client } = session.server;
  const open: string[] = [];
  const query = `BackflowSync = '${sync.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) open.push(execution.workflowId);
  if (open.length === 0) return;
  const current = await currentSpecJson(deps, sync, log);
  const running = await deps.state.selectFrom('runs').select(['run_id', 'spec_json']).where('sync_name', '=', sync).where('status', '=', 'running').execute();
  for (const workflowId of open) {
    const handle = client.workflow.getHandle(workflowId);
    const run = running.find((r) => workflowIdOfRun(r.run_id) === workflowId);
    if (run !== undefined && run.spec_json !== current) {
      log(`stopping run ${run.run_id}, left open by a backflow command that was killed: ${sync} was edited since it started, so it is not finished by the old definition`);
      await handle.terminate(`${sync} was edited since the run started; a killed command left it open`);
      continue;
    }
    log(`finishing run ${workflowId}, left open by a backflow command that was killed, before starting a new one`);
    try {
      await handle.result();
    } catch (err) {
      // Its outcome is on record (`backflow runs`); the new run goes ahead either way.
      if (!(err instanceof WorkflowFailedError)) throw err;
    }
  }
}

/** How long to wait before reading a manifest dbt is writing again. */
const MANIFEST_REREAD_MS = 1_000;

/**
 * The sync's definition now, as a run stores it. A dbt manifest caught mid-write (SourceUnavailable)
 * is read again until dbt has written it, as the run itself waits for it: the command had just said
 * "the run starts and waits for it", then failed here. The wait ends: a manifest still unreadable a
 * minute after its last write is a ConfigError (dbt.ts), which is thrown.
 */
async function currentSpecJson(deps: EngineDeps, sync: string, log: (line: string) => void): Promise<string> {
  for (let noted = false; ; noted = true) {
    try {
      return JSON.stringify(runSpecOf(deps, sync).spec);
    } catch (err) {
      if (!(err instanceof SourceUnavailable)) throw err;
      if (!noted) log(`waiting for the sync's definition to compare with the run left open: ${err.message}`);
      await new Promise((resolve) => setTimeout(resolve, MANIFEST_REREAD_MS));
    }
  }
}
