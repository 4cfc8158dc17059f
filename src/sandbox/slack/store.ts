/**
 * The emulated workspace: channels, their messages, and `ts` values shaped like Slack's
 * (`"<unix seconds>.<6 digits>"`), unique and increasing within the workspace.
 */
import { randomBytes } from 'node:crypto';

import type { SlackChannelSeed, SlackMessage } from './types';

export const TEAM_ID = 'T0SANDBOX1';
export const TEAM_NAME = 'backflow-sandbox';
export const BOT_USER_ID = 'U0SANDBOT1';
export const BOT_ID = 'B0SANDBOT1';
export const APP_ID = 'A0SANDAPP1';
export const HUMAN_USER_ID = 'U0SANDUSR1';

export const DEFAULT_CHANNELS: SlackChannelSeed[] = [
  { name: 'general', id: 'C0GENERAL01' },
  { name: 'cs-alerts', id: 'C0CSALERTS1' },
];

export interface Channel {
  id: string;
  name: string;
  member: boolean;
  archived: boolean;
  private: boolean;
  created: number;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Slack-style id: a type letter and upper-case alphanumerics, e.g. `C07QX2M3P1A`. */
export function slackId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += ID_ALPHABET[byte % ID_ALPHABET.length] ?? 'A';
  return out;
}

export class Workspace {
  private channels: Channel[] = [];
  private readonly messagesByChannel = new Map<string, SlackMessage[]>();
  private lastTsMicros = 0;

  private readonly seeds: SlackChannelSeed[];

  constructor(
    seeds: SlackChannelSeed[],
    private readonly now: () => number,
  ) {
    // Ids are fixed once, so a reset keeps channel ids (and the webhooks pointing at them) stable.
    this.seeds = seeds.map((seed) => ({ ...seed, id: seed.id ?? slackId(seed.private === true ? 'G' : 'C') }));
    this.reset();
  }

  reset(): void {
    this.channels = [];
    this.messagesByChannel.clear();
    for (const seed of this.seeds) this.addChannel(seed);
  }

  addChannel(seed: SlackChannelSeed): Channel {
    const name = seed.name.replace(/^#/, '');
    const channel: Channel = {
      id: seed.id ?? slackId(seed.private === true ? 'G' : 'C'),
      name,
      member: seed.member ?? true,
      archived: seed.archived ?? false,
      private: seed.private ?? false,
      created: Math.floor(this.now() / 1000),
    };
    this.channels.push(channel);
    this.messagesByChannel.set(channel.id, []);
    return channel;
  }

  allChannels(): Channel[] {
    return [...this.channels];
  }

  /** By id (`C…`/`G…`), `#name` or bare name. */
  findChannel(ref: string): Channel | undefined {
    const trimmed = ref.trim();
    const byId = this.channels.find((c) => c.id === trimmed);
    if (byId !== undefined) return byId;
    const name = trimmed.replace(/^#/, '').toLowerCase();
    return this.channels.find((c) => c.name.toLowerCase() === name);
  }

  /** Next `ts`: the clock's time in microseconds, bumped to stay strictly increasing. */
  nextTs(): string {
    const micros = Math.max(Math.floor(this.now()) * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    const seconds = Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  messages(channelId: string): SlackMessage[] {
    return this.messagesByChannel.get(channelId) ?? [];
  }

  /** A message that is there (a deleted parent's tombstone is not). */
  find(channelId: string, ts: string): SlackMessage | undefined {
    return this.messages(channelId).find((m) => m.ts === ts && m.subtype !== 'tombstone');
  }

  append(message: SlackMessage): void {
    const list = this.messagesByChannel.get(message.channel);
    if (list === undefined) throw new Error(`unknown channel ${message.channel}`);
    // A reply to a reply joins the thread it is in: Slack threads are one level deep.
    const named = message.thread_ts === undefined ? undefined : list.find((m) => m.ts === message.thread_ts);
    if (named?.thread_ts !== undefined && named.thread_ts !== named.ts) message.thread_ts = named.thread_ts;
    const parent = this.parentOf(list, message);
    if (parent !== undefined) message.parent_user_id = parent.user;
    list.push(message);
    if (parent !== undefined) refreshThread(list, parent);
  }

  /**
   * Deletes a message. A parent whose thread has replies stays as a tombstone, its replies readable,
   * as in Slack; a tombstone goes once its last reply does.
   */
  remove(channelId: string, ts: string): boolean {
    const list = this.messagesByChannel.get(channelId);
    if (list === undefined) return false;
    const index = list.findIndex((m) => m.ts === ts);
    const removed = list[index];
    if (removed === undefined) return false;
    if ((removed.reply_count ?? 0) > 0) {
      removed.subtype = 'tombstone';
      removed.text = 'This message was deleted.';
      delete removed.blocks;
      delete removed.metadata;
      delete removed.edited;
      return true;
    }
    list.splice(index, 1);
    const parent = this.parentOf(list, removed);
    if (parent !== undefined) {
      refreshThread(list, parent);
      if (parent.subtype === 'tombstone' && parent.reply_count === undefined) list.splice(list.indexOf(parent), 1);
    }
    return true;
  }

  /**
   * The thread `ts` belongs to, by the ts of its parent or of any reply (as conversations.replies
   * takes either): the parent, then its replies oldest first. Undefined for an unknown ts.
   */
  thread(channelId: string, ts: string): { parent: SlackMessage; replies: SlackMessage[] } | undefined {
    const list = this.messages(channelId);
    const message = list.find((m) => m.ts === ts);
    if (message === undefined) return undefined;
    const parent = message.thread_ts === undefined || message.thread_ts === message.ts ? message : this.parentOf(list, message);
    if (parent === undefined) return undefined;
    return { parent, replies: list.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts) };
  }

  private parentOf(list: SlackMessage[], message: SlackMessage): SlackMessage | undefined {
    if (message.thread_ts === undefined || message.thread_ts === message.ts) return undefined;
    return list.find((m) => m.ts === message.thread_ts);
  }
}

/** A parent's thread fields, recounted from the replies it has now (so a deleted reply is no longer counted). */
function refreshThread(list: SlackMessage[], parent: SlackMessage): void {
  const replies = list.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  const last = replies[replies.length - 1];
  if (last === undefined) {
    delete parent.thread_ts;
    delete parent.reply_count;
    delete parent.reply_users;
    delete parent.reply_users_count;
    delete parent.latest_reply;
    return;
  }
  const users = [...new Set(replies.map((m) => m.user))];
  parent.thread_ts = parent.ts;
  parent.reply_count = replies.length;
  parent.reply_users = users;
  parent.reply_users_count = users.length;
  parent.latest_reply = last.ts;
}
