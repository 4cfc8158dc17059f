import type { WriteContext } from '../../src/destinations/destination';
import { SalesforceDestination } from '../../src/destinations/salesforce';
import type { SalesforceTarget } from '../../src/destinations/targets';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { sandboxConnection } from './salesforceConnection';
import { memoryWriteContext } from './writeContext';

/**
 * The SalesforceDestination driven directly (as an activity would, no Temporal) against a fresh
 * Salesforce sandbox per test, its Bulk API jobs finishing in 5 ms. Each `context()` is a new batch's.
 */
export function useSalesforceDestination(syncName: string): {
  sandbox: () => SalesforceSandbox;
  destination: (target: Partial<SalesforceTarget>) => SalesforceDestination;
  context: () => WriteContext;
} {
  let current: SalesforceSandbox | undefined;
  let runs = 0;
  beforeEach(async () => {
    current = await startSalesforceSandbox();
    current.setBulkProcessingDelay(5);
  });
  afterEach(async () => {
    await current?.close();
  });
  const sandbox = (): SalesforceSandbox => {
    if (current === undefined) throw new Error('the Salesforce sandbox starts in beforeEach: use it inside a test');
    return current;
  };
  return {
    sandbox,
    destination: (target) => new SalesforceDestination(sandboxConnection(sandbox()), { connection: 'sf', object: 'Account', ...target } as SalesforceTarget),
    context: () => memoryWriteContext(syncName, `run-${(runs += 1)}`),
  };
}
