import { createHash } from 'node:crypto';
import { MetaAudienceDestination } from '../../src/destinations/meta';
import { DestinationTransientError } from '../../src/errors';
import { previewRun } from '../../src/engine';
import { startSync } from '../../src/temporal/startSync';
import { useMessagingFixture } from '../support/slackFixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_meta_audience';
const fx = useMessagingFixture();
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
const members = () => fx.meta.members(fx.meta.audienceId);
const usersCalls = () => fx.meta.requests().filter((r) => r.path.endsWith('/users'));

const ACME = { EXTERN_ID: '1', EMAIL: sha('ops@acme.example'), PHONE: sha('16505550101'), COUNTRY: sha('us') };
const INITECH = { EXTERN_ID: '3', EMAIL: sha('peter.gibbons@initech.example'), PHONE: sha('15125550199'), COUNTRY: sha('us') };

describe('Meta Custom Audiences destination through facebook-nodejs-business-sdk against the Meta sandbox', () => {
  it('adds the rows entering the model with exactly normalised + hashed identifiers, and removes the rows leaving it', async () => {
    const taskQueue = uniqueTaskQueue('meta');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 1, created: 1 }, apiCalls: 1 });
      expect(members()).toEqual([ACME]);

      await fx.project.sql(fx.project.read('changes.sql')); // Initech becomes at-risk
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 1, synced: 1 }, apiCalls: 1 });
      expect(members()).toEqual([ACME, INITECH]);

      await fx.project.sql(`UPDATE accounts SET segment = 'healthy' WHERE name = 'Acme'`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 1 }, apiCalls: 1 });
      expect(members()).toEqual([INITECH]);
      expect(usersCalls().map((r) => `${r.method} ${r.rows}`)).toEqual(['POST 1', 'POST 1', 'DELETE 1']);

      expect(await run(taskQueue)).toMatchObject({ counts: { synced: 0 }, apiCalls: 0 });
    });
  });

  it('a changed email replaces the member: the old identifiers are removed, the new ones added', async () => {
    const taskQueue = uniqueTaskQueue('meta-change');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      await fx.project.sql(`UPDATE account_contacts SET email = 'new@acme.example' WHERE account_id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { changed: 1, synced: 1 }, apiCalls: 2 });
      expect(members()).toEqual([{ ...ACME, EMAIL: sha('new@acme.example') }]);
    });
  });

  it('rejects rows with no usable identifier before sending, naming the fields', async () => {
    await fx.project.sql(`UPDATE account_contacts SET email = '  ', phone = NULL, country = NULL WHERE account_id = 1`);
    fx.project.write(`syncs/${SYNC}.yaml`, fx.project.read(`syncs/${SYNC}.yaml`).replace(/  - \{ from: id, to: EXTERN_ID \}\n/, ''));
    const taskQueue = uniqueTaskQueue('meta-empty');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'partial', counts: { rejected: 1 }, apiCalls: 0 });
      const [result] = await fx.project.deps.state.selectFrom('record_results').select(['error_code', 'error_message']).where('run_id', '=', summary.runId).execute();
      expect(result).toMatchObject({ error_code: 'NO_IDENTIFIERS', error_message: 'every identifier is empty after normalisation (EMAIL, PHONE, COUNTRY)' });
      expect(members()).toEqual([]);
    });
  });

  it('an opt-out (every identifier emptied) removes the member; the row is synced as having none and not sent again', async () => {
    fx.project.write(`syncs/${SYNC}.yaml`, fx.project.read(`syncs/${SYNC}.yaml`).replace(/  - \{ from: id, to: EXTERN_ID \}\n/, ''));
    const taskQueue = uniqueTaskQueue('meta-optout');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      expect(members()).toHaveLength(1);
      await fx.project.sql(`UPDATE account_contacts SET email = NULL, phone = NULL, country = NULL WHERE account_id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { changed: 1, synced: 1, rejected: 0 }, apiCalls: 1 });
      expect(members()).toEqual([]);
      expect(usersCalls().map((r) => `${r.method} ${r.rows}`)).toEqual(['POST 1', 'DELETE 1']);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 0 }, apiCalls: 0 });
    });
  });

  it('a mirror delete of an opted-out row (no member left) sends nothing and counts skipped, not deleted, as its dry run says', async () => {
    fx.project.write(`syncs/${SYNC}.yaml`, fx.project.read(`syncs/${SYNC}.yaml`).replace(/  - \{ from: id, to: EXTERN_ID \}\n/, ''));
    // Initech at-risk too: the model keeps a row when Acme leaves it.
    await fx.project.sql(`UPDATE accounts SET segment = 'at-risk' WHERE name = 'Initech'`);
    const taskQueue = uniqueTaskQueue('meta-optout-leaves');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      await fx.project.sql(`UPDATE account_contacts SET email = NULL, phone = NULL, country = NULL WHERE account_id = 1`);
      await run(taskQueue);
      expect(members()).toHaveLength(1);
      // Acme leaves the model: its member went with the opt-out, so there is nothing to remove.
      await fx.project.sql(`UPDATE accounts SET segment = 'healthy' WHERE name = 'Acme'`);
      expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ removed: 1, skipped: 1, apiCalls: 0 });
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { removed: 1, deleted: 0, skipped: 1 }, apiCalls: 0 });
      const [result] = await fx.project.deps.state.selectFrom('record_results').select(['key', 'status', 'error_message']).where('run_id', '=', summary.runId).execute();
      expect(result).toMatchObject({ key: '1', status: 'skipped', error_message: expect.stringMatching(/^nothing to delete: /) });
      expect(usersCalls().map((r) => `${r.method} ${r.rows}`)).toEqual(['POST 2', 'DELETE 1']);
      // Its key left the snapshot: the next run has nothing to remove again.
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { removed: 0, synced: 0, skipped: 0 }, apiCalls: 0 });
    });
  });

  it('an opt-out of email and phone removes the member though EXTERN_ID and a country are left: alone they identify nobody', async () => {
    const taskQueue = uniqueTaskQueue('meta-optout-weak');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await run(taskQueue);
      expect(members()).toEqual([ACME]);
      await fx.project.sql(`UPDATE account_contacts SET email = NULL, phone = NULL WHERE account_id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { changed: 1, synced: 1, rejected: 0 }, apiCalls: 1 });
      expect(members()).toEqual([]);
      expect(usersCalls().map((r) => `${r.method} ${r.rows}`)).toEqual(['POST 1', 'DELETE 1']);
    });
  });

  it('rejects a row never synced whose identifiers name no one (a country, the EXTERN_ID), naming the main ones', async () => {
    await fx.project.sql(`UPDATE account_contacts SET email = NULL, phone = NULL WHERE account_id = 1`);
    const taskQueue = uniqueTaskQueue('meta-weak');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'partial', counts: { rejected: 1 }, apiCalls: 0 });
      const [result] = await fx.project.deps.state.selectFrom('record_results').select(['error_code', 'error_message']).where('run_id', '=', summary.runId).execute();
      expect(result).toMatchObject({ error_code: 'NO_IDENTIFIERS', error_message: 'no main identifier (EMAIL, PHONE) after normalisation: EXTERN_ID, COUNTRY alone identify nobody to Meta' });
      expect(members()).toEqual([]);
    });
  });

  it('changes membership once when Meta applied an add but the answer was lost', async () => {
    const taskQueue = uniqueTaskQueue('meta-lost');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      fx.meta.setFaults({ applyThenFail: 1 });
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      while (!fx.meta.requests().some((r) => r.fault === 'applyThenFail')) await new Promise((resolve) => setTimeout(resolve, 20));
      fx.meta.setFaults({});
      expect(await handle.result()).toMatchObject({ status: 'succeeded', counts: { synced: 1, rejected: 0 } });
      expect(members()).toEqual([ACME]);
    });
  });

  it('turns a throttling error into a wait of estimated_time_to_regain_access minutes', async () => {
    fx.meta.setLimits({ maxCallsPerWindow: 1, errorCode: 17 });
    const destination = new MetaAudienceDestination(
      { type: 'meta_audience', accessToken: fx.meta.accessToken, graphUrl: fx.meta.graphUrl, apiVersion: 'v24.0' },
      { connection: 'meta', audienceId: fx.meta.audienceId },
    );
    const context = { syncName: 'accounts_to_meta_audience', runId: 'r', batchId: 'b', checkpoint: null, saveCheckpoint: () => Promise.resolve() };
    const record = { key: '1', fields: { EMAIL: 'a@b.example' }, destinationId: null };
    await destination.write('upsert', [record], context);
    const error = await destination.write('upsert', [record], context).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DestinationTransientError);
    expect(error).toMatchObject({ reason: 'rate-limit', retryAfterMs: 60 * 60_000 });
  });

  it('waits out a replace session another tool holds on the audience (#2650 Replace In Progress) instead of failing the run', async () => {
    // Another tool (Ads Manager, a CRM integration) opens a replace session and has not finished it.
    const form = new URLSearchParams({
      access_token: fx.meta.accessToken,
      payload: JSON.stringify({ schema: 'EMAIL_SHA256', data: [sha('other@example.com')] }),
      session: JSON.stringify({ session_id: 42, batch_seq: 1, last_batch_flag: false }),
    });
    expect((await fetch(`${fx.meta.graphUrl}/v24.0/${fx.meta.audienceId}/usersreplace`, { method: 'POST', body: form })).status).toBe(200);
    const destination = new MetaAudienceDestination(
      { type: 'meta_audience', accessToken: fx.meta.accessToken, graphUrl: fx.meta.graphUrl, apiVersion: 'v24.0' },
      { connection: 'meta', audienceId: fx.meta.audienceId },
    );
    const context = { syncName: 'accounts_to_meta_audience', runId: 'r', batchId: 'b', checkpoint: null, saveCheckpoint: () => Promise.resolve() };
    const error = await destination.write('upsert', [{ key: '1', fields: { EMAIL: 'a@b.example' }, destinationId: null }], context).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DestinationTransientError);
    expect(error).toMatchObject({ reason: 'replace-in-progress', retryAfterMs: 60_000 });
    expect((error as Error).message).toContain('(#2650)');
  });
});
