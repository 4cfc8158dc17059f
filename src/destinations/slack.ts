import { createHash, randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import type { SlackConnection } from '../config/schema';
import { BackflowError } from '../errors';
import type {
  BatchCost,
  Destination,
  DestinationLimits,
  DestinationRecord,
  PlannedRecord,
  RecordError,
  RecordResult,
  TargetCheckInput,
  TargetIssue,
  WriteContext,
  WriteResult,
} from './destination';
import { nothingToDelete } from './destination';
import { withApiCalls } from './failedWriteCalls';
import type { WriteOperation } from './modes';
import { classifySlackError, historyUnreadable, lacksScope, postedNothing } from './slackErrors';
import { MessageRenderer, unmappedVariables } from './slackMessages';
import { CHANNEL_MESSAGES_PER_SECOND, sharedChannelPacer, type ChannelPacer } from './slackPacing';
import {
  DIGEST_KEY,
  digestMessageId,
  isPostOf,
  isRowPost,
  messageId,
  parseMessageId,
  parseProgress,
  postMetadata,
  type PendingPost,
  type PostMetadata,
  type PostRef,
  type SlackProgress,
} from './slackProgress';
import type { SlackTarget } from './slackTarget';

/** Messages per batch: at ~1 message/s per channel a batch stays well inside the activity's timeout. */
export const SLACK_BATCH_SIZE = 50;
/** A digest summarises a whole batch, so a run of up to this many rows is one message. */
export const SLACK_DIGEST_BATCH_SIZE = 10_000;
export const DEFAULT_API_URL = 'https://slack.com/api/';
/** How far before a lost post's send time its message is looked for (clock skew between us and Slack). */
const RECOVERY_SKEW_SECONDS = 120;
/** Messages per page when looking for a lost post (Slack advises pages of at most 200). */
const RECOVERY_PAGE_SIZE = 200;

/**
 * Channel ids by the name posts used (per API and token), learned from chat.postMessage's answers:
 * the per-channel pace is keyed by the channel, not by how a sync wrote it (`#cs-alerts`, `cs-alerts`
 * and `C0CSALERTS1` are one channel, one message a second).
 */
const learnedChannelIds = new Map<string, string>();
/** A conversation id (public or private channel, DM, group DM) rather than a name. */
const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/;

interface ListedChannel {
  id: string;
  name: string;
  member: boolean;
  archived: boolean;
  private: boolean;
}

interface Sent {
  id: string;
  created: boolean;
}

/**
 * Slack through the Web API with a bot token: one message per added or changed row (Liquid
 * template), edited in place or followed up in its thread when the row changes, or one digest per
 * batch. The message's `channel:ts` is the row's destination id. Idempotent across retries through
 * the batch checkpoint (see slackProgress.ts).
 */
export class SlackDestination implements Destination {
  readonly limits: DestinationLimits;
  readonly operations: readonly WriteOperation[];
  private readonly client: WebClient;
  private readonly renderer: MessageRenderer;
  private readonly apiUrl: string;
  /** The API and token (hashed): whose channels a name means. */
  private readonly workspace: string;
  private channelIds: Map<string, string> | undefined;

  constructor(
    config: SlackConnection,
    private readonly target: SlackTarget,
    private readonly pacer: ChannelPacer = sharedChannelPacer,
  ) {
    this.apiUrl = config.apiUrl ?? DEFAULT_API_URL;
    this.workspace = `${this.apiUrl}|${createHash('sha256').update(config.token).digest('hex').slice(0, 16)}`;
    // Rate-limited calls throw instead of sleeping inside the activity: Temporal waits them out.
    this.client = new WebClient(config.token, {
      slackApiUrl: this.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: 30_000,
    });
    this.renderer = new MessageRenderer(target);
    this.limits = { maxBatchSize: target.digest ? SLACK_DIGEST_BATCH_SIZE : SLACK_BATCH_SIZE, concurrency: 1 };
    // A digest summarises changes; there is no per-row message to edit or delete.
    this.operations = target.digest ? ['upsert', 'insert'] : ['upsert', 'update', 'insert', 'delete'];
  }

  /**
   * A message (post, edit, or thread reply; a delete) per row, or one digest per batch. Paced a
   * second apart per channel: with a fixed channel that sets the time; with channelFrom it depends on
   * how the rows spread over channels, so no time is given. A delete with onChange: thread first reads
   * the message's thread (not paced) for the follow-ups to delete with it, which only Slack knows of.
   */
  costOf(operation: WriteOperation, records: number): BatchCost {
    const messages = this.target.digest && operation !== 'delete' ? 1 : records;
    const threadReads = operation === 'delete' && this.target.onChange === 'thread' ? records : 0;
    const requests = messages + threadReads;
    return this.target.channel !== undefined ? { requests, seconds: messages / CHANNEL_MESSAGES_PER_SECOND } : { requests };
  }

  /**
   * A row's message edited (or threaded) where the sync names its channel by a name this process has
   * not heard the id of yet (from a post's answer) is checked against the channel it is in: one
   * conversations.list, whose answer later batches reuse (namesChannel). A post earlier in the batch
   * to that name answers its id.
   */
  lookupsFor(operation: WriteOperation, records: readonly PlannedRecord[]): readonly string[] {
    if (this.target.digest || operation === 'delete' || operation === 'insert') return [];
    const posted = new Set<string>();
    for (const record of records) {
      const named = this.target.channel ?? channelFromRecord(record, this.target.channelFrom);
      if (named === undefined || this.knownChannelId(named) !== undefined) continue;
      const name = named.replace(/^#/, '').toLowerCase();
      if (parseMessageId(record.destinationId) === null) posted.add(name);
      else if (!posted.has(name)) return ['conversations.list'];
    }
    return [];
  }

  /**
   * What the write answers skipped by the row's stored message alone: update mode has none to edit,
   * insert mode posted it already, a delete has none of the row's own (never posted, or a digest's).
   */
  sendsNothingFor(operation: WriteOperation, record: PlannedRecord): boolean {
    if (this.target.digest) return false;
    const posted = parseMessageId(record.destinationId) !== null;
    return operation === 'insert' ? posted : (operation === 'update' || operation === 'delete') && !posted;
  }

  /** `when:` leaves the row out of a post, edit or digest; a delete removes the row's message whatever it says. */
  filters(operation: WriteOperation, record: Pick<DestinationRecord, 'key' | 'fields'>): boolean {
    return operation !== 'delete' && this.renderer.render(record).kind === 'skip';
  }

  /** Every variable of the templates, `when`, `channelFrom` and the digest's sort is mapped. */
  checkOffline(sync: TargetCheckInput): TargetIssue[] {
    return unmappedVariables(this.target, sync);
  }

  /**
   * The token works, and the fixed channel exists and the app may post there: it is a member, or the
   * channel is public and the token has `chat:write.public` (named by Slack's `x-oauth-scopes`).
   * Listing channels needs `channels:read` (and `groups:read` for private ones), which posting does
   * not: a channel the token cannot list is not reported (it was: validate failed a working sync
   * with `missing_scope`).
   */
  async check(): Promise<TargetIssue[]> {
    const auth = await this.call('auth.test', () => this.client.auth.test());
    const channel = this.target.channel;
    if (channel === undefined) return [];
    const listed = await this.call('conversations.list', () => this.visibleChannels());
    if (listed === undefined) return [];
    const found = listed.channels.find((c) => c.id === channel || `#${c.name}` === channel || c.name === channel);
    if (!found) {
      // Listed without private channels (no groups:read), a channel not found may be one of them.
      return listed.complete ? [{ path: 'destination.channel', message: `no channel ${channel} in this workspace (or the app cannot see it)` }] : [];
    }
    const postsUninvited = !found.private && auth.response_metadata?.scopes?.includes('chat:write.public') === true;
    if (!found.member && !postsUninvited) return [{ path: 'destination.channel', message: `the app is not a member of ${channel}: invite it (/invite @app), or grant it chat:write.public (public channels)` }];
    if (found.archived) return [{ path: 'destination.channel', message: `${channel} is archived` }];
    return [];
  }

  /**
   * The channels the token may list: public and private, else public only (`channels:read` without
   * `groups:read`: a public channel's name is still known); undefined without `channels:read`. Raw
   * Slack errors otherwise: callers classify them.
   */
  private async visibleChannels(counted: { calls: number } = { calls: 0 }): Promise<{ channels: ListedChannel[]; complete: boolean } | undefined> {
    for (const [types, complete] of [['public_channel,private_channel', true], ['public_channel', false]] as const) {
      try {
        return { channels: await this.listChannels(types, counted), complete };
      } catch (err) {
        if (!lacksScope(err)) throw err;
      }
    }
    return undefined;
  }

  async write(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult> {
    if (!this.operations.includes(operation)) {
      throw new BackflowError('MODE_NOT_SUPPORTED', `this Slack destination cannot ${operation}`);
    }
    const batch = new BatchWriter(this, context, parseProgress(context.checkpoint));
    try {
      if (operation === 'delete') return await batch.remove(records);
      if (this.target.digest) return await batch.digest(records);
      return await batch.messages(operation, records);
    } catch (err) {
      throw withApiCalls(err, batch.requestsMade);
    }
  }

  // ── used by BatchWriter ──

  render(record: DestinationRecord) {
    return this.renderer.render(record);
  }

  digestText(rows: Array<{ record: DestinationRecord; text: string }>): string {
    return this.renderer.digest(rows);
  }

  get settings(): SlackTarget {
    return this.target;
  }

  /** Posts with `metadata` naming the post (postMetadata), by which a retry can find it if the answer is lost. */
  async post(channel: string, text: string, threadTs: string | undefined, metadata: PostMetadata): Promise<{ channel: string; ts: string }> {
    await this.pacer.wait(this.paceKey(channel));
    const answer = await this.client.chat.postMessage({
      channel,
      text,
      metadata,
      unfurl_links: false,
      unfurl_media: false,
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
    });
    if (!answer.ts || !answer.channel) throw new Error('Slack chat.postMessage answered without channel and ts');
    if (!CHANNEL_ID.test(channel)) learnedChannelIds.set(this.nameKey(channel), answer.channel);
    return { channel: answer.channel, ts: answer.ts };
  }

  /** A channel's id from its id, or from a name an earlier post of this worker answered; no request. */
  knownChannelId(channel: string): string | undefined {
    return CHANNEL_ID.test(channel) ? channel : learnedChannelIds.get(this.nameKey(channel));
  }

  /** The pacing key of a channel however it is written: its id once known, else its normalised name. */
  private paceKey(channel: string): string {
    return `${this.apiUrl}|${this.knownChannelId(channel) ?? this.nameKey(channel)}`;
  }

  private nameKey(channel: string): string {
    return `${this.workspace}|${channel.replace(/^#/, '').toLowerCase()}`;
  }

  async update(channel: string, ts: string, text: string): Promise<void> {
    await this.pacer.wait(this.paceKey(channel));
    await this.client.chat.update({ channel, ts, text });
  }

  async remove(channel: string, ts: string): Promise<void> {
    await this.pacer.wait(this.paceKey(channel));
    await this.client.chat.delete({ channel, ts });
  }

  /**
   * The message a post whose answer never came left in the channel (or thread), if it landed: the
   * one whose metadata names this post (isPostOf) — never one that merely reads the same, which may
   * be another row's — read back with `include_all_metadata` from every page since shortly before
   * the post was sent, and not already a message of this batch. Undefined when there is none, or
   * when the channel cannot be read (gone, left, or no history scope): post again rather than lose
   * the row. Answers the calls it made too.
   */
  async findLost(pending: PendingPost, syncName: string, ref: PostRef, taken: ReadonlySet<string>): Promise<{ id: string | undefined; calls: number }> {
    const threadTs = pending.threadTs;
    const counted = { calls: 0 };
    let channel: string | undefined = pending.channelId;
    try {
      channel ??= await this.channelId(pending.channel, counted);
    } catch (err) {
      throwIfBatchFailure(err, 'conversations.list');
      return { id: undefined, calls: counted.calls };
    }
    if (channel === undefined) return { id: undefined, calls: counted.calls };
    const oldest = String(Math.floor(pending.at / 1000) - RECOVERY_SKEW_SECONDS);
    let id: string | undefined;
    await this.readMessages({ channel, ...(threadTs ? { threadTs } : {}), oldest }, counted, (m) => {
      if (m.ts === threadTs || taken.has(messageId(channel, m.ts)) || !isPostOf(m.metadata, syncName, ref)) return false;
      id = messageId(channel, m.ts);
      return true;
    });
    return { id, calls: counted.calls };
  }

  /**
   * The replies backflow posted for row `key` in the thread under `threadTs` (onChange: thread), by
   * their metadata; none when the thread cannot be read (gone, no history scope): its parent is then
   * deleted alone, as before. Answers the calls it made too.
   */
  async ownReplies(channel: string, threadTs: string, key: string): Promise<{ ts: string[]; calls: number }> {
    const found: string[] = [];
    const counted = { calls: 0 };
    // Any sync name: the thread's parent is this sync's own message, so the row's replies in it are
    // its own, posted under the name it had then (a sync renamed with renamedFrom: keeps its threads).
    await this.readMessages({ channel, threadTs }, counted, (m) => {
      if (m.ts !== threadTs && isRowPost(m.metadata, key)) found.push(m.ts);
      return false;
    });
    return { ts: found, calls: counted.calls };
  }

  /**
   * Reads a channel's history (or a thread's replies) with message metadata, page by page, until
   * `visit` answers true or the pages end (a cursor seen before would loop: the window has been
   * read). A channel or thread it cannot read (gone, left, no history scope) reads as empty; a failure
   * of the whole batch (auth, rate limit) is thrown. Counts its calls in `counted`.
   */
  private async readMessages(
    where: { channel: string; threadTs?: string; oldest?: string },
    counted: { calls: number },
    visit: (message: { ts: string; metadata?: unknown }) => boolean,
  ): Promise<void> {
    const { channel, threadTs, oldest } = where;
    try {
      const cursors = new Set<string>();
      let cursor: string | undefined;
      do {
        const request = { channel, limit: RECOVERY_PAGE_SIZE, include_all_metadata: true, ...(oldest ? { oldest } : {}), ...(cursor ? { cursor } : {}) };
        counted.calls++;
        const page = threadTs ? await this.client.conversations.replies({ ...request, ts: threadTs }) : await this.client.conversations.history(request);
        for (const m of page.messages ?? []) if (m.ts !== undefined && visit({ ts: m.ts, metadata: m.metadata })) return;
        const next = page.response_metadata?.next_cursor || undefined;
        cursor = next !== undefined && !cursors.has(next) ? next : undefined;
        if (cursor) cursors.add(cursor);
      } while (cursor);
    } catch (err) {
      throwIfBatchFailure(err, threadTs ? 'conversations.replies' : 'conversations.history');
    }
  }

  /**
   * Whether the channel a sync names (an id or a name) is the channel `id` a row's message is in: a
   * name is known by an earlier post of this worker, else looked up once (conversations.list, which
   * then knows every name). When that cannot be told (no channels:read scope, an error) the answer
   * is yes: the message stays the row's, as before the sync could name another channel.
   */
  async namesChannel(channel: string, id: string): Promise<{ same: boolean; calls: number }> {
    if (CHANNEL_ID.test(channel)) return { same: channel === id, calls: 0 };
    const learned = learnedChannelIds.get(this.nameKey(channel));
    if (learned !== undefined) return { same: learned === id, calls: 0 };
    const counted = { calls: 0 };
    try {
      const found = await this.channelId(channel, counted);
      if (found !== undefined) learnedChannelIds.set(this.nameKey(channel), found);
      return { same: found === undefined || found === id, calls: counted.calls };
    } catch {
      return { same: true, calls: counted.calls };
    }
  }

  /** A channel's id from its id or name (raw Slack errors: callers classify them); its list requests count in `counted`. */
  private async channelId(ref: string, counted: { calls: number }): Promise<string | undefined> {
    if (/^[CGD][A-Z0-9]{2,}$/.test(ref)) return ref;
    // Known from an earlier post's answer: no conversations.list, which needs channels:read.
    const known = this.knownChannelId(ref);
    if (known !== undefined) return known;
    if (!this.channelIds) {
      // What the token cannot list stays unknown (undefined), as if the name were not found.
      this.channelIds = new Map(((await this.visibleChannels(counted))?.channels ?? []).map((c) => [c.name, c.id]));
    }
    return this.channelIds.get(ref.replace(/^#/, ''));
  }

  /**
   * Every channel of `types` the app can see (raw Slack errors: callers classify them). Each page is a
   * request of the run's, one Slack refuses (missing_scope) too: counted in `counted`.
   */
  private async listChannels(types: string, counted: { calls: number }): Promise<ListedChannel[]> {
    const channels: ListedChannel[] = [];
    let cursor: string | undefined;
    do {
      counted.calls++;
      // 999: Slack's reference asks for "an integer under 1000" (its pagination guide says at most 1000).
      const page = await this.client.conversations.list({ types, limit: 999, ...(cursor ? { cursor } : {}) });
      for (const c of page.channels ?? []) {
        if (c.id && c.name) channels.push({ id: c.id, name: c.name, member: c.is_member === true, archived: c.is_archived === true, private: c.is_private === true });
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return channels;
  }

  private async call<T>(method: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const failure = classifySlackError(err, method);
      if (failure.scope === 'batch') throw failure.error;
      throw new BackflowError('DESTINATION_REQUEST_INVALID', failure.error.message);
    }
  }
}

/** One batch's writes: results in record order, progress saved after every message. */
class BatchWriter {
  private readonly results = new Map<string, RecordResult>();
  private apiCalls = 0;
  /** The requests this batch made so far (those of a write that fails too: see withApiCalls). */
  get requestsMade(): number {
    return this.apiCalls;
  }
  /** Channels that failed for good in this batch (not found, not a member…), with their error. */
  private readonly badChannels = new Map<string, RecordError>();

  constructor(
    private readonly slack: SlackDestination,
    private readonly context: WriteContext,
    private readonly progress: SlackProgress,
  ) {}

  async messages(operation: WriteOperation, records: readonly DestinationRecord[]): Promise<WriteResult> {
    await this.recoverLost();
    const target = this.slack.settings;
    for (const record of records) {
      const key = record.key;
      const done = this.progress.done[key];
      if (done) {
        this.ok(key, done);
        continue;
      }
      const rendered = this.slack.render(record);
      if (rendered.kind === 'skip') {
        this.results.set(key, { key, status: 'skipped', reason: rendered.reason, filtered: true, ...(record.destinationId ? { destinationId: record.destinationId } : {}) });
        continue;
      }
      if (rendered.kind === 'reject') {
        this.results.set(key, { key, status: 'rejected', error: rendered.error });
        continue;
      }
      const stored = parseMessageId(record.destinationId);
      if (operation === 'update' && !stored) {
        this.results.set(key, { key, status: 'skipped', reason: 'update mode: no message was posted for this row yet' });
        continue;
      }
      if (operation === 'insert' && stored) {
        this.results.set(key, { key, status: 'skipped', reason: 'insert mode: a message was posted for this row already', destinationId: messageId(stored.channel, stored.ts) });
        continue;
      }
      const named = target.channel ?? channelFromRecord(record, target.channelFrom);
      // The sync names another channel than the row's message is in (`channel:` edited): the row gets a
      // message where the sync now posts; the old one is left where it is.
      const moved = stored !== null && named !== undefined && !(await this.sameChannel(named, stored.channel));
      const current = moved ? null : stored;
      const channel = current?.channel ?? named;
      if (channel === undefined) {
        const field = target.channelFrom ?? 'channel';
        this.results.set(key, { key, status: 'rejected', error: { code: 'CHANNEL_MISSING', message: `${field} is empty: no channel to post to`, fields: [field] } });
        continue;
      }
      await this.send(key, channel, rendered.text, current);
    }
    return this.answer(records);
  }

  private async sameChannel(named: string, id: string): Promise<boolean> {
    const { same, calls } = await this.slack.namesChannel(named, id);
    this.apiCalls += calls;
    return same;
  }

  /** One message for every row of the batch that passes `when`; each row's destination id is the digest's. */
  async digest(records: readonly DestinationRecord[]): Promise<WriteResult> {
    await this.recoverLost();
    const rows: Array<{ record: DestinationRecord; text: string }> = [];
    for (const record of records) {
      const rendered = this.slack.render(record);
      if (rendered.kind === 'skip') this.results.set(record.key, { key: record.key, status: 'skipped', reason: rendered.reason, filtered: true });
      else if (rendered.kind === 'reject') this.results.set(record.key, { key: record.key, status: 'rejected', error: rendered.error });
      else rows.push({ record, text: rendered.text });
    }
    if (rows.length > 0) {
      const channel = this.slack.settings.channel as string;
      let done = this.progress.done[DIGEST_KEY];
      if (!done) {
        await this.send(DIGEST_KEY, channel, this.slack.digestText(rows), null);
        done = this.progress.done[DIGEST_KEY];
      }
      for (const { record } of rows) {
        const result = this.results.get(DIGEST_KEY);
        if (done) this.results.set(record.key, { key: record.key, status: 'ok', destinationId: digestMessageId(done.id), created: record.destinationId === null });
        else if (result?.status === 'rejected') this.results.set(record.key, { ...result, key: record.key });
      }
    }
    return this.answer(records);
  }

  /** Mirror: deletes the messages backflow posted for rows that left the model. */
  async remove(records: readonly DestinationRecord[]): Promise<WriteResult> {
    for (const record of records) {
      const stored = parseMessageId(record.destinationId);
      const done = this.progress.done[record.key];
      if (done) {
        this.ok(record.key, done);
        continue;
      }
      if (!stored) {
        // Without a stored message there is nothing of ours to delete.
        this.results.set(record.key, nothingToDelete(record.key));
        continue;
      }
      const sent = await this.attempt(record.key, stored.channel, 'chat.delete', async () => {
        // Its follow-ups first (onChange: thread): a parent deleted alone leaves them under a
        // "This message was deleted." tombstone, still read in the channel.
        if (this.slack.settings.onChange === 'thread') {
          const replies = await this.slack.ownReplies(stored.channel, stored.ts, record.key);
          this.apiCalls += replies.calls + replies.ts.length;
          for (const ts of replies.ts) await this.deleteIfThere(stored.channel, ts);
        }
        await this.deleteIfThere(stored.channel, stored.ts);
        return { id: messageId(stored.channel, stored.ts), created: false };
      });
      if (sent) await this.commit(record.key, sent);
    }
    return this.answer(records);
  }

  /**
   * Posts, edits or threads one row's message. A post saves its lost-post marker first, and clears
   * it again when Slack's answer proves nothing was posted (postedNothing); otherwise the marker
   * stays for the retry to look for the post by its metadata.
   */
  private async send(key: string, channel: string, text: string, stored: { channel: string; ts: string } | null): Promise<void> {
    const onChange = this.slack.settings.onChange;
    if (stored && onChange === 'update') {
      const sent = await this.attempt(key, channel, 'chat.update', async () => {
        try {
          await this.slack.update(stored.channel, stored.ts, text);
          return { id: messageId(stored.channel, stored.ts), created: false };
        } catch (err) {
          const code = (err as { data?: { error?: unknown } }).data?.error;
          // Gone, or past the workspace's edit window (its message edit setting): post a new one below.
          if (code !== 'message_not_found' && code !== 'cant_update_message' && code !== 'edit_window_closed') throw err;
          return undefined;
        }
      });
      if (sent) return this.commit(key, sent);
      if (this.results.has(key)) return;
    }
    const threadTs = stored && onChange === 'thread' ? stored.ts : undefined;
    const post = randomUUID();
    // The channel's id, when known, goes with the marker: a retry then reads its history without
    // looking the name up (conversations.list needs channels:read, which a token may lack).
    const channelId = stored && threadTs ? stored.channel : this.slack.knownChannelId(channel);
    const pending: PendingPost = { key, channel, text, at: Date.now(), post, ...(channelId ? { channelId } : {}), ...(threadTs ? { threadTs } : {}) };
    this.progress.pending = pending;
    await this.save();
    let refused = false;
    let sent: Sent | undefined;
    try {
      sent = await this.attempt(key, channel, 'chat.postMessage', async () => {
        try {
          const posted = await this.slack.post(channel, text, threadTs, postMetadata(this.context, { key, post }));
          // A threaded follow-up keeps the parent as the row's message, so later changes thread under it too.
          return stored && threadTs ? { id: messageId(stored.channel, stored.ts), created: false } : { id: messageId(posted.channel, posted.ts), created: true };
        } catch (err) {
          refused = postedNothing(err);
          throw err;
        }
      });
    } catch (err) {
      // Slack refused the post (a 429…): the retry has nothing to look for, and must not look.
      if (refused) {
        delete this.progress.pending;
        await this.save();
      }
      throw err;
    }
    if (sent) await this.commit(key, sent);
    else if (this.results.has(key)) {
      delete this.progress.pending;
      await this.save();
    }
  }

  /**
   * Runs one Slack call for a row: a rejection (record or channel) is recorded and answers
   * undefined; a batch failure is thrown (progress so far is saved already).
   */
  private async attempt(key: string, channel: string, method: string, call: () => Promise<Sent | undefined>): Promise<Sent | undefined> {
    const bad = this.badChannels.get(channel);
    if (bad) {
      this.results.set(key, { key, status: 'rejected', error: bad });
      return undefined;
    }
    this.apiCalls++;
    try {
      return await call();
    } catch (err) {
      const failure = classifySlackError(err, method);
      if (failure.scope === 'batch') throw failure.error;
      if (failure.scope === 'channel') this.badChannels.set(channel, failure.error);
      this.results.set(key, { key, status: 'rejected', error: failure.error });
      return undefined;
    }
  }

  /** Deletes a message; one already gone (deleted by hand, or by an earlier attempt) is what mirror wants. */
  private async deleteIfThere(channel: string, ts: string): Promise<void> {
    try {
      await this.slack.remove(channel, ts);
    } catch (err) {
      if ((err as { data?: { error?: unknown } }).data?.error !== 'message_not_found') throw err;
    }
  }

  /**
   * A post the last attempt sent but never heard back from: adopt its message if it landed. A marker
   * saved before posts carried metadata cannot be told from another row's message by anything but
   * its text, which rows share: its row is posted again (at worst a duplicate, never a lost alert).
   */
  private async recoverLost(): Promise<void> {
    const pending = this.progress.pending;
    if (!pending || this.progress.done[pending.key]) return;
    let found: string | undefined;
    if (pending.post !== undefined) {
      const taken = new Set(Object.values(this.progress.done).map((d) => d.id));
      const lookup = await this.slack.findLost(pending, this.context.syncName, { key: pending.key, post: pending.post }, taken);
      this.apiCalls += lookup.calls;
      found = lookup.id;
    }
    delete this.progress.pending;
    if (found !== undefined) {
      const stored = pending.threadTs ? `${found.split(':')[0]}:${pending.threadTs}` : found;
      this.progress.done[pending.key] = { id: stored, created: pending.threadTs === undefined };
    }
    await this.save();
  }

  private async commit(key: string, sent: Sent): Promise<void> {
    this.progress.done[key] = sent;
    delete this.progress.pending;
    await this.save();
    this.ok(key, sent);
  }

  private ok(key: string, sent: Sent): void {
    this.results.set(key, { key, status: 'ok', destinationId: sent.id, created: sent.created });
  }

  private save(): Promise<void> {
    return this.context.saveCheckpoint(JSON.stringify(this.progress));
  }

  private answer(records: readonly DestinationRecord[]): WriteResult {
    return {
      results: records.map((record) => this.results.get(record.key) ?? missing(record.key)),
      apiCalls: this.apiCalls,
    };
  }
}

function channelFromRecord(record: Pick<DestinationRecord, 'fields'>, field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const value = record.fields[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function missing(key: string): RecordResult {
  return { key, status: 'rejected', error: { code: 'NOT_SENT', message: 'no result for this record', fields: [] } };
}

/** Throws a failure that fails the whole batch (auth, rate limit); one of a channel or thread (gone, unreadable) is left to the caller. */
function throwIfBatchFailure(err: unknown, method: string): void {
  if (historyUnreadable(err)) return;
  const failure = classifySlackError(err, method);
  if (failure.scope === 'batch') throw failure.error;
}
