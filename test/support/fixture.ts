import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { createTestProject, type TestProject } from './project';
import { connectTestTemporal, type TestTemporal } from './temporal';

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
