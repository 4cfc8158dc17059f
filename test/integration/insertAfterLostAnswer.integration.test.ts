/**
 * Insert mode after a create whose answer was lost (the destination applied it, then answered 500):
 * the batch's retry finds the records its own request made. They are synced and created, not
 * skipped as "already there". Destinations driven directly, a retry being write() again with the
 * batch's checkpoint, as the engine does; the official clients against the sandboxes.
 */
import type { DestinationRecord } from '../../src/destinations/destination';
import { HubspotDestination } from '../../src/destinations/hubspot';
import { RollingWindowPacer } from '../../src/destinations/hubspotPacing';
import { SalesforceDestination } from '../../src/destinations/salesforce';
import type { HubspotConnection } from '../../src/config/schema';
import type { HubspotTarget, SalesforceTarget } from '../../src/destinations/targets';
import { startHubspotSandbox } from '../../src/sandbox/hubspot';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce';
import { rejectionOf } from '../support/rejection';
import { memoryWriteContext } from '../support/writeContext';
import { sandboxConnection } from '../support/salesforceConnection';

const records: DestinationRecord[] = [
  { key: 'acme-1', fields: { name: 'Acme' }, destinationId: null },
  { key: 'globex-2', fields: { name: 'Globex' }, destinationId: null },
];

describe('insert mode, retried after a create whose answer was lost', () => {
  it('HubSpot: the companies its own create made are synced and created', async () => {
    let requests = 0;
    const sandbox = await startHubspotSandbox({
      properties: { companies: [{ name: 'external_id', label: 'External ID', type: 'string', hasUniqueValue: true }, { name: 'name', label: 'Name', type: 'string' }] },
      faults: { applyThenFail: 0.5 },
      // Request 1 is the look-up, request 2 the create: only the create is applied, then answered 500.
      random: () => (++requests === 2 ? 0 : 0.99),
    });
    try {
      const connection = { type: 'hubspot', accessToken: sandbox.accessToken, basePath: sandbox.basePath, tier: 'free', timeoutMs: 10_000 } as unknown as HubspotConnection;
      const target = { connection: 'hubspot', object: 'companies', externalIdField: 'external_id' } as HubspotTarget;
      const destination = new HubspotDestination(connection, target, { pacer: new RollingWindowPacer({ max: 100, windowMs: 10_000 }) });
      const context = memoryWriteContext('companies_insert');
      await expect(destination.write('insert', records, context)).rejects.toThrow(/500/);
      const created = sandbox.records('companies');
      expect(created).toHaveLength(2);

      const { results } = await destination.write('insert', records, context);
      expect(results).toEqual(created.map((company) => ({ key: company.properties['external_id'], status: 'ok', destinationId: company.id, created: true })));
      // A key that was there before the batch is still skipped.
      const again = await destination.write('insert', [records[0] as DestinationRecord], memoryWriteContext('companies_insert', 'run-2'));
      expect(again.results).toMatchObject([{ key: 'acme-1', status: 'skipped' }]);
    } finally {
      await sandbox.close();
    }
  });

  it('Salesforce (sObject Collections): the Accounts its own create made are synced and created', async () => {
    const sandbox = await startSalesforceSandbox();
    try {
      const target = { connection: 'sf', object: 'Account', externalIdField: 'External_Id__c' } as SalesforceTarget;
      const destination = new SalesforceDestination(sandboxConnection(sandbox), target);
      const named = records.map((record) => ({ ...record, fields: { Name: record.fields['name'] ?? null } }));
      const context = memoryWriteContext('accounts_insert');
      // Every write is applied, then answered 500; reads are answered.
      sandbox.setFaults({ applyThenFail: 1 });
      expect(await rejectionOf(destination.write('insert', named, context))).toBeInstanceOf(Error);
      sandbox.setFaults({});
      const created = sandbox.records('Account');
      expect(created).toHaveLength(2);

      const { results } = await destination.write('insert', named, context);
      expect(results).toEqual(created.map((account) => ({ key: account['External_Id__c'], status: 'ok', destinationId: account['Id'], created: true })));
      const again = await destination.write('insert', [named[0] as DestinationRecord], memoryWriteContext('accounts_insert', 'run-2'));
      expect(again.results).toMatchObject([{ key: 'acme-1', status: 'skipped' }]);
    } finally {
      await sandbox.close();
    }
  });
});
