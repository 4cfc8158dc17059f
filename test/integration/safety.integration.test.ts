import { startSync } from '../../src/temporal/startSync';
import { backflow } from '../support/cli';
import { useSyncFixture } from '../support/fixture';
import { historyText } from '../support/history';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const fx = useSyncFixture();

describe('what Temporal sees', () => {
  it('keeps row values and the access token out of workflow history', async () => {
    const taskQueue = uniqueTaskQueue('history');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      const summary = await handle.result();
      expect(summary.counts.synced).toBe(4);
      const history = await fx.temporal.client.workflow.getHandle(handle.workflowId).fetchHistory();
      const text = historyText(history);
      // The history is real and decoded: the sync name and run counts are in it...
      expect(text).toContain(SYNC);
      expect(text).toContain('"synced":4');
      // ...but no row value, no destination field value, no secret.
      for (const value of ['Acme', 'Globex', 'Initech', 'Umbrella', 'at-risk', 'healthy', fx.sandbox.accessToken]) {
        expect(text).not.toContain(value);
      }
    });
  });
});

/** Runs the CLI against the test project, on the suite's dev server. */
function cli(args: string[], env: Record<string, string | undefined>) {
  return backflow([...args, '--project', fx.project.dir], {
    TEMPORAL_ADDRESS: fx.temporal.address,
    BACKFLOW_TASK_QUEUE: uniqueTaskQueue('cli'),
    ...env,
  });
}

async function snapshotRows() {
  return fx.project.deps.state.selectFrom('snapshots').selectAll().orderBy('key').execute();
}

describe('bad config: a clear error naming the place, a non-zero exit, the snapshot untouched', () => {
  const syncFile = 'syncs/accounts_to_salesforce.yaml';

  beforeEach(async () => {
    // A committed snapshot to protect.
    const taskQueue = uniqueTaskQueue('good');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
    });
    expect(await snapshotRows()).toHaveLength(4);
    await fx.project.sql(`UPDATE accounts SET health = health + 1`);
  });

  it.each([
    [
      'a mapping from a column the model does not return',
      () => fx.project.write(syncFile, fx.project.read(syncFile).replace('{ from: mrr, to: MRR__c }', '{ from: arr, to: MRR__c }')),
      {},
      'syncs/accounts_to_salesforce.yaml: mappings[3].from: column "arr" is not returned by the model (it returns: id, name, health, segment, mrr)',
    ],
    [
      'a missing primary key column',
      () => fx.project.write(syncFile, fx.project.read(syncFile).replace('primaryKey: id ', 'primaryKey: account_id ')),
      {},
      'syncs/accounts_to_salesforce.yaml: primaryKey: column "account_id" is not returned by the model',
    ],
    [
      'a model returning two columns of one name (the second would be read as the first)',
      () => fx.project.write(syncFile, fx.project.read(syncFile).replace('SELECT id, name, health, segment, mrr', 'SELECT id, name, health, segment, mrr, upper(segment) AS segment')),
      {},
      'syncs/accounts_to_salesforce.yaml: model: the model returns more than one column named "segment"; give each its own name (… AS another_name)',
    ],
    [
      'a SQL error',
      () => fx.project.write(syncFile, fx.project.read(syncFile).replace('FROM accounts', 'FROM acounts')),
      {},
      'syncs/accounts_to_salesforce.yaml: model: DuckDB: Catalog Error: Table with name acounts does not exist',
    ],
    [
      'an unset ${env:X}',
      () => undefined,
      { SALESFORCE_ACCESS_TOKEN: '' },
      'backflow.yaml: connections.salesforce.accessToken: environment variable SALESFORCE_ACCESS_TOKEN is not set',
    ],
  ])('%s', async (_name, breakIt, env, message) => {
    breakIt();
    const before = await snapshotRows();
    const result = await cli(['run', SYNC], { ...fx.project.env, ...env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(await snapshotRows()).toEqual(before);
    expect(fx.sandbox.records('Account').map((a) => a.Health_Score__c)).toEqual([38, 82, 55, 91]);
  });

  it('a run started directly on Temporal with bad config fails with the same message and leaves the snapshot alone', async () => {
    fx.project.write(syncFile, fx.project.read(syncFile).replace('FROM accounts', 'FROM acounts'));
    const before = await snapshotRows();
    const taskQueue = uniqueTaskQueue('bad');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await expect(handle.result()).rejects.toThrow(/Table with name acounts does not exist/);
    });
    expect(await snapshotRows()).toEqual(before);
  });
});

describe('an invalid file of another sync', () => {
  it('`backflow run` runs the sync asked for (noting the invalid file); the invalid sync and `validate` report its problems with file and path', async () => {
    const good = fx.project.read(`syncs/${SYNC}.yaml`);
    fx.project.write('syncs/new_sync.yaml', good.replace('mappings:', 'mapings:'));
    // No TEMPORAL_ADDRESS: its own embedded server and in-process worker, as a user's first run.
    const run = await backflow(['run', SYNC, '--json', '--project', fx.project.dir], fx.project.env);
    expect(run.stderr).toContain('note: invalid sync file(s) not loaded: syncs/new_sync.yaml');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sync: SYNC, status: 'succeeded', counts: { synced: 4 } });

    const own = await cli(['run', 'new_sync'], fx.project.env);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('syncs/new_sync.yaml: mappings: ');
    expect(own.stderr).toContain('syncs/new_sync.yaml: Unrecognized key: "mapings"');

    const validate = await cli(['validate', '--offline'], fx.project.env);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain('syncs/new_sync.yaml: mappings: ');
    expect(validate.stderr).toContain('syncs/new_sync.yaml: Unrecognized key: "mapings"');
    // The other syncs are still checked in the same pass (their SQL, columns, secrets).
    expect(validate.stdout).toContain(`ok  ${SYNC}`);
  });
});
