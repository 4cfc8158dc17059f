import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const fx = useSyncFixture();

function upsertRequests(since = 0) {
  return fx.sandbox
    .requests()
    .slice(since)
    .filter((r) => r.method === 'PATCH' && r.path.includes('/composite/sobjects/Account/External_Id__c'));
}

/** The demo sync reading `FROM <from>` instead of its accounts table. */
function modelFrom(from: string): void {
  const file = 'syncs/accounts_to_salesforce.yaml';
  fx.project.write(file, fx.project.read(file).replace('FROM accounts', `FROM ${from}`));
}

/** A run's invalid rows, in the order they were read. */
function invalidResultsOf(runId: string) {
  return fx.project.deps.state.selectFrom('record_results').select(['key', 'error_code', 'error_message']).where('run_id', '=', runId).where('status', '=', 'invalid').orderBy('id').execute();
}

describe('the seed scenario on the real Temporal dev server', () => {
  it('creates 4 Accounts, then sends exactly the 2 changed rows as updates, then sends nothing', async () => {
    const taskQueue = uniqueTaskQueue('seed');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(first).toMatchObject({
        sync: SYNC,
        status: 'succeeded',
        counts: { extracted: 4, added: 4, changed: 0, unchanged: 0, synced: 4, created: 4, updated: 0, rejected: 0 },
        apiCalls: 1,
      });
      expect(upsertRequests().map((r) => r.records)).toEqual([4]);
      const accounts = fx.sandbox.records('Account');
      expect(accounts.map((a) => [a.External_Id__c, a.Name, a.Health_Score__c, a.Segment__c, a.MRR__c])).toEqual([
        ['1', 'Acme', 38, 'at-risk', 900],
        ['2', 'Globex', 82, 'healthy', 4000],
        ['3', 'Initech', 55, 'neutral', 700],
        ['4', 'Umbrella', 91, 'healthy', 1200],
      ]);

      await fx.project.sql(fx.project.read('changes.sql'));
      const before = fx.sandbox.requests().length;
      const second = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(second).toMatchObject({
        status: 'succeeded',
        counts: { extracted: 4, added: 0, changed: 2, unchanged: 2, synced: 2, created: 0, updated: 2 },
        apiCalls: 1,
      });
      expect(upsertRequests(before).map((r) => r.records)).toEqual([2]);
      const after = fx.sandbox.records('Account');
      expect(after).toHaveLength(4);
      expect(after.find((a) => a.Name === 'Acme')?.Health_Score__c).toBe(30);
      expect(after.find((a) => a.Name === 'Initech')?.Segment__c).toBe('at-risk');
      expect(after.map((a) => a.Id)).toEqual(accounts.map((a) => a.Id));

      const idle = fx.sandbox.requests().length;
      const third = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(third).toMatchObject({
        status: 'succeeded',
        counts: { added: 0, changed: 0, unchanged: 4, synced: 0 },
        apiCalls: 0,
        batches: 0,
      });
      expect(fx.sandbox.requests().length).toBe(idle);
    });
  });

  it('reports a rejected record with its error, retries it next run, and syncs it once the row is fixed', async () => {
    const taskQueue = uniqueTaskQueue('rejected');
    await fx.project.sql(`UPDATE accounts SET name = repeat('x', 300) WHERE id = 2`);
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(first).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 1 } });
      const rejected = await fx.project.deps.state
        .selectFrom('record_results')
        .selectAll()
        .where('run_id', '=', first.runId)
        .where('status', '=', 'rejected')
        .execute();
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ key: '2', error_code: 'STRING_TOO_LONG', error_fields: '["Name"]' });
      expect(rejected[0]?.error_message).toContain('max length=255');
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c)).toEqual(['1', '3', '4']);

      // Unfixed, it is tried again (and rejected again) — never silently dropped.
      const again = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(again).toMatchObject({ status: 'partial', counts: { added: 1, unchanged: 3, rejected: 1 }, apiCalls: 1 });

      await fx.project.sql(`UPDATE accounts SET name = 'Globex' WHERE id = 2`);
      const fixed = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(fixed).toMatchObject({ status: 'succeeded', counts: { added: 1, unchanged: 3, synced: 1, created: 1, rejected: 0 } });
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c).sort()).toEqual(['1', '2', '3', '4']);
    });
  });

  it('reports NULL and duplicate primary keys per row and never sends them', async () => {
    const taskQueue = uniqueTaskQueue('keys');
    modelFrom(`(SELECT id, name, health, segment, mrr FROM accounts
                 UNION ALL SELECT NULL, 'Nobody', 1, 'neutral', 1
                 UNION ALL SELECT 4, 'Umbrella twin', 1, 'neutral', 1)
          ORDER BY id NULLS LAST, name`);
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(summary).toMatchObject({ status: 'partial', counts: { extracted: 6, added: 3, invalid: 3, synced: 3 } });
      const invalid = await invalidResultsOf(summary.runId);
      expect(invalid.map((r) => [r.key, r.error_code])).toEqual([
        [null, 'NULL_PRIMARY_KEY'],
        ['4', 'DUPLICATE_PRIMARY_KEY'],
        ['4', 'DUPLICATE_PRIMARY_KEY'],
      ]);
      expect(invalid[0]?.error_message).toMatch(/^row 6: primary key id is NULL/);
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c)).toEqual(['1', '2', '3']);
    });
  });

  it('reports a key no store can keep (a NUL character, over 1,024 bytes) per row, and syncs the others (on PostgreSQL one failed the whole extract)', async () => {
    const taskQueue = uniqueTaskQueue('unusable-keys');
    modelFrom(`(SELECT CAST(id AS VARCHAR) AS id, name, health, segment, mrr FROM accounts
                 UNION ALL SELECT 'nul' || chr(0) || 'key', 'Nul', 1, 'neutral', 1
                 UNION ALL SELECT repeat('k', 1025), 'Long', 1, 'neutral', 1)
          ORDER BY name`);
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(summary).toMatchObject({ status: 'partial', counts: { extracted: 6, added: 4, invalid: 2, synced: 4 } });
      const invalid = await invalidResultsOf(summary.runId);
      expect(invalid.map((r) => [r.key, r.error_code])).toEqual([
        [null, 'UNUSABLE_PRIMARY_KEY'],
        [null, 'UNUSABLE_PRIMARY_KEY'],
      ]);
      expect(invalid[0]?.error_message).toBe(`row 4: primary key id "${'k'.repeat(60)}…" is 1025 bytes long; a key is at most 1024 (UTF-8)`);
      expect(invalid[1]?.error_message).toBe('row 5: primary key id "nul\\u0000key" holds a NUL character (U+0000), which a PostgreSQL state store cannot keep');
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c)).toEqual(['1', '2', '3', '4']);
    });
  });

  it('in mirror mode keeps the record of a row whose key is now refused (one an older version committed): never counted as removed', async () => {
    const taskQueue = uniqueTaskQueue('unusable-key-mirror');
    const file = 'syncs/accounts_to_salesforce.yaml';
    fx.project.write(file, fx.project.read(file).replace(/^mode: .*$/m, 'mode: mirror'));
    const long = 'u'.repeat(1_025);
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result()).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      // As an older version left it: Umbrella committed under a 1,025-byte key, which the model returns.
      await fx.project.deps.state.updateTable('snapshots').set({ key: long }).where('sync_name', '=', SYNC).where('key', '=', '4').execute();
      modelFrom(`(SELECT CASE WHEN id = 4 THEN repeat('u', 1025) ELSE CAST(id AS VARCHAR) END AS id, name, health, segment, mrr FROM accounts)`);
      const summary = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(summary).toMatchObject({ status: 'partial', counts: { invalid: 1, removed: 0, deleted: 0 } });
      expect((await invalidResultsOf(summary.runId)).map((r) => r.error_code)).toEqual(['UNUSABLE_PRIMARY_KEY']);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });
});

