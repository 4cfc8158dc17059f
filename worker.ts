import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type SyncActivities } from './activities';
import type { EngineDeps } from './src/engine';
import { dataConverterFromEnv } from './src/temporal/codec';
import { parsePayloadKey } from './src/env';
import { sealActivityFailures } from './src/temporal/sealedFailures';

export interface BackflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: EngineDeps;
  /** The activities to serve; default: backflow's own, built from `deps` (a test may wrap some). */
  activities?: SyncActivities;
  /** A prebuilt workflow bundle (tests build one and share it); default: bundle `workflows/`. */
  workflowBundlePath?: string;
  /** How long a shutting-down worker lets activities in flight finish before handing them back. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

/** A Temporal worker with backflow's workflows and activities (built from their dependencies). */
export async function createWorker(options: BackflowWorkerOptions): Promise<Worker> {
  const env = options.deps.env ?? process.env;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: options.activities ?? createActivities(options.deps),
    // BACKFLOW_PAYLOAD_KEY set → what enters history is encrypted (src/temporal/codec.ts).
    dataConverter: dataConverterFromEnv(env),
    // Encrypted payloads: failure messages, which Temporal keeps in the clear, go into the failures'
    // (encrypted) details too, as they may quote row values (src/temporal/sealedFailures.ts).
    ...(parsePayloadKey(env) ? { interceptors: { activity: [sealActivityFailures] } } : {}),
    shutdownGraceTime: options.shutdownGraceTime ?? '30s',
  });
}
