/**
 * The Web API methods the emulator serves, over the workspace store. Each takes the call's
 * arguments (query, form or JSON body merged) and returns Slack's `ok: true` body or throws a
 * SlackApiError. Rate limits and auth are the server's job.
 */
import { parseBlocks } from './blocks';
import { SlackApiError } from './errors';
import type { LimitCheck } from './limits';
import { APP_ID, BOT_ID, BOT_USER_ID, HUMAN_USER_ID, TEAM_ID, TEAM_NAME, type Channel, type Workspace } from './store';
import type { SlackMessage } from './types';

export const MAX_TEXT_CHARS = 40_000;

export type Args = Record<string, unknown>;

export interface MethodContext {
  workspace: Workspace;
  textOverflow: 'truncate' | 'reject';
  /** Per-channel chat.postMessage limit, checked once the channel is known. */
  postToChannel(channelId: string): LimitCheck;
  /** Set when a write landed, so "apply then fail" faults only fire after a real write. */
  onWrite(): void;
}

/** Thrown by chat.postMessage when its channel's bucket is empty (the server answers 429). */
export class ChannelRateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('ratelimited');
  }
}

function str(args: Args, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function bool(args: Args, name: string): boolean {
  const value = str(args, name);
  return value === 'true' || value === '1';
}

function int(args: Args, name: string, fallback: number, min: number, max: number): number {
  const raw = str(args, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) throw new SlackApiError('invalid_arguments');
  return Math.min(max, Math.max(min, n));
}

function channelArg(ctx: MethodContext, args: Args): Channel {
  const ref = str(args, 'channel');
  if (ref === undefined || ref === '') throw new SlackApiError('channel_not_found');
  const channel = ctx.workspace.findChannel(ref);
  if (channel === undefined) throw new SlackApiError('channel_not_found');
  return channel;
}

function writableChannel(ctx: MethodContext, args: Args): Channel {
  const channel = channelArg(ctx, args);
  if (channel.archived) throw new SlackApiError('is_archived');
  if (!channel.member) throw new SlackApiError('not_in_channel');
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

function publicMessage(message: SlackMessage): Omit<SlackMessage, 'channel'> {
  const copy: Partial<SlackMessage> = structuredClone(message);
  delete copy.channel;
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
  const channel = writableChannel(ctx, args);
  const { text, blocks, warnings } = content(ctx, args);
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
  if (threadTs !== undefined && threadTs !== '') message.thread_ts = threadTs;
  ctx.workspace.append(message);
  ctx.onWrite();
  return withWarnings({ ok: true, channel: channel.id, ts: message.ts, message: publicMessage(message) }, warnings);
}

function ownMessage(ctx: MethodContext, args: Args, cannot: string): { channel: Channel; message: SlackMessage } {
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
  const { text, blocks, warnings } = content(ctx, args);
  message.text = text;
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

/** Opaque cursors like Slack's (base64 of a position). */
function encodeCursor(kind: string, position: number): string {
  return Buffer.from(`${kind}:${position}`).toString('base64');
}

function decodeCursor(args: Args, kind: string): number {
  const cursor = str(args, 'cursor');
  if (cursor === undefined || cursor === '') return 0;
  const match = new RegExp(`^${kind}:(\\d+)$`).exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (match?.[1] === undefined) throw new SlackApiError('invalid_cursor');
  return Number(match[1]);
}

function conversationsList(ctx: MethodContext, args: Args): Record<string, unknown> {
  const limit = int(args, 'limit', 100, 1, 1000);
  const types = (str(args, 'types') ?? 'public_channel').split(',').map((t) => t.trim());
  const excludeArchived = bool(args, 'exclude_archived');
  const all = ctx.workspace
    .allChannels()
    .filter((c) => types.includes(c.private ? 'private_channel' : 'public_channel'))
    .filter((c) => !(excludeArchived && c.archived));
  const start = decodeCursor(args, 'channels');
  const page = all.slice(start, start + limit);
  const next = start + limit < all.length ? encodeCursor('channels', start + limit) : '';
  return {
    ok: true,
    channels: page.map((c) => ({
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
    })),
    response_metadata: { next_cursor: next },
  };
}

function tsNumber(ts: string | undefined, fallback: number): number {
  if (ts === undefined || ts === '') return fallback;
  const n = Number(ts);
  return Number.isFinite(n) ? n : fallback;
}

function conversationsHistory(ctx: MethodContext, args: Args): Record<string, unknown> {
  const channel = channelArg(ctx, args);
  if (!channel.member && channel.private) throw new SlackApiError('channel_not_found');
  if (!channel.member) throw new SlackApiError('not_in_channel');
  const limit = int(args, 'limit', 100, 1, 999);
  const inclusive = bool(args, 'inclusive');
  const oldest = tsNumber(str(args, 'oldest'), 0);
  const latest = tsNumber(str(args, 'latest'), Number.POSITIVE_INFINITY);
  // Newest first; thread replies live in conversations.replies, not in the channel history.
  const visible = ctx.workspace
    .messages(channel.id)
    .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
    .filter((m) => {
      const t = Number(m.ts);
      return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
    })
    .reverse();
  const start = decodeCursor(args, 'history');
  const page = visible.slice(start, start + limit);
  const hasMore = start + limit < visible.length;
  return {
    ok: true,
    messages: page.map(publicMessage),
    has_more: hasMore,
    pin_count: 0,
    response_metadata: { next_cursor: hasMore ? encodeCursor('history', start + limit) : '' },
  };
}

export const METHODS: Record<string, (ctx: MethodContext, args: Args) => Record<string, unknown>> = {
  'auth.test': () => authTest(),
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.delete': remove,
  'conversations.list': conversationsList,
  'conversations.history': conversationsHistory,
};

/** Methods that change the workspace (the only ones an "apply then fail" fault applies to). */
export const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.delete']);
