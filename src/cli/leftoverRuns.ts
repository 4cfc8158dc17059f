import { WorkflowFailedError } from '@temporalio/client';
import type { TemporalSession } from './temporalSession';

/**
 * On a project's embedded Temporal, a run of `sync` still open was left by a command that was killed
 * (its history survives in .backflow/temporal.db; this command's worker is the only one, and picks it
 * up). It is finished first — from its last committed batch — rather than the new run being refused
 * SYNC_ALREADY_RUNNING by a run nobody else will ever finish. On a cluster an open run is the fleet's,
 * and the refusal stands.
 */
export async function finishLeftoverRuns(session: TemporalSession, sync: string, log: (line: string) => void): Promise<void> {
  if (!session.embedded) return;
  const { client } = session.server;
  const open: string[] = [];
  const query = `BackflowSync = '${sync.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) open.push(execution.workflowId);
  for (const workflowId of open) {
    log(`finishing run ${workflowId}, left open by a backflow command that was killed, before starting a new one`);
    try {
      await client.workflow.getHandle(workflowId).result();
    } catch (err) {
      // Its outcome is on record (`backflow runs`); the new run goes ahead either way.
      if (!(err instanceof WorkflowFailedError)) throw err;
    }
  }
}
