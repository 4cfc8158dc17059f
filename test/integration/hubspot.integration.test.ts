/**
 * The HubSpot destination end to end: real Temporal dev server + worker, the demo warehouse, and the
 * HubSpot sandbox spoken to by the official @hubspot/api-client.
 */
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties';
import type { SyncMode } from '../../src/destinations/modes';
import { previewRun } from '../../src/engine';
import { startSync } from '../../src/temporal/startSync';
import { backflow } from '../support/cli';
import { useHubspotFixture } from '../support/hubspotFixture';
import { lastActivityFailure, uniqueTaskQueue, withWorker } from '../support/temporal';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_to_hubspot';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useHubspotFixture();

const run = async (taskQueue: string, sync = SYNC) => (await startSync(fx.temporal.client, sync, { taskQueue })).result();
const companies = () => fx.hubspot.records('companies').map((c) => [c.properties['external_id'] ?? null, c.properties['name']]);
const writes = () => fx.hubspot.requests().filter((r) => r.method === 'POST');

function setSync(edit: (text: string) => string, file = FILE) {
  fx.project.write(file, edit(fx.project.read(file)));
}
const setMode = (mode: SyncMode) => setSync((text) => text.replace(/^mode: .*$/m, `mode: ${mode}`));

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'destination_id', 'error_code', 'error_message', 'error_fields']);

/** A company someone (another integration) created in HubSpot. */
async function createCompany(properties: Record<string, string>): Promise<string> {
  const created = await fx.client.crm.companies.batchApi.create({ inputs: [{ properties, associations: [] }] });
  const id = created.results[0]?.id;
  if (id === undefined) throw new Error(`could not create ${JSON.stringify(properties)}`);
  return id;
}

describe('upsert into HubSpot companies by external_id', () => {
  it('creates 4, sends only the 2 mapped changes as updates, then nothing', async () => {
    const taskQueue = uniqueTaskQueue('hubspot-upsert');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'succeeded', counts: { added: 4, synced: 4, created: 4, rejected: 0 }, apiCalls: 1 });
      expect(companies()).toEqual([
        ['1', 'Acme'],
        ['2', 'Globex'],
        ['3', 'Initech'],
        ['4', 'Umbrella'],
      ]);
      expect(fx.hubspot.records('companies')[0]?.properties).toMatchObject({ health_score: '38', segment: 'at-risk', mrr: '900' });
      const upserts = writes();
      expect(upserts.map((r) => [r.path, r.inputs])).toEqual([['/crm/v3/objects/companies/batch/upsert', 4]]);
      const ids = (await resultsOf(first.runId)).map((r) => r.destination_id);
      expect(ids.map((id) => fx.hubspot.records('companies').some((c) => c.id === id))).toEqual([true, true, true, true]);

      await fx.project.sql(fx.project.read('changes.sql'));
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { changed: 2, unchanged: 2, synced: 2, updated: 2, created: 0 }, apiCalls: 1 });
      expect(writes().slice(1).map((r) => r.inputs)).toEqual([2]);
      expect(fx.hubspot.records('companies').map((c) => [c.properties['health_score'], c.properties['segment']])).toEqual([
        ['30', 'at-risk'],
        ['82', 'healthy'],
        ['55', 'at-risk'],
        ['91', 'healthy'],
      ]);

      const requestsBefore = fx.hubspot.requests().length;
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 0 }, apiCalls: 0 });
      expect(fx.hubspot.requests()).toHaveLength(requestsBefore);
    });
  });

  it('counts the date-property describe a batch carrying dates makes, in the run and in the dry run before it', async () => {
    await fx.client.crm.properties.coreApi.create('companies', {
      name: 'renewal_date',
      label: 'Renewal date',
      type: PropertyCreateTypeEnum.Date,
      fieldType: PropertyCreateFieldTypeEnum.Date,
      groupName: 'companyinformation',
    });
    setSync((text) => text.replace('SELECT id, name, health, segment, mrr', "SELECT id, name, health, segment, mrr, DATE '2026-06-30' AS renewal").replace('  - { from: mrr, to: mrr }', '  - { from: mrr, to: mrr }\n  - { from: renewal, to: renewal_date }'));
    const requestsBefore = fx.hubspot.requests().length;
    // One describe of the companies' properties (the date's form), one upsert.
    expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 4, apiCalls: 2 });
    const taskQueue = uniqueTaskQueue('hubspot-date-describe');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      const made = fx.hubspot.requests().slice(requestsBefore);
      expect(made.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /crm/v3/properties/companies', 'POST /crm/v3/objects/companies/batch/upsert']);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4 }, apiCalls: made.length });
      expect(fx.hubspot.records('companies')[0]?.properties).toMatchObject({ renewal_date: '2026-06-30' });

      // The worker keeps the types a while: the next run's batch asks for none, and its dry run counts none.
      await fx.project.sql(fx.project.read('changes.sql'));
      expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ changed: 2, apiCalls: 1 });
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2 }, apiCalls: 1 });
    });
  });

  it('rejects a record with an invalid enumeration value with HubSpot’s category and message, syncs the rest, and retries it next run', async () => {
    await fx.project.sql(`UPDATE accounts SET segment = 'churned' WHERE name = 'Globex'`);
    const taskQueue = uniqueTaskQueue('hubspot-partial');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'partial', counts: { added: 4, synced: 3, rejected: 1 } });
      const rejected = (await resultsOf(first.runId)).filter((r) => r.status === 'rejected');
      expect(rejected).toEqual([
        expect.objectContaining({ key: '2', error_code: 'INVALID_OPTION', error_fields: JSON.stringify(['segment']) }),
      ]);
      // HubSpot's own words, which name the allowed options.
      expect(rejected[0]?.error_message).toMatch(/^VALIDATION_ERROR: churned was not one of the allowed options: \[label: "at-risk"/);
      expect(companies().map(([id]) => id)).toEqual(['1', '3', '4']);

      await fx.project.sql(`UPDATE accounts SET segment = 'healthy' WHERE name = 'Globex'`);
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { added: 1, unchanged: 3, synced: 1, created: 1 } });
      expect(companies().map(([id]) => id)).toEqual(['1', '3', '4', '2']);
    });
  });

  it('rejects alone a record whose request HubSpot refuses as too large (413), and syncs the rest of its batch', async () => {
    // Over the 10 MB body HubSpot takes: the batch is halved until that record goes alone.
    await fx.project.sql(`UPDATE accounts SET name = repeat('y', 10 * 1024 * 1024) WHERE name = 'Globex'`);
    const taskQueue = uniqueTaskQueue('hubspot-413');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'partial', counts: { added: 4, synced: 3, rejected: 1 } });
      const rejected = (await resultsOf(first.runId)).filter((r) => r.status === 'rejected');
      expect(rejected).toEqual([expect.objectContaining({ key: '2', error_code: 'REQUEST_TOO_LARGE' })]);
      expect(rejected[0]?.error_message).toMatch(/^HubSpot .* failed: 413/);
      expect(companies().map(([id]) => id).sort()).toEqual(['1', '3', '4']);
    });
  });

  /** A contacts sync keyed by email over these `(email, firstname)` rows. */
  const writeContactsSync = (rows: string, mode: 'upsert' | 'mirror') =>
    fx.project.write(
      'syncs/contacts_to_hubspot.yaml',
      [
        'source: warehouse',
        'model: |',
        `  SELECT * FROM (VALUES ${rows}) AS t(email, firstname)`,
        'primaryKey: email',
        'destination: { connection: hubspot, object: contacts, externalIdField: email }',
        `mode: ${mode}`,
        'mappings:',
        '  - { from: firstname, to: firstname }',
        '',
      ].join('\n'),
    );

  it('takes emails differing only in case for one contact: none of their rows is sent, each reported (mirror would have archived it)', async () => {
    writeContactsSync("('Bob@Example.com', 'Bob (work)'), ('ann@example.com', 'Ann'), ('bob@example.com', 'Bobby')", 'mirror');
    const taskQueue = uniqueTaskQueue('hubspot-email-case');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue, 'contacts_to_hubspot');
      expect(first).toMatchObject({ counts: { invalid: 2, synced: 1 } });
      const invalid = (await resultsOf(first.runId)).filter((r) => r.status === 'invalid');
      expect(invalid.map((r) => [r.key, r.error_code])).toEqual([
        ['Bob@Example.com', 'DUPLICATE_PRIMARY_KEY'],
        ['bob@example.com', 'DUPLICATE_PRIMARY_KEY'],
      ]);
      expect(fx.hubspot.records('contacts').map((c) => c.properties['email'])).toEqual(['ann@example.com']);
    });
  });

  it('never sends two rows naming the same contact in one batch: the later is rejected as a duplicate, and sent alone next run', async () => {
    // The same email but for a trailing space, which HubSpot trims: two keys here, one contact there.
    writeContactsSync("('ada@example.com', 'Ada'), ('grace@example.com', 'Grace'), ('ada@example.com ', 'Ada L.')", 'upsert');
    const taskQueue = uniqueTaskQueue('hubspot-duplicates');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue, 'contacts_to_hubspot');
      expect(first).toMatchObject({ status: 'partial', counts: { added: 3, synced: 2, rejected: 1 }, apiCalls: 1 });
      const rejected = (await resultsOf(first.runId)).filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ error_code: 'DUPLICATE_ID_PROPERTY', error_fields: JSON.stringify(['email']) });
      expect(['ada@example.com', 'ada@example.com ']).toContain(rejected[0]?.key);
      expect(fx.hubspot.records('contacts').map((c) => c.properties['email'])).toEqual(['ada@example.com', 'grace@example.com']);
      // HubSpot itself never saw a batch it would have refused.
      expect(fx.hubspot.requests().filter((r) => r.status >= 400)).toEqual([]);

      // Sent alone, HubSpot refuses the untrimmed address itself.
      const second = await run(taskQueue, 'contacts_to_hubspot');
      expect(second).toMatchObject({ status: 'partial', counts: { added: 1, rejected: 1 } });
      expect((await resultsOf(second.runId)).map((r) => [r.key, r.error_code])).toEqual([['ada@example.com ', 'INVALID_EMAIL']]);
      expect(fx.hubspot.records('contacts')).toHaveLength(2);
    });
  });
});

describe('HubSpot sync modes', () => {
  it('mirror archives the companies whose rows left the model, by their stored ids, and nothing it did not create', async () => {
    setMode('mirror');
    const bystander = await createCompany({ name: 'Hand-made Corp' });
    const taskQueue = uniqueTaskQueue('hubspot-mirror');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const stored = new Map((await resultsOf(first.runId)).map((r) => [r.key, r.destination_id]));
      await fx.project.sql(`DELETE FROM accounts WHERE id IN (3, 4)`);
      const before = fx.hubspot.requests().length;
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { removed: 2, deleted: 2, synced: 2 }, apiCalls: 1 });
      expect(fx.hubspot.requests().slice(before).map((r) => [r.path, r.inputs, r.status])).toEqual([
        ['/crm/v3/objects/companies/batch/archive', 2, 204],
      ]);
      expect(companies()).toEqual([
        [null, 'Hand-made Corp'],
        ['1', 'Acme'],
        ['2', 'Globex'],
      ]);
      expect(fx.hubspot.records('companies').some((c) => c.id === bystander)).toBe(true);
      expect(fx.hubspot.records('companies').some((c) => c.id === stored.get('3'))).toBe(false);
      expect(await run(taskQueue)).toMatchObject({ counts: { removed: 0 }, apiCalls: 0 });
    });
  });

  it('an update-mode dry run counts no look-up for a batch whose companies all have stored ids, as the run makes none', async () => {
    const taskQueue = uniqueTaskQueue('hubspot-update-dry-run');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 }, apiCalls: 1 });
      setMode('update');
      await fx.project.sql(fx.project.read('changes.sql'));
      // Both changed companies were written by this sync: updated by their ids, nothing to read first.
      expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ changed: 2, apiCalls: 1 });
      const before = fx.hubspot.requests().length;
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2, updated: 2 }, apiCalls: 1 });
      expect(fx.hubspot.requests().slice(before).map((r) => r.path)).toEqual(['/crm/v3/objects/companies/batch/update']);
    });
  });

  it('update reads by external_id first, updates only companies that exist, and skips the rest with a reason', async () => {
    setMode('update');
    const acmeId = await createCompany({ name: 'Acme (old)', external_id: '1' });
    const taskQueue = uniqueTaskQueue('hubspot-update');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, created: 0, skipped: 3 }, apiCalls: 2 });
      expect(writes().slice(1).map((r) => r.path)).toEqual(['/crm/v3/objects/companies/batch/read', '/crm/v3/objects/companies/batch/update']);
      expect(companies()).toEqual([['1', 'Acme']]);
      const results = await resultsOf(summary.runId);
      expect(results[0]).toMatchObject({ key: '1', status: 'synced', destination_id: acmeId });
      expect(results.filter((r) => r.status === 'skipped').map((r) => r.key)).toEqual(['2', '3', '4']);
    });
  });

  it('update finds a company archived and re-created since by its external_id, commits the new id, and skips one gone for good', async () => {
    setMode('update');
    const acmeOld = await createCompany({ name: 'Acme (old)', external_id: '1' });
    const globexOld = await createCompany({ name: 'Globex (old)', external_id: '2' });
    const taskQueue = uniqueTaskQueue('hubspot-update-gone');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2, updated: 2, skipped: 2 } });

      // Both archived in HubSpot; Acme imported again under a new id.
      await fx.client.crm.companies.batchApi.archive({ inputs: [{ id: acmeOld }, { id: globexOld }] });
      const acmeNew = await createCompany({ name: 'Acme (re-imported)', external_id: '1' });
      await fx.project.sql('UPDATE accounts SET health = health + 1');
      const before = writes().length;
      const second = await run(taskQueue);
      // Read the unknown keys, update by the stored ids, read the two gone ones again (one read), update Acme.
      expect(second).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, rejected: 0, skipped: 3 }, apiCalls: 4 });
      expect(writes().slice(before).map((r) => [r.path.replace('/crm/v3/objects/companies/batch/', ''), r.inputs])).toEqual([
        ['read', 2],
        ['update', 2],
        ['read', 2],
        ['update', 1],
      ]);
      const results = await resultsOf(second.runId);
      expect(results.map((r) => [r.key, r.status, r.status === 'synced' ? r.destination_id : r.error_message])).toEqual([
        ['1', 'synced', acmeNew],
        ['2', 'skipped', `update mode: no companies has external_id = 2 (companies ${globexOld}, synced earlier, no longer exists)`],
        ['3', 'skipped', 'update mode: no companies has external_id = 3'],
        ['4', 'skipped', 'update mode: no companies has external_id = 4'],
      ]);
      expect(fx.hubspot.records('companies').map((c) => [c.id, c.properties['name'], c.properties['health_score']])).toEqual([[acmeNew, 'Acme', '39']]);

      // The new id was committed: Acme's next change goes to it, and lands.
      await fx.project.sql("UPDATE accounts SET health = health + 1 WHERE name = 'Acme'");
      const third = await run(taskQueue);
      expect(third).toMatchObject({ status: 'succeeded', counts: { synced: 1, updated: 1, rejected: 0 } });
      expect((await resultsOf(third.runId)).find((r) => r.key === '1')).toMatchObject({ status: 'synced', destination_id: acmeNew });
      expect(fx.hubspot.records('companies').map((c) => [c.id, c.properties['health_score']])).toEqual([[acmeNew, '40']]);
    });
  });

  it('insert creates only companies HubSpot does not hold yet and never writes over one that exists', async () => {
    setMode('insert');
    const acmeId = await createCompany({ name: 'Acme (kept)', external_id: '1' });
    const taskQueue = uniqueTaskQueue('hubspot-insert');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 3, created: 3, skipped: 1 }, apiCalls: 2 });
      expect(writes().slice(1).map((r) => r.path)).toEqual(['/crm/v3/objects/companies/batch/read', '/crm/v3/objects/companies/batch/create']);
      expect(companies()).toEqual([
        ['1', 'Acme (kept)'],
        ['2', 'Globex'],
        ['3', 'Initech'],
        ['4', 'Umbrella'],
      ]);
      const skipped = (await resultsOf(summary.runId)).find((r) => r.key === '1');
      expect(skipped).toMatchObject({ status: 'skipped', destination_id: acmeId });
    });
  });
});

describe('backflow validate on a HubSpot sync', () => {
  it('reports unknown and read-only mapped properties and an idProperty without unique values', async () => {
    setSync((text) =>
      text
        .replace('externalIdField: external_id', 'externalIdField: domain')
        .replace('to: health_score', 'to: health_scor')
        .replace('to: name', 'to: hs_object_id'),
    );
    const result = await backflow(['validate', '--project', fx.project.dir], fx.project.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${FILE}: destination.externalIdField: companies.domain does not have unique values`);
    expect(result.stderr).toContain(`${FILE}: mappings[0].to: companies.hs_object_id is read-only`);
    expect(result.stderr).toContain(`${FILE}: mappings[1].to: companies has no property health_scor`);
    expect(fx.hubspot.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /crm/v3/properties/companies']);
  });
});

describe('HubSpot rate limits', () => {
  it('waits out a 10-second-window 429 (budget spent by another app) and succeeds without a failed record', async () => {
    fx.hubspot.setLimits({ tenSecondlyLimit: 3, tenSecondlyWindowMs: 2_000, dailyLimit: null });
    setSync((text) => `${text}batchSize: 1\n`);
    const taskQueue = uniqueTaskQueue('hubspot-burst');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      // Another integration of the account spends the whole window just before the run.
      for (let i = 0; i < 3; i += 1) await fx.client.crm.companies.basicApi.getPage();
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0 } });
      expect(summary.error).toBeUndefined();
      const upserts = fx.hubspot.requests().filter((r) => r.path.endsWith('/batch/upsert'));
      const limited = upserts.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      // After the first refusals the pacer knows the window: every later request fits in it.
      const firstOk = upserts.findIndex((r) => r.status === 200);
      expect(upserts.slice(firstOk).filter((r) => r.status === 429)).toEqual([]);
      // Each refused request was a call of the account's budget too: the run counts every one.
      expect(summary.apiCalls).toBe(upserts.length);
      expect(companies()).toHaveLength(4);
      expect((await resultsOf(summary.runId)).map((r) => r.status)).toEqual(['synced', 'synced', 'synced', 'synced']);
    });
  });

  it('stops partial on the daily limit, and the next run sends the rest', async () => {
    fx.hubspot.setLimits({ tenSecondlyLimit: null, dailyLimit: 2 });
    setSync((text) => `${text}batchSize: 1\n`);
    const taskQueue = uniqueTaskQueue('hubspot-daily');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue);
      expect(first).toMatchObject({ status: 'partial', counts: { added: 4, synced: 2, rejected: 0 }, error: { code: 'DESTINATION_BUDGET_EXHAUSTED' } });
      expect(first.error?.message).toMatch(/daily limit/);
      expect(companies()).toHaveLength(2);
      expect((await resultsOf(first.runId)).map((r) => r.status)).toEqual(['synced', 'synced']);

      fx.hubspot.setLimits({ tenSecondlyLimit: null, dailyLimit: 100 });
      const second = await run(taskQueue);
      expect(second).toMatchObject({ status: 'succeeded', counts: { added: 2, unchanged: 2, synced: 2 } });
      expect(companies().map(([id]) => id).sort()).toEqual(['1', '2', '3', '4']);
    });
  });
});

describe('HubSpot request deadline', () => {
  it('gives up on a request HubSpot never answers after the connection’s timeoutMs, and the retry lands', async () => {
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('tier: free', 'tier: free\n    timeoutMs: 500'));
    const taskQueue = uniqueTaskQueue('hubspot-deadline');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      fx.hubspot.setFaults({ timeout: 1 });
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      // Without a deadline the held request would keep the run waiting for the activity's 10 minutes.
      expect(await lastActivityFailure(fx.temporal.client, handle.workflowId)).toMatch(/^HubSpot [\w ]+ failed: .*did not answer within 500 ms/);
      fx.hubspot.setFaults({});
      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0 } });
      expect(companies()).toHaveLength(4);
      const held = fx.hubspot.requests().filter((r) => r.fault === 'timeout');
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((r) => r.status === 0)).toBe(true);
      // The request given up on counts as the one that landed does.
      expect(summary.apiCalls).toBe(fx.hubspot.requests().filter((r) => r.path.endsWith('/batch/upsert')).length);
    });
  });
});
