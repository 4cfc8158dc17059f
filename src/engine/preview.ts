import { randomUUID } from 'node:crypto';
import type { Destination, PlannedRecord } from '../destinations/destination';
import type { WriteOperation } from '../destinations/modes';
import type { Value } from '../sources/source';
import { readBatchRecords } from '../state/batches';
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
    const { counts } = await extractChanges(deps, runId, undefined, { dryRun: true });
    const { destination, limits } = openTarget(deps, spec);
    // Each batch as the destination counts it (a request per record for some); the time at its
    // request budget, or as it paces itself (Slack), whichever is longer. Rows the sync's own filter
    // leaves out (a Slack `when:`), and deletes with nothing to delete, are skipped by the run
    // without a request: so here too.
    // A look-up the worker keeps the answer of (destination.lookupsFor) is counted once.
    let apiCalls = 0;
    let pacedSeconds = 0;
    let filtered = 0;
    const lookups = new Set<string>();
    for (const batch of await deps.state.selectFrom('batches').select(['batch_no', 'operation', 'size']).where('run_id', '=', runId).execute()) {
      const { left, sent } = await plannedOf(deps, runId, spec.name, batch.batch_no, batch.operation, destination);
      filtered += left;
      if (batch.size === left) continue;
      for (const lookup of (sent && destination.lookupsFor?.(batch.operation, sent)) ?? []) {
        if (lookups.has(lookup)) continue;
        lookups.add(lookup);
        apiCalls += 1;
      }
      const cost = destination.costOf?.(batch.operation, batch.size - left, sent) ?? { requests: 1 };
      apiCalls += cost.requests;
      pacedSeconds += cost.seconds ?? 0;
    }
    const seconds = Math.max(limits.requestsPerSecond !== undefined ? apiCalls / limits.requestsPerSecond : 0, pacedSeconds);
    const estimate = seconds > 0 ? { estimatedSeconds: Math.ceil(seconds) } : {};
    // What the warehouse bills for the model's scan, where it can tell (BigQuery).
    const source = openSource(deps, spec);
    try {
      const bytesProcessed = await source.estimateBytes?.(sqlOf(spec.model));
      return { ...counts, skipped: counts.skipped + filtered, apiCalls, ...estimate, ...(bytesProcessed !== undefined ? { bytesProcessed } : {}) };
    } finally {
      await source.close();
    }
  } finally {
    await deleteRun(deps.state, runId);
  }
}

/**
 * How many of a staged batch's rows the write answers skipped without a request (its filter's, and
 * those it has nothing to send for), and the rest, where the destination asks about rows at all.
 */
async function plannedOf(
  deps: EngineDeps,
  runId: string,
  syncName: string,
  batchNo: number,
  operation: WriteOperation,
  destination: Destination,
): Promise<{ left: number; sent?: PlannedRecord[] }> {
  if (!destination.filters && !destination.sendsNothingFor && !destination.lookupsFor) return { left: 0 };
  const records = (await readBatchRecords(deps.state, runId, syncName, batchNo)).map((staged) => ({
    key: staged.key,
    fields: JSON.parse(staged.payload) as Record<string, Value>,
    destinationId: staged.destinationId,
  }));
  const sent = records.filter((record) => destination.filters?.(operation, record) !== true && destination.sendsNothingFor?.(operation, record) !== true);
  return { left: records.length - sent.length, sent };
}
