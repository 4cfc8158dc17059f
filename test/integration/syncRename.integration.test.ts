/**
 * A sync renamed with `renamedFrom:` keeps what backflow holds under its old name (snapshot, runs,
 * incidents): the first run under the new name sends nothing that did not change. A run under the old
 * name (a worker still given the old file) is refused, until `--full` starts a new sync there.
 * Real Temporal dev server and worker; the Salesforce sandbox through jsforce.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRun } from '../../src/engine';
import type { BackflowError } from '../../src/errors';
import { getRun, openRun, specOf } from '../../src/state/runs';
import { startSync } from '../../src/temporal/startSync';
import { useSyncFixture } from '../support/fixture';
import { rejectionOf } from '../support/rejection';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const OLD = 'accounts_to_salesforce';
const NEW = 'accounts_to_crm';
const fileOf = (sync: string) => `syncs/${sync}.yaml`;
const fx = useSyncFixture();

const run = async (taskQueue: string, sync: string, full = false) => (await startSync(fx.temporal.client, sync, { taskQueue, ...(full ? { full } : {}) })).result();
const accountWrites = () => fx.sandbox.requests().filter((r) => r.method !== 'GET').length;
const runsOf = async (sync: string) => (await fx.project.deps.state.selectFrom('runs').select('run_id').where('sync_name', '=', sync).execute()).length;

describe('a sync renamed with renamedFrom', () => {
  it('takes over the old name\'s snapshot and runs, and refuses runs under the old name until --full starts a new sync there', async () => {
    const taskQueue = uniqueTaskQueue('renamed');
    const original = fx.project.read(fileOf(OLD));
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue, OLD)).toMatchObject({ status: 'succeeded', counts: { created: 4 } });

      // The file renamed, its old name given.
      rmSync(path.join(fx.project.dir, fileOf(OLD)));
      fx.project.write(fileOf(NEW), `${original}renamedFrom: ${OLD}\n`);
      const writesBefore = accountWrites();
      expect(await run(taskQueue, NEW)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4, synced: 0 }, apiCalls: 0 });
      expect(accountWrites()).toBe(writesBefore);
      expect(await runsOf(NEW)).toBe(2);
      expect(await runsOf(OLD)).toBe(0);
      // Incremental from there on.
      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE name = 'Acme'`);
      expect(await run(taskQueue, NEW)).toMatchObject({ status: 'succeeded', counts: { changed: 1, unchanged: 3, updated: 1 }, apiCalls: 1 });

      // A worker still given the old file: its run would find no snapshot and send every row again.
      rmSync(path.join(fx.project.dir, fileOf(NEW)));
      fx.project.write(fileOf(OLD), original);
      const refused = await rejectionOf<BackflowError>(run(taskQueue, OLD));
      expect(refused.code).toBe('SYNC_RENAMED');
      expect(refused.message).toContain(`sync ${OLD} was renamed to ${NEW}`);
      expect(refused.message).toContain(`backflow run ${OLD} --full`);
      expect(accountWrites()).toBe(writesBefore + 1);

      // --full: a new sync under the old name, every row sent again (upserted by external id: no duplicates).
      expect(await run(taskQueue, OLD, true)).toMatchObject({ status: 'succeeded', counts: { added: 4, updated: 4 } });
      expect(fx.sandbox.records('Account')).toHaveLength(4);
      expect(await run(taskQueue, OLD)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 }, apiCalls: 0 });
    });
  });

  it('refuses to mix two syncs\' records: a new name that has committed records of its own takes nothing over', async () => {
    const taskQueue = uniqueTaskQueue('rename-conflict');
    const original = fx.project.read(fileOf(OLD));
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      // Two syncs, each with records committed.
      fx.project.write(fileOf(NEW), original.replace('FROM accounts', 'FROM accounts WHERE id = 1'));
      expect(await run(taskQueue, OLD)).toMatchObject({ status: 'succeeded' });
      expect(await run(taskQueue, NEW)).toMatchObject({ status: 'succeeded' });
      rmSync(path.join(fx.project.dir, fileOf(OLD)));
      fx.project.write(fileOf(NEW), `${fx.project.read(fileOf(NEW))}renamedFrom: ${OLD}\n`);
      const refused = await rejectionOf<BackflowError>(run(taskQueue, NEW));
      expect(refused.code).toBe('SYNC_RENAME_CONFLICT');
      expect(refused.message).toContain(`${NEW} has committed records of its own`);
      expect(await runsOf(OLD)).toBe(1);
    });
  });

  it('closes a run of the old name its workflow left open (RUN_ABANDONED), then takes over: it held the state for good', async () => {
    const taskQueue = uniqueTaskQueue('rename-abandoned');
    const original = fx.project.read(fileOf(OLD));
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const first = await run(taskQueue, OLD);
      // A run whose workflow is gone (terminated), left running with the lease.
      await openRun(fx.project.deps.state, { runId: 'sync:accounts_to_salesforce:ghost', spec: specOf(await getRun(fx.project.deps.state, first.runId)), full: false, now: new Date().toISOString(), lease: true, execution: 'gone' });
      rmSync(path.join(fx.project.dir, fileOf(OLD)));
      fx.project.write(fileOf(NEW), `${original}renamedFrom: ${OLD}\n`);
      expect(await run(taskQueue, NEW)).toMatchObject({ status: 'succeeded', counts: { unchanged: 4 }, apiCalls: 0 });
      expect(await getRun(fx.project.deps.state, 'sync:accounts_to_salesforce:ghost')).toMatchObject({ status: 'failed', error_code: 'RUN_ABANDONED' });
    });
  });

  it('refuses a run of the old name that looked for a rename just before the new name took over (a worker still given the old file)', async () => {
    const original = fx.project.read(fileOf(OLD));
    const taskQueue = uniqueTaskQueue('rename-race');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => run(taskQueue, OLD));
    // The old worker's project as it was; the new one's renamed. One state store.
    const oldDir = mkdtempSync(path.join(tmpdir(), 'backflow-rename-old-'));
    cpSync(fx.project.dir, oldDir, { recursive: true });
    rmSync(path.join(fx.project.dir, fileOf(OLD)));
    fx.project.write(fileOf(NEW), `${original}renamedFrom: ${OLD}\n`);
    const state = fx.project.deps.state;
    let tookOver = false;
    // The old worker reads "no rename"; the new worker's run then takes the state over before it goes on.
    const slowState = new Proxy(state, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop === 'selectFrom') {
          return (table: 'sync_renames') => {
            const query = state.selectFrom(table);
            if (table !== 'sync_renames' || tookOver) return query;
            tookOver = true;
            const executeTakeFirst = query.selectAll().where('from_name', '=', OLD).executeTakeFirst.bind(query.selectAll().where('from_name', '=', OLD));
            const read = async () => {
              const row = await executeTakeFirst();
              await startRun(fx.project.deps, { runId: 'sync:accounts_to_crm:new', sync: NEW, full: false });
              return row;
            };
            return { selectAll: () => ({ where: () => ({ executeTakeFirst: read }) }) };
          };
        }
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const oldWorker = { ...fx.project.deps, projectDir: oldDir, state: slowState };
    await expect(startRun(oldWorker, { runId: 'sync:accounts_to_salesforce:old', sync: OLD, full: false })).rejects.toMatchObject({ code: 'SYNC_RENAMED' });
    expect(tookOver).toBe(true);
    expect(await fx.project.deps.state.selectFrom('runs').select('run_id').where('run_id', '=', 'sync:accounts_to_salesforce:old').execute()).toEqual([]);
  });
});

