/**
 * The Web API methods the emulator serves, over the workspace store. Each takes the call's
 * arguments (query, form or JSON body merged) and returns Slack's `ok: true` body or throws a
 * SlackApiError. Rate limits and auth are the server's job.
 */
import { bool, str, type Args } from './args';
import { parseBlocks } from './blocks';
import { SlackApiError } from './errors';
import type { LimitCheck } from './limits';
import { channelCursor, channelFromCursor, pageLimit, timeWindow, tsCursor, tsFromCursor, tsMicros, type LimitRule } from './paging';
import { APP_ID, BOT_ID, BOT_USER_ID, HUMAN_USER_ID, TEAM_ID, TEAM_NAME, type Channel, type Workspace } from './store';
import type { SlackMessage, SlackMessageMetadata } from './types';

export const MAX_TEXT_CHARS = 40_000;

export interface MethodContext {
  workspace: Workspace;
  textOverflow: 'truncate' | 'reject';
  /** Per-channel chat.postMessage limit, checked once the channel is known. */
  postToChannel(channelId: string): LimitCheck;
  /** Set when a write landed, so "apply then fail" faults only fire after a real write. */
  onWrite(): void;
  /** Throws `missing_scope` unless the bot token was granted `scope`. */
  requireScope(scope: string): void;
  /** Whether `scope` was granted by name (the every-scope default leaves out ones that widen access). */
  granted(scope: string): boolean;
  /** Whether the workspace's message edit setting still lets a message posted at `ts` be edited. */
  editable(ts: string): boolean;
}

/** Thrown by chat.postMessage when its channel's bucket is empty (the server answers 429). */
export class ChannelRateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('ratelimited');
  }
}

/**
 * The `channel` argument: an id. Only long-lived methods (here chat.postMessage) also take a name
 * (`#general`, `general`); newer ones (chat.update/delete, conversations.*) answer a name
 * `channel_not_found`, as Slack does.
 */
function channelArg(ctx: MethodContext, args: Args, takesName = false): Channel {
  const ref = str(args, 'channel')?.trim();
  if (ref === undefined || ref === '') throw new SlackApiError('channel_not_found');
  const channel = takesName ? ctx.workspace.findChannel(ref) : ctx.workspace.allChannels().find((c) => c.id === ref);
  if (channel === undefined) throw new SlackApiError('channel_not_found');
  return channel;
}

/** A channel the bot may read: a private one it is not in does not exist for it. */
function readableChannel(ctx: MethodContext, args: Args): Channel {
  const channel = channelArg(ctx, args);
  if (!channel.member && channel.private) throw new SlackApiError('channel_not_found');
  if (!channel.member) throw new SlackApiError('not_in_channel');
  return channel;
}

/** The scope conversations.history/replies need on this channel. */
function historyScope(channel: Channel): string {
  return channel.private ? 'groups:history' : 'channels:history';
}

/**
 * A channel chat.postMessage may post to: a private one the app is not in does not exist for it;
 * a public one it is not in needs `chat:write.public` (the scope lets apps post without joining).
 */
function writableChannel(ctx: MethodContext, args: Args): Channel {
  const channel = channelArg(ctx, args, true);
  if (!channel.member && channel.private) throw new SlackApiError('channel_not_found');
  if (channel.archived) throw new SlackApiError('is_archived');
  if (!channel.member && !ctx.granted('chat:write.public')) throw new SlackApiError('not_in_channel');
  return channel;
}

/** Text + blocks of a new or edited message; Slack needs at least one of them. */
function content(ctx: MethodContext, args: Args): { text: string; blocks: unknown[] | undefined; warnings: string[] } {
  const blocks = parseBlocks(args['blocks']);
  let text = str(args, 'text') ?? '';
  const attachments = str(args, 'attachments');
  if (text.trim() === '' && blocks === undefined && (attachments === undefined || attachments === '' || attachments === '[]')) {
    throw new SlackApiError('no_text');
  }
  const warnings: string[] = [];
  if (text.length > MAX_TEXT_CHARS) {
    if (ctx.textOverflow === 'reject') throw new SlackApiError('msg_too_long');
    text = text.slice(0, MAX_TEXT_CHARS);
    warnings.push('message_truncated');
  }
  return { text, blocks, warnings };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A `metadata` argument (a JSON string from form bodies, an object from JSON bodies): not JSON or
 * not an object → `invalid_metadata_format`; without a string `event_type` and an object
 * `event_payload` → `invalid_metadata_schema`. Undefined when none was sent.
 */
export function parseMetadata(raw: unknown): SlackMessageMetadata | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw new SlackApiError('invalid_metadata_format');
    }
  }
  if (!isRecord(value)) throw new SlackApiError('invalid_metadata_format');
  const eventType = value['event_type'];
  const payload = value['event_payload'];
  if (typeof eventType !== 'string' || eventType.trim() === '' || !isRecord(payload)) throw new SlackApiError('invalid_metadata_schema');
  return { event_type: eventType, event_payload: structuredClone(payload) };
}

function withWarnings(body: Record<string, unknown>, warnings: string[]): Record<string, unknown> {
  if (warnings.length === 0) return body;
  return {
    ...body,
    response_metadata: {
      warnings,
      messages: ['[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters.'],
    },
  };
}

/** A message as the API shows it: without `channel`, and without `metadata` unless asked for (`include_all_metadata`). */
function publicMessage(message: SlackMessage, withMetadata = true): Omit<SlackMessage, 'channel'> {
  const copy: Partial<SlackMessage> = structuredClone(message);
  delete copy.channel;
  if (!withMetadata) delete copy.metadata;
  return copy as Omit<SlackMessage, 'channel'>;
}

function authTest(): Record<string, unknown> {
  return {
    ok: true,
    url: `https://${TEAM_NAME}.slack.com/`,
    team: TEAM_NAME,
    user: 'backflow',
    team_id: TEAM_ID,
    user_id: BOT_USER_ID,
    bot_id: BOT_ID,
    is_enterprise_install: false,
  };
}

function postMessage(ctx: MethodContext, args: Args): Record<string, unknown> {
  ctx.requireScope('chat:write');
  const channel = writableChannel(ctx, args);
  const { text, blocks, warnings } = content(ctx, args);
  const metadata = parseMetadata(args['metadata']);
  const limited = ctx.postToChannel(channel.id);
  if (!limited.ok) throw new ChannelRateLimited(limited.retryAfterSeconds);
  const threadTs = str(args, 'thread_ts');
  const message: SlackMessage = {
    type: 'message',
    channel: channel.id,
    ts: ctx.workspace.nextTs(),
    text,
    user: BOT_USER_ID,
    bot_id: BOT_ID,
    app_id: APP_ID,
    team: TEAM_ID,
  };
  if (blocks !== undefined) message.blocks = blocks;
  if (threadTs !== undefined && threadTs !== '') {
    message.thread_ts = threadTs;
    // Also shown in the channel, as a thread_broadcast message.
    if (bool(args, 'reply_broadcast')) message.subtype = 'thread_broadcast';
  }
  if (metadata !== undefined) message.metadata = metadata;
  ctx.workspace.append(message);
  ctx.onWrite();
  return withWarnings({ ok: true, channel: channel.id, ts: message.ts, message: publicMessage(message) }, warnings);
}

function ownMessage(ctx: MethodContext, args: Args, cannot: string): { channel: Channel; message: SlackMessage } {
  ctx.requireScope('chat:write');
  const channel = channelArg(ctx, args);
  const ts = str(args, 'ts');
  const message = ts === undefined ? undefined : ctx.workspace.find(channel.id, ts);
  if (message === undefined) throw new SlackApiError('message_not_found');
  if (message.user !== BOT_USER_ID) throw new SlackApiError(cannot);
  return { channel, message };
}

function update(ctx: MethodContext, args: Args): Record<string, unknown> {
  const { channel, message } = ownMessage(ctx, args, 'cant_update_message');
  if (channel.archived) throw new SlackApiError('is_archived');
  if (!ctx.editable(message.ts)) throw new SlackApiError('edit_window_closed');
  const { text, blocks, warnings } = content(ctx, args);
  // chat.update takes `metadata` too: sent, it replaces the message's; left out, it is kept.
  const metadata = parseMetadata(args['metadata']);
  message.text = text;
  if (metadata !== undefined) message.metadata = metadata;
  if (blocks !== undefined) message.blocks = blocks;
  else if (args['blocks'] !== undefined) delete message.blocks;
  message.edited = { user: BOT_USER_ID, ts: ctx.workspace.nextTs() };
  ctx.onWrite();
  return withWarnings({ ok: true, channel: channel.id, ts: message.ts, text: message.text, message: publicMessage(message) }, warnings);
}

function remove(ctx: MethodContext, args: Args): Record<string, unknown> {
  const { channel, message } = ownMessage(ctx, args, 'cant_delete_message');
  ctx.workspace.remove(channel.id, message.ts);
  ctx.onWrite();
  return { ok: true, channel: channel.id, ts: message.ts };
}

/** Page sizes from each method's reference page. */
const LIST_LIMIT: LimitRule = { fallback: 100, max: 1000, outOfRange: 'reject' };
const HISTORY_LIMIT: LimitRule = { fallback: 100, max: 999, outOfRange: 'clamp' };
const REPLIES_LIMIT: LimitRule = { fallback: 1000, max: 1000, outOfRange: 'clamp' };

/** The read scope listing each conversation type needs (conversations.list reference). */
const LIST_SCOPES: ReadonlyMap<string, string> = new Map([
  ['public_channel', 'channels:read'],
  ['private_channel', 'groups:read'],
  ['mpim', 'mpim:read'],
  ['im', 'im:read'],
]);

function conversationsList(ctx: MethodContext, args: Args): Record<string, unknown> {
  const types = (str(args, 'types') ?? 'public_channel').split(',').map((t) => t.trim());
  if (types.some((type) => !LIST_SCOPES.has(type))) throw new SlackApiError('invalid_types');
  for (const type of types) {
    const scope = LIST_SCOPES.get(type);
    if (scope !== undefined) ctx.requireScope(scope);
  }
  const limit = pageLimit(args, LIST_LIMIT);
  const excludeArchived = bool(args, 'exclude_archived');
  const all = ctx.workspace.allChannels();
  const startId = channelFromCursor(args);
  const start = startId === undefined ? 0 : all.findIndex((c) => c.id === startId);
  if (start < 0) throw new SlackApiError('invalid_cursor');
  const matching = all
    .slice(start)
    .filter((c) => types.includes(c.private ? 'private_channel' : 'public_channel'))
    // A private channel is listed only to its members.
    .filter((c) => !c.private || c.member)
    .filter((c) => !(excludeArchived && c.archived));
  const next = matching[limit];
  return {
    ok: true,
    channels: matching.slice(0, limit).map(conversationOf),
    response_metadata: { next_cursor: next === undefined ? '' : channelCursor(next.id) },
  };
}

/** A channel as conversations.list and conversations.info show it. */
function conversationOf(c: Channel): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !c.private,
    is_group: false,
    is_im: false,
    is_private: c.private,
    is_archived: c.archived,
    is_general: c.name === 'general',
    is_member: c.member,
    created: c.created,
    creator: HUMAN_USER_ID,
    context_team_id: TEAM_ID,
  };
}

/** `conversations.info`: one channel by id (a private one only to its members), under the scope its type needs. */
function conversationsInfo(ctx: MethodContext, args: Args): Record<string, unknown> {
  const channel = channelArg(ctx, args);
  ctx.requireScope(channel.private ? 'groups:read' : 'channels:read');
  if (channel.private && !channel.member) throw new SlackApiError('channel_not_found');
  return { ok: true, channel: conversationOf(channel) };
}

/** Messages from a cursor's position on: at or before it for newest-first history, at or after it for threads. */
function fromCursor(args: Args, order: 'newest-first' | 'oldest-first'): (m: SlackMessage) => boolean {
  const start = tsFromCursor(args);
  if (start === undefined) return () => true;
  return (m) => {
    const t = tsMicros(m.ts) ?? 0;
    return order === 'newest-first' ? t <= start : t >= start;
  };
}

/** One page of `items` and the cursor to the item after it; metadata only when the call asked for it. */
function messagePage(items: SlackMessage[], limit: number, args: Args): Record<string, unknown> {
  const next = items[limit];
  const withMetadata = bool(args, 'include_all_metadata');
  return {
    messages: items.slice(0, limit).map((m) => publicMessage(m, withMetadata)),
    has_more: next !== undefined,
    response_metadata: { next_cursor: next === undefined ? '' : tsCursor(next.ts) },
  };
}

function conversationsHistory(ctx: MethodContext, args: Args): Record<string, unknown> {
  const channel = readableChannel(ctx, args);
  ctx.requireScope(historyScope(channel));
  const limit = pageLimit(args, HISTORY_LIMIT);
  const inWindow = timeWindow(args);
  const onPage = fromCursor(args, 'newest-first');
  // Newest first; thread replies live in conversations.replies, not in the channel history (a
  // broadcast reply is in both).
  const visible = ctx.workspace
    .messages(channel.id)
    .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
    .filter((m) => inWindow(m.ts) && onPage(m))
    .reverse();
  return { ok: true, ...messagePage(visible, limit, args), pin_count: 0 };
}

/**
 * A thread by the ts of its parent or of any reply: the parent first (whatever `oldest`/`latest`
 * say, as Slack returns it), then the replies in the window, oldest first. Pages after the first
 * carry only replies. A message without replies comes back alone.
 */
function conversationsReplies(ctx: MethodContext, args: Args): Record<string, unknown> {
  const channel = readableChannel(ctx, args);
  ctx.requireScope(historyScope(channel));
  const ts = str(args, 'ts');
  const thread = ts === undefined || ts === '' ? undefined : ctx.workspace.thread(channel.id, ts);
  if (thread === undefined) throw new SlackApiError('thread_not_found');
  const limit = pageLimit(args, REPLIES_LIMIT);
  const inWindow = timeWindow(args);
  const firstPage = tsFromCursor(args) === undefined;
  const replies = thread.replies.filter((m) => inWindow(m.ts)).filter(fromCursor(args, 'oldest-first'));
  return { ok: true, ...messagePage(firstPage ? [thread.parent, ...replies] : replies, limit, args) };
}

export const METHODS: Record<string, (ctx: MethodContext, args: Args) => Record<string, unknown>> = {
  'auth.test': () => authTest(),
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.delete': remove,
  'conversations.list': conversationsList,
  'conversations.info': conversationsInfo,
  'conversations.history': conversationsHistory,
  'conversations.replies': conversationsReplies,
};

/** Methods that change the workspace (the only ones an "apply then fail" fault applies to). */
export const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.delete']);
