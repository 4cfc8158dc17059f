import { existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { pruneRecordResults } from '../../src/ops/retention';
import { recordHistory } from '../../src/ops/records';
import { listRuns } from '../../src/state/history';
import type { RunSummary } from '../../src/state/summary';
import { BACKFLOW_DESTINATION, BACKFLOW_REJECTED, BACKFLOW_STATUS, BACKFLOW_SYNC } from '../../src/temporal/searchAttributes';
import { syncScheduleOptions } from '../../src/temporal/schedules';
import { startSync } from '../../src/temporal/startSync';
import { backflow, expectSucceeded } from '../support/cli';
import { runOnTestWorker, useSyncFixture } from '../support/fixture';
import { holdDuckdbWriteLock } from '../support/duckdbLock';
import { runMaintenance } from '../../src/ops/maintenance';
import { createActivities } from '../../activities';
import { deliverOwedWriteBacks } from '../../src/ops/owedWriteBacks';
import { Client as PgClient } from 'pg';
import { createTestDatabase } from '../support/postgres';
import { writeBackTableProblem } from '../../src/ops/writeBack';
import { startSilentServer } from '../support/silentServer';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_salesforce';
const SYNC_FILE = 'syncs/accounts_to_salesforce.yaml';
const fx = useSyncFixture();

/** Visibility is eventually consistent: list until `ready` holds for what the query returns. */
async function listUntil(client: Client, query: string, ready: (found: WorkflowExecutionInfo[]) => boolean): Promise<WorkflowExecutionInfo[]> {
  for (let attempt = 0; ; attempt++) {
    const found: WorkflowExecutionInfo[] = [];
    for await (const execution of client.workflow.list({ query })) found.push(execution);
    if (ready(found) || attempt >= 100) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition never held');
}

describe('Temporal Web: search attributes and memo on every run', () => {
  it('a run carries BackflowSync, BackflowDestination, BackflowStatus, BackflowRejected and its summary', async () => {
    await fx.project.sql(`UPDATE accounts SET name = '' WHERE id = 3`);
    const taskQueue = uniqueTaskQueue('attributes');
    const handle = await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const started = await startSync(fx.temporal.client, SYNC, { taskQueue });
      expect(await started.result()).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 1 } });
      return started;
    });
    const query = `BackflowSync = '${SYNC}' AND BackflowStatus = 'partial' AND WorkflowId = '${handle.workflowId}'`;
    const [execution] = await listUntil(fx.temporal.client, query, (found) => found.length === 1);
    expect(execution?.workflowId).toBe(handle.workflowId);
    expect(execution?.typedSearchAttributes.get(BACKFLOW_SYNC)).toBe(SYNC);
    expect(execution?.typedSearchAttributes.get(BACKFLOW_DESTINATION)).toBe('salesforce');
    expect(execution?.typedSearchAttributes.get(BACKFLOW_STATUS)).toBe('partial');
    expect(execution?.typedSearchAttributes.get(BACKFLOW_REJECTED)).toBe(1);
    const described = await fx.temporal.client.workflow.getHandle(handle.workflowId).describe();
    expect(described.memo?.summary).toMatchObject({ runId: handle.workflowId, status: 'partial', counts: { synced: 3, rejected: 1 } });
    // Ops can find the runs with rejected records.
    const rejected = await listUntil(fx.temporal.client, `BackflowRejected > 0 AND WorkflowId = '${handle.workflowId}'`, (found) => found.length === 1);
    expect(rejected).toHaveLength(1);
  });
});

describe('one run per sync, however it is started', () => {
  it('a schedule trigger while a CLI/startSync run is in flight gives no second run', async () => {
    const taskQueue = uniqueTaskQueue('one-run');
    // The schedule `schedules apply` makes of `schedule: { every: 1h }`, under an id of this test's own.
    const { options } = syncScheduleOptions({ name: SYNC, schedule: { every: '1h', overlap: 'skip' } }, taskQueue);
    const scheduleId = `${options.scheduleId}-${taskQueue}`;
    // Without backflow's memo marker, so `schedules apply` in a parallel test file leaves it alone.
    const schedule = await fx.temporal.client.schedule.create({ ...options, scheduleId, memo: {}, state: { paused: true } });
    fx.sandbox.setFaults({ writeResponseDelayMs: 2_000 });
    try {
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        const first = await startSync(fx.temporal.client, SYNC, { taskQueue });
        await until(async () => ((await first.progress()).phase === 'syncing' ? true : undefined));
        await schedule.trigger();
        const scheduledId = await until(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId);
        expect(scheduledId).toMatch(new RegExp(`^sync:${SYNC}:scheduled-`));
        await expect(fx.temporal.client.workflow.getHandle(scheduledId).result()).rejects.toMatchObject({
          cause: { message: expect.stringContaining(`sync ${SYNC} is already running (run ${first.workflowId})`) as string },
        });
        expect(await first.result()).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
        const [refused] = await listUntil(fx.temporal.client, `WorkflowId = '${scheduledId}' AND BackflowStatus = 'skipped'`, (found) => found.length === 1);
        expect(refused?.typedSearchAttributes.get(BACKFLOW_STATUS)).toBe('skipped');
      });
      const runs = await listRuns(fx.project.deps.state, SYNC);
      expect(runs.map((run) => run.status)).toEqual(['succeeded']);
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    } finally {
      await schedule.delete();
    }
  });
});

describe('triggering from code: cancel()', () => {
  it('finishes the batch in flight, closes the run, releases the lease; the next run sends only the rest', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}batchSize: 1\n`);
    fx.sandbox.setFaults({ writeResponseDelayMs: 1_000 });
    const taskQueue = uniqueTaskQueue('cancel');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      await until(async () => ((await handle.progress()).batchesDone >= 1 ? true : undefined));
      await handle.cancel();
      await expect(handle.result()).rejects.toMatchObject({ code: 'CANCELLED' });
      const [cancelled] = await listRuns(fx.project.deps.state, SYNC);
      expect(cancelled).toMatchObject({ status: 'failed', error: { code: 'CANCELLED' } });
      const sent = cancelled?.counts.synced ?? 0;
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThan(4);
      // Consistent: what the destination has is exactly what the snapshot committed.
      const snapshot = await fx.project.deps.state.selectFrom('snapshots').select('key').where('sync_name', '=', SYNC).execute();
      expect(snapshot).toHaveLength(sent);
      expect(fx.sandbox.records('Account')).toHaveLength(sent);
      const lease = await fx.project.deps.state.selectFrom('sync_leases').selectAll().where('sync_name', '=', SYNC).execute();
      expect(lease).toEqual([]);

      fx.sandbox.setFaults({});
      const next = await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
      expect(next).toMatchObject({ status: 'succeeded', counts: { added: 4 - sent, synced: 4 - sent } });
      expect(fx.sandbox.records('Account')).toHaveLength(4);
    });
  });
});

describe('per-record logs', () => {
  it('backflow records shows one record across runs; prune deletes results past retention, not run history', async () => {
    const taskQueue = uniqueTaskQueue('records');
    let runs: RunSummary[] = [];
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      runs.push(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result());
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE id = 1`);
      runs.push(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result());
      runs.push(await (await startSync(fx.temporal.client, SYNC, { taskQueue })).result());
    });
    const records = await backflow(['records', SYNC, '--key', '1', '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(records);
    const shown = JSON.parse(records.stdout) as { history: Array<Record<string, unknown>> };
    const acmeId = fx.sandbox.records('Account').find((account) => account.External_Id__c === '1')?.Id;
    expect(shown.history).toEqual([
      expect.objectContaining({ runId: runs[0]?.runId, change: 'added', status: 'synced', destinationId: acmeId, created: true, error: null, sent: expect.objectContaining({ Name: 'Acme', Health_Score__c: 38 }) as unknown }),
      expect.objectContaining({ runId: runs[1]?.runId, change: 'changed', status: 'synced', destinationId: acmeId, created: false, sent: expect.objectContaining({ Health_Score__c: 30 }) as unknown }),
    ]);

    // Nothing is old enough yet; two days later, everything is.
    expect(await pruneRecordResults(fx.project.deps.state, 86_400_000, new Date())).toMatchObject({ records: 0 });
    const later = new Date(Date.now() + 2 * 86_400_000);
    expect(await pruneRecordResults(fx.project.deps.state, 86_400_000, later)).toMatchObject({ records: 5 });
    expect(await recordHistory(fx.project.deps.state, SYNC, '1')).toEqual([]);
    runs = await listRuns(fx.project.deps.state, SYNC);
    expect(runs.map((run) => run.counts.synced)).toEqual([0, 1, 4]);
    // `runs show` keeps the summary, and says where the records went instead of "none were sent".
    const first = await backflow(['runs', 'show', runs[2]?.runId ?? '', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(first);
    expect(first.stdout).toContain("no per-record results: the run's 4 were older than the retention and pruned (backflow prune)");
    expect(first.stdout).not.toContain('no records were sent');

    // `backflow prune` at the project's retention, though another sync's file is broken.
    fx.project.write('syncs/accounts_to_hubspot.yaml', `${fx.project.read('syncs/accounts_to_hubspot.yaml')}mode: bogus\n`);
    const pruned = await backflow(['prune', '--json', '--project', fx.project.dir], fx.project.env);
    expectSucceeded(pruned);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ records: 0, incidents: 0 });
  });
});

describe('write-back', () => {
  it('keeps a write-back the warehouse could not take when the run closed, and writes it at the next maintenance pass', async () => {
    const logs = path.join(fx.project.dir, 'logs.duckdb');
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('connections:\n', 'connections:\n  logs:\n    type: duckdb\n    path: logs.duckdb\n'));
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: logs }\n`);
    const holder = await holdDuckdbWriteLock(logs);
    let summary: RunSummary;
    try {
      summary = await runOnTestWorker(fx, SYNC, 'write-back-locked');
    } finally {
      holder.kill();
    }
    expect(summary.status).toBe('succeeded');
    const logged = async () => {
      const instance = await DuckDBInstance.create(logs);
      const connection = await instance.connect();
      try {
        const tables = await connection.runAndReadAll(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'backflow_sync_log'`);
        if (Number(tables.getRowObjectsJson()[0]?.['n']) === 0) return [];
        return (await connection.runAndReadAll('SELECT run_id, record_key FROM backflow_sync_log ORDER BY record_key')).getRowObjectsJson();
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    };
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(await logged()).toEqual([]);
    // Owed, its results outlive the retention: they are what the write-back will write.
    expect(await pruneRecordResults(fx.project.deps.state, 0, new Date(Date.now() + 86_400_000))).toMatchObject({ records: 0 });
    // Another worker delivering it right now (its claim unexpired): left to it, not written twice.
    const pending = fx.project.deps.state.updateTable('runs').where('run_id', '=', summary.runId);
    const owedSince = '2026-11-01T00:00:00.000Z';
    const heldBy = `claimed ${new Date(Date.now() + 600_000).toISOString()} ${owedSince}`;
    await pending.set({ write_back_pending: heldBy }).execute();
    await runMaintenance(fx.project.deps);
    expect(await logged()).toEqual([]);
    expect(await fx.project.deps.state.selectFrom('runs').select('write_back_pending').where('run_id', '=', summary.runId).executeTakeFirst()).toEqual({ write_back_pending: heldBy });
    // That worker died: past its claim, the next pass takes the write-back over.
    await pending.set({ write_back_pending: `claimed ${new Date(Date.now() - 1).toISOString()} ${owedSince}` }).execute();
    expect(await runMaintenance(fx.project.deps)).toMatchObject({ stale: [] });
    expect((await logged()).map((row) => row['record_key'])).toEqual(['1', '2', '3', '4']);
    expect(await fx.project.deps.state.selectFrom('runs').select('write_back_pending').where('run_id', '=', summary.runId).executeTakeFirst()).toEqual({ write_back_pending: null });
  });


  it('lands a run’s per-record results in a warehouse table it creates when missing (DuckDB)', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: warehouse }\n`);
    await fx.project.sql(`UPDATE accounts SET name = '' WHERE id = 3`);
    const taskQueue = uniqueTaskQueue('write-back');
    const summary = await withWorker(fx.temporal, fx.project.deps, taskQueue, async () =>
      (await startSync(fx.temporal.client, SYNC, { taskQueue })).result(),
    );
    const instance = await DuckDBInstance.create(path.join(fx.project.dir, 'warehouse.duckdb'));
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        'SELECT run_id, run_status, record_key, change, status, error_code FROM backflow_sync_log ORDER BY record_key',
      );
      expect(reader.getRowObjectsJson()).toEqual([
        { run_id: summary.runId, run_status: 'partial', record_key: '1', change: 'added', status: 'synced', error_code: null },
        { run_id: summary.runId, run_status: 'partial', record_key: '2', change: 'added', status: 'synced', error_code: null },
        { run_id: summary.runId, run_status: 'partial', record_key: '3', change: 'added', status: 'rejected', error_code: 'REQUIRED_FIELD_MISSING' },
        { run_id: summary.runId, run_status: 'partial', record_key: '4', change: 'added', status: 'synced', error_code: null },
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('refuses a write-back into an existing table of another shape before the run (every write-back failed and stayed owed, the runs succeeding)', async () => {
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: warehouse, table: accounts }\n`);
    const taskQueue = uniqueTaskQueue('write-back-shape');
    const refused = await withWorker(fx.temporal, fx.project.deps, taskQueue, async () =>
      (await startSync(fx.temporal.client, SYNC, { taskQueue })).result().catch((err: unknown) => err),
    );
    expect(refused).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((refused as Error).message).toContain(`${SYNC_FILE}: writeBack.table: table accounts exists without the sync log's columns (sync_name, run_id, run_status, record_key`);
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('delivers the write-back of a run cancelled while finishRun closed it', async () => {
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('connections:\n', 'connections:\n  logs:\n    type: duckdb\n    path: logs.duckdb\n'));
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: logs }\n`);
    const real = createActivities(fx.project.deps);
    let entered = () => {};
    let release = () => {};
    const reached = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // finishRun held until the cancel is on record, so it lands while the run closes.
    const activities = {
      ...real,
      finishRun: async (...args: Parameters<typeof real.finishRun>) => {
        entered();
        await released;
        return real.finishRun(...args);
      },
    };
    const taskQueue = uniqueTaskQueue('write-back-cancelled');
    const workflowId = await withWorker(
      fx.temporal,
      fx.project.deps,
      taskQueue,
      async () => {
        const started = await startSync(fx.temporal.client, SYNC, { taskQueue });
        await reached;
        const handle = fx.temporal.client.workflow.getHandle(started.workflowId);
        await handle.cancel();
        await until(async () => ((await handle.fetchHistory()).events ?? []).some((event) => event.activityTaskCancelRequestedEventAttributes) || undefined);
        release();
        await started.result().catch(() => undefined);
        return started.workflowId;
      },
      activities,
    );
    const run = await fx.project.deps.state.selectFrom('runs').select(['write_back_pending']).where('run_id', '=', workflowId).executeTakeFirstOrThrow();
    expect(run.write_back_pending).toBeNull();
    const instance = await DuckDBInstance.create(path.join(fx.project.dir, 'logs.duckdb'));
    const connection = await instance.connect();
    try {
      const rows = await connection.runAndReadAll('SELECT count(*) AS n FROM backflow_sync_log WHERE run_id = $1', [workflowId]);
      expect(Number(rows.getRowObjectsJson()[0]?.['n'])).toBe(4);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('refuses a malformed connect_timeout in a log warehouse or source URL before the run, naming backflow.yaml (every write-back failed, owed)', async () => {
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('connections:\n', 'connections:\n  logs:\n    type: postgres\n    url: postgres://backflow:secret@127.0.0.1:9/logs?connect_timeout=5s\n'));
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: logs }\n`);
    const result = await backflow(['run', SYNC, '--project', fx.project.dir], fx.project.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('backflow.yaml: connections.logs.url: URL postgres://backflow:***@127.0.0.1:9/logs?connect_timeout=5s: connect_timeout must be whole seconds (0 waits forever), got "5s"');
    // The same in a source's URL is the connection's setting, not the model's (it read SOURCE_QUERY_FAILED, "model: …").
    fx.project.write(SYNC_FILE, fx.project.read(SYNC_FILE).replace('writeBack: { connection: logs }\n', '').replace('source: warehouse', 'source: logs'));
    const fromSource = await backflow(['run', SYNC, '--project', fx.project.dir], fx.project.env);
    expect(fromSource.code).toBe(1);
    expect(fromSource.stderr).toContain('backflow.yaml: connections.logs.url: PostgreSQL connection URL postgres://backflow:***@127.0.0.1:9/logs?connect_timeout=5s: connect_timeout must be whole seconds');
    expect(fx.sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('renews its claim while a long write-back runs, so another deliverer does not write the run a second time beside it', async () => {
    const url = await createTestDatabase();
    fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('connections:\n', `connections:\n  logs:\n    type: postgres\n    url: ${url}\n`));
    fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: logs }\n`);
    const summary = await runOnTestWorker(fx, SYNC, 'write-back-renewed');
    const logged = async () => {
      const client = new PgClient({ connectionString: url });
      await client.connect();
      try {
        return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM backflow_sync_log WHERE run_id = $1', [summary.runId])).rows[0]?.n);
      } finally {
        await client.end();
      }
    };
    expect(await logged()).toBe(4);
    // Owed again, and the log table locked by an analyst's long transaction: the write-back waits on it.
    const pending = () => fx.project.deps.state.selectFrom('runs').select('write_back_pending').where('run_id', '=', summary.runId).executeTakeFirstOrThrow();
    await fx.project.deps.state.updateTable('runs').set({ write_back_pending: new Date().toISOString() }).where('run_id', '=', summary.runId).execute();
    const analyst = new PgClient({ connectionString: url });
    await analyst.connect();
    await analyst.query('BEGIN');
    await analyst.query('LOCK TABLE backflow_sync_log IN ACCESS EXCLUSIVE MODE');
    const first = deliverOwedWriteBacks(fx.project.deps, SYNC, { claimMs: 600 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Past the claim's first end, still held: a second deliverer leaves it alone.
    const claimed = (await pending()).write_back_pending ?? '';
    expect(Date.parse(claimed.split(' ')[1] ?? '')).toBeGreaterThan(Date.now());
    await deliverOwedWriteBacks(fx.project.deps, SYNC, { claimMs: 600 });
    await analyst.query('COMMIT');
    await analyst.end();
    await first;
    expect(await logged()).toBe(4);
    expect((await pending()).write_back_pending).toBeNull();
  });

  it('a PostgreSQL log warehouse that never answers: the run succeeds, its write-back stays owed, delivered by an activity of its own', async () => {
    const silent = await startSilentServer();
    try {
      fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('connections:\n', `connections:\n  logs:\n    type: postgres\n    url: postgres://backflow@127.0.0.1:${silent.port}/logs?connect_timeout=1\n`));
      fx.project.write(SYNC_FILE, `${fx.project.read(SYNC_FILE)}writeBack: { connection: logs }\n`);
      const taskQueue = uniqueTaskQueue('write-back-silent');
      const handle = await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        const started = await startSync(fx.temporal.client, SYNC, { taskQueue });
        // It waited forever (no connect timeout) inside finishRun: `backflow run` never returned.
        expect(await started.result()).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
        return started;
      });
      const owed = await fx.project.deps.state.selectFrom('runs').select('write_back_pending').where('run_id', '=', handle.workflowId).executeTakeFirstOrThrow();
      expect(owed.write_back_pending).not.toBeNull();
      const activities: string[] = [];
      for (const event of (await fx.temporal.client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? []) {
        const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
        if (name) activities.push(name);
      }
      expect(activities.slice(-2)).toEqual(['finishRun', 'deliverWriteBacks']);
    } finally {
      await silent.close();
    }
  });

  it('lets the run go on when the log warehouse does not answer its table check; creates no DuckDB file for it', async () => {
    const silent = await startSilentServer();
    try {
      const unreachable = { type: 'postgres' as const, url: `postgres://backflow@127.0.0.1:${silent.port}/warehouse`, pageSize: 1_000 };
      // It waited forever (no connect timeout): every run of the sync failed to start.
      expect(await writeBackTableProblem('backflow_sync_log', unreachable, fx.project.dir)).toBeUndefined();
    } finally {
      await silent.close();
    }
    // DuckDB: read-only, as sources open it; a file not there yet has no table, and is not created.
    const warehouse = { type: 'duckdb' as const, path: 'warehouse.duckdb' };
    expect(await writeBackTableProblem('accounts', warehouse, fx.project.dir)).toMatch(/^table accounts exists without the sync log's columns/);
    expect(await writeBackTableProblem('backflow_sync_log', { ...warehouse, path: 'not-there.duckdb' }, fx.project.dir)).toBeUndefined();
    expect(existsSync(path.join(fx.project.dir, 'not-there.duckdb'))).toBe(false);
  });
});

