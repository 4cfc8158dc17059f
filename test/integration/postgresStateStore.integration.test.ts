/**
 * The state store on a real PostgreSQL: migrations under concurrent start-up, and the query layer's
 * SQL (change classification, batch numbering, counts) giving the same answers as on SQLite.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Client } from 'pg';
import pino from 'pino';
import { sql } from 'kysely';
import { applyObservations } from '../../src/ops/alerts';
import { migrateTo, migrateToLatest } from '../../src/state/migrations';
import { openStateStore, type StateDb } from '../../src/state/database';
import { claimBatch, commitBatch, readBatchRecords } from '../../src/state/batches';
import { openRun, closeRun } from '../../src/state/runs';
import { recordResults } from '../../src/state/history';
import { classifyChanges, stagePage } from '../../src/state/staging';
import type { SyncSpec } from '../../src/config/schema';
import { createTestDatabase, runPostgres } from '../support/postgres';
import { toActivityFailure } from '../../activities/failures';
import { BackflowError } from '../../src/errors';

const NOW = '2026-01-01T00:00:00.000Z';
const FROZEN_TRANSACTION = path.resolve(__dirname, '..', 'support', 'frozenTransaction.ts');
const PACED_WORKER = path.resolve(__dirname, '..', 'support', 'pacedWorker.ts');
const spec = { name: 'accounts', source: 'warehouse' } as unknown as SyncSpec;

/** classifyChanges' input for an upsert sync (built loosely so it keeps up with new optional fields). */
function classifyInput(runId: string, batchSize: number): Parameters<typeof classifyChanges>[1] {
  const input = { runId, syncName: 'accounts', mode: 'upsert', batchSize, now: NOW };
  return input as Parameters<typeof classifyChanges>[1];
}

async function migrationRows(url: string): Promise<Array<{ name: string }>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name')).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL state store', () => {
  it('migrates once when several workers open a fresh database at the same moment', async () => {
    const url = await createTestDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStateStore(url)));
    try {
      const rows = await migrationRows(url);
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
      // Every store sees the schema.
      for (const db of stores) expect(await db.selectFrom('runs').selectAll().execute()).toEqual([]);
      // A run's results are read a page at a time in id order (the write-back) through an index of
      // their own: by the primary key, each page filtered out every other run's rows.
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows: indexes } = await client.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'record_results_by_run_page'`);
        expect(indexes.map((index) => index.indexdef)).toEqual([expect.stringContaining('(run_id, id)')]);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(stores.map((db) => db.destroy()));
    }
  });

  it('a worker of an older release starts on a store a newer release migrated, and runs on it', async () => {
    const url = await createTestDatabase();
    await (await openStateStore(url)).destroy();
    // What a newer release's migration leaves: a column this release never writes, and its row.
    await runPostgres(url, `ALTER TABLE runs ADD COLUMN from_a_newer_release text;
      INSERT INTO kysely_migration (name, timestamp) VALUES ('900_from_a_newer_release', '2027-01-01T00:00:00.000Z')`);
    const older = await openStateStore(url);
    try {
      await openRun(older, { runId: 'run-older', spec, full: false, now: NOW, lease: true });
      expect(await closeRun(older, { runId: 'run-older', now: NOW })).toMatchObject({ status: 'succeeded' });
      expect(await migrateToLatest(older)).toEqual([]);
    } finally {
      await older.destroy();
    }
    // A store missing one of this release's migrations as well was migrated by another line of releases.
    await runPostgres(url, `DELETE FROM kysely_migration WHERE name = '017_run_after_run_pending'`);
    await expect(openStateStore(url)).rejects.toMatchObject({ code: 'STATE_STORE_DIVERGED', message: expect.stringContaining('900_from_a_newer_release') });
  });

  it('a connection PostgreSQL drops while a transaction holds it fails that transaction, and does not crash the worker', async () => {
    const url = await createTestDatabase();
    const db = await openStateStore(url);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const failed = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        // A restart or failover: the server ends this connection while it is checked out, between queries.
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`SELECT 1`.execute(trx);
      });
      await expect(failed).rejects.toThrow(/connection error|terminat/i);
      // The pool replaces the connection: the next query works.
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await db.destroy();
    }
  });

  it('a state store gone after the worker opened it (a restart, a failover) is named in the failure, which is retried', async () => {
    const url = new URL(await createTestDatabase());
    // The store behind a relay that can be cut, as a restart cuts it: refused connections from then on.
    const sockets = new Set<Socket>();
    const relay = createTcpServer((client) => {
      const server = connect(Number(url.port), url.hostname);
      for (const socket of [client, server]) {
        sockets.add(socket);
        socket.on('error', () => {});
      }
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as AddressInfo;
    const db = await openStateStore(`postgres://backflow:secret@127.0.0.1:${port}${url.pathname}`);
    try {
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
      const closed = new Promise((resolve) => relay.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const failure = await db.selectFrom('runs').select('run_id').execute().catch((err: unknown) => err);
        expect(failure).toMatchObject({
        code: 'ECONNREFUSED',
        message: `cannot reach the PostgreSQL state store postgres://backflow:***@127.0.0.1:${port}${url.pathname}: connect ECONNREFUSED 127.0.0.1:${port}`,
      });
      // Not final: the activity that met it is retried, as before.
      expect(failure).not.toBeInstanceOf(BackflowError);
      expect(toActivityFailure(failure)).toBe(failure);
    } finally {
      await db.destroy();
    }
  });

  it("a second attempt's claim waits for a commit in progress and finds the batch committed, rather than sending it again", async () => {
    const url = await createTestDatabase();
    const [first, second] = [await openStateStore(url), await openStateStore(url)] as const;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const runId = 'run-fenced';
      await openRun(first, { runId, spec, full: false, now: NOW, lease: false });
      await stagePage(first, runId, 0, [{ key: '1', fingerprint: 'f1', payload: '{}' }], [], NOW);
      await classifyChanges(first, classifyInput(runId, 10));
      await claimBatch(first, runId, 1, 'attempt-a');
      const records = await readBatchRecords(first, runId, 'accounts', 1);
      // Holds attempt A's commit part-way (at its results), as a slow disk or a big batch does.
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE record_results IN EXCLUSIVE MODE');
      const committing = commitBatch(first, {
        runId,
        syncName: 'accounts',
        batchNo: 1,
        records,
        outcomes: [{ key: '1', status: 'synced', destinationId: 'id1', created: true }],
        apiCalls: 1,
        now: NOW,
        fence: 'attempt-a',
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Attempt B (Temporal gave up on A's heartbeat) claims the batch meanwhile.
      const claiming = claimBatch(second, runId, 1, 'attempt-b');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.query('COMMIT');
      expect(await committing).toMatchObject({ synced: 1, alreadyCommitted: false });
      expect(await claiming).toMatchObject({ committed: 1 });
      expect((await recordResults(first, runId, false)).map((r) => r.key)).toEqual(['1']);
    } finally {
      await admin.end();
      await first.destroy();
      await second.destroy();
    }
  });

  it("a worker frozen mid-commit does not hold the batch's lock for good: the server ends its transaction and the retry's claim goes on", async () => {
    const url = await createTestDatabase();
    const db = await openStateStore(url);
    const runId = 'run-frozen';
    // Every backflow connection is given the limit; the frozen worker's URL shortens it for the test.
    expect((await sql`SHOW idle_in_transaction_session_timeout`.execute(db)).rows).toEqual([{ idle_in_transaction_session_timeout: '1min' }]);
    await openRun(db, { runId, spec, full: false, now: NOW, lease: false });
    await stagePage(db, runId, 0, [{ key: '1', fingerprint: 'f1', payload: '{}' }], [], NOW);
    await classifyChanges(db, classifyInput(runId, 10));
    const frozen = spawn(process.execPath, ['--require', 'tsx/cjs', FROZEN_TRANSACTION, `${url}?idle_in_transaction_session_timeout=1500`, runId], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(frozen.stdout, 'data');
      // A paused VM or a stopped process: its connection stays open, its transaction idle.
      frozen.kill('SIGSTOP');
      const started = Date.now();
      const claimed = await Promise.race([
        claimBatch(db, runId, 1, 'attempt-b'),
        new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 15_000).unref()),
      ]);
      expect(claimed).toMatchObject({ committed: 0, attempt_fence: 'attempt-b' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    } finally {
      frozen.kill('SIGKILL');
      await db.destroy();
    }
  });

  it('workers on hosts whose clocks differ each get their turn at a destination connection, and together keep to its rate', async () => {
    const url = await createTestDatabase();
    await (await openStateStore(url)).destroy();
    // Two hosts, one's clock 2 s ahead of the other's: each paces the same connection at 10 requests/s.
    const hosts = [0, 2_000].map((skewMs) =>
      spawn(process.execPath, ['--require', 'tsx/cjs', PACED_WORKER, url, 'crm', '10', String(skewMs), '3000'], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    try {
      const outputs = hosts.map((host) => {
        let out = '';
        host.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const ready = (async () => {
          while (!out.startsWith('ready\n')) await new Promise((resolve) => setTimeout(resolve, 50));
        })();
        const granted = once(host, 'exit').then(([code]) => {
          expect(code).toBe(0);
          return Number(out.slice('ready\n'.length).trim());
        });
        return { ready, granted };
      });
      // Both have opened the store; then they begin together.
      await Promise.all(outputs.map((output) => output.ready));
      for (const host of hosts) host.stdin.write('go\n');
      const granted = await Promise.all(outputs.map((output) => output.granted));
      // 3 s at 10/s, plus the bucket's one saved-up token: about 31 in all, whichever clock is right.
      expect(granted[0]! + granted[1]!).toBeLessThanOrEqual(32);
      expect(granted[0]! + granted[1]!).toBeGreaterThanOrEqual(26);
      // Each gets a share (who asks first when a token is due wins it, so not an even one). The host
      // behind was starved for as long as the other had work: it saw the refill as not yet begun.
      for (const count of granted) expect(count).toBeGreaterThanOrEqual(3);
    } finally {
      for (const host of hosts) if (host.exitCode === null) host.kill('SIGKILL');
    }
  });

  it('two closes of one run racing on two workers: the first outcome stands', async () => {
    const url = await createTestDatabase();
    const [maintenance, worker] = [await openStateStore(url), await openStateStore(url)] as const;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const runId = 'run-closed-twice';
      await openRun(worker, { runId, spec, full: false, now: NOW, lease: true });
      // Holds the run's row, so both closes read it open before either writes.
      await admin.query('BEGIN');
      await admin.query('SELECT run_id FROM runs WHERE run_id = $1 FOR UPDATE', [runId]);
      const abandoned = closeRun(maintenance, { runId, now: NOW, error: { code: 'RUN_ABANDONED', message: 'its workflow ended' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const finished = closeRun(worker, { runId, now: '2026-01-01T00:05:00.000Z' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.query('COMMIT');
      expect(await abandoned).toMatchObject({ status: 'failed' });
      expect(await finished).toMatchObject({ status: 'failed' });
      const run = await worker.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: 'failed', error_code: 'RUN_ABANDONED', finished_at: NOW });
    } finally {
      await admin.end();
      await maintenance.destroy();
      await worker.destroy();
    }
  });

  describe('one run through the query layer', () => {
    let db: StateDb;
    beforeAll(async () => {
      db = await openStateStore(await createTestDatabase());
    });
    afterAll(async () => {
      await db.destroy();
    });

    it('classifies, numbers batches, commits and counts with numbers, not strings', async () => {
      const runId = 'run-1';
      await openRun(db, { runId, spec, full: false, now: NOW, lease: true });
      const rows = Array.from({ length: 7 }, (_, i) => ({ key: String(i + 1), fingerprint: `f${i + 1}`, payload: `{"n":${i + 1}}` }));
      // Key 7 twice: both copies invalid, never sent.
      await stagePage(db, runId, 0, [...rows, { key: '7', fingerprint: 'x', payload: '{}' }], [], NOW);
      const counts = await classifyChanges(db, classifyInput(runId, 4));
      expect(counts).toMatchObject({ extracted: 8, added: 6, changed: 0, removed: 0, unchanged: 0, invalid: 2, batches: 2 });

      // ROW_NUMBER() / batch size is integer division on PostgreSQL too: 4 + 2.
      const first = await readBatchRecords(db, runId, 'accounts', 1);
      const second = await readBatchRecords(db, runId, 'accounts', 2);
      expect(first.map((r) => r.key)).toEqual(['1', '2', '3', '4']);
      expect(second.map((r) => r.key)).toEqual(['5', '6']);

      const totals = await commitBatch(db, {
        runId,
        syncName: 'accounts',
        batchNo: 1,
        records: first,
        outcomes: first.map((r, i) => (i === 0 ? { key: r.key, status: 'rejected' as const, error: { code: 'X', message: 'no', fields: ['Name'] } } : { key: r.key, status: 'synced' as const, destinationId: `id${r.key}`, created: true })),
        apiCalls: 1,
        now: NOW,
      });
      expect(totals).toMatchObject({ batchNo: 1, size: 4, synced: 3, rejected: 1, created: 3, updated: 0, apiCalls: 1, alreadyCommitted: false });
      // Committing again (an activity retry) returns the stored totals.
      const again = await commitBatch(db, { runId, syncName: 'accounts', batchNo: 1, records: first, outcomes: [], apiCalls: 9, now: NOW });
      expect(again).toMatchObject({ synced: 3, rejected: 1, alreadyCommitted: true });

      const summary = await closeRun(db, { runId, now: NOW });
      expect(summary.counts).toMatchObject({ extracted: 8, added: 6, invalid: 2, synced: 3, rejected: 1, created: 3, updated: 0 });
      expect(typeof summary.counts.synced).toBe('number');
      expect(summary.apiCalls).toBe(1);
      expect(summary.status).toBe('partial');

      const results = await recordResults(db, runId, false);
      // Invalid rows first (recorded at classification), then the batch in model order: serial ids keep the order.
      expect(results.map((r) => [r.key, r.status])).toEqual([
        ['7', 'invalid'],
        ['7', 'invalid'],
        ['1', 'rejected'],
        ['2', 'synced'],
        ['3', 'synced'],
        ['4', 'synced'],
      ]);
      expect(results[3]).toMatchObject({ created: true, destinationId: 'id2' });
      expect(results[2]?.error).toEqual({ code: 'X', message: 'no', fields: ['Name'] });

      // The next run sees 2–4 as committed: only the rejected 1 and never-sent 5, 6 come back.
      const next = 'run-2';
      await openRun(db, { runId: next, spec, full: false, now: NOW, lease: true });
      await stagePage(db, next, 0, rows.slice(0, 6), [], NOW);
      const nextCounts = await classifyChanges(db, classifyInput(next, 4));
      expect(nextCounts).toMatchObject({ added: 3, unchanged: 3, batches: 1 });
    });
  });

  describe('alerts and ids (migration 009)', () => {
    it('two workers observing the same problem at once open one incident and send one alert', async () => {
      const posts: string[] = [];
      const server = createServer((request, response) => {
        let text = '';
        request.on('data', (chunk: Buffer) => (text += chunk.toString()));
        request.on('end', () => {
          posts.push(String((JSON.parse(text) as { sync: string }).sync));
          response.writeHead(200).end();
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = await createTestDatabase();
      // Two workers: two stores, two pools, on one database.
      const stores = [await openStateStore(url), await openStateStore(url)];
      try {
        const alerts = { webhook: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
        const syncs = Array.from({ length: 10 }, (_, i) => `sync_${i}`);
        // Each observation at its own moment (as two workers' clocks are): opened_at differs.
        let tick = Date.parse('2026-01-01T00:00:00Z');
        await Promise.all(
          syncs.flatMap((sync) =>
            stores.flatMap((state) =>
              [1, 2].map((n) => {
                const at = new Date(tick++);
                return applyObservations({ state, logger: pino({ level: 'silent' }), env: process.env, now: () => at }, sync, alerts, [
                  { kind: 'failed', active: true, detail: `run ${n} failed` },
                ]);
              }),
            ),
          ),
        );
        const open = await sql<{ sync_name: string; n: string }>`
          SELECT sync_name, COUNT(*) AS n FROM alert_incidents WHERE resolved_at IS NULL GROUP BY sync_name ORDER BY sync_name`.execute(stores[0]!);
        expect(open.rows.map((row) => [row.sync_name, Number(row.n)])).toEqual(syncs.map((sync) => [sync, 1]));
        expect(posts.sort()).toEqual(syncs);
        // The store itself refuses a second open incident of a kind.
        await expect(
          sql`INSERT INTO alert_incidents (sync_name, kind, opened_at, resolved_at, detail) VALUES ('sync_0', 'failed', 'later', NULL, 'x')`.execute(stores[0]!),
        ).rejects.toThrow(/unique/i);
      } finally {
        await Promise.all(stores.map((db) => db.destroy()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('record_results ids are 64-bit: they go past 2^31', async () => {
      const db = await openStateStore(await createTestDatabase());
      try {
        await sql`SELECT setval(pg_get_serial_sequence('record_results', 'id'), 3000000000)`.execute(db);
        const inserted = await sql<{ id: string }>`
          INSERT INTO record_results (run_id, change, status, recorded_at) VALUES ('r', 'added', 'synced', ${NOW}) RETURNING id`.execute(db);
        expect(String(inserted.rows[0]?.id)).toBe('3000000001');
      } finally {
        await db.destroy();
      }
    });

    it('upgrading a store that already holds duplicate open incidents keeps the earliest', async () => {
      const db = await openStateStore(await createTestDatabase(), { migrate: false });
      try {
        await migrateTo(db, '008_batch_attempt_fence');
        await sql`INSERT INTO record_results (run_id, change, status, recorded_at) VALUES ('r', 'added', 'synced', ${NOW})`.execute(db);
        for (const opened of ['2026-01-01T00:00:01Z', '2026-01-01T00:00:00Z']) {
          await sql`INSERT INTO alert_incidents (sync_name, kind, opened_at, resolved_at, detail) VALUES ('s', 'failed', ${opened}, NULL, 'x')`.execute(db);
        }
        expect(await migrateToLatest(db)).toEqual(['009_alert_delivery', '010_drop_results_by_recorded_at', '011_write_back_owed', '012_results_page_index', '013_run_opened_by', '014_alert_opened_channels', '015_run_destination_locator', '016_sync_renames', '017_run_after_run_pending', '018_run_temporal_namespace']);
        const rows = await sql<{ opened_at: string }>`SELECT opened_at FROM alert_incidents`.execute(db);
        expect(rows.rows).toEqual([{ opened_at: '2026-01-01T00:00:00Z' }]);
        const ids = await sql<{ id: string }>`SELECT id FROM record_results`.execute(db);
        expect(ids.rows).toEqual([{ id: '1' }]);
      } finally {
        await db.destroy();
      }
    });
  });
});
