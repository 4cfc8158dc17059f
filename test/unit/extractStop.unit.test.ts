/**
 * A worker shutting down cancels its activities once the grace time is over: the extract stops at its
 * next page (and Temporal retries it elsewhere) instead of running to its end, holding the worker.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { getRun } from '../../src/state/runs';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { createTestProject, type TestProject } from '../support/project';
import { rejectionOf } from '../support/rejection';

let sandbox: SalesforceSandbox;
let project: TestProject;
beforeAll(async () => {
  sandbox = await startSalesforceSandbox();
  project = await createTestProject(sandbox, { state: 'sqlite' });
  await project.sql(`CREATE OR REPLACE TABLE accounts AS
    SELECT i AS id, 'Account ' || i AS name, (i % 100)::INTEGER AS health, 'neutral' AS segment, i AS mrr FROM range(1, 60001) t(i)`);
});
afterAll(async () => {
  await project.close();
  await sandbox.close();
});

it('stops an extract at the page after its activity is cancelled (WORKER_SHUTDOWN), as a failure Temporal retries', async () => {
  const activities = createActivities(project.deps);
  const env = new MockActivityEnvironment();
  const { runId } = (await env.run(activities.startRun, { runId: 'sync:accounts_to_salesforce:stop', sync: 'accounts_to_salesforce', full: false })) as { runId: string };
  let pages = 0;
  env.on('heartbeat', () => {
    if (++pages === 1) env.cancel('WORKER_SHUTDOWN');
  });
  const stopped = await rejectionOf<Error>(env.run(activities.extractChanges, runId));
  expect(stopped.name).toBe('ExtractStopped');
  expect(stopped.message).toMatch(/^the extract of run sync:accounts_to_salesforce:stop stopped after \d+ rows: its activity was cancelled/);
  // Not a typed BackflowError: Temporal retries it, and the retry starts the staging over.
  expect(stopped.constructor.name).not.toBe('ApplicationFailure');
  expect(pages).toBeLessThan(5);
  expect((await getRun(project.deps.state, runId)).phase).toBe('started');
});
