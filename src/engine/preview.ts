import { randomUUID } from 'node:crypto';
import { deleteRun } from '../state/runs';
import type { ChangeCounts } from '../state/staging';
import type { EngineDeps } from './context';
import { extractChanges } from './extract';
import { startRun } from './startRun';

/**
 * A dry run: the change set a run would send, and the requests it would make, without calling
 * the destination or touching the snapshot. Leaves no trace in the state store.
 */
export async function previewRun(deps: EngineDeps, sync: string, full: boolean): Promise<ChangeCounts & { apiCalls: number }> {
  const runId = `preview:${randomUUID()}`;
  try {
    await startRun(deps, { runId, sync, full, lease: false });
    const { counts } = await extractChanges(deps, runId);
    return { ...counts, apiCalls: counts.batches };
  } finally {
    await deleteRun(deps.state, runId);
  }
}
