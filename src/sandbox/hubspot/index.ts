/**
 * HubSpot CRM v3 sandbox: an in-process emulator of the CRM object APIs a reverse-ETL sync uses
 * (batch upsert / create / update / read / archive, single reads, lists, properties), with HubSpot's
 * private-app auth, rate limits and error bodies, so syncs and users' CI can run against it with the
 * official `@hubspot/api-client`.
 */

import { HubspotSandboxServer } from './server';
import type { HubspotSandbox, HubspotSandboxOptions } from './types';

export type {
  CustomObjectSpec,
  HubspotFaultProfile,
  HubspotLimits,
  HubspotRecord,
  HubspotRequestLogEntry,
  HubspotSandbox,
  HubspotSandboxOptions,
  PropertySpec,
  PropertyType,
} from './types';

export async function startHubspotSandbox(options: HubspotSandboxOptions = {}): Promise<HubspotSandbox> {
  const server = new HubspotSandboxServer(options);
  const host = options.host ?? '127.0.0.1';
  // A wildcard bind address is not something a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const port = await server.listen(options.port ?? 0, host, urlHost);
  return {
    basePath: `http://${urlHost}:${port}`,
    accessToken: server.accessToken,
    portalId: server.schema.portalId,
    records: (objectType) => server.records(objectType),
    requests: () => server.requests(),
    setFaults: (profile) => server.setFaults(profile),
    setLimits: (limits) => server.setLimits(limits),
    reset: () => server.reset(),
    close: () => server.close(),
  };
}
