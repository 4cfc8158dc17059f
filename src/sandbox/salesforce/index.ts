/**
 * Salesforce REST API sandbox: an in-process emulator of the parts of the REST API a
 * reverse-ETL sync uses (sObject Collections, single-record DML, describe, SOQL, Bulk API 2.0
 * ingest jobs, the OAuth token endpoint), built from
 * Salesforce's documented behaviour so syncs can run against it in CI.
 */

import { SandboxServer } from './server';
import type { SalesforceSandbox, SalesforceSandboxOptions } from './types';

export type {
  SalesforceFaultProfile,
  SalesforceRequestLogEntry,
  SalesforceSandbox,
  SalesforceSandboxOptions,
} from './types';

export async function startSalesforceSandbox(options: SalesforceSandboxOptions = {}): Promise<SalesforceSandbox> {
  const server = new SandboxServer(options);
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  // A wildcard bind address is not something a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const instanceUrl = `http://${urlHost}:${port}`;
  server.setBaseUrl(instanceUrl);
  const { clientId, clientSecret, refreshToken, username } = server.oauth.settings;
  return {
    instanceUrl,
    accessToken: server.accessToken,
    loginUrl: instanceUrl,
    clientId,
    clientSecret,
    refreshToken,
    username,
    expireSessions: () => server.expireSessions(),
    setJwtCertificate: (pem) => server.oauth.setJwtCertificate(pem),
    setBulkProcessingDelay: (ms) => server.setBulkProcessingDelay(ms),
    records: (sobject) => server.records(sobject),
    requests: () => server.requests(),
    setFaults: (profile) => server.setFaults(profile),
    setDailyApiLimit: (limit) => server.setDailyApiLimit(limit),
    onWriteApplied: (listener) => server.onWriteApplied(listener),
    close: () => server.close(),
  };
}
