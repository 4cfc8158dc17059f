import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { startSync } from '../../src/temporal/startSync';
import { dataConverterFromEnv, ENCRYPTED_ENCODING, payloadKeyId } from '../../src/temporal/codec';
import { backflow } from '../support/cli';
import { useSyncFixture } from '../support/fixture';
import { historyText } from '../support/history';
import { uniqueTaskQueue, withWorker } from '../support/temporal';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');
const SYNC = 'accounts_to_salesforce';
const key = randomBytes(32);
const keyEnv = { BACKFLOW_PAYLOAD_KEY: key.toString('base64') };
const fx = useSyncFixture();

interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}

/** Every payload in a history but the search attributes' (indexed in the clear by design), as proto JSON. */
function historyPayloads(history: proto.api.history.v1.IHistory): JsonPayload[] {
  const found: JsonPayload[] = [];
  const walk = (value: unknown, key: string): void => {
    // Search attributes are indexed in the clear by design; a patch marker is the SDK's own record of a
    // workflow version (its details: the patch's name), written without the data converter.
    if (key === 'searchAttributes' || key === 'markerRecordedEventAttributes' || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if ('metadata' in value && 'data' in value && value.data instanceof Uint8Array) {
      const metadata = (value.metadata ?? {}) as Record<string, Uint8Array>;
      found.push({
        metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(value.data).toString('base64'),
      });
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(history, '');
  return found;
}

function clear(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

/** `backflow codec-server --json` on a free port; resolves with its URL. */
async function startCodecServerProcess(env: Record<string, string> = keyEnv, origin = 'http://localhost:8233'): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'codec-server', '--port', '0', '--json', '--origin', origin], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  while (!out.includes('\n')) {
    if (child.exitCode !== null) throw new Error(`codec-server exited (${child.exitCode}): ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, url: (JSON.parse(out) as { url: string }).url };
}

/** The run's result, or the first workflow task failure's message (a payload the worker cannot decode fails every task, and the run never ends). */
async function resultOrTaskFailure(client: Client, workflowId: string): Promise<unknown> {
  const handle = client.workflow.getHandle(workflowId);
  let done = false;
  const taskFailure = (async () => {
    while (!done) {
      const history = await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory();
      const failed = history.events?.find((event) => event.workflowTaskFailedEventAttributes);
      if (failed) return { workflowTaskFailed: failed.workflowTaskFailedEventAttributes?.failure?.message };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  })();
  const result = handle.result();
  try {
    const failure = await Promise.race([result.then(() => undefined), taskFailure]);
    if (failure === undefined) return await result;
    // Stuck: end it so its result settles and nothing polls after the test.
    await handle.terminate('workflow task failed in test');
    await result.catch(() => undefined);
    return failure;
  } finally {
    done = true;
  }
}

describe('BACKFLOW_PAYLOAD_KEY', () => {
  it('encrypts what enters history, the run still succeeds, and the codec server decodes it', async () => {
    const client = new Client({ connection: fx.temporal.client.connection, namespace: 'default', dataConverter: dataConverterFromEnv(keyEnv) });
    const deps = { ...fx.project.deps, env: { ...fx.project.deps.env, ...keyEnv } };
    const taskQueue = uniqueTaskQueue('codec');
    const workflowId = await withWorker(fx.temporal, deps, taskQueue, async () => {
      const handle = await startSync(client, SYNC, { taskQueue });
      expect(await handle.result()).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });
      return handle.workflowId;
    });
    expect(fx.sandbox.records('Account')).toHaveLength(4);

    // Read without the key (as Temporal Web would): every payload is ciphertext under our key id.
    const payloads = historyPayloads(await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory());
    expect(payloads.length).toBeGreaterThan(4);
    for (const payload of payloads) {
      expect(clear(payload.metadata.encoding ?? '')).toBe(ENCRYPTED_ENCODING);
      expect(clear(payload.metadata['encryption-key-id'] ?? '')).toBe(payloadKeyId(key));
    }
    const cipherText = payloads.map((p) => clear(p.data ?? '')).join('\n');
    expect(cipherText).not.toContain(SYNC);
    expect(cipherText).not.toContain('synced');

    const codecServer = await startCodecServerProcess();
    try {
      const preflight = await fetch(`${codecServer.url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-namespace,content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Namespace, Content-Type');
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');

      const response = await fetch(`${codecServer.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: 'http://localhost:8233' },
        body: JSON.stringify({ payloads }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      const decoded = ((await response.json()) as { payloads: JsonPayload[] }).payloads;
      expect(decoded).toHaveLength(payloads.length);
      expect(decoded.every((p) => clear(p.metadata.encoding ?? '') !== ENCRYPTED_ENCODING)).toBe(true);
      const plainText = decoded.map((p) => clear(p.data ?? '')).join('\n');
      expect(plainText).toContain(`"sync":"${SYNC}"`);
      expect(plainText).toContain('"synced":4');

      // A page from another origin gets no CORS grant.
      const foreign = await fetch(`${codecServer.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      const exited = once(codecServer.child, 'exit');
      codecServer.child.kill('SIGTERM');
      await exited;
    }
  });

  it("takes --origin as an address bar shows it (a trailing slash), and refuses one with no scheme, which no browser's Origin matches", async () => {
    const codecServer = await startCodecServerProcess(keyEnv, 'http://localhost:8233/');
    try {
      const preflight = await fetch(`${codecServer.url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-namespace,content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    } finally {
      const exited = once(codecServer.child, 'exit');
      codecServer.child.kill('SIGTERM');
      await exited;
    }
    const refused = await backflow(['codec-server', '--port', '0', '--json', '--origin', 'localhost:8233'], keyEnv);
    expect([refused.code, JSON.parse(refused.stdout)]).toEqual([
      1,
      { error: { code: 'CONFIG_INVALID', message: '--origin localhost:8233: not an origin like http://localhost:8233 (scheme, host and port, no path)' } },
    ]);
  });

  it('rotated: runs started under the old key (a schedule, a run in flight) still run, and the codec server reads their history', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const oldEnv = { BACKFLOW_PAYLOAD_KEY: oldKey.toString('base64') };
    const rotatedEnv = { BACKFLOW_PAYLOAD_KEY: newKey.toString('base64'), BACKFLOW_PAYLOAD_PREVIOUS_KEYS: oldKey.toString('base64') };
    // Started before the rotation: its input is in history under the old key.
    const oldClient = new Client({ connection: fx.temporal.client.connection, namespace: 'default', dataConverter: dataConverterFromEnv(oldEnv) });
    const taskQueue = uniqueTaskQueue('codec-rotated');
    const { workflowId } = await startSync(oldClient, SYNC, { taskQueue });

    // Workers and clients now run with the new key, the old one kept for decoding.
    const client = new Client({ connection: fx.temporal.client.connection, namespace: 'default', dataConverter: dataConverterFromEnv(rotatedEnv) });
    const deps = { ...fx.project.deps, env: { ...fx.project.deps.env, ...rotatedEnv } };
    const result = await withWorker(fx.temporal, deps, taskQueue, () => resultOrTaskFailure(client, workflowId));
    expect(result).toMatchObject({ status: 'succeeded', counts: { synced: 4 } });

    const payloads = historyPayloads(await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory());
    const keyIds = new Set(payloads.map((p) => clear(p.metadata['encryption-key-id'] ?? '')));
    expect(keyIds).toEqual(new Set([payloadKeyId(oldKey), payloadKeyId(newKey)]));

    const codecServer = await startCodecServerProcess(rotatedEnv);
    try {
      const response = await fetch(`${codecServer.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
        body: JSON.stringify({ payloads }),
      });
      expect({ status: response.status, body: await response.text() }).toMatchObject({ status: 200 });
    } finally {
      const exited = once(codecServer.child, 'exit');
      codecServer.child.kill('SIGTERM');
      await exited;
    }
  });

  it('encrypts failures too: a warehouse error echoing a row value is not in history in the clear, and still reaches the caller', async () => {
    const value = 'row-value-7f3a@example.com';
    await fx.project.sql(`UPDATE accounts SET segment = '${value}'`);
    // DuckDB's conversion error quotes the value it could not convert.
    fx.project.write(`syncs/${SYNC}.yaml`, fx.project.read(`syncs/${SYNC}.yaml`).replace('SELECT id, name, health, segment, mrr', 'SELECT id, name, health, CAST(segment AS INTEGER) AS segment, mrr'));
    const client = new Client({ connection: fx.temporal.client.connection, namespace: 'default', dataConverter: dataConverterFromEnv(keyEnv) });
    const deps = { ...fx.project.deps, env: { ...fx.project.deps.env, ...keyEnv } };
    const taskQueue = uniqueTaskQueue('codec-failure');
    const { workflowId, summary } = await withWorker(fx.temporal, deps, taskQueue, async () => {
      const handle = await startSync(client, SYNC, { taskQueue });
      return { workflowId: handle.workflowId, summary: await handle.result() };
    });
    // The caller, holding the key, reads the warehouse's message.
    expect(summary).toMatchObject({ status: 'failed', error: { message: expect.stringContaining(value) as unknown } });
    // Temporal Web without the codec server, or anyone reading the history, does not.
    const raw = historyText(await fx.temporal.client.workflow.getHandle(workflowId).fetchHistory());
    expect(raw).not.toContain(value);
  });
});
