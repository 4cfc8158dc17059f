import { SyncAlreadyRunning } from '../errors';
import type { RunRow } from '../state/database';
import type { TemporalNamespace } from '../state/runs';

/**
 * The refusal for a run holding the sync that another Temporal namespace opened — another cluster,
 * or another namespace, sharing this state store (a `backflow run` on a laptop with the fleet's
 * BACKFLOW_STATE_URL but its own embedded Temporal, say). This Temporal finds no workflow of it, yet
 * it may be running there: closed as abandoned, its records would be written twice, by two runs at
 * once. Undefined when the holder was opened here (its workflow is gone), or before namespaces were
 * recorded (runs of older releases, judged as they were).
 */
export function runningElsewhere(refusal: SyncAlreadyRunning, holder: RunRow, here: TemporalNamespace | undefined): SyncAlreadyRunning | undefined {
  if (here === undefined || holder.temporal_namespace_id === null || holder.temporal_namespace_id === here.id) return undefined;
  const there = `Temporal namespace ${holder.temporal_namespace ?? '(unnamed)'} (id ${holder.temporal_namespace_id})`;
  return new SyncAlreadyRunning(
    refusal.syncName,
    refusal.holderRunId,
    `opened on ${there}, which this worker's Temporal (namespace ${here.name}, id ${here.id}) is not. ` +
      `Point TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE at that one to follow it; if it is gone for good, close the run with \`backflow runs abandon ${refusal.holderRunId}\``,
  );
}
