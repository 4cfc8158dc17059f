import { Connection } from 'jsforce';
import type { SyncMode } from '../../src/destinations/modes';
import { extractChanges, finishRun, previewRun, startRun, syncBatches } from '../../src/engine';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { ACCOUNTS_BY_NAME_SYNC } from '../support/syncFiles';
import { uniqueTaskQueue, withWorker } from '../support/temporal';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useSyncFixture();

function setMode(mode: SyncMode, extra = '') {
  fx.project.write(FILE, fx.project.read(FILE).replace(/^mode: .*$/m, `mode: ${mode}\n${extra}`));
}

/** An Account someone created in the org by hand, through jsforce. */
async function createInOrg(fields: Record<string, unknown>): Promise<string> {
  const conn = new Connection({ instanceUrl: fx.sandbox.instanceUrl, accessToken: fx.sandbox.accessToken, version: '62.0' });
  const result = await conn.sobject('Account').create(fields);
  if (!result.success) throw new Error(`could not create ${JSON.stringify(fields)}`);
  return result.id;
}

const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
const accounts = () => fx.sandbox.records('Account').map((a) => [a.External_Id__c ?? null, a.Name]);

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'error_message']);

describe('sync modes against the Salesforce sandbox', () => {
  it('mirror: a row that leaves the model, whose record this sync never wrote, is not counted deleted (and is forgotten)', async () => {
    // Two hand-made Accounts named Acme: insert mode skips the row (it exists already), storing no Id.
    const handMade = [await createInOrg({ Name: 'Acme' }), await createInOrg({ Name: 'Acme' })];
    fx.project.write('syncs/accounts_by_name.yaml', ACCOUNTS_BY_NAME_SYNC.replace('mode: upsert', 'mode: insert'));
    const taskQueue = uniqueTaskQueue('mirror-never-written');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const byName = async () => (await startSync(fx.temporal.client, 'accounts_by_name', { taskQueue })).result();
      expect(await byName()).toMatchObject({ status: 'succeeded', counts: { created: 3, skipped: 1 } });
      fx.project.write('syncs/accounts_by_name.yaml', ACCOUNTS_BY_NAME_SYNC.replace('mode: upsert', 'mode: mirror'));
      await fx.project.sql(`DELETE FROM accounts WHERE name = 'Acme'`);
      // The dry run knows it too: a delete with no stored Id sends no request.
      expect(await previewRun(fx.project.deps, 'accounts_by_name', false)).toMatchObject({ removed: 1, skipped: 1, apiCalls: 0 });
      const mirrored = await byName();
      expect(mirrored).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 0, skipped: 1 } });
      const [acme] = await fx.project.deps.state.selectFrom('record_results').select(['key', 'status', 'error_message']).where('run_id', '=', mirrored.runId).execute();
      expect(acme).toEqual({ key: 'Acme', status: 'skipped', error_message: 'nothing to delete: this sync never wrote a record for this row (no destination id stored)' });
      // Nothing of the org's was deleted, and the row is no longer one of the sync's: the next run sends nothing.
      expect(fx.sandbox.records('Account').filter((a) => a.Name === 'Acme').map((a) => a.Id)).toEqual(handMade);
      expect(await byName()).toMatchObject({ status: 'succeeded', counts: { removed: 0, synced: 0, skipped: 0 }, apiCalls: 0 });
    });
  });

  it('mirror deletes the Accounts whose rows left the model, and nothing it did not create', async () => {
    setMode('mirror');
    const bystander = await createInOrg({ Name: 'Hand-made Corp' });
    const taskQueue = uniqueTaskQueue('mirror');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      await fx.project.sql(`DELETE FROM accounts WHERE id IN (3, 4)`);
      const before = fx.sandbox.requests().length;
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { removed: 2, deleted: 2, synced: 2 }, apiCalls: 1 });
      const deletes = fx.sandbox.requests().slice(before).filter((r) => r.method === 'DELETE');
      expect(deletes).toHaveLength(1);
      expect(accounts()).toEqual([
        [null, 'Hand-made Corp'],
        ['1', 'Acme'],
        ['2', 'Globex'],
      ]);
      expect(fx.sandbox.records('Account').some((a) => a.Id === bystander)).toBe(true);
      expect(await run(taskQueue)).toMatchObject({ counts: { removed: 0 }, apiCalls: 0 });
    });
  });

  it('mirror holds its deletes back while a row of the model has no key: the record of a row whose key came back NULL stays', async () => {
    setMode('mirror');
    const taskQueue = uniqueTaskQueue('mirror-null-key');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const model = fx.project.read(FILE);
      // A broken join upstream: Globex's key comes back NULL.
      fx.project.write(FILE, model.replace('SELECT id, name', 'SELECT CASE WHEN id = 2 THEN NULL ELSE id END AS id, name'));
      const held = await run(taskQueue);
      expect(held).toMatchObject({ status: 'partial', counts: { invalid: 1, removed: 1, skipped: 1, deleted: 0 }, apiCalls: 0 });
      expect(accounts().map(([key]) => key)).toEqual(['1', '2', '3', '4']);
      const [result] = (await resultsOf(held.runId)).filter((r) => r.key === '2');
      expect(result).toEqual({
        key: '2',
        status: 'skipped',
        error_message: "not deleted: 1 row of the model has no usable primary key (NULL, unreadable or unusable), and this record's row may be one of them; deletes resume once every row has a key",
      });
      // The key back, nothing was lost: Globex is as it was.
      fx.project.write(FILE, model);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4, removed: 0 }, apiCalls: 0 });
    });
  });

  it('mirror: a delete applied but never committed (its run abandoned) leaves the row to be written again, not read as unchanged', async () => {
    setMode('mirror');
    const taskQueue = uniqueTaskQueue('mirror-lost-delete');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      // Row 3 leaves the model (an upstream table half loaded); its delete reaches Salesforce, the answer is lost.
      await fx.project.sql(`CREATE TABLE accounts_backup AS SELECT * FROM accounts; DELETE FROM accounts WHERE id = 3`);
      const runId = 'sync:accounts_to_salesforce:lost-delete';
      await startRun(fx.project.deps, { runId, sync: SYNC, full: false });
      expect((await extractChanges(fx.project.deps, runId)).counts).toMatchObject({ removed: 1, batches: 1 });
      fx.sandbox.setFaults({ applyThenFail: 1 });
      await expect(syncBatches(fx.project.deps, runId, { first: 1, last: 1 })).rejects.toThrow();
      fx.sandbox.setFaults({});
      // The run is abandoned (its workflow terminated, say): closed with the delete uncommitted.
      await finishRun(fx.project.deps, runId, { code: 'RUN_ABANDONED', message: 'terminated' });
      expect(accounts()).toHaveLength(3);
      // The table is whole again: Account 3 must come back.
      await fx.project.sql(`DELETE FROM accounts; INSERT INTO accounts SELECT * FROM accounts_backup`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { changed: 1, unchanged: 3, synced: 1, created: 1 } });
      expect(accounts()).toContainEqual(['3', 'Initech']);
    });
  });

  it('mirror does not delete an Account whose key comes back in another letter case: Salesforce matches external ids ignoring case', async () => {
    setMode('mirror');
    const keyed = (expression: string) =>
      fx.project.write(FILE, fx.project.read(FILE).replace(/^  SELECT .* name, health/m, `  SELECT ${expression} AS id, name, health`));
    keyed(`'acme-' || id`);
    const taskQueue = uniqueTaskQueue('mirror-recased');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const ids = fx.sandbox.records('Account').map((a) => a.Id);
      // The model now spells key 1 in capitals (a dbt change, say); the same Account is meant.
      keyed(`CASE WHEN id = 1 THEN 'ACME-' ELSE 'acme-' END || id`);
      // A dry run first: it counts the skip, and leaves the committed snapshot as it was.
      expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 1, removed: 0, skipped: 1 });
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { added: 1, removed: 0, skipped: 1, deleted: 0, synced: 1, created: 0, updated: 1 } });
      expect(fx.sandbox.records('Account').map((a) => a.Id)).toEqual(ids);
      expect(accounts()).toContainEqual(['ACME-1', 'Acme']);
      expect(await fx.project.deps.state.selectFrom('record_results').select(['key', 'status', 'error_code', 'error_message']).where('run_id', '=', second.runId).where('status', '=', 'skipped').execute()).toEqual([
        {
          key: 'acme-1',
          status: 'skipped',
          error_code: 'KEY_RECASED',
          error_message: "key acme-1 is back as ACME-1; the destination matches keys ignoring case, so its record is ACME-1's now and is not deleted",
        },
      ]);
      // The record is ACME-1's now: a clean run after, and it goes when ACME-1 leaves the model.
      expect(await run(taskQueue)).toMatchObject({ counts: { removed: 0, skipped: 0 }, apiCalls: 0 });
      await fx.project.sql(`DELETE FROM accounts WHERE id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 1 } });
      expect(fx.sandbox.records('Account')).toHaveLength(3);
    });
  });

  it('mirror with a Number external id: keys written two ways (`1`, `01`) name one Account, are reported as duplicates and never sent; the one leaving deletes nothing', async () => {
    setMode('mirror');
    fx.project.write(FILE, fx.project.read(FILE).replace('externalIdField: External_Id__c', 'externalIdField: Erp_Number__c'));
    fx.project.write(FILE, fx.project.read(FILE).replace(/^  SELECT .* name, health/m, `  SELECT CASE WHEN name = 'Acme Twin' THEN '01' ELSE CAST(id AS VARCHAR) END AS id, name, health`));
    const taskQueue = uniqueTaskQueue('mirror-number-keys');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const acme = fx.sandbox.records('Account').find((a) => a.Erp_Number__c === 1);
      // A second row keyed `01` (zero-padded upstream): Salesforce's Erp_Number__c holds 1 for both.
      await fx.project.sql(`INSERT INTO accounts (id, name, health, segment, mrr) VALUES (5, 'Acme Twin', 10, 'at-risk', 100)`);
      const second = await run(taskQueue);
      expect(second).toMatchObject({ counts: { invalid: 2, synced: 0, removed: 0, deleted: 0 } });
      expect(await resultsOf(second.runId)).toEqual([
        { key: '01', status: 'invalid', error_message: "primary key 01 names the same record as 1 (the destination's key field is a Number, matched by value): 2 rows for one record; none of them is sent" },
        { key: '1', status: 'invalid', error_message: "primary key 1 names the same record as 01 (the destination's key field is a Number, matched by value): 2 rows for one record; none of them is sent" },
      ]);
      expect(fx.sandbox.records('Account').find((a) => a.Id === acme?.Id)).toMatchObject({ Name: 'Acme', Health_Score__c: 38 });
      // The twin leaves the model: Account 1 is still row 1's, and stays.
      await fx.project.sql(`DELETE FROM accounts WHERE id = 5`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 0, deleted: 0 } });
      expect(fx.sandbox.records('Account').map((a) => a.Id)).toContain(acme?.Id);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });

  it('mirror with a Number external id: a key written another way (`1` → `01`) is not deleted: its Account is the new key\'s', async () => {
    setMode('mirror');
    fx.project.write(FILE, fx.project.read(FILE).replace('externalIdField: External_Id__c', 'externalIdField: Erp_Number__c'));
    const keyed = (expression: string) =>
      fx.project.write(FILE, fx.project.read(FILE).replace(/^  SELECT .* name, health/m, `  SELECT ${expression} AS id, name, health`));
    keyed(`CAST(id AS VARCHAR)`);
    const taskQueue = uniqueTaskQueue('mirror-number-rekeyed');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const ids = fx.sandbox.records('Account').map((a) => a.Id);
      // The model now zero-pads key 1 (a type change upstream, say); the same Account is meant.
      keyed(`CASE WHEN id = 1 THEN '01' ELSE CAST(id AS VARCHAR) END`);
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { added: 1, removed: 0, skipped: 1, deleted: 0, synced: 1 } });
      expect(fx.sandbox.records('Account').map((a) => a.Id)).toEqual(ids);
      expect(await resultsOf(second.runId)).toEqual([
        { key: '01', status: 'synced', error_message: null },
        { key: '1', status: 'skipped', error_message: "key 1 is back as 01; the destination's key field is a Number, matched by value, so its record is 01's now and is not deleted" },
      ]);
      // The Account is 01's now: a clean run after, and it goes when 01 leaves the model.
      expect(await run(taskQueue)).toMatchObject({ counts: { removed: 0, skipped: 0 }, apiCalls: 0 });
      await fx.project.sql(`DELETE FROM accounts WHERE id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 1 } });
      expect(fx.sandbox.records('Account')).toHaveLength(3);
    });
  });

  it('upsert: a key that changes case and back keeps one snapshot row, so the change back is sent', async () => {
    setMode('upsert');
    const keyed = (expression: string, name: string) =>
      fx.project.write(FILE, fx.project.read(FILE).replace(/^  SELECT .* name, health/m, `  SELECT ${expression} AS id, ${name} AS name, health`));
    keyed(`'acme-' || id`, 'name');
    const taskQueue = uniqueTaskQueue('upsert-recased');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      keyed(`CASE WHEN id = 1 THEN 'ACME-' ELSE 'acme-' END || id`, `CASE WHEN id = 1 THEN 'Acme Renamed' ELSE name END`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 1, removed: 0, synced: 1, created: 0 } });
      // Back to the first spelling and name: a change to send, not "unchanged" against a stale row.
      keyed(`'acme-' || id`, 'name');
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 0, synced: 1, created: 0 } });
      expect(accounts()).toContainEqual(['acme-1', 'Acme']);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });

  it('a unique case-sensitive external id: keys differing only in case are two Accounts, in update and upsert mode', async () => {
    const KEY = 'Case_Sensitive_Key__c';
    fx.project.write(
      FILE,
      fx.project
        .read(FILE)
        .replace('externalIdField: External_Id__c', `externalIdField: ${KEY}`)
        .replace(/^  SELECT .* name, health/m, `  SELECT CASE WHEN id = 2 THEN 'AB-1' ELSE 'ab-' || id END AS id, name, health`),
    );
    const lower = await createInOrg({ Name: 'Hand-made lower', [KEY]: 'ab-1' });
    const upper = await createInOrg({ Name: 'Hand-made upper', [KEY]: 'AB-1' });
    const byKey = () => fx.sandbox.records('Account').map((a) => [a[KEY], a.Id === lower ? 'lower' : a.Id === upper ? 'upper' : 'new', a.Name]).sort();
    const taskQueue = uniqueTaskQueue('case-sensitive-key');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      // Update mode looks the keys up by SOQL, which matches this field in its exact case: each row
      // finds its own Account. Folded, `ab-1` and `AB-1` were refused as one key named twice.
      setMode('update');
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { invalid: 0, rejected: 0, updated: 2, skipped: 2 } });
      expect(byKey()).toEqual([
        ['AB-1', 'upper', 'Globex'],
        ['ab-1', 'lower', 'Acme'],
      ]);
      // Upsert by the external id: the two new keys are created, the two others left as they are.
      setMode('upsert');
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { rejected: 0, created: 2, synced: 2 } });
      expect(byKey()).toEqual([
        ['AB-1', 'upper', 'Globex'],
        ['ab-1', 'lower', 'Acme'],
        ['ab-3', 'new', 'Initech'],
        ['ab-4', 'new', 'Umbrella'],
      ]);
    });
  });

  it('mirror refuses a model that returns no rows, and deletes nothing', async () => {
    setMode('mirror');
    const taskQueue = uniqueTaskQueue('mirror-empty');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      await fx.project.sql(`DELETE FROM accounts`);
      const refused = await run(taskQueue);
      expect(refused).toMatchObject({ status: 'failed', error: { code: 'MIRROR_EMPTY_MODEL' }, apiCalls: 0 });
      expect(refused.error?.message).toMatch(/model returned no rows.*allowEmptyMirror: true/);
      expect(accounts()).toHaveLength(4);
      setMode('mirror', 'allowEmptyMirror: true');
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { deleted: 4 } });
      expect(accounts()).toEqual([]);
    });
  });

  it('update touches only Accounts that exist and reports the rest as skipped, with a reason', async () => {
    setMode('update');
    const acmeId = await createInOrg({ Name: 'Acme (old)', External_Id__c: '1' });
    const taskQueue = uniqueTaskQueue('update');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, created: 0, skipped: 3 } });
      expect(accounts()).toEqual([['1', 'Acme']]);
      expect(fx.sandbox.records('Account')[0]?.Id).toBe(acmeId);
      const results = await resultsOf(summary.runId);
      expect(results.filter((r) => r.status === 'skipped').map((r) => r.error_message)).toEqual([
        'update mode: no Account has External_Id__c = 2',
        'update mode: no Account has External_Id__c = 3',
        'update mode: no Account has External_Id__c = 4',
      ]);
      // Skipped keys are looked for again: once Globex exists, the next run updates it.
      await createInOrg({ Name: 'Globex (old)', External_Id__c: '2' });
      expect(await run(taskQueue)).toMatchObject({ counts: { added: 3, synced: 1, skipped: 2 } });
      expect(accounts()).toEqual([['1', 'Acme'], ['2', 'Globex']]);
    });
  });

  it('insert creates only new Accounts, skips one that exists, and never writes over a changed row', async () => {
    setMode('insert');
    await createInOrg({ Name: 'Acme (kept)', External_Id__c: '1' });
    const taskQueue = uniqueTaskQueue('insert');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'succeeded', counts: { created: 3, skipped: 1 } });
      expect(accounts()).toEqual([['1', 'Acme (kept)'], ['2', 'Globex'], ['3', 'Initech'], ['4', 'Umbrella']]);
      await fx.project.sql(fx.project.read('changes.sql'));
      const before = fx.sandbox.requests().length;
      const second = await run(taskQueue);
      expect(second).toMatchObject({ counts: { changed: 2, skipped: 2, synced: 0 }, apiCalls: 0 });
      expect(fx.sandbox.requests().length).toBe(before);
      expect(fx.sandbox.records('Account').find((a) => a.External_Id__c === '1')?.Health_Score__c ?? null).toBeNull();
    });
  });

  it('insert: a full resync re-creates an Account deleted by hand and skips those still there', async () => {
    setMode('insert');
    const taskQueue = uniqueTaskQueue('insert-full');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const conn = new Connection({ instanceUrl: fx.sandbox.instanceUrl, accessToken: fx.sandbox.accessToken, version: '62.0' });
      const acme = fx.sandbox.records('Account').find((a) => a.External_Id__c === '1');
      await conn.sobject('Account').destroy(String(acme?.Id));
      const full = await (await startSync(fx.temporal.client, SYNC, { taskQueue, full: true })).result();
      expect(full).toMatchObject({ status: 'succeeded', counts: { added: 4, synced: 1, created: 1, skipped: 3 } });
      expect(accounts()).toEqual([['2', 'Globex'], ['3', 'Initech'], ['4', 'Umbrella'], ['1', 'Acme']]);
      // The Accounts still there were left alone, and are not sent again by the next run.
      expect((await resultsOf(full.runId)).filter((r) => r.status === 'skipped').map((r) => r.error_message)).toEqual([
        expect.stringMatching(/^insert mode: Account \w+ already has External_Id__c = 2$/),
        expect.stringMatching(/^insert mode: Account \w+ already has External_Id__c = 3$/),
        expect.stringMatching(/^insert mode: Account \w+ already has External_Id__c = 4$/),
      ]);
      expect(await run(taskQueue)).toMatchObject({ counts: { unchanged: 4, synced: 0 }, apiCalls: 0 });
    });
  });
});
