/**
 * A fleet: two `backflow worker` processes share one run through the PostgreSQL state store and the
 * suite's Temporal server. The worker holding a batch is SIGKILLed after Salesforce applied the batch
 * and before it could commit; the other worker finishes the run with nothing lost or duplicated.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { startSync } from '../../src/temporal/startSync';
import { createTestProject, type TestProject } from '../support/project';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';
import { startWorkerProcess, type WorkerProcess } from '../support/workerProcess';

const ROWS = 200;
const BATCH_SIZE = 25;
const BATCHES = ROWS / BATCH_SIZE;

let sandbox: SalesforceSandbox;
let temporal: TestTemporal;
let project: TestProject;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  temporal = await connectTestTemporal();
  sandbox = await startSalesforceSandbox();
  project = await createTestProject(sandbox, { state: 'postgres' });
  await project.sql(
    `INSERT INTO accounts SELECT i, 'Account ' || i, i % 100, 'neutral', i * 10, NULL FROM range(5, ${ROWS + 1}) t(i)`,
  );
  project.write('syncs/accounts_to_salesforce.yaml', `${project.read('syncs/accounts_to_salesforce.yaml')}batchSize: ${BATCH_SIZE}\n`);
});
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await project.close();
  await sandbox.close();
  await temporal.close();
});

/** A `backflow worker` process on the PostgreSQL store; resolves once it polls. */
async function startWorker(taskQueue: string): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({
    projectDir: project.dir,
    temporalAddress: temporal.address,
    taskQueue,
    env: { ...project.env, BACKFLOW_SHUTDOWN_GRACE_TIME: '5s' },
  });
  workers.push(worker.child);
  return worker;
}

describe('two worker processes on one PostgreSQL state store', () => {
  it('survive losing the worker that holds a batch: every record exactly once, results complete, run succeeded', async () => {
    expect(project.stateUrl).toMatch(/^postgres:/);
    const taskQueue = uniqueTaskQueue('fleet');
    const [a, b] = await Promise.all([startWorker(taskQueue), startWorker(taskQueue)]);
    const byIdentity = (identity: string | null | undefined) =>
      [a, b].find((w) => identity?.startsWith(`${w.child.pid}@`));

    // Each write is applied, then its answer held: time to find and kill the worker that sent it.
    sandbox.setFaults({ writeResponseDelayMs: 1_500 });
    const handle = await startSync(temporal.client, 'accounts_to_salesforce', { taskQueue });
    let writes = 0;
    let victim: typeof a | undefined;
    const killed = new Promise<void>((resolve, reject) => {
      sandbox.onWriteApplied(() => {
        if (++writes !== 3) return; // two batches committed first: the run is well under way
        temporal.client.workflow
          .getHandle(handle.workflowId)
          .describe()
          .then((description) => {
            const pending = description.raw.pendingActivities ?? [];
            victim = byIdentity(pending.find((p) => p.activityType?.name === 'syncBatches')?.lastWorkerIdentity);
            if (!victim) throw new Error(`no worker of ours holds the batch: ${JSON.stringify(pending)}`);
            victim.child.kill('SIGKILL');
            sandbox.setFaults({ writeResponseDelayMs: 50 });
            resolve();
          })
          .catch(reject);
      });
    });
    await killed;
    const survivor = victim === a ? b : a;

    const summary = await handle.result();
    expect(summary).toMatchObject({ status: 'succeeded', batches: BATCHES, counts: { extracted: ROWS, added: ROWS, synced: ROWS, rejected: 0 } });
    expect(victim?.child.signalCode).toBe('SIGKILL');

    // The killed worker's batch was applied, never committed, and sent again by the survivor …
    const upserts = sandbox.requests().filter((r) => r.method === 'PATCH' && r.path.includes('/composite/sobjects/Account/'));
    expect(upserts).toHaveLength(BATCHES + 1);
    // … and upsert by external id kept every Account exactly once.
    const ids = sandbox.records('Account').map((account) => String(account.External_Id__c));
    expect(ids).toHaveLength(ROWS);
    expect(new Set(ids).size).toBe(ROWS);

    const results = await project.deps.state.selectFrom('record_results').selectAll().where('run_id', '=', summary.runId).execute();
    expect(results).toHaveLength(ROWS);
    expect(new Set(results.map((r) => r.key)).size).toBe(ROWS);
    expect(results.every((r) => r.status === 'synced' && r.destination_id !== null)).toBe(true);

    // The survivor picked the batch up: the run's completed activities name it.
    const history = await temporal.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const identities = (history.events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.identity ?? []);
    expect(identities.some((id) => byIdentity(id) === survivor)).toBe(true);

    // SIGTERM: the survivor stops polling, finishes or hands back what it holds, and exits cleanly.
    const exited = once(survivor.child, 'exit');
    survivor.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(survivor.output()).toContain('worker stopped');
  });
});
