import type { WriteContext } from '../../src/destinations/destination';

/**
 * A batch's write context whose checkpoint lives in memory and survives across the attempts of the
 * batch, as the engine keeps it for one batch of one run.
 */
export function memoryWriteContext(syncName: string, runId = 'run-1', batch = '1'): WriteContext {
  let checkpoint: string | null = null;
  return {
    syncName,
    runId,
    batchId: `${runId}#${batch}`,
    get checkpoint() {
      return checkpoint;
    },
    saveCheckpoint(value: string) {
      checkpoint = value;
      return Promise.resolve();
    },
  };
}
