import { IncomingWebhook } from '@slack/webhook';
import type { SlackWebhookConnection } from '../config/schema';
import { BackflowError, DestinationTransientError } from '../errors';
import { retryAfterMs } from './slackErrors';
import type { BatchCost, Destination, DestinationLimits, DestinationRecord, RecordError, RecordResult, TargetCheckInput, TargetIssue, WriteContext, WriteResult } from './destination';
import { withApiCalls } from './failedWriteCalls';
import type { WriteOperation } from './modes';
import { MessageRenderer, unmappedVariables } from './slackMessages';
import { CHANNEL_MESSAGES_PER_SECOND, sharedChannelPacer, type ChannelPacer } from './slackPacing';
import { DIGEST_KEY, parseProgress } from './slackProgress';
import type { SlackWebhookTarget } from './slackTarget';
import { SLACK_BATCH_SIZE, SLACK_DIGEST_BATCH_SIZE } from './slack';

/** Plain-text error bodies that mean the webhook itself is gone or disabled: nothing will post. */
const WEBHOOK_GONE = new Set(['no_service', 'no_service_id', 'no_team', 'team_disabled', 'invalid_token', 'no_active_hooks']);
/** The webhook's channel refuses posts: every message of the batch would fail the same way. */
const CHANNEL_REFUSED = new Set(['channel_not_found', 'channel_is_archived', 'action_prohibited', 'posting_to_general_channel_denied']);
/** The wait after a 429 that names none (Slack documents Retry-After, in seconds, and 1 message/s). */
const WEBHOOK_RATE_LIMIT_WAIT_MS = 1_000;

interface WebhookErrorLike {
  code?: unknown;
  statusCode?: unknown;
  body?: unknown;
  message?: unknown;
}

/**
 * A failed webhook post: transient / final for the batch (thrown), or a rejection of the message or of
 * the channel. `retryAfter` is the answer's Retry-After header, which the client's error does not keep.
 */
export function classifyWebhookError(err: unknown, retryAfter: string | null = null): { scope: 'batch'; error: Error } | { scope: 'record' | 'channel'; error: RecordError } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as WebhookErrorLike;
  if (e.code === 'slack_webhook_request_error') {
    return { scope: 'batch', error: new DestinationTransientError(`Slack incoming webhook failed: ${String(e.message)}`, 'network') };
  }
  if (e.code !== 'slack_webhook_http_error') return { scope: 'batch', error: err instanceof Error ? err : new Error(String(err)) };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
  const body = typeof e.body === 'string' ? e.body.trim() : '';
  const text = `Slack incoming webhook: HTTP ${status} ${body}`.trim();
  if (status === 429) return { scope: 'batch', error: new DestinationTransientError(text, 'rate-limit', retryAfterMs(retryAfter) ?? WEBHOOK_RATE_LIMIT_WAIT_MS) };
  if (status >= 500 || status === 408) return { scope: 'batch', error: new DestinationTransientError(text, 'server-error') };
  if (WEBHOOK_GONE.has(body) || ((status === 401 || status === 403) && !CHANNEL_REFUSED.has(body))) {
    return { scope: 'batch', error: new BackflowError('DESTINATION_AUTH_FAILED', text) };
  }
  const code = body !== '' && /^[a-z_]+$/.test(body) ? body : `HTTP_${status}`;
  return { scope: CHANNEL_REFUSED.has(body) ? 'channel' : 'record', error: { code, message: text, fields: [] } };
}

/**
 * Slack through an incoming webhook (for teams without a bot token): post-only. There is no `ts`
 * to edit, so a changed row posts a new message; `update` and `delete` are not offered. A retried
 * batch skips rows its checkpoint says were posted; a post whose answer was lost cannot be looked
 * up through a webhook and may appear twice.
 */
export class SlackWebhookDestination implements Destination {
  readonly limits: DestinationLimits;
  readonly operations: readonly WriteOperation[] = ['upsert', 'insert'];

  /** A post per row (one per batch as a digest), a second apart: the webhook is one channel. */
  costOf(_operation: WriteOperation, records: number): BatchCost {
    const requests = this.target.digest ? 1 : records;
    return { requests, seconds: requests / CHANNEL_MESSAGES_PER_SECOND };
  }

  /** `when:` leaves the row out of the post (or the digest). */
  filters(_operation: WriteOperation, record: Pick<DestinationRecord, 'key' | 'fields'>): boolean {
    return this.renderer.render(record).kind === 'skip';
  }
  private readonly renderer: MessageRenderer;

  constructor(
    private readonly config: SlackWebhookConnection,
    private readonly target: SlackWebhookTarget,
    private readonly pacer: ChannelPacer = sharedChannelPacer,
  ) {
    this.renderer = new MessageRenderer(target);
    this.limits = { maxBatchSize: target.digest ? SLACK_DIGEST_BATCH_SIZE : SLACK_BATCH_SIZE, concurrency: 1 };
  }

  /**
   * Every variable of the template, `when` and the digest's sort is mapped: checked offline, so before
   * every run too (without it, a typo ran and rejected every row, where a bot-token sync is refused).
   */
  checkOffline(sync: TargetCheckInput): TargetIssue[] {
    return unmappedVariables(this.target, sync);
  }

  /** Nothing more to ask: a webhook has no read call (the offline checks are reported on their own). */
  check(): Promise<TargetIssue[]> {
    return Promise.resolve([]);
  }

  async write(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult> {
    if (!this.operations.includes(operation)) throw new BackflowError('MODE_NOT_SUPPORTED', `a Slack incoming webhook cannot ${operation}`);
    const progress = parseProgress(context.checkpoint);
    const results = new Map<string, RecordResult>();
    let apiCalls = 0;
    let refused: RecordError | undefined;
    const postOnce = async (key: string, text: string): Promise<boolean> => {
      if (progress.done[key]) return true;
      if (refused) {
        results.set(key, { key, status: 'rejected', error: refused });
        return false;
      }
      await this.pacer.wait(this.config.url);
      apiCalls++;
      // Through its own fetch, to read what the client's HTTP error leaves out: Retry-After.
      let retryAfter: string | null = null;
      const webhook = new IncomingWebhook(this.config.url, {
        timeout: 30_000,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          retryAfter = response.headers.get('retry-after');
          return response;
        },
      });
      try {
        await webhook.send({ text, unfurl_links: false, unfurl_media: false });
      } catch (err) {
        const failure = classifyWebhookError(err, retryAfter);
        if (failure.scope === 'batch') throw withApiCalls(failure.error, apiCalls);
        if (failure.scope === 'channel') refused = failure.error;
        results.set(key, { key, status: 'rejected', error: failure.error });
        return false;
      }
      progress.done[key] = { id: `slack-webhook:${key}`, created: true };
      await context.saveCheckpoint(JSON.stringify(progress));
      return true;
    };

    const rows: Array<{ record: DestinationRecord; text: string }> = [];
    for (const record of records) {
      const rendered = this.renderer.render(record);
      if (rendered.kind === 'skip') results.set(record.key, { key: record.key, status: 'skipped', reason: rendered.reason, filtered: true });
      else if (rendered.kind === 'reject') results.set(record.key, { key: record.key, status: 'rejected', error: rendered.error });
      else if (operation === 'insert' && record.destinationId !== null) {
        results.set(record.key, { key: record.key, status: 'skipped', reason: 'insert mode: a message was posted for this row already', destinationId: record.destinationId });
      } else rows.push({ record, text: rendered.text });
    }
    if (this.target.digest) {
      if (rows.length > 0 && (await postOnce(DIGEST_KEY, this.renderer.digest(rows)))) {
        for (const { record } of rows) results.set(record.key, { key: record.key, status: 'ok', destinationId: `slack-webhook:digest:${context.batchId}`, created: record.destinationId === null });
      } else {
        const failed = results.get(DIGEST_KEY);
        if (failed) for (const { record } of rows) results.set(record.key, { ...failed, key: record.key });
      }
    } else {
      for (const { record, text } of rows) {
        if (await postOnce(record.key, text)) {
          results.set(record.key, { key: record.key, status: 'ok', destinationId: `slack-webhook:${record.key}`, created: record.destinationId === null });
        }
      }
    }
    return {
      results: records.map(
        (record) => results.get(record.key) ?? { key: record.key, status: 'rejected', error: { code: 'NOT_SENT', message: 'no result for this record', fields: [] } },
      ),
      apiCalls,
    };
  }
}
