/**
 * A HubSpot connection's `limits: { daily }`: backflow stops before the app's requests today (as
 * HubSpot's X-HubSpot-RateLimit-Daily headers count them) would pass it, and the run ends partial.
 * The destination driven directly through @hubspot/api-client, against the HubSpot sandbox.
 */
import type { HubspotConnection } from '../../src/config/schema';
import { HubspotDestination } from '../../src/destinations/hubspot';
import { RollingWindowPacer } from '../../src/destinations/hubspotPacing';
import type { HubspotTarget } from '../../src/destinations/targets';
import { DestinationBudgetExhausted } from '../../src/errors';
import { startHubspotSandbox, type HubspotSandbox } from '../../src/sandbox/hubspot';
import { rejectionOf } from '../support/rejection';
import { memoryWriteContext } from '../support/writeContext';

/** A HubSpot sandbox of its own (another app, see appKey: its count starts at none), and a connection to it with `limits: { daily: 3 }`. */
async function dailyLimited(): Promise<{ sandbox: HubspotSandbox; connection: HubspotConnection; target: HubspotTarget }> {
  const sandbox = await startHubspotSandbox({
    properties: { companies: [{ name: 'external_id', label: 'External ID', type: 'string', hasUniqueValue: true }, { name: 'name', label: 'Name', type: 'string' }] },
    limits: { dailyLimit: 250_000 },
  });
  const connection = { type: 'hubspot', accessToken: sandbox.accessToken, basePath: sandbox.basePath, tier: 'free', timeoutMs: 10_000, limits: { daily: 3 } } as unknown as HubspotConnection;
  return { sandbox, connection, target: { connection: 'hubspot', object: 'companies', externalIdField: 'external_id' } as HubspotTarget };
}

it('stops before the requests of the day would pass limits.daily, without sending', async () => {
  const { sandbox, connection, target } = await dailyLimited();
  try {
    const destination = new HubspotDestination(connection, target, { pacer: new RollingWindowPacer({ max: 100, windowMs: 10_000 }) });
    const write = (key: string) => destination.write('upsert', [{ key, fields: { name: key }, destinationId: null }], memoryWriteContext('companies', `run-${key}`));
    for (const key of ['a', 'b', 'c']) expect((await write(key)).results).toMatchObject([{ key, status: 'ok' }]);
    const refused = await rejectionOf<DestinationBudgetExhausted>(write('d'));
    expect(refused).toBeInstanceOf(DestinationBudgetExhausted);
    expect(refused.message).toBe('HubSpot API usage is 3 requests today (the app\'s allowance is 250000); backflow stops at 3 (limits.daily) to leave the rest to other integrations');
    expect(sandbox.records('companies')).toHaveLength(3);
  } finally {
    await sandbox.close();
  }
});

it('counts the requests still on their way: batches sending at once stop at limits.daily together', async () => {
  const { sandbox, connection, target } = await dailyLimited();
  try {
    const pacer = new RollingWindowPacer({ max: 100, windowMs: 10_000 });
    // One destination per batch, sharing the app's pacer, as the engine opens them.
    const write = (key: string) =>
      new HubspotDestination(connection, target, { pacer }).write('upsert', [{ key, fields: { name: key }, destinationId: null }], memoryWriteContext('companies', `run-${key}`));
    expect((await write('a')).results).toMatchObject([{ key: 'a', status: 'ok' }]);
    const keys = ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const settled = await Promise.allSettled(keys.map(write));
    const refused = settled.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason as unknown);
    expect(refused).toHaveLength(6);
    for (const reason of refused) expect(reason).toBeInstanceOf(DestinationBudgetExhausted);
    expect(sandbox.records('companies')).toHaveLength(3);
  } finally {
    await sandbox.close();
  }
});
