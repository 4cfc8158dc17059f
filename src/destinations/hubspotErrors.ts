import { BackflowError, DestinationBatchRejected, DestinationBudgetExhausted, DestinationTransientError, NETWORK_ERROR_CODES } from '../errors';
import { HUBSPOT_WINDOW_MS } from './hubspotTiers';

/**
 * How to treat a failed HubSpot request: a pure decision, unit-tested on its own.
 * `@hubspot/api-client` throws `ApiException {code, body, headers}` for every non-2xx answer; its
 * Error model drops the 429 body's `policyName`/`errorType`, so which limit was hit is read from
 * `body.message` and the X-HubSpot-RateLimit-* headers.
 */
export interface HubspotClassification {
  retry: boolean;
  /** rate-limit | daily-limit | server-error | network | auth | request-invalid */
  reason: string;
  /** Wait before the next attempt; absent means Temporal's backoff decides. */
  waitMs?: number;
}

/** What an ApiException (or a network error) looks like from here; everything optional. */
interface ErrorLike {
  code?: unknown;
  message?: unknown;
  body?: unknown;
  headers?: unknown;
  cause?: unknown;
}


/** The search API's own limit (HubSpot's client waits 1 s for it). */
const SECONDLY_LIMIT_MESSAGE = /secondly limit/i;

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
}

function bodyOf(e: ErrorLike): { message?: string; category?: string; policyName?: string } {
  const body = typeof e.body === 'object' && e.body !== null ? (e.body as Record<string, unknown>) : {};
  const text = (key: string) => (typeof body[key] === 'string' ? body[key] : undefined);
  const out: { message?: string; category?: string; policyName?: string } = {};
  const message = text('message');
  const category = text('category');
  const policyName = text('policyName');
  if (message !== undefined) out.message = message;
  if (category !== undefined) out.category = category;
  if (policyName !== undefined) out.policyName = policyName;
  return out;
}

/** Response headers, lower-cased (the client keeps them as fetch gives them). */
export function headersOf(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return headers;
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    if (typeof raw === 'string') headers[name.toLowerCase()] = raw;
  }
  return headers;
}

function statusOf(e: ErrorLike): number | undefined {
  return typeof e.code === 'number' ? e.code : undefined;
}

function networkCodeOf(e: ErrorLike): string | undefined {
  if (typeof e.code === 'string') return e.code;
  const cause = asErrorLike(e.cause);
  if (typeof cause.code === 'string') return cause.code;
  return undefined;
}

/** The 10-second window named by the answer's headers, else HubSpot's standard one. */
function windowOf(headers: Record<string, string>): number {
  const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
  return Number.isFinite(interval) && interval > 0 ? interval : HUBSPOT_WINDOW_MS;
}

/** A 429 is the daily allowance when its body says so, or when the daily count is at zero. */
function isDailyLimit(e: ErrorLike, headers: Record<string, string>): boolean {
  const body = bodyOf(e);
  if (body.policyName !== undefined) return body.policyName === 'DAILY';
  if (body.message !== undefined && /daily limit/i.test(body.message)) return true;
  if (body.message !== undefined && /ten_secondly|secondly/i.test(body.message)) return false;
  return headers['x-hubspot-ratelimit-daily-remaining'] === '0';
}

export function classifyHubspotError(err: unknown): HubspotClassification {
  const e = asErrorLike(err);
  const status = statusOf(e);
  const headers = headersOf(e.headers);
  if (status === 429) {
    // The daily allowance resets at midnight: waiting minutes won't help; the run stops partial.
    if (isDailyLimit(e, headers)) return { retry: false, reason: 'daily-limit' };
    if (SECONDLY_LIMIT_MESSAGE.test(bodyOf(e).message ?? '') && !/ten_secondly/i.test(bodyOf(e).message ?? '')) {
      return { retry: true, reason: 'rate-limit', waitMs: 1_000 };
    }
    return { retry: true, reason: 'rate-limit', waitMs: windowOf(headers) };
  }
  if (status === 401 || status === 403) return { retry: false, reason: 'auth' };
  // 423 Locked: HubSpot is still applying an earlier write to the same records; it clears quickly.
  if (status === 423) return { retry: true, reason: 'locked', waitMs: 2_000 };
  if (status !== undefined && status >= 500 && status <= 599) return { retry: true, reason: 'server-error' };
  // The body is over HubSpot's size limit: smaller requests (halves of the batch) may pass.
  if (status === 413) return { retry: false, reason: 'too-large' };
  if (status !== undefined && status >= 400) return { retry: false, reason: 'request-invalid' };
  const code = networkCodeOf(e);
  const message = typeof e.message === 'string' ? e.message : String(err);
  if ((code !== undefined && NETWORK_ERROR_CODES.has(code)) || /fetch failed|socket hang up|network|timed? ?out|ECONNRESET/i.test(message)) {
    return { retry: true, reason: 'network' };
  }
  return { retry: false, reason: 'request-invalid' };
}

/** One line for logs and run errors: status, category and HubSpot's message. */
export function describeHubspotError(err: unknown): string {
  const e = asErrorLike(err);
  const status = statusOf(e);
  const body = bodyOf(e);
  if (status !== undefined) {
    return `${status}${body.category ? ` ${body.category}` : ''}: ${body.message ?? (typeof e.message === 'string' ? e.message : 'no message')}`;
  }
  const code = networkCodeOf(e);
  const message = typeof e.message === 'string' ? e.message : String(err);
  return code !== undefined ? `${code}: ${message}` : message;
}

/** Turns a failed request into the typed error the engine understands. */
export function toHubspotDestinationError(err: unknown, what: string): Error {
  const classification = classifyHubspotError(err);
  const detail = `HubSpot ${what} failed: ${describeHubspotError(err)}`;
  if (classification.retry) return new DestinationTransientError(detail, classification.reason, classification.waitMs);
  if (classification.reason === 'daily-limit') return new DestinationBudgetExhausted(detail);
  if (classification.reason === 'auth') return new BackflowError('DESTINATION_AUTH_FAILED', detail);
  // Bisected by the engine down to the records too large on their own, rejected each with this code.
  if (classification.reason === 'too-large') return new DestinationBatchRejected(detail, 'REQUEST_TOO_LARGE');
  return new BackflowError('DESTINATION_REQUEST_INVALID', detail);
}
