import type { Value } from '../sources/source';
import { commitBatch, getBatch, readBatchRecords, saveBatchCheckpoint, totalsOf, type BatchOutcome, type BatchTotals } from '../state/batches';
import { getRun, specOf } from '../state/runs';
import type { RecordResult, WriteContext } from '../destinations/destination';
import { writeBisecting } from './bisect';
import { nowIso, openTarget, type EngineDeps } from './context';
import { pacerFor } from './pacing';

/**
 * Sends one staged batch with its verb and commits its results. A committed batch returns its
 * stored totals without calling the destination again; an uncommitted one is (re)sent — safe,
 * because every verb is keyed by the external id or by a destination id committed earlier.
 */
export async function syncBatch(deps: EngineDeps, runId: string, batchNo: number): Promise<BatchTotals> {
  const batch = await getBatch(deps.state, runId, batchNo);
  if (batch.committed) return totalsOf(batch, true);

  const spec = specOf(await getRun(deps.state, runId));
  const records = await readBatchRecords(deps.state, runId, spec.name, batchNo);
  const { destination, limits } = openTarget(deps, spec);
  const pacer = pacerFor({ state: deps.state, connection: spec.destination.connection, limits });
  const payloads = records.map((record) => ({
    key: record.key,
    fields: JSON.parse(record.payload) as Record<string, Value>,
    destinationId: record.destinationId,
  }));
  // Live: each write of a bisected batch sees what the one before it saved.
  let checkpoint = batch.checkpoint;
  const context: WriteContext = {
    syncName: spec.name,
    runId,
    batchId: `${runId}#${batchNo}`,
    get checkpoint() {
      return checkpoint;
    },
    async saveCheckpoint(value: string) {
      checkpoint = value;
      await saveBatchCheckpoint(deps.state, runId, batchNo, value);
    },
  };
  const { results, apiCalls } = await writeBisecting(
    async (part) => {
      await pacer?.acquire();
      try {
        const written = await destination.write(batch.operation, part, context);
        await pacer?.settle({ apiCalls: written.apiCalls });
        return written;
      } catch (error) {
        await pacer?.settle({ error });
        throw error;
      }
    },
    payloads,
  );
  return commitBatch(deps.state, {
    runId,
    syncName: spec.name,
    batchNo,
    records,
    outcomes: results.map(toOutcome),
    apiCalls,
    now: nowIso(deps),
  });
}

function toOutcome(result: RecordResult): BatchOutcome {
  switch (result.status) {
    case 'ok':
      return { key: result.key, status: 'synced', destinationId: result.destinationId, created: result.created };
    case 'skipped':
      return { key: result.key, status: 'skipped', reason: result.reason, ...(result.destinationId ? { destinationId: result.destinationId } : {}) };
    case 'rejected':
      return { key: result.key, status: 'rejected', error: result.error };
  }
}
