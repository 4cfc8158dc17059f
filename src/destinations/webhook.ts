import stringify from 'safe-stable-stringify';
import { z } from 'zod';
import type { WebhookConnection } from '../config/schema';
import { fingerprint } from '../diff/fingerprint';
import { BackflowError, DestinationBatchRejected, DestinationTransientError } from '../errors';
import type { Value } from '../sources/source';
import type { BatchCost, Destination, DestinationLimits, DestinationRecord, RecordError, RecordResult, TargetCheckInput, TargetIssue, WriteContext, WriteResult } from './destination';
import { withApiCalls } from './failedWriteCalls';
import type { WriteOperation } from './modes';
import { errorMessageOf, idempotencyKey, retryAfterMs, SIGNATURE_HEADER, signature } from './webhookDelivery';
import type { WebhookTarget } from './webhookTarget';
import { shownUrl } from '../shownUrl';

/** Records per batch (per request with `delivery: batch`). */
export const WEBHOOK_BATCH_SIZE = 100;

const progressSchema = z.object({
  /** Stamped once per batch, so a retried batch re-sends byte-identical bodies. */
  syncedAt: z.string(),
  /** Records (or, with batch delivery, a batch by its key) answered for good: ok, or rejected with the receiver's error. */
  done: z.record(z.string(), z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string(), fields: z.array(z.string()) }) })])),
});
type Progress = z.infer<typeof progressSchema>;
type Outcome = Progress['done'][string];


interface WebhookEvent {
  event: 'upserted' | 'deleted';
  key: string;
  fields: Record<string, Value>;
  fingerprint?: string;
  syncedAt: string;
}

/**
 * Any HTTP endpoint: one JSON request per record (or per batch) with `{event, key, fields,
 * fingerprint, syncedAt}`, an `Idempotency-Key` per (sync, run, key, fingerprint) and, with a
 * secret, an HMAC-SHA256 signature. 2xx = ok, other 4xx = that record rejected with the body's
 * message, 401/403 = the batch fails (credentials), 3xx = the batch fails (redirects are not
 * followed: the url is wrong), 408/429/5xx/network/timeouts = retried (Retry-After honoured).
 */
/**
 * The connection's URL with a sync's `path` appended to its path: a query string in the URL (an API
 * key, say) stays at the end, and one in `path` joins it.
 */
export function webhookUrl(base: string, path: string | undefined): string {
  // As written: a receiver may need its trailing slash (FastAPI and Django redirect without it).
  if (path === undefined) return base;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return `${base.replace(/\/+$/, '')}${path}`; // check() names the invalid URL
  }
  const [pathname = '', query = ''] = path.split(/\?(.*)/s);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${pathname}`;
  // Joined as text: re-serialised, the URL's own query changed (`%20` → `+`, `flag` → `flag=`), which
  // breaks a receiver that signs or checks it as written.
  if (query !== '') url.search = url.search === '' ? `?${query}` : `${url.search}&${query}`;
  return url.toString();
}

export class WebhookDestination implements Destination {
  readonly limits: DestinationLimits = { maxBatchSize: WEBHOOK_BATCH_SIZE, concurrency: 1 };
  readonly operations: readonly WriteOperation[] = ['upsert', 'delete'];

  /** A request per record, or one per batch with `delivery: batch`. */
  costOf(_operation: WriteOperation, records: number): BatchCost {
    return { requests: this.target.delivery === 'batch' ? 1 : records };
  }
  private readonly url: string;

  constructor(
    private readonly config: WebhookConnection,
    private readonly target: WebhookTarget,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.url = webhookUrl(config.url, target.path);
  }

  /** A webhook has nothing to ask without delivering; only the URL is checked. */
  check(_sync: TargetCheckInput): Promise<TargetIssue[]> {
    const issues: TargetIssue[] = [];
    try {
      const url = new URL(this.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ path: 'destination.connection', message: `webhook URL must be http(s), got ${url.protocol}` });
    } catch {
      issues.push({ path: 'destination.connection', message: 'the webhook URL is not a valid URL' });
    }
    return Promise.resolve(issues);
  }

  async write(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult> {
    if (operation !== 'upsert' && operation !== 'delete') throw new BackflowError('MODE_NOT_SUPPORTED', `a webhook cannot ${operation}`);
    let progress = parseProgress(context.checkpoint);
    if (!progress) {
      progress = { syncedAt: this.now().toISOString(), done: {} };
      // Saved before the first request: a retry after a lost answer must re-send the same body.
      await context.saveCheckpoint(JSON.stringify(progress));
    }
    const saved = progress;
    const delivery = { sync: context.syncName, runId: context.runId };
    const events = records.map((record) => this.eventOf(operation, record, saved.syncedAt));
    const keys = events.map((event) => idempotencyKey(delivery, event.key, event.fingerprint));
    let apiCalls = 0;
    const deliver = async (doneKey: string, body: unknown, key: string): Promise<Outcome> => {
      const done = saved.done[doneKey];
      if (done) return done;
      apiCalls++;
      const outcome = await this.post(body, key).catch((err: unknown) => {
        throw withApiCalls(err, apiCalls);
      });
      saved.done[doneKey] = outcome;
      await context.saveCheckpoint(JSON.stringify(saved));
      return outcome;
    };

    const outcomes: Outcome[] = [];
    if (this.target.delivery === 'batch') {
      // Keyed by its records, so each half of a bisected batch is a delivery of its own.
      const batchKey = idempotencyKey(delivery, keys.join(','), undefined);
      const outcome = records.length > 0 ? await deliver(batchKey, { events }, batchKey) : { ok: true as const };
      // A receiver refuses a whole batch for one bad event: the engine splits it to find which.
      if (!outcome.ok && records.length > 1) throw new DestinationBatchRejected(outcome.error.message, outcome.error.code, outcome.error.fields, apiCalls);
      outcomes.push(...records.map(() => outcome));
    } else {
      for (const [index, event] of events.entries()) outcomes.push(await deliver(event.key, event, keys[index] as string));
    }
    return {
      results: records.map((record, index): RecordResult => {
        const outcome = outcomes[index] as Outcome;
        return outcome.ok
          ? { key: record.key, status: 'ok', destinationId: record.key, created: operation === 'upsert' && record.destinationId === null }
          : { key: record.key, status: 'rejected', error: outcome.error };
      }),
      apiCalls,
    };
  }

  private redirectMessage(status: number, location: string | null): string {
    const from = new URL(this.url);
    let to = 'no Location';
    if (location !== null) {
      try {
        to = `redirect to ${shownUrl(new URL(location, from))}`;
      } catch {
        to = 'an unreadable Location';
      }
    }
    return `webhook ${shownUrl(from)} answered ${status} (${to}); backflow does not follow redirects for a ${this.config.method}: set the url to the final address`;
  }

  private eventOf(operation: WriteOperation, record: DestinationRecord, syncedAt: string): WebhookEvent {
    if (operation === 'delete') return { event: 'deleted', key: record.key, fields: {}, syncedAt };
    return { event: 'upserted', key: record.key, fields: record.fields, fingerprint: fingerprint(stringify(this.target) ?? '', record.fields), syncedAt };
  }

  /** One request; a final answer comes back, a retryable one is thrown. */
  private async post(payload: unknown, key: string): Promise<Outcome> {
    const body = JSON.stringify(payload);
    // Names are case-insensitive: a connection's Content-Type or User-Agent replaces backflow's (merged,
    // a receiver saw `application/vnd.api+json, application/json`); the key and signature are backflow's.
    const headers = new Headers({ 'content-type': 'application/json', 'user-agent': 'backflow' });
    for (const [name, value] of Object.entries(this.config.headers ?? {})) headers.set(name, value);
    headers.set('idempotency-key', key);
    if (this.config.secret !== undefined) headers.set(SIGNATURE_HEADER, signature(this.config.secret, body));
    let response: Response;
    try {
      // Followed, a 301/302 would turn the request into a body-less GET whose 200 counts as delivered.
      response = await fetch(this.url, { method: this.config.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new DestinationTransientError(
        timedOut ? `webhook: no answer within ${this.config.timeoutMs} ms` : `webhook request failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
        timedOut ? 'timeout' : 'network',
      );
    }
    const text = await response.text().catch(() => '');
    const status = response.status;
    if (status >= 200 && status < 300) return { ok: true };
    // A wrong url, not a bad record nor a passing fault: retrying or rejecting records cannot fix it.
    if (status >= 300 && status < 400) throw new BackflowError('DESTINATION_REQUEST_INVALID', this.redirectMessage(status, response.headers.get('location')));
    const message = `webhook answered HTTP ${status}: ${errorMessageOf(text)}`;
    if (status === 408 || status === 429 || status >= 500) {
      throw new DestinationTransientError(message, status === 429 ? 'rate-limit' : 'server-error', retryAfterMs(response.headers.get('retry-after')));
    }
    if (status === 401 || status === 403) throw new BackflowError('DESTINATION_AUTH_FAILED', message);
    const error: RecordError = { code: `HTTP_${status}`, message, fields: [] };
    return { ok: false, error };
  }
}

function parseProgress(checkpoint: string | null): Progress | undefined {
  if (checkpoint === null) return undefined;
  const parsed = progressSchema.safeParse(JSON.parse(checkpoint));
  return parsed.success ? parsed.data : undefined;
}
