/**
 * A Salesforce Id backflow committed, whose record someone deleted (or merged away) since: the next
 * run finds the record again by its key field, lands the row on it (or re-creates it, or skips it in
 * update mode) and commits the new Id, so the run after sends to the new Id directly.
 */
import { Connection } from 'jsforce';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';
import { ACCOUNTS_BY_NAME_SYNC } from '../support/syncFiles';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useSyncFixture();

const run = async (taskQueue: string, sync = SYNC) => (await startSync(fx.temporal.client, sync, { taskQueue })).result();
const org = () => new Connection({ instanceUrl: fx.sandbox.instanceUrl, accessToken: fx.sandbox.accessToken, version: '62.0' });

async function createInOrg(fields: Record<string, unknown>): Promise<string> {
  const result = await org().sobject('Account').create(fields);
  if (!result.success) throw new Error(`could not create ${JSON.stringify(fields)}`);
  return result.id;
}

async function deleteInOrg(...ids: string[]): Promise<void> {
  for (const id of ids) {
    const result = await org().sobject('Account').destroy(id);
    if (!result.success) throw new Error(`could not delete ${id}`);
  }
}

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'error_code', 'error_message', 'destination_id', 'created']);

const queriesSince = (before: number) => fx.sandbox.requests().slice(before).filter((r) => r.path.endsWith('/query'));

/** The accounts-by-name sync pointed at Contacts instead (the key in LastName). */
const toContacts = (sync: string) =>
  sync
    .replace('SELECT name, health', "SELECT name, 'h' || health AS first")
    .replace('object: Account, matchOn: { field: Name }', 'object: Contact, matchOn: { field: LastName }')
    .replace('{ from: health, to: Health_Score__c }', '{ from: first, to: FirstName }');

/** Runs `sync` (4 Accounts created), then its retargeted form `then`: the second run's summary. */
async function runRetargeted(taskQueue: string, sync: string, then: string) {
  fx.project.write('syncs/accounts_by_name.yaml', sync);
  expect(await run(taskQueue, 'accounts_by_name')).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
  fx.project.write('syncs/accounts_by_name.yaml', then);
  return run(taskQueue, 'accounts_by_name');
}

describe('Salesforce records deleted behind backflow’s back', () => {
  it('a sync pointed at another object finds its records there by the key field, instead of updating by the old object’s Ids', async () => {
    const taskQueue = uniqueTaskQueue('gone-object');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      // The committed Ids are Accounts': Salesforce answers MALFORMED_ID for them as Contact Ids.
      const second = await runRetargeted(taskQueue, ACCOUNTS_BY_NAME_SYNC, toContacts(ACCOUNTS_BY_NAME_SYNC));
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0 } });
      expect(fx.sandbox.records('Contact').map((c) => c.LastName).sort()).toEqual(['Acme', 'Globex', 'Initech', 'Umbrella']);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });

  it('a mirror sync pointed at another object never deletes the old object’s records by their Ids', async () => {
    const mirror = ACCOUNTS_BY_NAME_SYNC.replace('mode: upsert', 'mode: mirror');
    const taskQueue = uniqueTaskQueue('gone-object-mirror');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const second = await runRetargeted(taskQueue, mirror, toContacts(mirror).replace('FROM accounts', "FROM accounts WHERE name <> 'Acme'"));
      expect(second).toMatchObject({ counts: { removed: 1, deleted: 0, skipped: 1, created: 3 } });
      const acme = (await resultsOf(second.runId)).find((r) => r.key === 'Acme');
      expect(acme).toMatchObject({ status: 'skipped', error_message: expect.stringContaining('is not a Contact') as unknown });
      expect(fx.sandbox.records('Account').map((a) => a.Name).sort()).toEqual(['Acme', 'Globex', 'Initech', 'Umbrella']);
    });
  });

  it('matchOn upsert: a deleted record is re-created, a re-created one re-matched, both new Ids committed', async () => {
    fx.project.write('syncs/accounts_by_name.yaml', ACCOUNTS_BY_NAME_SYNC);
    const taskQueue = uniqueTaskQueue('gone-match');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue, 'accounts_by_name');
      expect(first).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const stored = new Map((await resultsOf(first.runId)).map((r) => [r.key, r.destination_id ?? '']));

      // Acme is deleted; Globex deleted and made again by hand (a merge leaves the same picture).
      await deleteInOrg(stored.get('Acme') ?? '', stored.get('Globex') ?? '');
      const globex = await createInOrg({ Name: 'Globex' });
      await fx.project.sql('UPDATE accounts SET health = health + 1');
      const before = fx.sandbox.requests().length;
      const second = await run(taskQueue, 'accounts_by_name');
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 1, updated: 3, rejected: 0 } });
      // One look-up for both gone records, not one each.
      expect(queriesSince(before)).toHaveLength(1);
      const results = new Map((await resultsOf(second.runId)).map((r) => [r.key, r]));
      const acme = fx.sandbox.records('Account').find((a) => a.Name === 'Acme');
      expect(acme?.Id).not.toBe(stored.get('Acme'));
      expect(results.get('Acme')).toMatchObject({ status: 'synced', created: 1, destination_id: acme?.Id });
      expect(results.get('Globex')).toMatchObject({ status: 'synced', created: 0, destination_id: globex });
      expect(fx.sandbox.records('Account').map((a) => [a.Name, a.Health_Score__c])).toEqual([
        ['Initech', 56],
        ['Umbrella', 92],
        ['Globex', 83],
        ['Acme', 39],
      ]);

      // The new Ids were committed: the next change goes straight to them, no look-up, nothing gone.
      await fx.project.sql('UPDATE accounts SET health = health + 1');
      const beforeThird = fx.sandbox.requests().length;
      const third = await run(taskQueue, 'accounts_by_name');
      expect(third).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 0, updated: 4, rejected: 0 }, apiCalls: 1 });
      expect(queriesSince(beforeThird)).toEqual([]);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
      expect(new Map((await resultsOf(third.runId)).map((r) => [r.key, r.destination_id]))).toEqual(
        new Map([...results].map(([key, r]) => [key, r.destination_id])),
      );
    });
  });

  it('update mode: a re-created record is found by its external id; one gone for good is skipped with a reason', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace(/^mode: .*$/m, 'mode: update'));
    const acmeOld = await createInOrg({ Name: 'Acme (old)', External_Id__c: '1' });
    const globexOld = await createInOrg({ Name: 'Globex (old)', External_Id__c: '2' });
    const taskQueue = uniqueTaskQueue('gone-update');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2, updated: 2, skipped: 2 } });

      await deleteInOrg(acmeOld, globexOld);
      const acmeNew = await createInOrg({ Name: 'Acme (re-imported)', External_Id__c: '1' });
      await fx.project.sql('UPDATE accounts SET health = health + 1');
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, rejected: 0, skipped: 3 } });
      const results = await resultsOf(second.runId);
      expect(results.map((r) => [r.key, r.status, r.status === 'synced' ? r.destination_id : r.error_message])).toEqual([
        ['1', 'synced', acmeNew],
        ['2', 'skipped', `update mode: no Account has External_Id__c = 2 (Account ${globexOld}, synced earlier, no longer exists)`],
        ['3', 'skipped', 'update mode: no Account has External_Id__c = 3'],
        ['4', 'skipped', 'update mode: no Account has External_Id__c = 4'],
      ]);
      expect(fx.sandbox.records('Account').map((a) => [a.Id, a.Name, a.Health_Score__c])).toEqual([[acmeNew, 'Acme', 39]]);

      await fx.project.sql("UPDATE accounts SET health = health + 1 WHERE name = 'Acme'");
      const third = await run(taskQueue);
      expect(third).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, rejected: 0 } });
      expect((await resultsOf(third.runId)).find((r) => r.key === '1')).toMatchObject({ status: 'synced', destination_id: acmeNew });
      expect(fx.sandbox.records('Account').map((a) => [a.Id, a.Health_Score__c])).toEqual([[acmeNew, 40]]);
    });
  });
});
