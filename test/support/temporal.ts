import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { createActivities } from '../../activities';
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

/** The suite's prebuilt workflow bundle (globalSetup), if there is one. */
const sharedBundle = () => process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE;

/** Runs `work` while a real worker (shared workflow bundle) serves `taskQueue`. */
export async function withWorker<T>(temporal: TestTemporal, deps: EngineDeps, taskQueue: string, work: () => Promise<T>): Promise<T> {
  const bundle = sharedBundle();
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    ...(bundle ? { workflowBundlePath: bundle } : {}),
  });
  return worker.runUntil(work());
}

/** As withWorker, with the activities given (backflow's own, some wrapped by the test). */
export async function withActivities<T>(temporal: TestTemporal, activities: ReturnType<typeof createActivities>, taskQueue: string, work: () => Promise<T>): Promise<T> {
  const bundle = sharedBundle();
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') }),
    activities,
  });
  return worker.runUntil(work());
}
