/**
 * A sync's connection pointed at another org after it has run (the sandbox, then production): the
 * snapshot describes the first org, so every row read as unchanged and the run "succeeded" sending
 * nothing. Such a run is refused (DESTINATION_MOVED) until a full resync sends every row to the new
 * org. Real Temporal dev server and worker; two Salesforce sandboxes through jsforce.
 */
import type { BackflowError } from '../../src/errors';
import { extractChanges, finishRun, startRun, syncBatches } from '../../src/engine';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { rejectionOf } from '../support/rejection';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useSyncFixture();
let production: SalesforceSandbox;

beforeEach(async () => {
  production = await startSalesforceSandbox();
});
afterEach(async () => {
  await production.close();
});

/** Points the project's salesforce connection at another org, as editing the env (or backflow.yaml) does. */
function pointAt(org: SalesforceSandbox): void {
  fx.project.deps.env = { ...fx.project.deps.env, SALESFORCE_INSTANCE_URL: org.instanceUrl, SALESFORCE_ACCESS_TOKEN: org.accessToken };
}

const run = async (taskQueue: string, full = false) => (await startSync(fx.temporal.client, SYNC, { taskQueue, ...(full ? { full } : {}) })).result();

describe('a destination connection pointed at another org', () => {
  it('refuses the run, naming the connection and --full; a full resync sends every row there and the runs after are incremental', async () => {
    const taskQueue = uniqueTaskQueue('moved');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      pointAt(production);
      const refused = await rejectionOf<BackflowError>(run(taskQueue));
      expect(refused.code).toBe('DESTINATION_MOVED');
      // Said once: it read `sync X failed: sync X: connection …`.
      expect(refused.message).toMatch(new RegExp(`^sync ${SYNC}: connection salesforce has moved: its instanceUrl is not the one`));
      expect(refused.message).toContain(`backflow run ${SYNC} --full`);
      // On record as a failed run, as every run refused at its start is.
      const [last] = await fx.project.deps.state.selectFrom('runs').select(['status', 'error_code']).orderBy('started_at', 'desc').limit(1).execute();
      expect(last).toEqual({ status: 'failed', error_code: 'DESTINATION_MOVED' });
      expect(production.requests()).toEqual([]);

      // A full resync that writes nothing at the new org (its token refused) puts the old snapshot back:
      // pointed back, the first org finds every row unchanged and gets nothing twice.
      fx.project.deps.env = { ...fx.project.deps.env, SALESFORCE_ACCESS_TOKEN: 'not-a-token' };
      expect(await run(taskQueue, true)).toMatchObject({ status: 'failed', error: { code: 'DESTINATION_AUTH_FAILED' } });
      pointAt(fx.sandbox);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 }, apiCalls: 0 });
      pointAt(production);

      // A full resync that stops after its first batch (one record a batch; its workflow terminated):
      // the rows it did not reach must not read as unchanged afterwards, as the old org's snapshot had them.
      fx.project.write(FILE, `${fx.project.read(FILE)}batchSize: 1\n`);
      const cut = 'sync:accounts_to_salesforce:cut-short';
      await startRun(fx.project.deps, { runId: cut, sync: SYNC, full: true });
      expect((await extractChanges(fx.project.deps, cut)).counts).toMatchObject({ added: 4, batches: 4 });
      await syncBatches(fx.project.deps, cut, { first: 1, last: 1 });
      await finishRun(fx.project.deps, cut, { code: 'RUN_ABANDONED', message: 'terminated' });
      expect(production.records('Account')).toHaveLength(1);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { added: 3, unchanged: 1, synced: 3, created: 3 } });
      expect(production.records('Account').map((a) => a.External_Id__c).sort()).toEqual(['1', '2', '3', '4']);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 }, apiCalls: 0 });
      // Back to the first org: moved again.
      pointAt(fx.sandbox);
      await expect(run(taskQueue)).rejects.toMatchObject({ code: 'DESTINATION_MOVED' });
    });
  });

  it('does not count a trailing slash or the letter case of the scheme as a move', async () => {
    const taskQueue = uniqueTaskQueue('not-moved');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });
      const url = new URL(fx.sandbox.instanceUrl);
      fx.project.deps.env = { ...fx.project.deps.env, SALESFORCE_INSTANCE_URL: `${url.protocol.toUpperCase()}//${url.host}/` };
      const again = await run(taskQueue);
      expect(again.error).toBeUndefined();
      expect(again).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 } });
    });
  });
});
