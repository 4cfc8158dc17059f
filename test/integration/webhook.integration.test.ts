import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { previewRun } from '../../src/engine';
import { rateLimitWaitsTotal } from '../../src/ops/metrics';
import { startSync } from '../../src/temporal/startSync';
import { verifySignature } from '../../src/sandbox/webhook';
import { useMessagingFixture, WEBHOOK_SECRET } from '../support/slackFixture';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const SYNC = 'accounts_to_webhook';
const fx = useMessagingFixture();

function addWebhookSync(destination = '  path: /hooks/accounts\n', mode = 'upsert'): void {
  fx.project.write(
    'backflow.yaml',
    `${fx.project.read('backflow.yaml')}  hook:\n    type: webhook\n    url: \${env:WEBHOOK_URL}\n    secret: \${env:WEBHOOK_SECRET}\n    headers: { X-Team: cs }\n`,
  );
  fx.project.write(
    `syncs/${SYNC}.yaml`,
    `source: warehouse\nmodel: SELECT id, name, health FROM accounts\nprimaryKey: id\ndestination:\n  connection: hook\n${destination}mode: ${mode}\nmappings:\n  - { from: name, to: name }\n  - { from: health, to: health }\n`,
  );
}

const run = async (taskQueue: string) => (await startSync(fx.temporal.client, SYNC, { taskQueue })).result();
const accepted = () => fx.webhook.received().filter((r) => r.accepted);

describe('webhook destination against the webhook receiver sandbox', () => {
  it('POSTs one signed JSON event per record with an Idempotency-Key per (sync, run, key, fingerprint); deletes in mirror mode', async () => {
    addWebhookSync(undefined, 'mirror');
    const taskQueue = uniqueTaskQueue('webhook');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 4, created: 4 }, apiCalls: 4 });
      const first = fx.webhook.received();
      expect(first).toHaveLength(4);
      for (const delivery of first) {
        expect(delivery).toMatchObject({ method: 'POST', path: '/hooks/accounts', signatureValid: true, headers: { 'x-team': 'cs' } });
        expect(verifySignature(WEBHOOK_SECRET, Buffer.from(delivery.rawBody), delivery.signature)).toBe(true);
      }
      expect(first[0]?.body).toMatchObject({ event: 'upserted', key: '1', fields: { name: 'Acme', health: 38 }, fingerprint: expect.any(String), syncedAt: expect.any(String) });
      expect(new Set(first.map((d) => d.idempotencyKey)).size).toBe(4);

      await fx.project.sql(`UPDATE accounts SET health = 30 WHERE id = 1; DELETE FROM accounts WHERE id = 4`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 2, deleted: 1 } });
      const second = fx.webhook.received().slice(4);
      expect(second.map((d) => (d.body as { event: string; key: string }).event + ' ' + (d.body as { key: string }).key).sort()).toEqual(['deleted 4', 'upserted 1']);
      // A changed row is a new delivery: a new key.
      expect(second.find((d) => (d.body as { key: string }).key === '1')?.idempotencyKey).not.toBe(first[0]?.idempotencyKey);

      // Back to the first state in a later run: the same fingerprint, but a new change, so a new key.
      await fx.project.sql(`UPDATE accounts SET health = 38 WHERE id = 1`);
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', counts: { synced: 1 } });
      const third = fx.webhook.received().slice(6);
      expect(third).toHaveLength(1);
      expect((third[0]?.body as { fingerprint: string }).fingerprint).toBe((first[0]?.body as { fingerprint: string }).fingerprint);
      expect(third[0]?.idempotencyKey).not.toBe(first[0]?.idempotencyKey);
    });
  });

  it('a dry run counts a request per record (one per batch with delivery: batch), as the run makes them', async () => {
    addWebhookSync();
    expect(await previewRun(fx.project.deps, SYNC, false)).toMatchObject({ added: 4, apiCalls: 4 });
    const taskQueue = uniqueTaskQueue('webhook-preview');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      expect(await run(taskQueue)).toMatchObject({ status: 'succeeded', apiCalls: 4 });
    });
    fx.project.write(`syncs/${SYNC}.yaml`, fx.project.read(`syncs/${SYNC}.yaml`).replace('  path: /hooks/accounts\n', '  path: /hooks/accounts\n  delivery: batch\n'));
    expect(await previewRun(fx.project.deps, SYNC, true)).toMatchObject({ changed: 4, apiCalls: 1 });
  });

  it('a retried batch re-sends the same Idempotency-Key and body, and skips what was delivered', async () => {
    addWebhookSync();
    const taskQueue = uniqueTaskQueue('webhook-retry');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      fx.webhook.setFaults({ applyThenFail: 1 });
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      while (!fx.webhook.received().some((r) => r.fault === 'applyThenFail')) await new Promise((resolve) => setTimeout(resolve, 20));
      fx.webhook.setFaults({});
      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 4, rejected: 0 } });
      const deliveries = fx.webhook.received();
      expect(deliveries).toHaveLength(5);
      // The delivery whose answer was lost was a request too: 5 in the run's count.
      expect(summary.apiCalls).toBe(5);
      const [lost, retried] = [deliveries[0], deliveries[1]];
      expect(retried?.idempotencyKey).toBe(lost?.idempotencyKey);
      expect(retried?.rawBody).toBe(lost?.rawBody);
      expect(new Set(accepted().map((d) => d.idempotencyKey)).size).toBe(4);
    });
  });

  it('rejects a record the receiver answers 4xx with its message, and waits out a 429 with Retry-After', async () => {
    addWebhookSync('  path: /hooks/accounts\n  delivery: batch\n');
    const taskQueue = uniqueTaskQueue('webhook-status');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      fx.webhook.respondWith('/hooks/accounts', { status: 422, body: { message: 'health must be above 40' } });
      const rejected = await run(taskQueue);
      // The receiver refuses every request: bisection ends with each record refused on its own (1 + 2 + 4 requests).
      expect(rejected).toMatchObject({ status: 'partial', counts: { rejected: 4 }, apiCalls: 7 });
      const [result] = await fx.project.deps.state.selectFrom('record_results').select(['error_code', 'error_message']).where('run_id', '=', rejected.runId).execute();
      expect(result).toEqual({ error_code: 'HTTP_422', error_message: 'webhook answered HTTP 422: health must be above 40' });
      expect((fx.webhook.received()[0]?.body as { events: unknown[] }).events).toHaveLength(4);

      fx.webhook.respondWith('/hooks/accounts', { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } });
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      while (!fx.webhook.received().some((r) => r.status === 429)) await new Promise((resolve) => setTimeout(resolve, 20));
      fx.webhook.respondWith('/hooks/accounts', undefined);
      const waited = await handle.result();
      expect(waited).toMatchObject({ status: 'succeeded', counts: { synced: 4, rejected: 0 } });
      // The 429s count: each was a request the receiver had to answer.
      const second = fx.webhook.received().slice(7);
      expect(second.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      expect(waited.apiCalls).toBe(second.length);
    });
  });

  it('counts a 429 without Retry-After as a rate-limit wait (backflow_rate_limit_waits_total), and a 503 with one as none', async () => {
    addWebhookSync('  path: /hooks/accounts\n  delivery: batch\n');
    const taskQueue = uniqueTaskQueue('webhook-waits');
    const waits = async () => (await rateLimitWaitsTotal.get()).values.find((v) => v.labels.sync === SYNC && v.labels.destination === 'hook')?.value ?? 0;
    const answered = (status: number) => fx.webhook.received().filter((r) => r.status === status).length;
    /** A run the receiver first answers `answer`, then accepts. */
    const runAfter = async (answer: { status: number; headers?: Record<string, string> }) => {
      fx.webhook.respondWith('/hooks/accounts', { ...answer, body: { error: 'not now' } });
      const handle = await startSync(fx.temporal.client, SYNC, { taskQueue });
      while (answered(answer.status) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      fx.webhook.respondWith('/hooks/accounts', undefined);
      expect(await handle.result()).toMatchObject({ status: 'succeeded' });
    };
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const before = await waits();
      await runAfter({ status: 429 });
      expect(answered(429)).toBeGreaterThan(0);
      expect(await waits()).toBe(before + answered(429));
      await fx.project.sql('UPDATE accounts SET health = 30 WHERE id = 1');
      await runAfter({ status: 503, headers: { 'retry-after': '1' } });
      expect(await waits()).toBe(before + answered(429));
    });
  });

  it('bisects a batch the receiver refuses for one bad event, so the other events land', async () => {
    // The user's own endpoint: it refuses (422) any batch holding account 3, accepts the rest.
    const batches: string[][] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const keys = (JSON.parse(body) as { events: Array<{ key: string }> }).events.map((e) => e.key);
        batches.push(keys);
        const bad = keys.includes('3');
        response.writeHead(bad ? 422 : 200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(bad ? { message: 'account 3 has no owner' } : { ok: true }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    try {
      addWebhookSync('  path: /hooks/accounts\n  delivery: batch\n');
      fx.project.write('backflow.yaml', fx.project.read('backflow.yaml').replace('url: ${env:WEBHOOK_URL}', `url: http://127.0.0.1:${port}/hook`));
      const taskQueue = uniqueTaskQueue('webhook-bisect');
      await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
        const summary = await run(taskQueue);
        expect(summary).toMatchObject({ status: 'partial', counts: { synced: 3, rejected: 1 }, apiCalls: 5 });
        expect(batches).toEqual([['1', '2', '3', '4'], ['1', '2'], ['3', '4'], ['3'], ['4']]);
        const rejected = await fx.project.deps.state
          .selectFrom('record_results')
          .select(['key', 'error_code', 'error_message'])
          .where('run_id', '=', summary.runId)
          .where('status', '=', 'rejected')
          .execute();
        expect(rejected).toEqual([{ key: '3', error_code: 'HTTP_422', error_message: 'webhook answered HTTP 422: account 3 has no owner' }]);
      });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('a receiver that echoes the request in its error body', () => {
  it("keeps the connection's secrets out of the run's record results", async () => {
    fx.project.write(
      'backflow.yaml',
      `${fx.project.read('backflow.yaml')}  hook:\n    type: webhook\n    url: \${env:WEBHOOK_URL}\n    secret: \${env:WEBHOOK_SECRET}\n    headers: { Authorization: "Bearer \${env:HOOK_TOKEN}" }\n`,
    );
    fx.project.write(`syncs/${SYNC}.yaml`, `source: warehouse\nmodel: SELECT id, name FROM accounts\nprimaryKey: id\ndestination:\n  connection: hook\n  path: /hooks/echo\nmode: upsert\nmappings:\n  - { from: name, to: name }\n`);
    fx.project.deps.env = { ...fx.project.deps.env, HOOK_TOKEN: 'TOKEN-CANARY-456' };
    fx.webhook.respondWith('/hooks/echo', { status: 400, body: 'refused: Authorization: Bearer TOKEN-CANARY-456' });
    const taskQueue = uniqueTaskQueue('webhook-echo');
    await withWorker(fx.temporal, fx.project.deps, taskQueue, async () => {
      const summary = await run(taskQueue);
      expect(summary.error).toBeUndefined();
      expect(summary).toMatchObject({ status: 'partial', counts: { rejected: 4 } });
      const messages = await fx.project.deps.state.selectFrom('record_results').select('error_message').where('run_id', '=', summary.runId).execute();
      expect(messages.map((m) => m.error_message)).toEqual(Array(4).fill('webhook answered HTTP 400: refused: Authorization: Bearer ***'));
    });
  });
});
