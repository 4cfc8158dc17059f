import { BackflowError, DestinationBatchRejected, DestinationBudgetExhausted, DestinationTransientError, NETWORK_ERROR_CODES } from '../errors';

/** How to treat a failed Salesforce request: a pure decision, unit-tested on its own. */
export interface Classification {
  retry: boolean;
  reason: string;
  /** Wait before the next attempt; absent means Temporal's backoff decides. */
  waitMs?: number;
}

/**
 * A failed name lookup. jsforce's fetch names it `ENOTFOUND`, which NETWORK_ERROR_CODES leaves out (a
 * warehouse host that does not resolve fails its extract at once). For the destination it is the
 * network's, as HubSpot's client, Meta and the webhook treat it: a container's resolver answers it
 * for an upstream lookup that timed out too, so it is retried, never taken for an invalid request.
 */
const LOOKUP_FAILED = 'ENOTFOUND';

/** The same failures where only a message is left (jsforce's wrapped session refresh names its cause's code in text). */
const NETWORK_MESSAGE = new RegExp(`fetch failed|socket hang up|network|timed? ?out|no answer within|\\b(${[...NETWORK_ERROR_CODES, LOOKUP_FAILED].join('|')})\\b`, 'i');

/** Salesforce sends no Retry-After for its API limit; a minute lets a concurrent-request limit clear. */
export const REQUEST_LIMIT_WAIT_MS = 60_000;

interface ErrorLike {
  name?: unknown;
  errorCode?: unknown;
  code?: unknown;
  message?: unknown;
}

function errorCodeOf(err: ErrorLike): string {
  const code = typeof err.errorCode === 'string' ? err.errorCode : typeof err.code === 'string' ? err.code : '';
  // jsforce names an error answer it could not parse as the response type it was asked for (a Bulk
  // result CSV answered with Salesforce's JSON error) ERROR_HTTP_<status>, the body as its message:
  // Salesforce's own code is in that body.
  if (/^ERROR_HTTP_\d+$/.test(code) && typeof err.message === 'string') return bodyErrorCode(err.message) ?? code;
  return code;
}

/** The errorCode of a Salesforce error body (`[{"message", "errorCode"}]`), if the text is one. */
function bodyErrorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    const first = (Array.isArray(body) ? body[0] : body) as { errorCode?: unknown } | null | undefined;
    return typeof first?.errorCode === 'string' ? first.errorCode : undefined;
  } catch {
    return undefined;
  }
}

export function classifySalesforceError(err: unknown): Classification {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const code = errorCodeOf(e);
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === 'INVALID_SESSION_ID') return { retry: false, reason: 'auth' };
  // jsforce could not get a new session. The login server refused it (refresh token revoked, JWT
  // refused): credentials, not a blip. It never answered: the network's, and retried. jsforce keeps
  // only the cause's message.
  const refresh = /^Unable to refresh session due to: (.*)$/s.exec(message);
  if (refresh) {
    const cause = refresh[1] ?? '';
    if (isNetworkFailure('', cause)) return { retry: true, reason: 'network' };
    // The login server failing (a 5xx, or OAuth's own "try again" codes), not refusing the grant.
    if (/^(ERROR_HTTP_5\d\d|unknown_error|server_error|temporarily_unavailable):/.test(cause)) return { retry: true, reason: 'server-error' };
    return { retry: false, reason: 'auth' };
  }
  // The org's rolling 24-hour allocation is spent: waiting minutes won't help; the run stops partial.
  if (code === 'REQUEST_LIMIT_EXCEEDED' && /TotalRequests/i.test(message)) return { retry: false, reason: 'api-budget' };
  // Other request limits (concurrent long-running requests) clear within a minute.
  if (code === 'REQUEST_LIMIT_EXCEEDED') return { retry: true, reason: 'api-limit', waitMs: REQUEST_LIMIT_WAIT_MS };
  // A 500 from Salesforce carries UNKNOWN_EXCEPTION ("An unexpected error occurred"): a server fault, worth retrying.
  if (code === 'SERVER_UNAVAILABLE' || code === 'UNKNOWN_EXCEPTION' || /^ERROR_HTTP_5\d\d$/.test(code)) return { retry: true, reason: 'server-error' };
  if (isNetworkFailure(code, message)) return { retry: true, reason: 'network' };
  // The body is over the API's size limit: smaller requests (halves of the batch) may pass.
  if (code === 'REQUEST_ENTITY_TOO_LARGE' || code === 'ERROR_HTTP_413') return { retry: false, reason: 'too-large' };
  return { retry: false, reason: 'request-invalid' };
}

/** No answer came: refused, cut off, or past the transport's deadline ("no answer within …"). */
function isNetworkFailure(code: string, message: string): boolean {
  return NETWORK_ERROR_CODES.has(code) || code === LOOKUP_FAILED || NETWORK_MESSAGE.test(message);
}

/** Turns a failed request into the typed error the engine understands. */
export function toDestinationError(err: unknown, what: string): Error {
  const classification = classifySalesforceError(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const code = errorCodeOf(e) || 'UNKNOWN';
  // An HTTP client refusing a header quotes it whole: never the token (see UNSENDABLE).
  const message = (typeof e.message === 'string' ? e.message : String(err)).replace(/Bearer\s+\S+/g, 'Bearer ***');
  const detail = `Salesforce ${what} failed: ${code}: ${message}`;
  if (classification.retry) return new DestinationTransientError(detail, classification.reason, classification.waitMs);
  if (classification.reason === 'auth') return new BackflowError('DESTINATION_AUTH_FAILED', detail);
  if (classification.reason === 'api-budget') return new DestinationBudgetExhausted(detail);
  // Bisected by the engine down to the records too large on their own, rejected each with this code.
  if (classification.reason === 'too-large') return new DestinationBatchRejected(detail, code);
  return new BackflowError('DESTINATION_REQUEST_INVALID', detail);
}
