import type { Value } from '../sources/source';
import { commitBatch, getBatch, readBatchRecords, totalsOf, type BatchOutcome, type BatchTotals } from '../state/batches';
import { getRun, specOf } from '../state/runs';
import { nowIso, openDestination, type EngineDeps } from './context';

/**
 * Sends one staged batch and commits its results. A committed batch returns its stored totals
 * without calling the destination again; an uncommitted one is (re)sent — safe, because it is an
 * upsert by external id.
 */
export async function syncBatch(deps: EngineDeps, runId: string, batchNo: number): Promise<BatchTotals> {
  const batch = await getBatch(deps.state, runId, batchNo);
  if (batch.committed) return totalsOf(batch, true);

  const spec = specOf(await getRun(deps.state, runId));
  const records = await readBatchRecords(deps.state, runId, spec.name, batchNo);
  const destination = openDestination(deps, spec);
  const { results, apiCalls } = await destination.upsert(
    spec.destination.object,
    spec.destination.externalIdField,
    records.map((record) => ({
      key: record.key,
      fields: JSON.parse(record.payload) as Record<string, Value>,
      destinationId: record.destinationId,
    })),
  );
  const outcomes: BatchOutcome[] = results.map((result) =>
    result.status === 'ok'
      ? { key: result.key, status: 'synced', destinationId: result.destinationId, created: result.created }
      : { key: result.key, status: 'rejected', error: result.error },
  );
  return commitBatch(deps.state, {
    runId,
    syncName: spec.name,
    batchNo,
    records,
    outcomes,
    apiCalls,
    now: nowIso(deps),
  });
}
