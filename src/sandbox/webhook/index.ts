/**
 * Webhook receiver sandbox: a local endpoint a webhook destination posts to, recording every
 * delivery (idempotency key, signature, body) so CI can assert exactly-once delivery and signing.
 */
import { WebhookServer } from './server';
import type { WebhookSandbox, WebhookSandboxOptions } from './types';

export type { ReceivedWebhook, WebhookResponse, WebhookSandbox, WebhookSandboxOptions } from './types';
export { SIGNATURE_HEADER, signBody, verifySignature } from './signature';

export async function startWebhookSandbox(options: WebhookSandboxOptions = {}): Promise<WebhookSandbox> {
  const server = new WebhookServer(options);
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  // A wildcard bind address is not something a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    received: () => server.received(),
    setFaults: (profile) => server.setFaults(profile),
    respondWith: (path, response) => server.respondWith(path, response),
    reset: () => server.reset(),
    close: () => server.close(),
  };
}
