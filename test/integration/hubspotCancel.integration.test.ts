/**
 * A run cancelled while a HubSpot batch waits for the app's request budget (HubSpot's own pacer, in the
 * destination): the batch sends nothing. Every batch queued behind the budget went out after a Ctrl-C.
 * The destination driven directly through @hubspot/api-client, against the HubSpot sandbox.
 */
import type { HubspotConnection } from '../../src/config/schema';
import { WriteNotStarted } from '../../src/destinations/destination';
import { HubspotDestination } from '../../src/destinations/hubspot';
import { RollingWindowPacer } from '../../src/destinations/hubspotPacing';
import type { HubspotTarget } from '../../src/destinations/targets';
import { startHubspotSandbox } from '../../src/sandbox/hubspot';
import { rejectionOf } from '../support/rejection';
import { memoryWriteContext } from '../support/writeContext';

it('sends nothing of a batch whose run was cancelled while it waited for the request budget', async () => {
  const sandbox = await startHubspotSandbox({
    properties: { companies: [{ name: 'external_id', label: 'External ID', type: 'string', hasUniqueValue: true }, { name: 'name', label: 'Name', type: 'string' }] },
  });
  try {
    const connection = { type: 'hubspot', accessToken: sandbox.accessToken, basePath: sandbox.basePath, tier: 'free', timeoutMs: 10_000 } as unknown as HubspotConnection;
    const target = { connection: 'hubspot', object: 'companies', externalIdField: 'external_id' } as HubspotTarget;
    // One request per 2 s: the second batch waits for the first's slot to age out.
    const destination = new HubspotDestination(connection, target, { pacer: new RollingWindowPacer({ max: 1, windowMs: 2_000 }) });
    const write = (key: string, stopRequested: () => boolean) =>
      destination.write('upsert', [{ key, fields: { name: key }, destinationId: null }], { ...memoryWriteContext('companies', `run-${key}`), stopRequested });
    expect((await write('a', () => false)).results).toMatchObject([{ key: 'a', status: 'ok' }]);
    let cancelled = false;
    setTimeout(() => (cancelled = true), 300);
    expect(await rejectionOf(write('b', () => cancelled))).toBeInstanceOf(WriteNotStarted);
    expect(sandbox.records('companies').map((company) => company.properties['external_id'])).toEqual(['a']);
  } finally {
    await sandbox.close();
  }
});
