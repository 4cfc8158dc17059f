/**
 * Editing a sync's `externalIdField` after it has run: the records it wrote hold their keys in the old
 * field, so the next run writes them by their stored ids (setting the key in the new field) instead of
 * upserting by the new field, which created a second record for every row. Real Temporal dev server
 * and worker; the Salesforce sandbox through jsforce, the HubSpot sandbox through @hubspot/api-client.
 */
import { Connection } from 'jsforce';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { createUniqueProperty, useHubspotFixture } from '../support/hubspotFixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

describe('Salesforce: externalIdField edited from External_Id__c to Case_Sensitive_Key__c', () => {
  const SYNC = 'accounts_to_salesforce';
  const FILE = `syncs/${SYNC}.yaml`;
  const fx = useSyncFixture();
  const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
  const rekey = () => fx.project.write(FILE, fx.project.read(FILE).replace('externalIdField: External_Id__c', 'externalIdField: Case_Sensitive_Key__c'));
  const accounts = () => fx.sandbox.records('Account').map((a) => [a.Id, a.External_Id__c ?? null, a.Case_Sensitive_Key__c ?? null, a.Name]);

  it('updates the same Accounts by Id, the key now in the new field; the run after sends nothing', async () => {
    const taskQueue = uniqueTaskQueue('sf-rekey');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const ids = fx.sandbox.records('Account').map((a) => a.Id);
      rekey();
      await fx.project.sql(`UPDATE accounts SET name = 'Acme Corp' WHERE id = 1`);
      const before = fx.sandbox.requests().length;
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { changed: 4, synced: 4, created: 0, updated: 4 }, apiCalls: 1 });
      expect(fx.sandbox.requests().slice(before).map((r) => r.method)).toEqual(['PATCH']);
      expect(accounts()).toEqual([
        [ids[0], '1', '1', 'Acme Corp'],
        [ids[1], '2', '2', 'Globex'],
        [ids[2], '3', '3', 'Initech'],
        [ids[3], '4', '4', 'Umbrella'],
      ]);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 }, apiCalls: 0 });
      // Keyed by the new field from now on: a new row is upserted by it.
      await fx.project.sql(`INSERT INTO accounts SELECT 5, 'Hooli', health, segment, mrr, last_seen_at FROM accounts WHERE id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 1, created: 1 } });
      expect(accounts()[4]).toEqual([expect.any(String), null, '5', 'Hooli']);
    });
  });

  it('goes by Id through Bulk API 2.0 too (over 200 records in a batch)', async () => {
    await fx.project.sql(`INSERT INTO accounts SELECT 100 + i, 'Filler ' || i, 50, 'neutral', 100, TIMESTAMP '2026-11-20 09:00:00' FROM range(250) r(i)`);
    fx.project.write(FILE, fx.project.read(FILE).replace('  externalIdField: External_Id__c', '  externalIdField: External_Id__c\n  bulkThreshold: 1'));
    const taskQueue = uniqueTaskQueue('sf-rekey-bulk');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 254 } });
      const ids = fx.sandbox.records('Account').map((a) => a.Id).sort();
      rekey();
      const before = fx.sandbox.requests().length;
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { changed: 254, synced: 254, created: 0, updated: 254 } });
      const jobs = fx.sandbox.requests().slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/ingest'));
      expect(jobs.length).toBeGreaterThan(0);
      expect(fx.sandbox.records('Account').map((a) => a.Id).sort()).toEqual(ids);
      expect(fx.sandbox.records('Account').every((a) => a.Case_Sensitive_Key__c === a.External_Id__c)).toBe(true);
    });
  });

  it('an Account deleted in the org since is created again under the new field, once', async () => {
    const taskQueue = uniqueTaskQueue('sf-rekey-gone');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const conn = new Connection({ instanceUrl: fx.sandbox.instanceUrl, accessToken: fx.sandbox.accessToken, version: '62.0' });
      const gone = fx.sandbox.records('Account').find((a) => a.External_Id__c === '2');
      await conn.sobject('Account').destroy(String(gone?.Id));
      rekey();
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 1, updated: 3, rejected: 0 } });
      expect(fx.sandbox.records('Account').map((a) => a.Case_Sensitive_Key__c).sort()).toEqual(['1', '2', '3', '4']);
    });
  });
});

describe('HubSpot: externalIdField edited from external_id to a new unique property', () => {
  const SYNC = 'accounts_to_hubspot';
  const FILE = `syncs/${SYNC}.yaml`;
  const fx = useHubspotFixture();
  const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
  const companies = () => fx.hubspot.records('companies').map((c) => [c.id, c.properties['external_id'] ?? null, c.properties['warehouse_id'] ?? null, c.properties['name']]);

  it('updates the same companies by id, the key now in the new property; the run after sends nothing', async () => {
    // As someone would in HubSpot's settings: a second property with unique values.
    await createUniqueProperty(fx.client, 'companies', 'warehouse_id', 'Warehouse ID');
    const taskQueue = uniqueTaskQueue('hubspot-rekey');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const ids = fx.hubspot.records('companies').map((c) => c.id);
      fx.project.write(FILE, fx.project.read(FILE).replace('externalIdField: external_id', 'externalIdField: warehouse_id'));
      const before = fx.hubspot.requests().length;
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { changed: 4, synced: 4, created: 0, updated: 4 }, apiCalls: 1 });
      expect(fx.hubspot.requests().slice(before).map((r) => r.path)).toEqual(['/crm/v3/objects/companies/batch/update']);
      expect(companies()).toEqual([
        [ids[0], '1', '1', 'Acme'],
        [ids[1], '2', '2', 'Globex'],
        [ids[2], '3', '3', 'Initech'],
        [ids[3], '4', '4', 'Umbrella'],
      ]);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 }, apiCalls: 0 });
    });
  });
});
