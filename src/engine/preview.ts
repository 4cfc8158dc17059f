import { randomUUID } from 'node:crypto';
import { deleteRun } from '../state/runs';
import type { ChangeCounts } from '../state/staging';
import { sqlOf } from '../sources/dbt';
import { openSource, openTarget, type EngineDeps } from './context';
import { extractChanges } from './extract';
import { startRun } from './startRun';

/**
 * A dry run: the change set a run would send, and the requests it would make, without calling
 * the destination or touching the snapshot. Leaves no trace in the state store.
 */
export async function previewRun(
  deps: EngineDeps,
  sync: string,
  full: boolean,
): Promise<ChangeCounts & { apiCalls: number; estimatedSeconds?: number; bytesProcessed?: number }> {
  const runId = `preview:${randomUUID()}`;
  try {
    const { spec } = await startRun(deps, { runId, sync, full, lease: false });
    const { counts } = await extractChanges(deps, runId);
    // One request a batch (look-up verbs make two); at the destination's budget, when it has one.
    const apiCalls = counts.batches;
    const { limits } = openTarget(deps, spec);
    const estimate = limits.requestsPerSecond !== undefined ? { estimatedSeconds: Math.ceil(apiCalls / limits.requestsPerSecond) } : {};
    // What the warehouse bills for the model's scan, where it can tell (BigQuery).
    const source = openSource(deps, spec);
    try {
      const bytesProcessed = await source.estimateBytes?.(sqlOf(spec.model));
      return { ...counts, apiCalls, ...estimate, ...(bytesProcessed !== undefined ? { bytesProcessed } : {}) };
    } finally {
      await source.close();
    }
  } finally {
    await deleteRun(deps.state, runId);
  }
}
