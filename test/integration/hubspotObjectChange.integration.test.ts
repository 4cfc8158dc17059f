/**
 * A HubSpot sync pointed at another object type (contacts → companies) after it has run: the ids it
 * stored name contacts, and HubSpot ids are per object type, so acting on them as company ids would
 * archive or update a company backflow never wrote (or, ids not colliding, report a removal that never
 * happened). Real Temporal dev server and worker; the HubSpot sandbox through @hubspot/api-client.
 */
import { startSync } from '../../src/temporal/startSync';
import { createUniqueProperty, useHubspotFixture } from '../support/hubspotFixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'people_to_hubspot';
const fx = useHubspotFixture();

const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();

/** The sync over these `(email, name)` rows, onto contacts by email or companies by owner_email. */
function writeSync(rows: string, object: 'contacts' | '0-1' | 'companies', mode: 'upsert' | 'mirror' | 'update') {
  const [idProperty, nameProperty] = object === 'companies' ? ['owner_email', 'name'] : ['email', 'firstname'];
  fx.project.write(
    `syncs/${SYNC}.yaml`,
    [
      'source: warehouse',
      'model: |',
      `  SELECT * FROM (VALUES ${rows}) AS t(email, name)`,
      'primaryKey: email',
      `destination: { connection: hubspot, object: ${object}, externalIdField: ${idProperty} }`,
      `mode: ${mode}`,
      'mappings:',
      `  - { from: name, to: ${nameProperty} }`,
      '',
    ].join('\n'),
  );
}

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'destination_id', 'error_message']);

const writes = () => fx.hubspot.requests().filter((r) => r.method === 'POST');
const contactEmails = () => fx.hubspot.records('contacts').map((c) => c.properties['email']);

beforeEach(async () => {
  await createUniqueProperty(fx.client, 'companies', 'owner_email');
});

describe('HubSpot sync switched from contacts to companies', () => {
  it('mirror: a row removed as the object changed is not archived by its contact id among companies, and says why', async () => {
    writeSync("('ada@example.com', 'Ada'), ('grace@example.com', 'Grace')", 'contacts', 'mirror');
    const taskQueue = uniqueTaskQueue('hubspot-object-mirror');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 2 } });
      const graceContact = fx.hubspot.records('contacts').find((c) => c.properties['email'] === 'grace@example.com')?.id;

      writeSync("('ada@example.com', 'Ada')", 'companies', 'mirror');
      const before = writes().length;
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { changed: 1, removed: 1, created: 1, deleted: 0, skipped: 1 } });
      // The upsert and delete batches go concurrently: their requests in either order.
      expect(writes().slice(before).map((r) => r.path).sort()).toEqual(['/crm/v3/objects/companies/batch/read', '/crm/v3/objects/companies/batch/upsert']);
      // Nothing is archived among companies by an id HubSpot gave a contact.
      const archives = writes().slice(before).filter((r) => r.path.endsWith('/batch/archive'));
      expect(archives).toEqual([]);
      const grace = (await resultsOf(second.runId)).find((r) => r.key === 'grace@example.com');
      expect(grace).toMatchObject({ status: 'skipped' });
      expect(grace?.error_message).toBe(
        `its stored id ${graceContact} names a contacts record (the sync wrote contacts then, companies now): not archived`,
      );
      expect(contactEmails()).toEqual(['ada@example.com', 'grace@example.com']);
      expect(fx.hubspot.records('companies').map((c) => [c.properties['owner_email'], c.properties['name']])).toEqual([['ada@example.com', 'Ada']]);
      // Left in the snapshot as Salesforce leaves such a delete: reported again next run, still not archived.
      const third = await run(taskQueue);
      expect(third).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 0, skipped: 1, unchanged: 1 } });
      expect(writes().filter((r) => r.path.endsWith('/batch/archive'))).toEqual([]);
      expect(contactEmails()).toEqual(['ada@example.com', 'grace@example.com']);
    });
  });

  it('update: the companies are found by owner_email, never updated by the contact ids stored', async () => {
    writeSync("('ada@example.com', 'Ada'), ('grace@example.com', 'Grace')", 'contacts', 'upsert');
    const taskQueue = uniqueTaskQueue('hubspot-object-update');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 2 } });
      const created = await fx.client.crm.companies.basicApi.create({ properties: { name: 'Ada Ltd (old)', owner_email: 'ada@example.com' }, associations: [] });

      writeSync("('ada@example.com', 'Ada Ltd'), ('grace@example.com', 'Grace Inc')", 'companies', 'update');
      const before = writes().length;
      const second = await run(taskQueue);
      expect(writes().slice(before).map((r) => [r.path.replace('/crm/v3/objects/companies/batch/', ''), r.inputs])).toEqual([
        ['read', 2],
        ['update', 1],
      ]);
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, skipped: 1, rejected: 0 }, apiCalls: 2 });
      expect((await resultsOf(second.runId)).map((r) => [r.key, r.status, r.status === 'synced' ? r.destination_id : r.error_message])).toEqual([
        ['ada@example.com', 'synced', created.id],
        ['grace@example.com', 'skipped', 'update mode: no companies has owner_email = grace@example.com'],
      ]);
      expect(fx.hubspot.records('companies').map((c) => [c.id, c.properties['name']])).toEqual([[created.id, 'Ada Ltd']]);
    });
  });

  it('mirror: the same object under its id (contacts → 0-1) still archives a removed row, its record found holding the key', async () => {
    writeSync("('ada@example.com', 'Ada'), ('grace@example.com', 'Grace')", 'contacts', 'mirror');
    const taskQueue = uniqueTaskQueue('hubspot-object-alias');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 2 } });
      writeSync("('ada@example.com', 'Ada')", '0-1', 'mirror');
      const before = writes().length;
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { changed: 1, removed: 1, deleted: 1, skipped: 0 } });
      // The upsert and delete batches go concurrently; the delete's read comes before its archive.
      const paths = writes().slice(before).map((r) => r.path.replace('/crm/v3/objects/0-1/batch/', ''));
      expect([...paths].sort()).toEqual(['archive', 'read', 'upsert']);
      expect(paths.indexOf('read')).toBeLessThan(paths.indexOf('archive'));
      expect(contactEmails()).toEqual(['ada@example.com']);
    });
  });
});
