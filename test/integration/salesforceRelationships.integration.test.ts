/**
 * Lookups set by the parent's external id: a Contact sync mapping `account_id` onto
 * `Account.External_Id__c` links each Contact to the Account the accounts sync wrote, through sObject
 * Collections and through Bulk API 2.0. Real Temporal dev server and worker; the Salesforce sandbox
 * through jsforce.
 */
import { openDestination, syncSpec } from '../../src/engine/context';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const fx = useSyncFixture();
const CONTACTS = 'contacts_to_salesforce';

function writeContactSync(extra = '', accountMapping = 'Account.External_Id__c'): void {
  fx.project.write(
    `syncs/${CONTACTS}.yaml`,
    `source: warehouse\nmodel: SELECT id, last_name, account_id FROM contacts\nprimaryKey: id\ndestination:\n  connection: salesforce\n  object: Contact\n  externalIdField: External_Id__c\n${extra}mode: upsert\nmappings:\n  - { from: last_name, to: LastName }\n  - { from: account_id, to: ${accountMapping} }\n`,
  );
}

const run = async (taskQueue: string, sync: string) => (await startSync(fx.temporal.client, sync, { taskQueue })).result();

/** Each Contact's key and the External_Id__c of the Account its AccountId points at (null: none). */
function contactAccounts(): Array<[unknown, unknown]> {
  const accounts = new Map(fx.sandbox.records('Account').map((a) => [a.Id, a.External_Id__c]));
  return fx.sandbox
    .records('Contact')
    .filter((c) => Number(c.External_Id__c) < 100)
    .map((c): [unknown, unknown] => [c.External_Id__c, c.AccountId === null || c.AccountId === undefined ? null : (accounts.get(c.AccountId) ?? `unknown ${String(c.AccountId)}`)])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

describe.each([
  ['sObject Collections', '', 0],
  // Over 200 records in one batch: the batch goes as a Bulk API 2.0 job.
  ['Bulk API 2.0', '  bulkThreshold: 1\n', 250],
])('a lookup mapped by the parent external id (%s)', (_path, extra, filler) => {
  it('links each Contact to its Account, rejects a row whose Account is not there, and clears the lookup for NULL', async () => {
    await fx.project.sql(
      `CREATE TABLE contacts AS SELECT * FROM (VALUES (1, 'Ann', 1), (2, 'Bob', 2), (3, 'Cid', 99), (4, 'Dee', NULL)) t(id, last_name, account_id)
       UNION ALL SELECT 100 + i, 'Filler', 1 FROM range(${filler}) r(i)`,
    );
    const before = fx.sandbox.requests().length;
    writeContactSync(extra);
    const taskQueue = uniqueTaskQueue('sf-lookup');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue, 'accounts_to_salesforce')).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const first = await run(taskQueue, CONTACTS);
      expect(first).toMatchObject({ status: 'partial', counts: { synced: 3 + filler, rejected: 1 } });
      const bulkJobs = fx.sandbox.requests().slice(before).filter((r) => r.path.includes('/jobs/ingest') && r.method === 'POST' && r.path.endsWith('/ingest'));
      expect(bulkJobs.length > 0).toBe(filler > 0);
      expect(contactAccounts()).toEqual([
        ['1', '1'],
        ['2', '2'],
        ['4', null],
      ]);
      const rejected = await fx.project.deps.state.selectFrom('record_results').select(['key', 'error_message']).where('run_id', '=', first.runId).where('status', '=', 'rejected').execute();
      expect(rejected).toEqual([{ key: '3', error_message: expect.stringContaining('Foreign key external ID: 99 not found for field External_Id__c in entity Account') as unknown }]);

      // Ann moves to Account 3, Bob's account goes NULL, Cid's Account appears.
      await fx.project.sql(`UPDATE contacts SET account_id = 3 WHERE id = 1; UPDATE contacts SET account_id = NULL WHERE id = 2; UPDATE contacts SET account_id = 4 WHERE id = 3`);
      expect(await run(taskQueue, CONTACTS)).toMatchObject({ status: 'succeeded', counts: { synced: 3, rejected: 0 } });
      expect(contactAccounts()).toEqual([
        ['1', '3'],
        ['2', null],
        ['3', '4'],
        ['4', null],
      ]);
      expect(await run(taskQueue, CONTACTS)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 + filler }, apiCalls: 0 });
    });
  });
});

describe('validate, on a relationship mapping', () => {
  it('names a relationship the object lacks and a parent field that is no external id, and checks the lookup it sets as any field', async () => {
    await fx.project.sql(`CREATE TABLE contacts AS SELECT 1 AS id, 'Ann' AS last_name, 1 AS account_id`);
    const issues = async () => {
      const spec = syncSpec(fx.project.deps, CONTACTS);
      return openDestination(fx.project.deps, spec).check(spec);
    };
    writeContactSync('', 'Acount.External_Id__c');
    expect(await issues()).toEqual([{ path: 'mappings[1].to', message: 'Contact has no relationship Acount (a lookup\'s relationship name, e.g. Account for AccountId)' }]);
    writeContactSync('', 'Account.Name');
    expect(await issues()).toEqual([{ path: 'mappings[1].to', message: 'Account.Name is not an external id field, so Account cannot be set by it' }]);
    writeContactSync('', 'account.external_id__c');
    expect(await issues()).toEqual([]);
    // The lookup it sets is checked as any mapped field: set twice here.
    fx.project.write(`syncs/${CONTACTS}.yaml`, `${fx.project.read(`syncs/${CONTACTS}.yaml`)}  - { from: account_id, to: AccountId }\n`);
    expect(await issues()).toEqual([{ path: 'mappings[2].to', message: 'Contact.AccountId is set by mappings[1].to already (Salesforce field names ignore letter case)' }]);
  });
});
