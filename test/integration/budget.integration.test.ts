import { extractChanges, finishRun, startRun, syncBatches } from '../../src/engine';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useSyncFixture();

describe('a spent destination budget', () => {
  it('stops the run partial without failing a record, and the next run sends the rest', async () => {
    // One record a batch; the org's daily allocation admits two requests, then answers 403 REQUEST_LIMIT_EXCEEDED.
    fx.project.write(FILE, `${fx.project.read(FILE)}batchSize: 1\n`);
    // The org's own 403 is what this test is about: let backflow use the whole allocation (no reserve).
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('apiVersion: "62.0"', 'apiVersion: "62.0"\n    maxDailyApiUsage: 1'));
    // One describe, then two one-record batches; the fourth request is refused.
    fx.sandbox.setDailyApiLimit(3);
    const taskQueue = uniqueTaskQueue('budget');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(first).toMatchObject({
        status: 'partial',
        counts: { added: 4, synced: 2, rejected: 0 },
        error: { code: 'DESTINATION_BUDGET_EXHAUSTED' },
      });
      expect(first.error?.message).toMatch(/TotalRequests Limit exceeded|usage is 3\/3/);
      expect(fx.sandbox.records('Account')).toHaveLength(2);
      const results = await fx.project.deps.state.selectFrom('record_results').selectAll().where('run_id', '=', first.runId).execute();
      expect(results.map((r) => r.status)).toEqual(['synced', 'synced']);

      fx.sandbox.setDailyApiLimit(100);
      const second = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(second).toMatchObject({ status: 'succeeded', counts: { added: 2, unchanged: 2, synced: 2 } });
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c)).toEqual(['1', '2', '3', '4']);
    });
  });
});

describe("a run's API calls", () => {
  it('count a request Salesforce failed with a 5xx, which the retry of its batch got past', async () => {
    const runId = 'sync:accounts_to_salesforce:server-error';
    await startRun(fx.project.deps, { runId, sync: SYNC, full: false });
    expect((await extractChanges(fx.project.deps, runId)).counts).toMatchObject({ added: 4, batches: 1 });
    const writes = () => fx.sandbox.requests().filter((r) => r.method !== 'GET');
    fx.sandbox.setFaults({ serverError: 1 });
    // The attempt fails as a whole (Temporal would retry it): nothing committed.
    await expect(syncBatches(fx.project.deps, runId, { first: 1, last: 1 })).rejects.toThrow(/UNKNOWN_EXCEPTION|500/);
    fx.sandbox.setFaults({});
    await syncBatches(fx.project.deps, runId, { first: 1, last: 1 });
    const summary = await finishRun(fx.project.deps, runId);
    expect(writes().map((r) => r.status)).toEqual([500, 200]);
    expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4 }, apiCalls: 2 });
  });
});
