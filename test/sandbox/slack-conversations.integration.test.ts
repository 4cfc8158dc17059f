/**
 * The Slack sandbox's read methods through @slack/web-api: conversations.replies, cursors that
 * name a position (so writes between two pages neither repeat nor skip items), `limit` as each
 * method documents it, and the `oldest`/`latest` errors.
 */
import { ErrorCode, WebClient, type WebAPIPlatformError } from '@slack/web-api';

import { startSlackSandbox, type SlackSandbox } from '../../src/sandbox/slack';
import { rejectionOf } from '../support/rejection';
import { silentSlackLogger } from '../support/slackLogger';

let sandbox: SlackSandbox;
let client: WebClient;
const now = Date.UTC(2026, 0, 15, 9, 0, 0);

const silent = silentSlackLogger;

beforeEach(async () => {
  sandbox = await startSlackSandbox({
    clock: () => now,
    // Rate limits have their own tests; here they would only slow the paging down.
    limits: { enabled: false },
    channels: [{ name: 'general', id: 'C0GENERAL01' }, { name: 'quiet', id: 'C0QUIET0001', member: false }, { name: 'secret', id: 'G0SECRET001', private: true, member: false }],
  });
  client = new WebClient(sandbox.token, { slackApiUrl: sandbox.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logger: silent });
});

afterEach(async () => {
  await sandbox.close();
});

async function platformError(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await rejectionOf<WebAPIPlatformError>(promise);
  expect(err.code).toBe(ErrorCode.PlatformError);
  return err.data.error;
}

async function post(text: string, threadTs?: string): Promise<string> {
  const res = await client.chat.postMessage({ channel: 'C0GENERAL01', text, ...(threadTs !== undefined ? { thread_ts: threadTs } : {}) });
  return String(res.ts);
}

/** A thread: its parent and `count` replies, oldest first. */
async function thread(count: number): Promise<{ parent: string; replies: string[] }> {
  const parent = await post('parent');
  const replies: string[] = [];
  for (let i = 1; i <= count; i += 1) replies.push(await post(`reply ${i}`, parent));
  return { parent, replies };
}

const decoded = (cursor: string | undefined) => Buffer.from(cursor ?? '', 'base64').toString('utf8');

describe('conversations.replies', () => {
  it('answers the parent first, then its replies oldest first, by the ts of the parent or of any reply', async () => {
    const { parent, replies } = await thread(3);
    const human = sandbox.postAsUser('general', 'not in the thread');

    const res = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent });
    expect(res.messages?.map((m) => m.text)).toEqual(['parent', 'reply 1', 'reply 2', 'reply 3']);
    expect(res.messages?.[0]).toMatchObject({ ts: parent, thread_ts: parent, reply_count: 3, reply_users_count: 1, reply_users: ['U0SANDBOT1'], latest_reply: replies[2] });
    expect(res.messages?.[1]).toMatchObject({ ts: replies[0], thread_ts: parent, parent_user_id: 'U0SANDBOT1', bot_id: 'B0SANDBOT1' });
    expect(res).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });

    const byReply = await client.conversations.replies({ channel: 'C0GENERAL01', ts: String(replies[1]) });
    expect(byReply.messages?.map((m) => m.ts)).toEqual([parent, ...replies]);
    // A message without replies is an ordinary message: it comes back alone.
    const alone = await client.conversations.replies({ channel: 'C0GENERAL01', ts: human });
    expect(alone.messages?.map((m) => m.text)).toEqual(['not in the thread']);
    expect(alone.messages?.[0]?.reply_count).toBeUndefined();
  });

  it('filters replies by oldest/latest/inclusive but always leads with the parent', async () => {
    const { parent, replies } = await thread(4);
    const [r2, r3] = [String(replies[1]), String(replies[2])];
    const after = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, oldest: r2 });
    expect(after.messages?.map((m) => m.text)).toEqual(['parent', 'reply 3', 'reply 4']);
    const between = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, oldest: r2, latest: r3, inclusive: true });
    expect(between.messages?.map((m) => m.text)).toEqual(['parent', 'reply 2', 'reply 3']);
    expect((await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, oldest: r2, latest: r3 })).messages?.map((m) => m.text)).toEqual(['parent']);
  });

  it('pages with limit and next_cursor (the parent only on the first page), which the client paginator follows', async () => {
    const { parent } = await thread(4);
    const first = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['parent', 'reply 1']);
    expect(first.has_more).toBe(true);

    const texts: string[] = [];
    for await (const page of client.paginate('conversations.replies', { channel: 'C0GENERAL01', ts: parent, limit: 2 })) {
      for (const m of (page as unknown as { messages: Array<{ text: string }> }).messages) texts.push(m.text);
    }
    expect(texts).toEqual(['parent', 'reply 1', 'reply 2', 'reply 3', 'reply 4']);
  });

  it('recounts reply_count and latest_reply when a reply is deleted', async () => {
    const { parent, replies } = await thread(2);
    await client.chat.delete({ channel: 'C0GENERAL01', ts: String(replies[1]) });
    const res = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent });
    expect(res.messages?.map((m) => m.text)).toEqual(['parent', 'reply 1']);
    expect(res.messages?.[0]).toMatchObject({ reply_count: 1, latest_reply: replies[0] });
    expect((await client.conversations.history({ channel: 'C0GENERAL01' })).messages?.[0]).toMatchObject({ ts: parent, reply_count: 1 });
  });

  it('answers thread_not_found, channel_not_found, not_in_channel and invalid_ts_oldest', async () => {
    const { parent } = await thread(1);
    expect(await platformError(client.conversations.replies({ channel: 'C0GENERAL01', ts: '1700000000.000001' }))).toBe('thread_not_found');
    expect(await platformError(client.conversations.replies({ channel: 'C0GENERAL01', ts: '' }))).toBe('thread_not_found');
    expect(await platformError(client.conversations.replies({ channel: 'C0NOPE00001', ts: parent }))).toBe('channel_not_found');
    expect(await platformError(client.conversations.replies({ channel: 'C0QUIET0001', ts: parent }))).toBe('not_in_channel');
    expect(await platformError(client.conversations.replies({ channel: 'G0SECRET001', ts: parent }))).toBe('channel_not_found');
    expect(await platformError(client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, oldest: 'yesterday' }))).toBe('invalid_ts_oldest');
    expect(await platformError(client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, cursor: 'bm9wZQ==' }))).toBe('invalid_cursor');
  });
});

describe('cursors name where the next page starts', () => {
  it('conversations.history: a message posted between two pages is neither repeated nor pushed onto the next page', async () => {
    for (const text of ['m1', 'm2', 'm3', 'm4']) await post(text);
    const first = await client.conversations.history({ channel: 'C0GENERAL01', limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
    // Slack's shape: the ts (without its dot) of the first message of the next page.
    const m2 = sandbox.messages('general')[1]?.ts ?? '';
    expect(decoded(first.response_metadata?.next_cursor)).toBe(`next_ts:${m2.replace('.', '')}`);

    await post('m5');
    const second = await client.conversations.history({ channel: 'C0GENERAL01', limit: 2, cursor: first.response_metadata?.next_cursor ?? '' });
    expect(second.messages?.map((m) => m.text)).toEqual(['m2', 'm1']);
    expect(second).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });
  });

  it('conversations.replies: a reply deleted between two pages does not make the next page skip one', async () => {
    const { parent, replies } = await thread(4);
    const first = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['parent', 'reply 1']);
    await client.chat.delete({ channel: 'C0GENERAL01', ts: String(replies[0]) });
    const second = await client.conversations.replies({ channel: 'C0GENERAL01', ts: parent, limit: 2, cursor: first.response_metadata?.next_cursor ?? '' });
    expect(second.messages?.map((m) => m.text)).toEqual(['reply 2', 'reply 3']);
  });

  it('conversations.list: the cursor names the next channel, and one that no longer exists is invalid_cursor', async () => {
    const base = sandbox.apiUrl.replace(/\/api\/$/, '');
    const made = await fetch(`${base}/__sandbox/channels`, { method: 'POST', body: JSON.stringify({ name: 'temporary' }) });
    const temporary = ((await made.json()) as { id: string }).id;

    // The private #secret is not listed, so the next public channel is the new one.
    const first = await client.conversations.list({ limit: 2 });
    expect(first.channels?.map((c) => c.name)).toEqual(['general', 'quiet']);
    expect(decoded(first.response_metadata?.next_cursor)).toBe(`team:${temporary}`);
    // A reset drops the channel the cursor points at: Slack's "no longer valid" cursor.
    sandbox.reset();
    expect(await platformError(client.conversations.list({ limit: 2, cursor: first.response_metadata?.next_cursor ?? '' }))).toBe('invalid_cursor');
  });
});

describe('limit and the time window', () => {
  it('conversations.list answers an out-of-range limit with invalid_limit (1000 is the maximum)', async () => {
    expect(await platformError(client.conversations.list({ limit: 1001 }))).toBe('invalid_limit');
    expect(await platformError(client.conversations.list({ limit: 0 }))).toBe('invalid_limit');
    expect(await platformError(client.conversations.list({ limit: 'lots' as unknown as number }))).toBe('invalid_limit');
    expect((await client.conversations.list({ limit: 1000 })).channels?.map((c) => c.name)).toEqual(['general', 'quiet']);
  });

  it('conversations.history documents no limit error: a limit past 999 reads at most 999', async () => {
    for (let i = 0; i < 1001; i += 1) sandbox.postAsUser('general', `m${i}`);
    const res = await client.conversations.history({ channel: 'C0GENERAL01', limit: 5000 });
    expect(res.messages).toHaveLength(999);
    expect(res.has_more).toBe(true);
  });

  it('conversations.history answers an unreadable oldest or latest with invalid_ts_oldest / invalid_ts_latest', async () => {
    await post('m1');
    expect(await platformError(client.conversations.history({ channel: 'C0GENERAL01', oldest: 'yesterday' }))).toBe('invalid_ts_oldest');
    expect(await platformError(client.conversations.history({ channel: 'C0GENERAL01', latest: 'soon' }))).toBe('invalid_ts_latest');
    // Whole seconds are a Unix timestamp too.
    expect((await client.conversations.history({ channel: 'C0GENERAL01', oldest: String(now / 1000 - 60) })).messages).toHaveLength(1);
  });
});
