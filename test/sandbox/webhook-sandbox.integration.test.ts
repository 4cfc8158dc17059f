/**
 * The webhook receiver sandbox, driven with plain `fetch` (a generic webhook has no vendor client):
 * what it records, how it answers, signature checks, and every kind of injected fault.
 */
import { signBody, startWebhookSandbox, type WebhookSandbox } from '../../src/sandbox/webhook';

let sandbox: WebhookSandbox;

afterEach(async () => {
  await sandbox.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('recording deliveries', () => {
  beforeEach(async () => {
    sandbox = await startWebhookSandbox();
  });

  it('answers 200 and records method, path, query, headers, idempotency key and parsed body', async () => {
    const res = await post('/hooks/accounts?source=backflow', { key: 'acme', health: 38 }, { 'Idempotency-Key': 'run1:b1:acme' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });

    const [entry] = sandbox.received();
    expect(sandbox.received()).toHaveLength(1);
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/hooks/accounts',
      query: { source: 'backflow' },
      idempotencyKey: 'run1:b1:acme',
      body: { key: 'acme', health: 38 },
      rawBody: '{"key":"acme","health":38}',
      status: 200,
      accepted: true,
      fault: undefined,
      signatureValid: undefined,
    });
    expect(entry?.headers['content-type']).toBe('application/json');
    expect(Date.parse(entry?.at ?? '')).not.toBeNaN();
  });

  it('keeps a non-JSON body as text and rejects malformed JSON with 400', async () => {
    await fetch(`${sandbox.url}/plain`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    const bad = await post('/json', '{"key":');
    expect(bad.status).toBe(400);
    expect(sandbox.received().map((r) => [r.method, r.body, r.status, r.accepted])).toEqual([
      ['PUT', 'hello', 200, true],
      ['POST', '{"key":', 400, false],
    ]);
  });

  it('answers a path with its configured response, through the API and the admin endpoint', async () => {
    sandbox.respondWith('/gone', { status: 410, body: { error: 'gone' }, headers: { 'x-reason': 'deleted' } });
    const gone = await post('/gone', {});
    expect(gone.status).toBe(410);
    expect(gone.headers.get('x-reason')).toBe('deleted');
    expect(await gone.json()).toEqual({ error: 'gone' });
    expect((await post('/other', {})).status).toBe(200);

    const admin = await fetch(`${sandbox.url}/__sandbox/responses`, {
      method: 'POST',
      body: JSON.stringify({ path: '/created', response: { status: 201, body: 'made' } }),
    });
    expect(admin.status).toBe(204);
    const created = await post('/created', {});
    expect([created.status, await created.text()]).toEqual([201, 'made']);

    sandbox.respondWith('/gone', undefined);
    expect((await post('/gone', {})).status).toBe(200);
    expect(sandbox.received().map((r) => r.accepted)).toEqual([false, true, true, true]);
  });

  it('serves received, faults and reset as admin endpoints, which are not themselves recorded', async () => {
    await post('/a', { n: 1 });
    const list = (await (await fetch(`${sandbox.url}/__sandbox/received`)).json()) as Array<{ path: string }>;
    expect(list.map((r) => r.path)).toEqual(['/a']);

    const set = await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ unavailable: 1 }) });
    expect(await set.json()).toEqual({ unavailable: 1 });
    expect((await post('/a', {})).status).toBe(503);
    const typo = await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ unavaliable: 1 }) });
    expect(typo.status).toBe(400);

    expect((await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' })).status).toBe(204);
    expect(sandbox.received()).toEqual([]);
    expect((await post('/a', {})).status).toBe(200);
  });
});

describe('signature verification', () => {
  const secret = 'whsec_test';

  beforeEach(async () => {
    sandbox = await startWebhookSandbox({ secret });
  });

  it('accepts an HMAC-SHA256 of the raw body and answers 401 to a wrong or missing one', async () => {
    const raw = '{"key":"acme","mrr":900}';
    const good = await post('/hooks', raw, { 'X-Backflow-Signature': signBody(secret, raw) });
    expect(good.status).toBe(200);
    const tampered = await post('/hooks', raw.replace('900', '901'), { 'X-Backflow-Signature': signBody(secret, raw) });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({ error: 'invalid_signature' });
    const wrongSecret = await post('/hooks', raw, { 'X-Backflow-Signature': signBody('other', raw) });
    expect(wrongSecret.status).toBe(401);
    const missing = await post('/hooks', raw);
    expect(missing.status).toBe(401);

    expect(sandbox.received().map((r) => [r.signatureValid, r.accepted])).toEqual([
      [true, true],
      [false, false],
      [false, false],
      [false, false],
    ]);
    expect(signBody(secret, raw)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});

describe('fault profile', () => {
  it('answers 429 with Retry-After, 500, 503 and 401 for their shares', async () => {
    sandbox = await startWebhookSandbox({ faults: { rateLimited: 1, retryAfterSeconds: 7 } });
    const limited = await post('/h', {});
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    for (const [fault, status] of [
      ['serverError', 500],
      ['unavailable', 503],
      ['tokenExpired', 401],
    ] as const) {
      sandbox.setFaults({ [fault]: 1 });
      expect((await post('/h', {})).status).toBe(status);
    }
    expect(sandbox.received().map((r) => [r.fault, r.accepted])).toEqual([
      ['rateLimited', false],
      ['serverError', false],
      ['unavailable', false],
      ['tokenExpired', false],
    ]);
  });

  it('applies then fails: the delivery is recorded as accepted while the sender sees 500', async () => {
    sandbox = await startWebhookSandbox({ faults: { applyThenFail: 1 } });
    const res = await post('/h', { key: 'k' }, { 'Idempotency-Key': 'k1' });
    expect(res.status).toBe(500);
    expect(sandbox.received()).toMatchObject([{ idempotencyKey: 'k1', accepted: true, status: 500, fault: 'applyThenFail' }]);
  });

  it('leaves a request hanging until the client gives up', async () => {
    sandbox = await startWebhookSandbox({ faults: { timeout: 1 } });
    const controller = new AbortController();
    const pending = fetch(`${sandbox.url}/h`, { method: 'POST', body: '{}', signal: controller.signal });
    await waitFor(() => sandbox.received().length === 1);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    expect(sandbox.received()).toMatchObject([{ status: 0, fault: 'timeout', accepted: false }]);
  });

  it('drops hanging requests on close() instead of waiting for them', async () => {
    const hanging = await startWebhookSandbox({ faults: { timeout: 1 } });
    const pending = fetch(`${hanging.url}/h`, { method: 'POST', body: '{}' });
    const settled = pending.then(
      () => 'answered',
      () => 'dropped',
    );
    for (let i = 0; i < 500 && hanging.received().length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    await hanging.close();
    expect(await settled).toBe('dropped');
    sandbox = await startWebhookSandbox();
  });

  it('resets the connection without an answer', async () => {
    sandbox = await startWebhookSandbox({ faults: { connectionReset: 1 } });
    await expect(post('/h', {})).rejects.toThrow(/fetch failed/);
    expect(sandbox.received()).toMatchObject([{ fault: 'connectionReset', status: 0, accepted: false }]);
  });

  it('picks faults with the injected random source', async () => {
    const rolls = [0.1, 0.9, 0.1, 0.9];
    sandbox = await startWebhookSandbox({ faults: { serverError: 0.5 }, random: () => rolls.shift() ?? 0.9 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await post('/h', {})).status);
    expect(statuses).toEqual([500, 200, 500, 200]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error('condition not met');
}
