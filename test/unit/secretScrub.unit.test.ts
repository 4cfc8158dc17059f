import { referencedSecrets } from '../../src/config/secrets';
import type { WebhookConnection } from '../../src/config/schema';
import { createDestination } from '../../src/destinations';
import type { Destination } from '../../src/destinations/destination';
import { scrubbingDestination, secretScrubber } from '../../src/engine/secretScrub';
import { startWebhookSandbox, type WebhookSandbox } from '../../src/sandbox/webhook';
import { memoryWriteContext } from '../support/writeContext';

describe('referencedSecrets', () => {
  it('takes every value a connection reads from the environment, whole or embedded, except bare origins and short values', () => {
    const env = { TOKEN: 'tok-123456', KEY: 'k3y-abcdef', INSTANCE: 'https://acme.my.salesforce.com/', HOOK: 'https://hooks.example.com/T0/B0/s3cret', N: '42', PROXY: 'https://proxy.example.com/hubspot' };
    const written = {
      instanceUrl: '${env:INSTANCE}',
      accessToken: '${env:TOKEN}',
      headers: { Authorization: 'Bearer ${env:KEY}', 'X-Shard': '${env:N}' },
      url: '${env:HOOK}',
      apiVersion: '62.0',
      // An API base with a path (a proxy's) is an address, not a secret: messages keep it.
      basePath: '${env:PROXY}',
    };
    expect(referencedSecrets(written, env).sort()).toEqual(['/T0/B0/s3cret', 'https://hooks.example.com/T0/B0/s3cret', 'k3y-abcdef', 'tok-123456']);
    // A secret URL's path and query values too: an echo of the request line shows those.
    expect(referencedSecrets({ url: '${env:U}' }, { U: 'https://x.example/h?key=abc123456&v=1' }).sort()).toEqual(['/h?key=abc123456&v=1', 'abc123456', 'https://x.example/h?key=abc123456&v=1']);
  });

  it('scrubs the causes under an error too, which Temporal records with it', async () => {
    const inner = new Error('request failed: Authorization: Bearer tok-123456');
    const failing = { write: () => Promise.reject(new Error('write failed', { cause: inner })) } as unknown as Destination;
    const wrapped = scrubbingDestination(failing, { token: '${env:T}' }, { T: 'tok-123456' });
    const error = await wrapped.write('upsert', [], memoryWriteContext('s', 'r')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect((error?.cause as Error).message).toBe('request failed: Authorization: Bearer ***');
  });

  it("scrubs validate's findings too", async () => {
    const checking = { check: () => Promise.resolve([{ path: 'destination.object', message: 'describe failed: Bearer tok-123456 refused' }]) } as unknown as Destination;
    const issues = await scrubbingDestination(checking, { token: '${env:T}' }, { T: 'tok-123456' }).check({ mappings: [], mode: 'upsert' });
    expect(issues).toEqual([{ path: 'destination.object', message: 'describe failed: Bearer *** refused' }]);
  });

  it('keeps an error whose cause cannot be rewritten (frozen; a DOMException is so) as it is, not a TypeError', async () => {
    class Transient extends Error {}
    const cause = Object.freeze(new Error('Bearer tok-123456 timed out'));
    const failing = { write: () => Promise.reject(new Transient('timed out', { cause })) } as unknown as Destination;
    const error = await scrubbingDestination(failing, { token: '${env:T}' }, { T: 'tok-123456' })
      .write('upsert', [], memoryWriteContext('s', 'r'))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Transient);
  });

  it('scrubs each value and its percent-encoded form, the longer first', () => {
    const scrub = secretScrubber(['a/b+c=d-secret', 'a/b']);
    expect(scrub('sent a/b+c=d-secret, then a%2Fb%2Bc%3Dd-secret and a/b')).toBe('sent ***, then *** and ***');
  });
});

describe('a destination whose server echoes the request in its error (a proxy, a debugging receiver)', () => {
  let receiver: WebhookSandbox;
  beforeEach(async () => {
    receiver = await startWebhookSandbox();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('never says the connection secrets: the thrown error and every rejected record are scrubbed', async () => {
    const env = { HOOK_URL: `${receiver.url}/hooks/x?key=KEY-CANARY-123`, HOOK_TOKEN: 'TOKEN-CANARY-456' };
    const written = { type: 'webhook', url: '${env:HOOK_URL}', headers: { Authorization: 'Bearer ${env:HOOK_TOKEN}' } };
    const resolved: WebhookConnection = { type: 'webhook', url: env.HOOK_URL, headers: { Authorization: `Bearer ${env.HOOK_TOKEN}` }, method: 'POST', timeoutMs: 5_000 };
    const echo = `refused POST /hooks/x?key=KEY-CANARY-123 (Authorization: Bearer TOKEN-CANARY-456)`;
    const open = () => scrubbingDestination(createDestination(resolved, { connection: 'hook', delivery: 'batch' }, '/tmp'), written, env);
    const records = [{ key: '1', fields: { name: 'Acme' }, destinationId: null }];

    const outcome = (runId: string) =>
      open()
        .write('upsert', records, memoryWriteContext('hook', runId))
        .then(
          (result) => JSON.stringify(result.results),
          (error: Error) => `${error.message}\n${error.stack ?? ''}`,
        );
    // A 400 rejects the batch's records; a 503 fails the batch (retried).
    receiver.respondWith('/hooks/x', { status: 400, body: echo });
    const rejected = await outcome('run-1');
    receiver.respondWith('/hooks/x', { status: 503, body: echo });
    const failed = await outcome('run-2');

    for (const said of [rejected, failed]) {
      expect(said).toContain('Bearer ***');
      expect(said).not.toContain('CANARY');
    }
  });
});
