import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { SyncActivities } from '../../activities';
import pino from 'pino';
import { installTemporalRuntime } from '../../src/temporal/runtime';
import { createWorker } from '../../worker';
import type { EngineDeps } from '../../src/engine';

/** Connections to the suite's dev server (started once by globalSetup). */
export interface TestTemporal {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export function testTemporalAddress(): string {
  const address = process.env.BACKFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('BACKFLOW_TEST_TEMPORAL_ADDRESS is not set: run integration tests through jest (globalSetup)');
  return address;
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  const address = testTemporalAddress();
  installTemporalRuntime(pino({ level: 'error' }, pino.destination(2)));
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

let queueNo = 0;
/** A task queue no other test uses. */
export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${process.pid}-${++queueNo}`;
}

/**
 * Runs `work` while a real worker (shared workflow bundle) serves `taskQueue`, with backflow's
 * activities or the ones given (backflow's own, some wrapped by the test).
 */
export async function withWorker<T>(
  temporal: TestTemporal,
  deps: EngineDeps,
  taskQueue: string,
  work: () => Promise<T>,
  activities?: SyncActivities,
): Promise<T> {
  const bundle = process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE;
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    ...(bundle ? { workflowBundlePath: bundle } : {}),
    ...(activities ? { activities } : {}),
  });
  return worker.runUntil(work());
}

/** Waits until an activity of the workflow is being retried, and returns its last failure's message. */
export async function lastActivityFailure(client: Client, workflowId: string): Promise<string> {
  for (;;) {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    const message = raw.pendingActivities?.find((activity) => activity.lastFailure)?.lastFailure?.message;
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
