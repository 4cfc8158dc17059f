import { BackflowError, DestinationTransientError } from '../errors';

/** Graph API throttling codes: 4 app, 17 user, 32 page, 613 custom-rate, 80003/80004 ads business use cases. */
const THROTTLING_CODES = new Set([4, 17, 32, 613, 80003, 80004]);
/** Meta gives minutes to wait; when it says 0 or nothing, wait this long before the next attempt. */
export const DEFAULT_THROTTLE_WAIT_MS = 60_000;

interface GraphErrorBody {
  code?: unknown;
  error_subcode?: unknown;
  message?: unknown;
  is_transient?: unknown;
  /** Meta's own explanation for people, where it gives one (an upload refused: "Replace In Progress"). */
  error_user_title?: unknown;
  error_user_msg?: unknown;
}

interface SdkErrorLike {
  status?: unknown;
  response?: GraphErrorBody | null;
  headers?: Record<string, unknown> | null;
  message?: unknown;
  /** The answer's body when it is not JSON (an HTML error page from a front end): no Graph error to read. */
  rawBody?: unknown;
}

/**
 * How long to wait out another session's audience replace (#2650 "Replace In Progress"): Meta
 * gives no time; a replace session lasts as long as its uploads, minutes for most audiences.
 */
const REPLACE_IN_PROGRESS_WAIT_MS = 60_000;

/** HTTP statuses refusing a request for its size: body (413), URL (414), request head (431). */
const TOO_LARGE_STATUSES: ReadonlySet<number> = new Set([413, 414, 431]);

/**
 * Meta (or a front end before it) refused a request as too large. Final: the same request is refused
 * the same way on every attempt, so retrying it only delays the failure.
 */
export class MetaRequestTooLarge extends BackflowError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('DESTINATION_REQUEST_INVALID', message);
    this.name = 'MetaRequestTooLarge';
  }
}

/** The start of a body that is not JSON, on one line, for an error message. */
function snippet(body: unknown): string {
  const text = typeof body === 'string' ? body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : '';
  return text === '' ? '' : `: ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`;
}

/**
 * Minutes until access returns, from `x-business-use-case-usage`: `{"<account>": [{type,
 * call_count, …, estimated_time_to_regain_access}]}` — the longest wait of any entry, in ms.
 */
export function regainAccessMs(header: unknown): number | undefined {
  if (typeof header !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  let minutes: number | undefined;
  for (const entries of Object.values(parsed as Record<string, unknown>)) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      const value = (entry as { estimated_time_to_regain_access?: unknown }).estimated_time_to_regain_access;
      if (typeof value === 'number' && value >= 0) minutes = Math.max(minutes ?? 0, value);
    }
  }
  return minutes === undefined ? undefined : minutes * 60_000;
}

/**
 * Turns a failed Graph call into the engine's typed errors: facebook-nodejs-business-sdk's
 * FacebookRequestError, or the same shape (`status`, `response` = the Graph error, `headers`, and
 * `rawBody` when the answer was not JSON) for calls made without it. An answer that is not a Graph
 * error still has a status, and the status decides: a network failure is only a call with none.
 */
export function toMetaError(err: unknown, what: string): Error {
  if (err instanceof BackflowError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const body = e.response ?? undefined;
  const code = typeof body?.code === 'number' ? body.code : undefined;
  const message =
    typeof body?.message === 'string'
      ? body.message
      : status !== undefined
        ? `HTTP ${status} with a body that is not a Graph error${snippet(e.rawBody)}`
        : err instanceof SyntaxError
          ? `the answer was not JSON (the SDK could not read its status): ${err.message}`
          : typeof e.message === 'string'
            ? e.message
            : String(err);
  // Graph messages often start with their code already: "(#2650) Failed to update the custom audience".
  const numbered = code !== undefined && !message.startsWith(`(#${code})`) ? `(#${code}) ${message}` : message;
  const explained = [body?.error_user_title, body?.error_user_msg].filter((part): part is string => typeof part === 'string' && part.trim() !== '');
  const detail = `Meta ${what} failed: ${numbered}${explained.length > 0 ? ` — ${explained.join(': ')}` : ''}`;
  if (code !== undefined && THROTTLING_CODES.has(code)) {
    const wait = regainAccessMs(e.headers?.['x-business-use-case-usage']);
    return new DestinationTransientError(detail, 'rate-limit', wait && wait > 0 ? wait : DEFAULT_THROTTLE_WAIT_MS);
  }
  if (code === 190 || code === 102 || status === 401 || (code !== undefined && code >= 200 && code < 300)) {
    return new BackflowError('DESTINATION_AUTH_FAILED', detail);
  }
  if (status !== undefined && TOO_LARGE_STATUSES.has(status)) {
    return new MetaRequestTooLarge(status, `${detail} (HTTP ${status}: refused as too large; retrying would be refused the same way)`);
  }
  // Another tool's replace session holds the audience: adds and removals wait until it ends.
  if (code === 2650 && typeof body?.error_user_title === 'string' && /replace in progress/i.test(body.error_user_title)) {
    return new DestinationTransientError(detail, 'replace-in-progress', REPLACE_IN_PROGRESS_WAIT_MS);
  }
  if (status === undefined || status >= 500 || body?.is_transient === true || code === 1 || code === 2) {
    return new DestinationTransientError(detail, status === undefined ? 'network' : 'server-error');
  }
  return new BackflowError('DESTINATION_REQUEST_INVALID', detail);
}
