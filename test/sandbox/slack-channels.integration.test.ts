/**
 * Which channels the Slack sandbox lets the app name, see and post to, driven by @slack/web-api:
 * a channel name only where Slack takes one (chat.postMessage), private channels only to members,
 * and `chat:write.public` for posting to public channels the app has not joined.
 */
import { ErrorCode, WebClient, type WebAPIPlatformError } from '@slack/web-api';

import { startSlackSandbox, type SlackSandbox, type SlackSandboxOptions } from '../../src/sandbox/slack';
import { rejectionOf } from '../support/rejection';
import { silentSlackLogger } from '../support/slackLogger';

let sandbox: SlackSandbox;
let client: WebClient;

const channels = [
  { name: 'general', id: 'C0GENERAL01' },
  { name: 'quiet', id: 'C0QUIET0001', member: false },
  { name: 'vip', id: 'G0VIPROOM01', private: true },
  { name: 'secret', id: 'G0SECRET001', private: true, member: false },
];

async function start(options: SlackSandboxOptions = {}): Promise<void> {
  sandbox = await startSlackSandbox({ channels, limits: { enabled: false }, ...options });
  client = new WebClient(sandbox.token, { slackApiUrl: sandbox.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logger: silentSlackLogger });
}

async function platformError(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await rejectionOf<WebAPIPlatformError>(promise);
  expect(err.code).toBe(ErrorCode.PlatformError);
  return err.data.error;
}

afterEach(async () => {
  await sandbox.close();
});

describe('channel names', () => {
  beforeEach(() => start());

  it('are taken by chat.postMessage only: chat.update/delete and conversations.history/replies answer a name channel_not_found', async () => {
    const posted = await client.chat.postMessage({ channel: '#general', text: 'v1' });
    expect(posted.channel).toBe('C0GENERAL01');
    const ts = String(posted.ts);
    for (const name of ['#general', 'general']) {
      expect(await platformError(client.chat.update({ channel: name, ts, text: 'v2' }))).toBe('channel_not_found');
      expect(await platformError(client.chat.delete({ channel: name, ts }))).toBe('channel_not_found');
      expect(await platformError(client.conversations.history({ channel: name }))).toBe('channel_not_found');
      expect(await platformError(client.conversations.replies({ channel: name, ts }))).toBe('channel_not_found');
    }
    expect(sandbox.messages('C0GENERAL01').map((m) => m.text)).toEqual(['v1']);

    // The id chat.postMessage answered with works everywhere.
    await client.chat.update({ channel: 'C0GENERAL01', ts, text: 'v2' });
    expect((await client.conversations.history({ channel: 'C0GENERAL01' })).messages?.map((m) => m.text)).toEqual(['v2']);
    expect((await client.conversations.replies({ channel: 'C0GENERAL01', ts })).messages?.map((m) => m.text)).toEqual(['v2']);
    await client.chat.delete({ channel: 'C0GENERAL01', ts });
    expect(sandbox.messages('C0GENERAL01')).toEqual([]);
  });
});

describe('private channels', () => {
  beforeEach(() => start());

  it('are listed by conversations.list only to members; public ones the app is not in are listed with is_member false', async () => {
    const res = await client.conversations.list({ types: 'public_channel,private_channel' });
    expect(res.channels?.map((c) => [c.name, c.is_private, c.is_member])).toEqual([
      ['general', false, true],
      ['quiet', false, false],
      ['vip', true, true],
    ]);
    expect((await client.conversations.list({ types: 'private_channel' })).channels?.map((c) => c.name)).toEqual(['vip']);
  });

  it('the app is not in do not exist for chat.postMessage (channel_not_found), whatever its scopes', async () => {
    expect(await platformError(client.chat.postMessage({ channel: 'G0SECRET001', text: 'x' }))).toBe('channel_not_found');
    sandbox.setScopes(['chat:write', 'chat:write.public']);
    expect(await platformError(client.chat.postMessage({ channel: 'G0SECRET001', text: 'x' }))).toBe('channel_not_found');
    expect(await platformError(client.chat.postMessage({ channel: '#secret', text: 'x' }))).toBe('channel_not_found');
    expect(sandbox.messages('G0SECRET001')).toEqual([]);
  });
});

describe('chat:write.public', () => {
  it('lets chat.postMessage post to a public channel the app is not in (by id or name), and the app edit it', async () => {
    await start({ scopes: ['chat:write', 'chat:write.public'] });
    const byId = await client.chat.postMessage({ channel: 'C0QUIET0001', text: 'by id' });
    const byName = await client.chat.postMessage({ channel: '#quiet', text: 'by name' });
    expect([byId.channel, byName.channel]).toEqual(['C0QUIET0001', 'C0QUIET0001']);
    await client.chat.update({ channel: 'C0QUIET0001', ts: String(byId.ts), text: 'edited' });
    expect(sandbox.messages('C0QUIET0001').map((m) => m.text)).toEqual(['edited', 'by name']);
  });

  it('is needed for that: chat:write alone, or the every-scope default, answers not_in_channel', async () => {
    await start({ scopes: ['chat:write'] });
    expect(await platformError(client.chat.postMessage({ channel: 'C0QUIET0001', text: 'x' }))).toBe('not_in_channel');
    sandbox.setScopes(undefined);
    expect(await platformError(client.chat.postMessage({ channel: 'C0QUIET0001', text: 'x' }))).toBe('not_in_channel');
    expect(sandbox.messages('C0QUIET0001')).toEqual([]);
  });
});
