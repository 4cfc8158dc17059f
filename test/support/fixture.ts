import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { createTestProject, type TestProject } from './project';
import type { RunSummary } from '../../src/state/summary';
import { startSync } from '../../src/temporal/startSync';
import { connectTestTemporal, uniqueTaskQueue, withWorker, type TestTemporal } from './temporal';

export interface SyncFixture {
  temporal: TestTemporal;
  sandbox: SalesforceSandbox;
  project: TestProject;
}

/**
 * Registers the hooks most integration tests share: one connection to the suite's dev server per
 * file, a fresh Salesforce sandbox and demo project per test. Read the fields inside tests.
 */
export function useSyncFixture(): SyncFixture {
  const fixture = {} as SyncFixture;
  beforeAll(async () => {
    fixture.temporal = await connectTestTemporal();
  });
  afterAll(async () => {
    await fixture.temporal.close();
  });
  beforeEach(async () => {
    fixture.sandbox = await startSalesforceSandbox();
    fixture.project = await createTestProject(fixture.sandbox);
  });
  afterEach(async () => {
    await fixture.project.close();
    await fixture.sandbox.close();
  });
  return fixture;
}

/**
 * One run of `sync` through a test worker on a queue of its own: for the runs a test sets up around
 * the CLI command it is about (each `backflow run` starts a dev server of its own, seconds per run).
 */
export async function runOnTestWorker(fx: SyncFixture, sync: string, name: string, options: { full?: boolean } = {}): Promise<RunSummary> {
  const taskQueue = uniqueTaskQueue(name);
  return withWorker(fx.temporal, fx.project.deps, taskQueue, async () => (await startSync(fx.temporal.client, sync, { taskQueue, ...options })).result());
}
