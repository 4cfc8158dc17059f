import type { WebhookConnection } from '../../src/config/schema';
import type { DestinationRecord, WriteContext } from '../../src/destinations/destination';
import { memoryWriteContext } from '../support/writeContext';
import { WebhookDestination, webhookUrl } from '../../src/destinations/webhook';
import type { WebhookTarget } from '../../src/destinations/webhookTarget';
import { BackflowError, DestinationTransientError } from '../../src/errors';
import { startWebhookSandbox, type WebhookSandbox } from '../../src/sandbox/webhook';
import { rejectionOf } from '../support/rejection';

let receiver: WebhookSandbox;

beforeEach(async () => {
  receiver = await startWebhookSandbox();
});
afterEach(async () => {
  await receiver.close();
});

function destination(url = receiver.url, target: WebhookTarget = { connection: 'hook', path: '/hooks/accounts', delivery: 'record' }): WebhookDestination {
  const config: WebhookConnection = { type: 'webhook', url, method: 'POST', timeoutMs: 5_000 };
  return new WebhookDestination(config, target);
}

const contextOf = (runId: string): WriteContext => memoryWriteContext('accounts_to_webhook', runId);

const record = (health: number): DestinationRecord => ({ key: '1', fields: { name: 'Acme', health }, destinationId: null });
const lastKey = () => receiver.received().at(-1)?.idempotencyKey;

describe('webhook destination: redirects', () => {
  it('does not follow a 301 (the POST would become a body-less GET) and fails the batch naming the status and the Location', async () => {
    receiver.respondWith('/hooks/accounts', { status: 301, headers: { location: '/hooks/v2/accounts' } });
    const error = await rejectionOf<BackflowError>(destination().write('upsert', [record(38)], contextOf('run-1')));
    expect(error).toBeInstanceOf(BackflowError);
    expect(error).not.toBeInstanceOf(DestinationTransientError);
    expect(error.code).toBe('DESTINATION_REQUEST_INVALID');
    expect(error.message).toBe(
      `webhook ${receiver.url}/… answered 301 (redirect to ${receiver.url}/…); backflow does not follow redirects for a POST: set the url to the final address`,
    );
    // Only the POST reached the receiver: no GET to the Location was counted as a delivery.
    expect(receiver.received().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /hooks/accounts']);
  });

  it('fails on an http→https 302 too, showing origins only: a path or query string may hold a token (Discord, Zapier)', async () => {
    receiver.respondWith('/hooks/s3cret-path', { status: 302, headers: { location: 'https://hooks.example.com/s3cret-path?token=s3cret' } });
    const error = await rejectionOf<BackflowError>(destination(`${receiver.url}/hooks/s3cret-path?token=s3cret`, { connection: 'hook', delivery: 'batch' }).write('upsert', [record(38), { ...record(40), key: '2' }], contextOf('run-1')));
    expect(error).toMatchObject({ code: 'DESTINATION_REQUEST_INVALID' });
    expect(error.message).toContain('answered 302 (redirect to https://hooks.example.com/…)');
    expect(error.message).not.toContain('s3cret');
    expect(receiver.received()).toHaveLength(1);
  });
});

describe('webhook destination: Idempotency-Key', () => {
  it('differs when a row returns to an earlier state in a later run (A→B→A), and when a deleted row is deleted again', async () => {
    const hook = destination();
    await hook.write('upsert', [record(38)], contextOf('run-1'));
    const first = lastKey();
    await hook.write('upsert', [record(30)], contextOf('run-2'));
    await hook.write('upsert', [record(38)], contextOf('run-3'));
    const back = lastKey();
    expect(receiver.received().map((r) => (r.body as { fingerprint: string }).fingerprint)).toEqual([expect.any(String), expect.any(String), (receiver.received()[0]?.body as { fingerprint: string }).fingerprint]);
    expect(back).not.toBe(first);

    await hook.write('delete', [record(38)], contextOf('run-4'));
    const deleted = lastKey();
    await hook.write('upsert', [record(38)], contextOf('run-5'));
    await hook.write('delete', [record(38)], contextOf('run-6'));
    expect(lastKey()).not.toBe(deleted);
    expect(new Set(receiver.received().map((r) => r.idempotencyKey)).size).toBe(6);
  });

  it('stays the same when a run re-sends a change whose answer was lost', async () => {
    const hook = destination();
    const context = contextOf('run-1');
    receiver.setFaults({ applyThenFail: 1 });
    await expect(hook.write('upsert', [record(38)], context)).rejects.toBeInstanceOf(DestinationTransientError);
    receiver.setFaults({});
    await hook.write('upsert', [record(38)], context);
    const [lost, retried] = receiver.received();
    expect(retried?.idempotencyKey).toBe(lost?.idempotencyKey);
    expect(retried?.rawBody).toBe(lost?.rawBody);
  });
});

describe('webhook destination: headers', () => {
  it("lets a connection's Content-Type and User-Agent replace backflow's, never merged with them; keeps its Idempotency-Key", async () => {
    const config: WebhookConnection = {
      type: 'webhook',
      url: receiver.url,
      method: 'POST',
      timeoutMs: 5_000,
      headers: { 'Content-Type': 'application/vnd.api+json', 'User-Agent': 'acme-sync', 'Idempotency-Key': 'mine' },
    };
    await new WebhookDestination(config, { connection: 'hook', path: '/hooks/accounts', delivery: 'record' }).write('upsert', [record(38)], contextOf('run-h'));
    const [received] = receiver.received();
    expect(received?.headers).toMatchObject({ 'content-type': 'application/vnd.api+json', 'user-agent': 'acme-sync' });
    expect(received?.idempotencyKey).not.toBe('mine');
  });
});

describe('webhook destination: the URL a sync posts to', () => {
  it("appends the sync's path to the URL's path, keeping the URL's query string (an API key) at the end", async () => {
    await destination(`${receiver.url}/ingest?api_key=abc123`, { connection: 'hook', path: '/accounts', delivery: 'record' }).write('upsert', [record(38)], contextOf('run-1'));
    expect(receiver.received().map((r) => [r.path, r.query])).toEqual([['/ingest/accounts', { api_key: 'abc123' }]]);
  });

  it("joins a query string in the path to the URL's, as written, and trims a trailing slash only before a path", () => {
    expect(webhookUrl('https://hooks.example.com/in/?key=a', '/accounts?v=2')).toBe('https://hooks.example.com/in/accounts?key=a&v=2');
    expect(webhookUrl('https://hooks.example.com', '/accounts')).toBe('https://hooks.example.com/accounts');
    // Re-serialised, the URL's own query became `sig=a+b%2Bc&flag=&y=1`: a signature over it broke.
    expect(webhookUrl('https://hooks.example.com/hook?sig=a%20b%2Bc&flag', '/x?y=1')).toBe('https://hooks.example.com/hook/x?sig=a%20b%2Bc&flag&y=1');
    // Without a path the URL is the receiver's own, trailing slash and all (FastAPI, Django redirect without it).
    expect(webhookUrl('https://hooks.example.com/in/', undefined)).toBe('https://hooks.example.com/in/');
    expect(webhookUrl('https://hooks.example.com/in?next=/', undefined)).toBe('https://hooks.example.com/in?next=/');
  });
});
