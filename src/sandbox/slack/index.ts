/**
 * Slack sandbox: an in-process emulator of the Slack Web API methods and incoming webhooks a
 * reverse-ETL sync uses, built from Slack's documented behaviour (errors as `ok:false`, `ts`
 * values, cursor paging, tiered rate limits with 429 + Retry-After) so syncs can run against it in CI.
 */
import { SlackServer } from './server';
import type { SlackSandbox, SlackSandboxOptions } from './types';

export type { SlackChannelSeed, SlackLimits, SlackMessage, SlackMessageMetadata, SlackRequestLogEntry, SlackSandbox, SlackSandboxOptions } from './types';
export { DEFAULT_LIMITS, METHOD_TIERS } from './limits';

export async function startSlackSandbox(options: SlackSandboxOptions = {}): Promise<SlackSandbox> {
  const server = new SlackServer(options);
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  // A wildcard bind address is not something a client can connect to.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${urlHost}:${port}`;
  return {
    apiUrl: `${base}/api/`,
    token: server.token,
    webhookUrl: `${base}${server.defaultWebhookPath}`,
    createWebhook: (channel) => `${base}${server.createWebhook(channel)}`,
    messages: (channel) => server.messages(channel),
    postAsUser: (channel, text) => server.postAsUser(channel, text),
    requests: () => server.requests(),
    setFaults: (profile) => server.setFaults(profile),
    setLimits: (limits) => server.setLimits(limits),
    setScopes: (scopes) => server.setScopes(scopes),
    reset: () => server.reset(),
    close: () => server.close(),
  };
}
