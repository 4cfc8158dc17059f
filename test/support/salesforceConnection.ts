import type { SalesforceConnection } from '../../src/config/schema';

/**
 * A Salesforce connection to a sandbox (or any instance URL), as the worker holds it: secrets
 * resolved, the schema's defaults applied. `settings` overrides any of them.
 */
export function sandboxConnection(sandbox: { instanceUrl: string; accessToken: string }, settings: Partial<SalesforceConnection> = {}): SalesforceConnection {
  return {
    type: 'salesforce',
    instanceUrl: sandbox.instanceUrl,
    accessToken: sandbox.accessToken,
    apiVersion: '62.0',
    bulkThreshold: 2000,
    maxDailyApiUsage: 0.8,
    timeoutMs: 10_000,
    ...settings,
  } as SalesforceConnection;
}
