import { BackflowError, DestinationTransientError } from '../errors';
import type { RecordError } from './destination';

/**
 * What a failed Slack call means for the batch: a pure decision, unit-tested on its own.
 * `record`: only this message failed (too long, no text…); `channel`: every message to this channel
 * would fail the same way (not found, bot not a member, archived), so the rest of the batch's
 * messages to it are rejected without calling Slack; `batch`: thrown — transient (rate limit, 5xx,
 * network) or final (token).
 */
export type SlackFailure =
  | { scope: 'record'; error: RecordError }
  | { scope: 'channel'; error: RecordError }
  | { scope: 'batch'; error: Error };

const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'org_login_required',
  'ekm_access_denied',
]);

const CHANNEL_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'access_denied',
  'team_access_not_granted',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
]);

// `ratelimited` is the 429's body; `rate_limited` an ok:false answer chat.postMessage documents too.
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'rate_limited']);

/** Slack's documented fallback when a 429 carries no Retry-After. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

interface SlackErrorLike {
  code?: unknown;
  message?: unknown;
  retryAfter?: unknown;
  statusCode?: unknown;
  headers?: unknown;
  data?: { error?: unknown };
}

/** A Retry-After value in seconds (what Slack sends, Web API and incoming webhooks alike) as ms; undefined when missing or not a number. */
export function retryAfterMs(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function retryAfterHeader(headers: unknown): number | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  return retryAfterMs((headers as Record<string, unknown>)['retry-after']);
}

/**
 * A 429 whose Retry-After @slack/web-api could not read as seconds (an HTTP date, or none): it
 * throws a plain Error without a code, which read as an unknown failure, not a rate limit.
 */
function isUnreadRateLimit(message: string): boolean {
  return message.startsWith('Retry header did not contain a valid timeout');
}

export function classifySlackError(err: unknown, method: string): SlackFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
    case 'slack_webhook_rate_limited': {
      const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : undefined;
      return {
        scope: 'batch',
        error: new DestinationTransientError(`Slack ${method} rate limited`, 'rate-limit', seconds !== undefined ? seconds * 1000 : DEFAULT_RATE_LIMIT_WAIT_MS),
      };
    }
    case 'slack_webapi_platform_error':
      return platformFailure(typeof e.data?.error === 'string' ? e.data.error : 'unknown_error', method);
    case 'slack_webapi_http_error': {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      if (status === 429) {
        return { scope: 'batch', error: new DestinationTransientError(`Slack ${method} rate limited`, 'rate-limit', retryAfterHeader(e.headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS) };
      }
      if (status >= 500 || status === 408) return { scope: 'batch', error: new DestinationTransientError(`Slack ${method} failed: HTTP ${status}`, 'server-error') };
      if (status === 401 || status === 403) return { scope: 'batch', error: new BackflowError('DESTINATION_AUTH_FAILED', `Slack ${method} failed: HTTP ${status}`) };
      return { scope: 'batch', error: new BackflowError('DESTINATION_REQUEST_INVALID', `Slack ${method} failed: HTTP ${status}`) };
    }
    case 'slack_webapi_request_error':
      return { scope: 'batch', error: new DestinationTransientError(`Slack ${method} failed: ${message}`, 'network') };
    default:
      if (isUnreadRateLimit(message)) {
        return { scope: 'batch', error: new DestinationTransientError(`Slack ${method} rate limited (${message})`, 'rate-limit', DEFAULT_RATE_LIMIT_WAIT_MS) };
      }
      return { scope: 'batch', error: err instanceof Error ? err : new Error(message) };
  }
}

/** An `ok: false` answer, by its `error` string. */
export function platformFailure(code: string, method: string): SlackFailure {
  const text = `Slack ${method}: ${code}`;
  if (AUTH_ERRORS.has(code)) return { scope: 'batch', error: new BackflowError('DESTINATION_AUTH_FAILED', text) };
  if (TRANSIENT_ERRORS.has(code)) {
    const limited = code === 'ratelimited' || code === 'rate_limited';
    return { scope: 'batch', error: new DestinationTransientError(text, limited ? 'rate-limit' : 'server-error', limited ? DEFAULT_RATE_LIMIT_WAIT_MS : undefined) };
  }
  if (CHANNEL_ERRORS.has(code)) return { scope: 'channel', error: { code, message: text, fields: [] } };
  return { scope: 'record', error: { code, message: text, fields: [] } };
}

/** `ok:false` codes Slack documents as "it's possible some aspect of the operation succeeded". */
const MAYBE_APPLIED_ERRORS = new Set(['internal_error', 'fatal_error']);

/**
 * Whether a failed chat.postMessage certainly posted nothing, so its retry may post without looking
 * for a lost message: Slack answered and refused it — a 429 (rate limits are checked before the
 * post), another 4xx, or an `ok:false` error other than internal_error/fatal_error. Not so for a 5xx
 * (a Slack 500 is internal_error, and a proxy's 502/504 may hide a stored post), nor for no answer
 * at all (timeout, reset connection): then the outcome is unknown.
 */
export function postedNothing(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackErrorLike;
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return true;
    case 'slack_webapi_platform_error':
      return typeof e.data?.error === 'string' && !MAYBE_APPLIED_ERRORS.has(e.data.error);
    case 'slack_webapi_http_error': {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      return status >= 400 && status < 500;
    }
    default:
      return typeof e.message === 'string' && isUnreadRateLimit(e.message);
  }
}

/**
 * Whether a read of a channel's messages failed because the token may not read that channel
 * (`missing_scope`: channels:history for a public channel, groups:history for a private one), as
 * opposed to a bad token or a transient failure.
 */
export function historyUnreadable(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackErrorLike;
  return e.code === 'slack_webapi_platform_error' && (e.data?.error === 'missing_scope' || e.data?.error === 'no_permission');
}

/** Whether a call failed because the token lacks the scope it needs (`missing_scope`), not for a bad token or a passing failure. */
export function lacksScope(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackErrorLike;
  return e.code === 'slack_webapi_platform_error' && e.data?.error === 'missing_scope';
}
