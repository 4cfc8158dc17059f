import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { startSync } from '../../src/temporal/startSync';
import { createTestProject, type TestProject } from '../support/project';
import { connectTestTemporal, uniqueTaskQueue, withWorker, type TestTemporal } from '../support/temporal';
import { startWorkerProcess } from '../support/workerProcess';

let sandbox: SalesforceSandbox;
let temporal: TestTemporal;
let project: TestProject;

beforeAll(async () => {
  temporal = await connectTestTemporal();
  sandbox = await startSalesforceSandbox();
  project = await createTestProject(sandbox);
});
afterAll(async () => {
  await project.close();
  await sandbox.close();
  await temporal.close();
});

/** A `backflow worker` process on the suite's dev server; resolves once it polls. */
async function startWorker(taskQueue: string, on: TestProject = project): Promise<ChildProcess> {
  return (await startWorkerProcess({ projectDir: on.dir, temporalAddress: temporal.address, taskQueue, env: on.env })).child;
}

describe('a worker killed after the Salesforce call and before the batch commit', () => {
  it('retries the batch on another worker without duplicating any Account, and finishes with every record', async () => {
    const taskQueue = uniqueTaskQueue('crash');
    const worker = await startWorker(taskQueue);
    const exited = once(worker, 'exit');

    // Salesforce applies the upsert, then the worker dies before it can hear back and commit.
    sandbox.setFaults({ writeResponseDelayMs: 5_000 });
    let kills = 0;
    sandbox.onWriteApplied(() => {
      if (kills++ === 0) {
        worker.kill('SIGKILL');
        sandbox.setFaults({});
      }
    });

    const handle = await startSync(temporal.client, 'accounts_to_salesforce', { taskQueue });
    await exited;
    expect(kills).toBe(1);
    expect(sandbox.records('Account')).toHaveLength(4);
    const committed = await project.deps.state.selectFrom('batches').selectAll().where('run_id', '=', handle.workflowId).execute();
    expect(committed.map((b) => b.committed)).toEqual([0]);

    // A fresh worker picks the batch up once the dead one's heartbeat times out.
    const summary = await withWorker(temporal, project.deps, taskQueue, () => handle.result());
    expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, rejected: 0 } });

    const upserts = sandbox.requests().filter((r) => r.method === 'PATCH' && r.path.includes('/composite/sobjects/Account/'));
    expect(upserts.map((r) => r.records)).toEqual([4, 4]); // the batch really was sent twice
    const accounts = sandbox.records('Account');
    expect(accounts.map((a) => a.External_Id__c).sort()).toEqual(['1', '2', '3', '4']);
    expect(accounts.map((a) => a.Name)).toEqual(['Acme', 'Globex', 'Initech', 'Umbrella']);
    const results = await project.deps.state.selectFrom('record_results').selectAll().where('run_id', '=', summary.runId).execute();
    expect(results.map((r) => r.key).sort()).toEqual(['1', '2', '3', '4']);
    expect(new Set(results.map((r) => r.destination_id)).size).toBe(4);
  });

  it('with several batches in flight, resumes them all: each record written, committed and reported once', async () => {
    const fresh = await startSalesforceSandbox();
    const freshProject = await createTestProject(fresh);
    try {
      // One record a batch, three batches in flight at once (the connection's limits override).
      const sync = 'syncs/accounts_to_salesforce.yaml';
      freshProject.write(sync, `${freshProject.read(sync)}batchSize: 1\n`);
      freshProject.write(
        'backflow.yaml',
        freshProject.read('backflow.yaml').replace('apiVersion: "62.0"', 'apiVersion: "62.0"\n    limits: { concurrency: 3 }'),
      );
      const taskQueue = uniqueTaskQueue('crash-window');
      const worker = await startWorker(taskQueue, freshProject);
      const exited = once(worker, 'exit');
      // Writes are applied at once but answered late: the worker dies with three applied, none committed.
      fresh.setFaults({ writeResponseDelayMs: 5_000 });
      let applied = 0;
      fresh.onWriteApplied(() => {
        if (++applied === 3) {
          worker.kill('SIGKILL');
          fresh.setFaults({});
        }
      });
      const handle = await startSync(temporal.client, 'accounts_to_salesforce', { taskQueue });
      await exited;
      expect(applied).toBe(3);
      const inFlight = await freshProject.deps.state.selectFrom('batches').selectAll().where('run_id', '=', handle.workflowId).execute();
      expect(inFlight.map((b) => b.committed)).toEqual([0, 0, 0, 0]);

      const summary = await withWorker(temporal, freshProject.deps, taskQueue, () => handle.result());
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, rejected: 0 }, batches: 4 });
      expect(fresh.records('Account').map((a) => a.External_Id__c).sort()).toEqual(['1', '2', '3', '4']);
      const results = await freshProject.deps.state.selectFrom('record_results').select('key').where('run_id', '=', summary.runId).execute();
      expect(results.map((r) => r.key).sort()).toEqual(['1', '2', '3', '4']);
    } finally {
      await freshProject.close();
      await fresh.close();
    }
  });
});
