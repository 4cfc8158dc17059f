/**
 * Alert delivery against a local receiver and an in-memory state store: an alert that did not reach
 * its channel is owed and delivered at the sync's next observation (opening before recovery), a busy
 * receiver is tried again within the call, a redirect is a failure, and migration 009 keeps one open
 * incident per (sync, kind).
 */
import pino from 'pino';
import { sql } from 'kysely';
import { openStateStore, type StateDb } from '../../src/state/database';
import { migrateTo, migrateToLatest } from '../../src/state/migrations';
import { alertOnRun, applyObservations } from '../../src/ops/alerts';
import { sendAlert } from '../../src/ops/notify';
import type { RunSummary } from '../../src/state/summary';
import { answerBusy, answerOk, startAlertReceiver, type AlertAnswer } from '../support/alertReceiver';
import { rejectionOf } from '../support/rejection';

const ok = answerOk;
const busy = answerBusy;

/** The shared receiver, answering each request as `answer.current` says at that moment. */
async function receiver(answer: { current: AlertAnswer }) {
  const hooks = await startAlertReceiver();
  hooks.answer = (request, response) => answer.current(request, response);
  return hooks;
}

const zero = { extracted: 0, added: 0, changed: 0, removed: 0, unchanged: 0, invalid: 0, synced: 0, rejected: 0, skipped: 0, created: 0, updated: 0, deleted: 0 };
function run(n: number, status: RunSummary['status']): RunSummary {
  return {
    sync: 's',
    runId: `r${n}`,
    status,
    startedAt: '',
    finishedAt: '',
    counts: zero,
    apiCalls: 0,
    batches: 0,
    ...(status === 'failed' ? { error: { code: 'DESTINATION_AUTH_FAILED', message: 'token revoked' } } : {}),
  };
}

const logger = pino({ level: 'silent' });
let state: StateDb;
let clock: number;
const deps = () => ({ state, logger, env: { ...process.env }, now: () => new Date((clock += 900_000)) });

beforeEach(async () => {
  state = await openStateStore('sqlite::memory:');
  clock = Date.parse('2026-11-01T00:00:00Z');
});
afterEach(async () => {
  await state.destroy();
});

describe('alert delivery', () => {
  it('tries a busy receiver again within the same call: a single 503 loses nothing', async () => {
    let calls = 0;
    const hooks = await receiver({ current: (request, response) => (++calls === 1 ? busy(request, response) : ok(request, response)) });
    try {
      const alerts = { webhook: `${hooks.url}/hook` };
      await alertOnRun(deps(), run(1, 'failed'), alerts);
      expect(hooks.posts.map((p) => [p.body.type, p.body.runId])).toEqual([['incident.opened', 'r1']]);
      await alertOnRun(deps(), run(2, 'failed'), alerts);
      await alertOnRun(deps(), run(3, 'succeeded'), alerts);
      await alertOnRun(deps(), run(4, 'succeeded'), alerts);
      // Once per incident when delivery works.
      expect(hooks.posts.map((p) => [p.body.type, p.body.runId])).toEqual([
        ['incident.opened', 'r1'],
        ['incident.resolved', 'r3'],
      ]);
    } finally {
      await hooks.close();
    }
  });

  it("waits as long as a rate-limited receiver's Retry-After asks (Slack's webhook: 1 message a second) before its retry, rather than leaving the alert owed", async () => {
    let calls = 0;
    let limitedUntil = 0;
    const hooks = await receiver({
      current: (request, response) => {
        calls++;
        if (calls === 1) limitedUntil = Date.now() + 2_000;
        if (Date.now() < limitedUntil) response.writeHead(429, { 'retry-after': '2' }).end('rate_limited');
        else ok(request, response);
      },
    });
    try {
      const alerts = { slack: `${hooks.url}/slack` };
      await alertOnRun(deps(), run(1, 'failed'), alerts);
      expect(hooks.posts.map((p) => p.path)).toEqual(['/slack']);
      expect(calls).toBe(2);
    } finally {
      await hooks.close();
    }
  });

  it('does not wait out a Retry-After longer than it may (a minute): one try, the alert stays owed, the reason says why', async () => {
    let calls = 0;
    const hooks = await receiver({ current: (_request, response) => void (calls++, response.writeHead(429, { 'retry-after': '60' }).end('rate_limited')) });
    try {
      const delivery = await sendAlert({ slack: `${hooks.url}/slack` }, { type: 'incident.opened', sync: 's', kind: 'failed', detail: 'x', at: '2026-11-01T00:00:00.000Z' }, { env: {}, logger, file: 'backflow.yaml' });
      expect(delivery).toEqual({ delivered: [], failed: [{ channel: 'slack', reason: expect.stringContaining('answered 429 (Retry-After 60 s)') as unknown }] });
      expect(calls).toBe(1);
    } finally {
      await hooks.close();
    }
  });

  it('an opening the channel did not get is delivered at the next observation, and its recovery only after it', async () => {
    const answer = { current: busy };
    const hooks = await receiver(answer);
    try {
      const alerts = { webhook: `${hooks.url}/hook` };
      await alertOnRun(deps(), run(1, 'failed'), alerts);
      await alertOnRun(deps(), run(2, 'failed'), alerts);
      // Resolved while the receiver is still down: no recovery for an outage it never heard of.
      expect(await alertOnRun(deps(), run(3, 'succeeded'), alerts)).toEqual([expect.objectContaining({ type: 'incident.resolved' })]);
      expect(hooks.posts).toEqual([]);

      answer.current = ok;
      // The next observation of the sync (here: a maintenance pass finding it not stale).
      await applyObservations(deps(), 's', alerts, [{ kind: 'stale', active: false, detail: 'fine' }]);
      expect(hooks.posts.map((p) => [p.body.type, p.body.kind, p.body.runId, p.body.at])).toEqual([
        ['incident.opened', 'failed', 'r1', '2026-11-01T00:15:00.000Z'],
        ['incident.resolved', 'failed', 'r3', '2026-11-01T00:45:00.000Z'],
      ]);
      await alertOnRun(deps(), run(4, 'succeeded'), alerts);
      expect(hooks.posts).toHaveLength(2);
    } finally {
      await hooks.close();
    }
  });

  it('an open incident whose alert failed is delivered at the next run, once', async () => {
    const answer = { current: busy };
    const hooks = await receiver(answer);
    try {
      const alerts = { webhook: `${hooks.url}/hook` };
      await alertOnRun(deps(), run(1, 'failed'), alerts);
      answer.current = ok;
      await alertOnRun(deps(), run(2, 'failed'), alerts);
      await alertOnRun(deps(), run(3, 'failed'), alerts);
      expect(hooks.posts.map((p) => [p.body.type, p.body.runId])).toEqual([['incident.opened', 'r1']]);
    } finally {
      await hooks.close();
    }
  });

  it('delivers an owed alert once when a maintenance pass (its time taken minutes ago) and a run deliver it together', async () => {
    const answer = { current: busy };
    const hooks = await receiver(answer);
    try {
      const alerts = { webhook: `${hooks.url}/hook` };
      const observed = (now: Date) => ({ state, logger, env: { ...process.env }, now: () => now });
      await alertOnRun(observed(new Date()), run(1, 'failed'), alerts);
      // Slow to answer: both deliveries are under way at once.
      answer.current = (_request, response) => void setTimeout(() => response.writeHead(200).end('ok'), 300);
      const passBegan = new Date(Date.now() - 3 * 60_000);
      await Promise.all([applyObservations(observed(passBegan), 's', alerts, []), alertOnRun(observed(new Date()), run(2, 'failed'), alerts)]);
      expect(hooks.posts.map((p) => [p.body.type, p.body.runId])).toEqual([['incident.opened', 'r1']]);
    } finally {
      await hooks.close();
    }
  });

  it('sends a recovery only to the URL the opening went to, not to another webhook the sync has now', async () => {
    const hooks = await receiver({ current: ok });
    try {
      // An invalid sync file alerts through backflow.yaml's webhook; the fixed sync's run has its own.
      const project = { webhook: `${hooks.url}/platform-team` };
      const own = { webhook: `${hooks.url}/crm-team` };
      await applyObservations(deps(), 's', project, [{ kind: 'failed', active: true, detail: 'syncs/s.yaml: mode: invalid' }]);
      await applyObservations(deps(), 's', own, [{ kind: 'failed', active: false, detail: 'run r2 succeeded' }]);
      expect(hooks.posts.map((p) => [p.path, p.body.type])).toEqual([['/platform-team', 'incident.opened']]);
      // The same URL: its recovery goes there.
      await applyObservations(deps(), 's', own, [{ kind: 'failed', active: true, detail: 'run r3 failed' }]);
      await applyObservations(deps(), 's', own, [{ kind: 'failed', active: false, detail: 'run r4 succeeded' }]);
      expect(hooks.posts.slice(1).map((p) => [p.path, p.body.type])).toEqual([['/crm-team', 'incident.opened'], ['/crm-team', 'incident.resolved']]);
    } finally {
      await hooks.close();
    }
  });

  it('a late opening goes to the URL the channel has now (a revoked webhook replaced), and its recovery follows it there', async () => {
    const hooks = await receiver({ current: (request, response) => (request.url === '/revoked' ? response.writeHead(404).end('no_service') : ok(request, response)) });
    try {
      const revoked = { webhook: `${hooks.url}/revoked` };
      const replaced = { webhook: `${hooks.url}/replaced` };
      // Opened while the channel's URL was revoked: owed; the user sets the new URL, the runs go on failing.
      await alertOnRun(deps(), run(1, 'failed'), revoked);
      await alertOnRun(deps(), run(2, 'failed'), replaced);
      await alertOnRun(deps(), run(3, 'succeeded'), replaced);
      expect(hooks.posts.map((p) => [p.path, p.body.type, p.body.runId])).toEqual([
        ['/replaced', 'incident.opened', 'r1'],
        ['/replaced', 'incident.resolved', 'r3'],
      ]);
      // Resolved in the same observation that delivers the late opening: both go, in order.
      await alertOnRun(deps(), run(4, 'failed'), revoked);
      await alertOnRun(deps(), run(5, 'succeeded'), replaced);
      expect(hooks.posts.slice(2).map((p) => [p.path, p.body.type, p.body.runId])).toEqual([
        ['/replaced', 'incident.opened', 'r4'],
        ['/replaced', 'incident.resolved', 'r5'],
      ]);
      await alertOnRun(deps(), run(6, 'succeeded'), replaced);
      expect(hooks.posts).toHaveLength(4);
    } finally {
      await hooks.close();
    }
  });

  it('owes an alert per channel: the one that got it is not sent it again', async () => {
    const answer: { current: AlertAnswer } = { current: (request, response) => (request.url === '/hook' ? busy(request, response) : ok(request, response)) };
    const hooks = await receiver(answer);
    try {
      const alerts = { slack: `${hooks.url}/slack`, webhook: `${hooks.url}/hook` };
      await alertOnRun(deps(), run(1, 'failed'), alerts);
      expect(hooks.posts.map((p) => p.path)).toEqual(['/slack']);
      answer.current = ok;
      await alertOnRun(deps(), run(2, 'failed'), alerts);
      expect(hooks.posts.map((p) => p.path)).toEqual(['/slack', '/hook']);
      expect(hooks.posts[1]?.body).toMatchObject({ type: 'incident.opened', runId: 'r1' });
    } finally {
      await hooks.close();
    }
  });

  it('does not follow a redirect: a 301 is a failed delivery naming the origin it points to (a path may hold a token)', async () => {
    const hooks = await receiver({
      current: (request, response) => (request.url === '/backflow' ? response.writeHead(301, { location: '/backflow/' }).end() : ok(request, response)),
    });
    const warnings: unknown[] = [];
    const spy = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    try {
      const delivery = await sendAlert(
        { webhook: `${hooks.url}/backflow` },
        { type: 'incident.opened', sync: 's', kind: 'failed', detail: 'run r1 failed', at: '2026-11-01T00:00:00.000Z' },
        { env: process.env, logger: spy, file: 'backflow.yaml' },
      );
      expect(delivery.delivered).toEqual([]);
      expect(delivery.failed).toEqual([{ channel: 'webhook', reason: expect.stringContaining(`answered 301 (redirect to ${hooks.url}/…)`) as string }]);
      expect(hooks.posts).toEqual([]);
      expect(warnings).toEqual([expect.objectContaining({ msg: 'alert delivery failed', channel: 'webhook' })]);
    } finally {
      await hooks.close();
    }
  });
});

describe('migration 009_alert_delivery', () => {
  it('keeps the earliest of duplicate open incidents, owes nothing for old ones, and refuses a second open one', async () => {
    const db = await openStateStore('sqlite::memory:', { migrate: false });
    try {
      await migrateTo(db, '008_batch_attempt_fence');
      for (const [opened, resolved] of [['2026-01-01T00:00:00Z', null], ['2026-01-01T00:00:01Z', null], ['2025-12-01T00:00:00Z', '2025-12-02T00:00:00Z']] as const) {
        await sql`INSERT INTO alert_incidents (sync_name, kind, opened_at, resolved_at, detail, run_id)
                  VALUES ('s', 'failed', ${opened}, ${resolved}, 'x', null)`.execute(db);
      }
      expect(await migrateToLatest(db)).toEqual(['009_alert_delivery', '010_drop_results_by_recorded_at', '011_write_back_owed', '012_results_page_index', '013_run_opened_by', '014_alert_opened_channels', '015_run_destination_locator', '016_sync_renames', '017_run_after_run_pending', '018_run_temporal_namespace']);
      const rows = await sql<{ opened_at: string; open_pending: string | null; resolve_pending: string | null }>`
        SELECT opened_at, open_pending, resolve_pending FROM alert_incidents ORDER BY opened_at`.execute(db);
      expect(rows.rows).toEqual([
        { opened_at: '2025-12-01T00:00:00Z', open_pending: null, resolve_pending: null },
        { opened_at: '2026-01-01T00:00:00Z', open_pending: null, resolve_pending: null },
      ]);
      // By its message: better-sqlite3's native side keeps the error class of the first test file that
      // loaded it in this jest worker, an Error of another realm, which `rejects.toThrow` does not see.
      const refused = await rejectionOf<Error>(
        sql`INSERT INTO alert_incidents (sync_name, kind, opened_at, resolved_at, detail, run_id) VALUES ('s', 'failed', '2026-02-01T00:00:00Z', null, 'x', null)`.execute(db),
      );
      expect(refused.message).toMatch(/^UNIQUE constraint failed: alert_incidents\.sync_name, alert_incidents\.kind$/);
    } finally {
      await db.destroy();
    }
  });
});

describe('pruning incidents', () => {
  it('deletes resolved incidents past retention, but not one whose alert is still owed to a channel', async () => {
    const { pruneRecordResults } = await import('../../src/ops/retention');
    const { opsDb } = await import('../../src/ops/schema');
    const ops = await opsDb(state);
    const incident = (kind: string, pending: { open_pending?: string; resolve_pending?: string }) => ({
      sync_name: 's', kind, opened_at: '2026-01-01T00:00:00Z', resolved_at: '2026-01-02T00:00:00Z', detail: 'x', run_id: null,
      open_pending: null, resolve_pending: null, ...pending,
    });
    await ops.insertInto('alert_incidents').values([incident('failed', {}), incident('stale', { resolve_pending: 'webhook' }), incident('rejected', { open_pending: 'slack' })]).execute();
    const pruned = await pruneRecordResults(state, 86_400_000, new Date('2026-11-01T00:00:00Z'));
    expect(pruned.incidents).toBe(1);
    const kept = await ops.selectFrom('alert_incidents').select('kind').orderBy('kind').execute();
    expect(kept.map((row) => row.kind)).toEqual(['rejected', 'stale']);
  });
});
