/**
 * The Slack sandbox driven over HTTP by Slack's official clients (@slack/web-api's WebClient,
 * form-encoded calls with a Bearer token; @slack/webhook's IncomingWebhook, JSON posts), so the
 * emulator is checked against what they send and how they read answers.
 */
import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { IncomingWebhook, type IncomingWebhookHTTPError } from '@slack/webhook';

import { startSlackSandbox, type SlackSandbox, type SlackSandboxOptions } from '../../src/sandbox/slack';
import { rejectionOf } from '../support/rejection';
import { silentSlackLogger } from '../support/slackLogger';

let sandbox: SlackSandbox;
let client: WebClient;
let now = Date.UTC(2026, 0, 15, 9, 0, 0);

const silent = silentSlackLogger;

function webClient(sb: SlackSandbox, token: string | undefined, timeout = 0): WebClient {
  return new WebClient(token, { slackApiUrl: sb.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout, logger: silent });
}

async function start(options: SlackSandboxOptions = {}): Promise<void> {
  sandbox = await startSlackSandbox({ clock: () => now, ...options });
  client = webClient(sandbox, sandbox.token);
}

const rejection = <T extends Error>(promise: Promise<unknown>) => rejectionOf<T>(promise);

async function platformError(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await rejection<WebAPIPlatformError>(promise);
  expect(err.code).toBe(ErrorCode.PlatformError);
  return err.data.error;
}

afterEach(async () => {
  await sandbox.close();
});

describe('auth', () => {
  beforeEach(() => start());

  it('answers auth.test for the sandbox bot token', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T0SANDBOX1', user_id: 'U0SANDBOT1', bot_id: 'B0SANDBOT1' });
    expect(sandbox.token).toMatch(/^xoxb-/);
  });

  it('reads the token from the Authorization header or a form body; refuses it in the query string, ignores it in a JSON body', async () => {
    const call = async (query: string, headers: Record<string, string>, body: string | undefined): Promise<unknown> => {
      const res = await fetch(`${sandbox.apiUrl}auth.test${query}`, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
      expect(res.status).toBe(200);
      return res.json();
    };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const token = encodeURIComponent(sandbox.token);
    expect(await call('', form, `token=${token}`)).toMatchObject({ ok: true, user_id: 'U0SANDBOT1' });
    expect(await call('', { ...json, authorization: `Bearer ${sandbox.token}` }, '{}')).toMatchObject({ ok: true });
    // Apps created since 2021-02-24 may not send tokens in the query string.
    expect(await call(`?token=${token}`, form, undefined)).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await call(`?token=${token}`, json, '{}')).toEqual({ ok: false, error: 'invalid_auth' });
    // JSON bodies need the header: a token attribute is not read.
    expect(await call('', json, JSON.stringify({ token: sandbox.token }))).toEqual({ ok: false, error: 'not_authed' });
    expect(await call('', form, 'token=xoxb-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('answers a wrong token with invalid_auth and a missing one with not_authed, as HTTP 200 ok:false', async () => {
    expect(await platformError(webClient(sandbox, 'xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect(await platformError(webClient(sandbox, undefined).auth.test())).toBe('not_authed');
    expect(sandbox.requests().map((r) => [r.method, r.status, r.error])).toEqual([
      ['auth.test', 200, 'invalid_auth'],
      ['auth.test', 200, 'not_authed'],
    ]);
  });
});

describe('chat.postMessage and conversations.history', () => {
  beforeEach(() => start({ channels: [{ name: 'general', id: 'C0GENERAL01' }, { name: 'cs-alerts', id: 'C0CSALERTS1' }, { name: 'quiet', id: 'C0QUIET0001', member: false }, { name: 'old', archived: true }] }));

  it('posts by id, #name or name, with Slack-shaped, unique, increasing ts values', async () => {
    const byId = await client.chat.postMessage({ channel: 'C0CSALERTS1', text: 'Acme health dropped to 30' });
    const byHash = await client.chat.postMessage({ channel: '#cs-alerts', text: 'Initech is at-risk' });
    const byName = await client.chat.postMessage({ channel: 'cs-alerts', text: 'third' });
    expect([byId.channel, byHash.channel, byName.channel]).toEqual(['C0CSALERTS1', 'C0CSALERTS1', 'C0CSALERTS1']);
    const stamps = [byId.ts, byHash.ts, byName.ts].map(String);
    for (const ts of stamps) expect(ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(new Set(stamps).size).toBe(3);
    expect([...stamps].sort()).toEqual(stamps);
    expect(byId.message).toMatchObject({ type: 'message', text: 'Acme health dropped to 30', ts: byId.ts, bot_id: 'B0SANDBOT1' });
    expect(sandbox.messages('#cs-alerts').map((m) => m.text)).toEqual(['Acme health dropped to 30', 'Initech is at-risk', 'third']);
  });

  it('stores blocks (JSON-stringified by the client) and thread replies; history is newest first without replies', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Acme* is at risk' } }];
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'fallback', blocks });
    await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'a reply', thread_ts: String(parent.ts) });
    const later = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'later' });

    const history = await client.conversations.history({ channel: 'C0GENERAL01' });
    expect(history.messages?.map((m) => m.text)).toEqual(['later', 'fallback']);
    expect(history.messages?.[1]).toMatchObject({ blocks, thread_ts: parent.ts, reply_count: 1 });
    expect(history.has_more).toBe(false);
    expect(sandbox.messages('general').map((m) => [m.text, m.thread_ts])).toEqual([
      ['fallback', parent.ts],
      ['a reply', parent.ts],
      ['later', undefined],
    ]);

    const page1 = await client.conversations.history({ channel: 'C0GENERAL01', limit: 1 });
    expect(page1.messages?.map((m) => m.ts)).toEqual([later.ts]);
    expect(page1.has_more).toBe(true);
    const page2 = await client.conversations.history({ channel: 'C0GENERAL01', limit: 1, cursor: page1.response_metadata?.next_cursor ?? '' });
    expect(page2.messages?.map((m) => m.ts)).toEqual([parent.ts]);
    expect(page2.response_metadata?.next_cursor).toBe('');
  });

  it('keeps threads one level deep: a reply to a reply joins its thread; a broadcast reply shows in the channel too', async () => {
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'parent' });
    const reply = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'reply', thread_ts: String(parent.ts) });
    const nested = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'reply to the reply', thread_ts: String(reply.ts) });
    expect(nested.message).toMatchObject({ thread_ts: parent.ts });
    const broadcast = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'for everyone', thread_ts: String(parent.ts), reply_broadcast: true });
    const thread = await client.conversations.replies({ channel: 'C0GENERAL01', ts: String(parent.ts) });
    expect(thread.messages?.map((m) => m.text)).toEqual(['parent', 'reply', 'reply to the reply', 'for everyone']);
    const history = await client.conversations.history({ channel: 'C0GENERAL01' });
    expect(history.messages?.map((m) => [m.text, m.subtype])).toEqual([
      ['for everyone', 'thread_broadcast'],
      ['parent', undefined],
    ]);
    expect(history.messages?.[1]).toMatchObject({ reply_count: 3 });
    expect(broadcast.message).toMatchObject({ subtype: 'thread_broadcast', thread_ts: parent.ts });
  });

  it('leaves a deleted parent as a tombstone while its thread has replies, which stay readable', async () => {
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'parent' });
    const reply = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'reply', thread_ts: String(parent.ts) });
    await client.chat.delete({ channel: 'C0GENERAL01', ts: String(parent.ts) });
    const history = await client.conversations.history({ channel: 'C0GENERAL01' });
    expect(history.messages).toEqual([expect.objectContaining({ ts: parent.ts, subtype: 'tombstone', text: 'This message was deleted.', reply_count: 1 })]);
    const thread = await client.conversations.replies({ channel: 'C0GENERAL01', ts: String(reply.ts) });
    expect(thread.messages?.map((m) => m.text)).toEqual(['This message was deleted.', 'reply']);
    // Gone as a message: not to be edited or deleted again.
    expect(await platformError(client.chat.update({ channel: 'C0GENERAL01', ts: String(parent.ts), text: 'back' }))).toBe('message_not_found');
    // Its last reply deleted, the tombstone goes too.
    await client.chat.delete({ channel: 'C0GENERAL01', ts: String(reply.ts) });
    expect((await client.conversations.history({ channel: 'C0GENERAL01' })).messages).toEqual([]);
  });

  it('answers channel, membership and content errors with Slack codes', async () => {
    expect(await platformError(client.chat.postMessage({ channel: '#nope', text: 'x' }))).toBe('channel_not_found');
    expect(await platformError(client.chat.postMessage({ channel: 'quiet', text: 'x' }))).toBe('not_in_channel');
    expect(await platformError(client.chat.postMessage({ channel: 'old', text: 'x' }))).toBe('is_archived');
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: '' }))).toBe('no_text');
    expect(await platformError(client.conversations.history({ channel: 'C0QUIET0001' }))).toBe('not_in_channel');

    const tooLong = await rejection<WebAPIPlatformError>(
      client.chat.postMessage({ channel: 'general', text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }] }),
    );
    expect(tooLong.data).toMatchObject({ ok: false, error: 'invalid_blocks', errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] });
    const badType = await platformError(client.chat.postMessage({ channel: 'general', text: 'x', blocks: [{ type: 'carousel' }] as never }));
    expect(badType).toBe('invalid_blocks');
    expect(sandbox.messages('general')).toEqual([]);
  });

  it('truncates text over 40,000 characters with a message_truncated warning, or rejects it with msg_too_long', async () => {
    const long = 'z'.repeat(40_005);
    const res = await client.chat.postMessage({ channel: 'general', text: long });
    expect(res.response_metadata?.warnings).toEqual(['message_truncated']);
    expect(sandbox.messages('general')[0]?.text).toHaveLength(40_000);

    sandbox.setLimits({ textOverflow: 'reject' });
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: long }))).toBe('msg_too_long');
    expect(sandbox.messages('general')).toHaveLength(1);
  });
});

describe('chat.update and chat.delete', () => {
  beforeEach(() => start());

  it('edits and deletes the app’s own messages by channel + ts', async () => {
    const posted = await client.chat.postMessage({ channel: 'cs-alerts', text: 'Acme 38' });
    const updated = await client.chat.update({ channel: String(posted.channel), ts: String(posted.ts), text: 'Acme 30' });
    expect(updated).toMatchObject({ ok: true, channel: posted.channel, ts: posted.ts, text: 'Acme 30' });
    expect(sandbox.messages('cs-alerts')).toMatchObject([{ ts: posted.ts, text: 'Acme 30', edited: { user: 'U0SANDBOT1' } }]);

    const deleted = await client.chat.delete({ channel: String(posted.channel), ts: String(posted.ts) });
    expect(deleted).toMatchObject({ ok: true, channel: posted.channel, ts: posted.ts });
    expect(sandbox.messages('cs-alerts')).toEqual([]);
  });

  it('answers message_not_found, cant_update_message and cant_delete_message', async () => {
    expect(await platformError(client.chat.update({ channel: 'C0GENERAL01', ts: '1700000000.000001', text: 'x' }))).toBe('message_not_found');
    expect(await platformError(client.chat.delete({ channel: 'C0GENERAL01', ts: '1700000000.000001' }))).toBe('message_not_found');
    const humanTs = sandbox.postAsUser('general', 'written by a person');
    expect(await platformError(client.chat.update({ channel: 'C0GENERAL01', ts: humanTs, text: 'x' }))).toBe('cant_update_message');
    expect(await platformError(client.chat.delete({ channel: 'C0GENERAL01', ts: humanTs }))).toBe('cant_delete_message');
    expect(sandbox.messages('general').map((m) => m.text)).toEqual(['written by a person']);
  });
});

describe("the workspace's message edit window", () => {
  it('answers chat.update edit_window_closed on a message older than the window; chat.delete still works', async () => {
    await start({ messageEditWindowMinutes: 5 });
    const posted = await client.chat.postMessage({ channel: '#cs-alerts', text: 'first' });
    now += 4 * 60_000;
    expect(await client.chat.update({ channel: String(posted.channel), ts: String(posted.ts), text: 'within' })).toMatchObject({ ok: true });
    now += 2 * 60_000;
    expect(await platformError(client.chat.update({ channel: String(posted.channel), ts: String(posted.ts), text: 'too late' }))).toBe('edit_window_closed');
    expect(sandbox.messages('cs-alerts').map((m) => m.text)).toEqual(['within']);
    expect(await client.chat.delete({ channel: String(posted.channel), ts: String(posted.ts) })).toMatchObject({ ok: true });
  });
});

describe('message metadata', () => {
  beforeEach(() => start());

  const metadata = { event_type: 'backflow_record', event_payload: { sync: 'accounts', run: 'r1', key: '42' } };

  it('stores chat.postMessage metadata on the message; history and replies return it only with include_all_metadata', async () => {
    const parent = await client.chat.postMessage({ channel: 'cs-alerts', text: 'Acme is at-risk', metadata });
    expect(parent.message).toMatchObject({ text: 'Acme is at-risk', metadata });
    const reply = { ...metadata, event_payload: { ...metadata.event_payload, key: '43' } };
    await client.chat.postMessage({ channel: 'cs-alerts', text: 'a reply', thread_ts: String(parent.ts), metadata: reply });
    await client.chat.postMessage({ channel: 'cs-alerts', text: 'no metadata' });
    expect(sandbox.messages('cs-alerts').map((m) => m.metadata)).toEqual([metadata, reply, undefined]);

    const plain = await client.conversations.history({ channel: 'C0CSALERTS1' });
    expect(plain.messages?.map((m) => [m.text, 'metadata' in m])).toEqual([
      ['no metadata', false],
      ['Acme is at-risk', false],
    ]);
    const withMetadata = await client.conversations.history({ channel: 'C0CSALERTS1', include_all_metadata: true });
    expect(withMetadata.messages?.map((m) => m.metadata)).toEqual([undefined, metadata]);

    const thread = { channel: 'C0CSALERTS1', ts: String(parent.ts) };
    expect((await client.conversations.replies(thread)).messages?.some((m) => 'metadata' in m)).toBe(false);
    expect((await client.conversations.replies({ ...thread, include_all_metadata: true })).messages?.map((m) => m.metadata)).toEqual([metadata, reply]);
  });

  it('answers metadata that is not a JSON object invalid_metadata_format, and one without event_type and event_payload invalid_metadata_schema', async () => {
    // The client sends a string as is (an object it JSON-encodes): this one is not JSON.
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: 'x', metadata: '{not json' as never }))).toBe('invalid_metadata_format');
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: 'x', metadata: '["a"]' as never }))).toBe('invalid_metadata_format');
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: 'x', metadata: { event_type: 'backflow_record' } as never }))).toBe('invalid_metadata_schema');
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: 'x', metadata: { event_payload: { key: '1' } } as never }))).toBe('invalid_metadata_schema');
    expect(sandbox.messages('general')).toEqual([]);
  });

  it('keeps a message’s metadata through chat.update unless the update sends new metadata', async () => {
    const posted = await client.chat.postMessage({ channel: 'general', text: 'v1', metadata });
    const at = { channel: String(posted.channel), ts: String(posted.ts) };
    await client.chat.update({ ...at, text: 'v2' });
    expect(sandbox.messages('general')[0]).toMatchObject({ text: 'v2', metadata });
    const replaced = { event_type: 'backflow_record', event_payload: { key: '7' } };
    await client.chat.update({ ...at, text: 'v3', metadata: replaced });
    expect(sandbox.messages('general')[0]).toMatchObject({ text: 'v3', metadata: replaced });
  });
});

describe('token scopes', () => {
  beforeEach(() => start({ channels: [{ name: 'general', id: 'C0GENERAL01' }, { name: 'vip', id: 'G0VIPROOM01', private: true }], scopes: ['chat:write', 'channels:history'] }));

  it('answers a call its token lacks the scope for missing_scope, with the scope needed and the ones provided', async () => {
    await client.chat.postMessage({ channel: 'vip', text: 'posted with chat:write' });
    expect((await client.conversations.history({ channel: 'C0GENERAL01' })).ok).toBe(true);
    const denied = await rejection<WebAPIPlatformError>(client.conversations.history({ channel: 'G0VIPROOM01' }));
    expect(denied.data).toMatchObject({ ok: false, error: 'missing_scope', needed: 'groups:history', provided: 'chat:write,channels:history' });
    expect(await platformError(client.conversations.replies({ channel: 'G0VIPROOM01', ts: sandbox.messages('vip')[0]?.ts ?? '' }))).toBe('missing_scope');

    sandbox.setScopes(['channels:history']);
    expect(await rejection<WebAPIPlatformError>(client.chat.postMessage({ channel: 'general', text: 'x' }))).toMatchObject({ data: { error: 'missing_scope', needed: 'chat:write' } });
    sandbox.setScopes(undefined);
    expect((await client.conversations.history({ channel: 'G0VIPROOM01' })).messages?.map((m) => m.text)).toEqual(['posted with chat:write']);
    sandbox.reset();
    expect(await platformError(client.conversations.history({ channel: 'G0VIPROOM01' }))).toBe('missing_scope');
  });

  it('answers conversations.list missing_scope unless the token may read every type asked for: channels:read, groups:read', async () => {
    const denied = await rejection<WebAPIPlatformError>(client.conversations.list());
    expect(denied.data).toMatchObject({ ok: false, error: 'missing_scope', needed: 'channels:read', provided: 'chat:write,channels:history' });

    sandbox.setScopes(['channels:read']);
    expect((await client.conversations.list()).channels?.map((c) => c.name)).toEqual(['general']);
    const privateDenied = await rejection<WebAPIPlatformError>(client.conversations.list({ types: 'public_channel,private_channel' }));
    expect(privateDenied.data).toMatchObject({ error: 'missing_scope', needed: 'groups:read', provided: 'channels:read' });

    sandbox.setScopes(['groups:read']);
    expect((await client.conversations.list({ types: 'private_channel' })).channels?.map((c) => c.name)).toEqual(['vip']);
    expect(await rejection<WebAPIPlatformError>(client.conversations.list({ types: 'public_channel,private_channel' }))).toMatchObject({
      data: { error: 'missing_scope', needed: 'channels:read' },
    });

    sandbox.setScopes(['channels:read', 'groups:read']);
    expect((await client.conversations.list({ types: 'public_channel,private_channel' })).channels?.map((c) => c.name)).toEqual(['general', 'vip']);
  });
});

describe('x-oauth-scopes', () => {
  it('names the token’s scopes on every answer, which the client reads into response_metadata.scopes', async () => {
    await start({ scopes: ['chat:write', 'chat:write.public'] });
    expect((await client.auth.test()).response_metadata?.scopes).toEqual(['chat:write', 'chat:write.public']);
    const denied = await rejection<WebAPIPlatformError>(client.conversations.list());
    expect(denied.data.response_metadata?.scopes).toEqual(['chat:write', 'chat:write.public']);
    sandbox.setScopes(['chat:write']);
    expect((await client.chat.postMessage({ channel: 'general', text: 'x' })).response_metadata?.scopes).toEqual(['chat:write']);
  });
});

describe('conversations.list', () => {
  beforeEach(() =>
    start({
      channels: ['general', 'cs-alerts', 'a', 'b', 'c'].map((name) => ({ name })).concat([{ name: 'secret', private: true } as { name: string }]),
    }),
  );

  it('pages with cursor/limit and next_cursor, which the client paginator follows', async () => {
    const first = await client.conversations.list({ limit: 2 });
    expect(first.channels?.map((c) => c.name)).toEqual(['general', 'cs-alerts']);
    expect(first.channels?.[0]?.id).toMatch(/^C[0-9A-Z]{10}$/);
    expect(first.response_metadata?.next_cursor).not.toBe('');

    const names: string[] = [];
    for await (const page of client.paginate('conversations.list', { limit: 2 })) {
      for (const c of (page as unknown as { channels: Array<{ name: string }> }).channels) names.push(c.name);
    }
    expect(names).toEqual(['general', 'cs-alerts', 'a', 'b', 'c']);

    const both = await client.conversations.list({ types: 'public_channel,private_channel', limit: 100 });
    expect(both.channels?.map((c) => c.name)).toContain('secret');
    expect(await platformError(client.conversations.list({ cursor: 'bm9wZQ==' }))).toBe('invalid_cursor');
    expect(await platformError(client.conversations.list({ types: 'public_channel,bogus' }))).toBe('invalid_types');
  });

  it('answers conversations.info for one channel by id, as conversations.list shows it', async () => {
    const listed = (await client.conversations.list({ limit: 1 })).channels?.[0];
    const info = await client.conversations.info({ channel: String(listed?.id) });
    expect(info.channel).toEqual(listed);
    expect(await platformError(client.conversations.info({ channel: 'C0NOTHERE01' }))).toBe('channel_not_found');
    expect(await platformError(client.conversations.info({ channel: '#general' }))).toBe('channel_not_found');
  });
});

describe('rate limits', () => {
  beforeEach(() => start({ limits: { postMessageBurst: 2 } }));

  it('limits chat.postMessage per channel (burst, then 1/s) with 429, Retry-After and ratelimited', async () => {
    await client.chat.postMessage({ channel: 'general', text: '1' });
    await client.chat.postMessage({ channel: 'general', text: '2' });
    const limited = await rejection<WebAPIRateLimitedError>(client.chat.postMessage({ channel: 'general', text: '3' }));
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.retryAfter).toBe(1);
    // Another channel has its own allowance.
    await client.chat.postMessage({ channel: 'cs-alerts', text: 'elsewhere' });
    now += 1000;
    await client.chat.postMessage({ channel: 'general', text: '3' });
    expect(sandbox.messages('general').map((m) => m.text)).toEqual(['1', '2', '3']);
    expect(sandbox.requests().filter((r) => r.status === 429)).toMatchObject([{ method: 'chat.postMessage', error: 'ratelimited' }]);

    const raw = await fetch(`${sandbox.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'channel=general&text=4',
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('limits other methods by their tier per minute, and setLimits can turn limits off', async () => {
    sandbox.setLimits({ tierPerMinute: { 1: 1, 2: 2, 3: 50, 4: 100 } });
    await client.conversations.list();
    await client.conversations.list();
    const limited = await rejection<WebAPIRateLimitedError>(client.conversations.list());
    expect(limited.retryAfter).toBe(30);
    now += 30_000;
    await client.conversations.list();

    sandbox.setLimits({ enabled: false });
    for (let i = 0; i < 5; i += 1) await client.chat.postMessage({ channel: 'general', text: `fast ${i}` });
    expect(sandbox.messages('general')).toHaveLength(5);
  });
});

describe('incoming webhooks (@slack/webhook)', () => {
  beforeEach(() => start());

  it('posts a JSON message to the webhook’s channel and answers the text ok', async () => {
    const hook = new IncomingWebhook(sandbox.webhookUrl);
    expect(sandbox.webhookUrl).toMatch(/\/services\/T0SANDBOX1\/B[0-9A-Z]{10}\/[A-Za-z0-9]{24}$/);
    expect(await hook.send({ text: 'Globex is healthy' })).toEqual({ text: 'ok' });
    const alerts = new IncomingWebhook(sandbox.createWebhook('#cs-alerts'));
    await alerts.send('Acme is at risk');
    expect(sandbox.messages('general').map((m) => m.text)).toEqual(['Globex is healthy']);
    expect(sandbox.messages('cs-alerts').map((m) => m.text)).toEqual(['Acme is at risk']);
  });

  it('takes the message as a form-encoded payload parameter too, as Slack documents', async () => {
    const res = await fetch(sandbox.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payload: JSON.stringify({ text: 'from a form' }) }).toString(),
    });
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect(sandbox.messages('general').map((m) => m.text)).toEqual(['from a form']);
  });

  it('ignores a channel in the payload: an app webhook always posts to the channel it was created for', async () => {
    const hook = new IncomingWebhook(sandbox.webhookUrl);
    expect(await hook.send({ text: 'meant for alerts', channel: '#cs-alerts' })).toEqual({ text: 'ok' });
    const raw = await fetch(sandbox.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'meant for nowhere', channel: '#missing' }) });
    expect([raw.status, await raw.text()]).toEqual([200, 'ok']);
    expect(sandbox.messages('general').map((m) => m.text)).toEqual(['meant for alerts', 'meant for nowhere']);
    expect(sandbox.messages('cs-alerts')).toEqual([]);
  });

  it('answers plain-text error codes with their documented statuses', async () => {
    const hook = new IncomingWebhook(sandbox.webhookUrl);
    const noText = await rejection<IncomingWebhookHTTPError>(hook.send({ text: '' }));
    expect([noText.statusCode, noText.body]).toEqual([400, 'no_text']);
    const noService = await rejection<IncomingWebhookHTTPError>(new IncomingWebhook(`${sandbox.webhookUrl}x`).send('x'));
    expect([noService.statusCode, noService.body]).toEqual([404, 'no_service']);
    const badJson = await fetch(sandbox.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect([badJson.status, await badJson.text()]).toEqual([400, 'invalid_payload']);
    expect(sandbox.messages('general')).toEqual([]);
  });
});

describe('fault profile', () => {
  beforeEach(() => start());

  it('injects 429 (Slack-shaped), 500, 503 and token_expired', async () => {
    sandbox.setFaults({ rateLimited: 1, retryAfterSeconds: 12 });
    const limited = await rejection<WebAPIRateLimitedError>(client.auth.test());
    expect(limited.retryAfter).toBe(12);
    sandbox.setFaults({ serverError: 1 });
    const http500 = await rejection<WebAPIHTTPError>(client.auth.test());
    expect([http500.code, http500.statusCode]).toEqual([ErrorCode.HTTPError, 500]);
    sandbox.setFaults({ unavailable: 1 });
    expect((await rejection<WebAPIHTTPError>(client.auth.test())).statusCode).toBe(503);
    sandbox.setFaults({ tokenExpired: 1 });
    expect(await platformError(client.auth.test())).toBe('token_expired');
    const webhook = await rejection<IncomingWebhookHTTPError>(new IncomingWebhook(sandbox.webhookUrl).send('x'));
    expect([webhook.statusCode, webhook.body]).toEqual([403, 'invalid_token']);
  });

  it('applies a write, then answers 500, so a retry would post twice', async () => {
    sandbox.setFaults({ applyThenFail: 1 });
    const err = await rejection<WebAPIHTTPError>(client.chat.postMessage({ channel: 'general', text: 'landed' }));
    expect(err.statusCode).toBe(500);
    expect(sandbox.messages('general').map((m) => m.text)).toEqual(['landed']);
    // A rejected write is not applied, so it is answered as usual.
    expect(await platformError(client.chat.postMessage({ channel: 'general', text: '' }))).toBe('no_text');
  });

  it('resets connections and leaves requests hanging until the client times out', async () => {
    sandbox.setFaults({ connectionReset: 1 });
    expect((await rejection<Error & { code: string }>(client.auth.test())).code).toBe(ErrorCode.RequestError);
    sandbox.setFaults({ timeout: 1 });
    expect((await rejection<Error & { code: string }>(webClient(sandbox, sandbox.token, 200).auth.test())).code).toBe(ErrorCode.RequestError);
    expect(sandbox.requests().map((r) => [r.fault, r.status])).toEqual([
      ['connectionReset', 0],
      ['timeout', 0],
    ]);
  });

  it('is set, read and cleared through the admin endpoints', async () => {
    const base = sandbox.apiUrl.replace(/\/api\/$/, '');
    const set = await fetch(`${base}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ serverError: 1 }) });
    expect(await set.json()).toEqual({ serverError: 1 });
    expect((await rejection<WebAPIHTTPError>(client.auth.test())).statusCode).toBe(500);
    expect((await fetch(`${base}/__sandbox/faults`, { method: 'POST', body: '{"sever":1}' })).status).toBe(400);
    expect((await fetch(`${base}/__sandbox/reset`, { method: 'POST' })).status).toBe(204);
    await client.chat.postMessage({ channel: 'general', text: 'after reset' });
    const messages = (await (await fetch(`${base}/__sandbox/messages?channel=%23general`)).json()) as Array<{ text: string }>;
    expect(messages.map((m) => m.text)).toEqual(['after reset']);
    const requests = (await (await fetch(`${base}/__sandbox/requests`)).json()) as Array<{ method: string }>;
    expect(requests.map((r) => r.method)).toEqual(['chat.postMessage']);
  });
});
