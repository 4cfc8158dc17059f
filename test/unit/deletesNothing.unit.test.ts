/**
 * A mirror delete of a row whose record the sync never wrote (no destination id stored) sends nothing:
 * the run answers it skipped without a request, and the dry run (sendsNothingFor) says so too.
 */
import { HubspotDestination } from '../../src/destinations/hubspot';
import { RollingWindowPacer } from '../../src/destinations/hubspotPacing';
import { SalesforceDestination } from '../../src/destinations/salesforce';
import type { DestinationRecord } from '../../src/destinations/destination';
import type { SalesforceTarget } from '../../src/destinations/targets';
import { startHubspotSandbox } from '../../src/sandbox/hubspot';
import { sandboxConnection } from '../support/salesforceConnection';
import { memoryWriteContext } from '../support/writeContext';

const neverWritten: DestinationRecord = { key: 'gone-1', fields: {}, destinationId: null };
const written: DestinationRecord = { key: 'gone-2', fields: {}, destinationId: '123' };

describe('a delete with no stored destination id, as the dry run sees it', () => {
  it('Salesforce: sends nothing for it, and only for it', () => {
    const salesforce = new SalesforceDestination(sandboxConnection({ instanceUrl: 'https://dry.run.test', accessToken: 'token' }), {
      connection: 'sf',
      object: 'Account',
      externalIdField: 'External_Id__c',
    } as SalesforceTarget);
    expect(salesforce.sendsNothingFor('delete', neverWritten)).toBe(true);
    expect(salesforce.sendsNothingFor('delete', written)).toBe(false);
    expect(salesforce.sendsNothingFor('upsert', neverWritten)).toBe(false);
  });

  it('HubSpot: the delete makes no request, as sendsNothingFor tells the dry run', async () => {
    const sandbox = await startHubspotSandbox();
    try {
      const hubspot = new HubspotDestination(
        { type: 'hubspot', accessToken: sandbox.accessToken, basePath: sandbox.basePath, tier: 'free', timeoutMs: 10_000 },
        { connection: 'hubspot', object: 'companies', externalIdField: 'external_id' },
        { pacer: new RollingWindowPacer({ max: 100, windowMs: 10_000 }) },
      );
      expect(hubspot.sendsNothingFor('delete', neverWritten)).toBe(true);
      expect(hubspot.sendsNothingFor('delete', written)).toBe(false);
      const before = sandbox.requests().length;
      const result = await hubspot.write('delete', [neverWritten], memoryWriteContext('deletes-nothing', 'run-1'));
      expect(result).toMatchObject({ apiCalls: 0, results: [{ key: 'gone-1', status: 'skipped', nothingToDelete: true }] });
      expect(sandbox.requests().length).toBe(before);
    } finally {
      await sandbox.close();
    }
  });
});
