/**
 * Records Salesforce fails on their own with UNABLE_TO_LOCK_ROW (another transaction held the lock)
 * are sent again within the batch, only they, and are rejected only when the lock outlasts the tries:
 * real runs through the Temporal dev server against the sandbox's injected lock contention.
 */
import type { DestinationRecord, WriteContext } from '../../src/destinations/destination';
import { SalesforceDestination } from '../../src/destinations/salesforce';
import { ApiBudget } from '../../src/destinations/salesforceBudget';
import type { SalesforceTarget } from '../../src/destinations/targets';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce';
import { DestinationBudgetExhausted } from '../../src/errors';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';
import { rejectionOf } from '../support/rejection';
import { memoryWriteContext } from '../support/writeContext';
import { sandboxConnection } from '../support/salesforceConnection';
import { recordResultsOf } from '../support/recordResults';

const SYNC = 'accounts_to_salesforce';
const FILE = `syncs/${SYNC}.yaml`;
const fx = useSyncFixture();
/** The waits between tries, 5, 10, 20 ms here instead of 1, 2, 4 s. */
const deps = () => ({ ...fx.project.deps, recordRetryFirstWaitMs: 5 });

const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
const writes = () => fx.sandbox.requests().filter((r) => r.path.includes('/composite/sobjects'));

const resultsOf = (runId: string) => recordResultsOf(fx.project.deps.state, runId, ['key', 'status', 'error_code', 'error_message']);

describe('Salesforce records that met a lock', () => {
  it('are sent again within the batch, only they, until they pass: synced in the same run, every request counted', async () => {
    // Initech (key 3) is locked for one write, Umbrella (key 4) for two.
    fx.sandbox.setFaults({ lockedRecords: { '3': 1, '4': 2 } });
    const taskQueue = uniqueTaskQueue('locks');
    await withWorker(fx.temporal, deps(), taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0 }, apiCalls: 3 });
      expect((await resultsOf(summary.runId)).map((r) => [r.key, r.status])).toEqual([
        ['1', 'synced'],
        ['2', 'synced'],
        ['3', 'synced'],
        ['4', 'synced'],
      ]);
      // The batch, then the two locked records, then the one still locked.
      expect(writes().map((r) => [r.method, r.records])).toEqual([
        ['PATCH', 4],
        ['PATCH', 2],
        ['PATCH', 1],
      ]);
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c).sort()).toEqual(['1', '2', '3', '4']);
    });
  });

  it('insert mode creates a record that met a lock once: its failed create saved nothing', async () => {
    fx.project.write(FILE, fx.project.read(FILE).replace(/^mode: .*$/m, 'mode: insert'));
    fx.sandbox.setFaults({ lockedRecords: { '2': 2 } });
    const taskQueue = uniqueTaskQueue('locks-insert');
    await withWorker(fx.temporal, deps(), taskQueue, async () => {
      const summary = await run(taskQueue);
      // One look-up, the create, and two more creates of key 2.
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4, rejected: 0, skipped: 0 }, apiCalls: 4 });
      expect(writes().map((r) => [r.method, r.records])).toEqual([
        ['POST', 4],
        ['POST', 1],
        ['POST', 1],
      ]);
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c).sort()).toEqual(['1', '2', '3', '4']);
    });
  });

  it('are rejected with UNABLE_TO_LOCK_ROW when the lock outlasts three more tries, the rest synced', async () => {
    fx.sandbox.setFaults({ lockedRecords: { '2': 100 } });
    const taskQueue = uniqueTaskQueue('locks-held');
    await withWorker(fx.temporal, deps(), taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 1 }, apiCalls: 4 });
      const rejected = (await resultsOf(summary.runId)).filter((r) => r.status === 'rejected');
      expect(rejected).toEqual([
        { key: '2', status: 'rejected', error_code: 'UNABLE_TO_LOCK_ROW', error_message: 'unable to obtain exclusive access to this record' },
      ]);
      expect(writes().map((r) => r.records)).toEqual([4, 1, 1, 1]);
      expect(fx.sandbox.records('Account').map((a) => a.External_Id__c).sort()).toEqual(['1', '3', '4']);
    });
  });
});

describe('Salesforce lock retries outside a run', () => {
  const records: DestinationRecord[] = ['lk-1', 'lk-2'].map((key) => ({ key, fields: { Name: `Account ${key}` }, destinationId: null }));
  const connectionTo = sandboxConnection;
  const target = { connection: 'sf', object: 'Account', externalIdField: 'External_Id__c' } as SalesforceTarget;
  const LOCKED = { code: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] };
  const bulkBatch = (): DestinationRecord[] => Array.from({ length: 201 }, (_, i) => ({ key: `bk-${i}`, fields: { Name: `Account ${i}` }, destinationId: null }));
  /** Another sync's response to the same org reports usage at the reserve (12,000 of 15,000 at 0.8). */
  const reserveReached = (sandbox: { instanceUrl: string }) => new ApiBudget(sandbox.instanceUrl, 0.8).record(12_000, 15_000);

  it('a Bulk API batch sends the rows that met a lock again as a job of their own, its id checkpointed like the first', async () => {
    const sandbox = await startSalesforceSandbox({ bulkProcessingDelayMs: 5 });
    try {
      const destination = new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 });
      const many: DestinationRecord[] = Array.from({ length: 201 }, (_, i) => ({ key: `bk-${i}`, fields: { Name: `Account ${i}` }, destinationId: null }));
      sandbox.setFaults({ lockedRecords: { 'bk-7': 1 } });
      const context = memoryWriteContext('accounts');
      const written = await destination.write('upsert', many, context);
      expect(written.results.filter((r) => r.status !== 'ok')).toEqual([]);
      const uploads = sandbox.requests().filter((r) => r.method === 'PUT');
      expect(uploads.map((r) => r.records)).toEqual([201, 1]);
      expect(JSON.parse(context.checkpoint ?? '{}')).toEqual({ jobs: [expect.any(String), expect.any(String)] });
      // Every request but the describe (cached per worker, outside a batch's count): both jobs' included.
      expect(written.apiCalls).toBe(sandbox.requests().filter((r) => !r.path.endsWith('/describe')).length);
      expect(sandbox.records('Account')).toHaveLength(201);
    } finally {
      await sandbox.close();
    }
  });

  it('sends nothing again once the run is cancelled, and reports the locked record as Salesforce answered', async () => {
    const sandbox = await startSalesforceSandbox();
    try {
      const destination = new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 });
      sandbox.setFaults({ lockedRecords: { 'lk-2': 100 } });
      // Cancelled while the first request was answered.
      let cancelled = false;
      sandbox.onWriteApplied(() => {
        cancelled = true;
      });
      const written = await destination.write('upsert', records, { ...memoryWriteContext('accounts'), cancelled: () => cancelled });
      expect(written.apiCalls).toBe(1);
      expect(written.results).toEqual([
        expect.objectContaining({ key: 'lk-1', status: 'ok', created: true }),
        { key: 'lk-2', status: 'rejected', error: { code: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] } },
      ]);
      expect(sandbox.requests().filter((r) => r.method === 'PATCH')).toHaveLength(1);
    } finally {
      await sandbox.close();
    }
  });

  it('a Bulk API re-send the budget refuses before its job is closed sends nothing and keeps the first job\'s results', async () => {
    const sandbox = await startSalesforceSandbox({ bulkProcessingDelayMs: 5 });
    try {
      const destination = new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 });
      sandbox.setFaults({ lockedRecords: { 'bk-7': 1 } });
      // Asked first once the first job has answered, before the wait to send bk-7 again.
      let reserved = false;
      const cancelled = () => {
        if (!reserved) reserveReached(sandbox);
        reserved = true;
        return false;
      };
      const written = await destination.write('insert', bulkBatch(), { ...memoryWriteContext('accounts'), cancelled });
      // The 200 written are committed with the batch; bk-7 stays rejected for the next run.
      expect(written.results.filter((r) => r.status === 'ok')).toHaveLength(200);
      expect(written.results.filter((r) => r.status !== 'ok')).toEqual([{ key: 'bk-7', status: 'rejected', error: LOCKED }]);
      expect(sandbox.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/jobs/ingest'))).toHaveLength(1);
      expect(sandbox.records('Account')).toHaveLength(200);
    } finally {
      await sandbox.close();
    }
  });

  it('a Bulk API re-send the budget stops once its job is closed fails the batch: that job may still run', async () => {
    const sandbox = await startSalesforceSandbox({ bulkProcessingDelayMs: 5 });
    // From the re-send's close (the second PATCH) on, held at the reserve against any fresher reading:
    // its first poll comes 250 ms later.
    const watcher = setInterval(() => {
      if (sandbox.requests().filter((r) => r.method === 'PATCH').length >= 2) reserveReached(sandbox);
    }, 2);
    try {
      const destination = new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 });
      sandbox.setFaults({ lockedRecords: { 'bk-7': 1 } });
      const refused = await rejectionOf<Error>(destination.write('upsert', bulkBatch(), memoryWriteContext('accounts')));
      // The budget's own refusal, not BulkJobNotStarted (a job never closed, nothing of it run).
      expect(refused).toBeInstanceOf(DestinationBudgetExhausted);
      expect(refused.name).toBe('DestinationBudgetExhausted');
    } finally {
      clearInterval(watcher);
      await sandbox.close();
    }
  });

  it('a collections re-send stopped part-way by the budget keeps the answers it had: a record written is ok', async () => {
    const sandbox = await startSalesforceSandbox();
    try {
      const seeded = await new SalesforceDestination(connectionTo(sandbox), target).write('upsert', [{ key: 'B', fields: { Name: 'B' }, destinationId: null }], memoryWriteContext('accounts', 'run-0'));
      const idB = (seeded.results[0] as { destinationId: string }).destinationId;
      // 2 requests so far (describe, upsert); the reserve is 5 of 7: the batch's upsert and update, the
      // upsert sent again, and the update sent again is refused.
      sandbox.setDailyApiLimit(7);
      sandbox.setFaults({ lockedRecords: { A: 1, [idB]: 1 } });
      const destination = new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 });
      const written = await destination.write(
        'upsert',
        [
          { key: 'A', fields: { Name: 'A' }, destinationId: null },
          // Written under another external id field: updated by its Id.
          { key: 'B', fields: { Name: 'B2' }, destinationId: idB, rekeyed: true },
        ],
        memoryWriteContext('accounts'),
      );
      expect(written.apiCalls).toBe(3);
      expect(written.results).toEqual([
        { key: 'A', status: 'ok', destinationId: expect.any(String), created: true },
        { key: 'B', status: 'rejected', error: { ...LOCKED, message: `${LOCKED.message} or 1 records: ${idB}` } },
      ]);
      expect(sandbox.records('Account').map((a) => [a.External_Id__c, a.Name])).toEqual([
        ['B', 'B'],
        ['A', 'A'],
      ]);
    } finally {
      await sandbox.close();
    }
  });

  it('a Bulk API batch resumed after a crash during a re-send sends the record that met a lock again', async () => {
    const sandbox = await startSalesforceSandbox({ bulkProcessingDelayMs: 5 });
    try {
      sandbox.setFaults({ lockedRecords: { 'bk-7': 1 } });
      let checkpoint: string | null = null;
      let crash = true;
      const context: WriteContext = {
        syncName: 'accounts',
        runId: 'run-1',
        batchId: 'run-1#1',
        get checkpoint() {
          return checkpoint;
        },
        saveCheckpoint(value: string) {
          checkpoint = value;
          // The worker dies once the re-send's job is created and checkpointed, before its upload.
          if (crash && (JSON.parse(value) as { jobs: string[] }).jobs.length === 2) return Promise.reject(new Error('worker killed'));
          return Promise.resolve();
        },
      };
      const records = bulkBatch();
      await expect(new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 }).write('upsert', records, context)).rejects.toThrow('worker killed');
      crash = false;
      const resumed = await new SalesforceDestination(connectionTo(sandbox), target, { recordRetryFirstWaitMs: 5 }).write('upsert', records, context);
      expect(resumed.results.filter((r) => r.status !== 'ok')).toEqual([]);
      expect(resumed.results.find((r) => r.key === 'bk-7')).toMatchObject({ status: 'ok', created: true });
      // The first job's results collected, the re-send's Open job aborted, bk-7 sent in a job of its own.
      expect(sandbox.requests().filter((r) => r.method === 'PUT').map((r) => r.records)).toEqual([201, 1]);
      expect(sandbox.records('Account')).toHaveLength(201);
    } finally {
      await sandbox.close();
    }
  });
});
