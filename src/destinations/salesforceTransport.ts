import type { Connection } from 'jsforce';
import { Transport } from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types';
import { StreamPromise } from 'jsforce/lib/util/promise';

/**
 * jsforce's transport as backflow sends with it, for every request of one connection:
 * - a deadline: jsforce waits 30 minutes for an answer, and its `sobject()` verbs pass no options
 *   down, so only its process-wide HTTP_TIMEOUT could shorten that. A hung request would hold its
 *   batch past the activity's timeout while the heartbeats go on. Past the deadline the request is
 *   aborted and fails as a network error (ETIMEDOUT), which is retried.
 * - no retries of jsforce's own: it repeats a GET, PUT or DELETE answered 5xx/429 or cut off up to 5
 *   times (15 s of backoff) inside one call, unpaced and unseen. Retries are Temporal's alone.
 */
class BackflowTransport extends Transport {
  constructor(
    private readonly timeoutMs: number,
    /** The OAuth token endpoint's transport: see serverFailure. */
    private readonly forTokens = false,
  ) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> {
    const sent = super.httpRequest(req, { ...options, timeout: this.timeoutMs, retry: { ...options.retry, maxRetries: 0 } });
    return StreamPromise.create(() => ({
      stream: sent.stream(),
      promise: sent.then(
        (response) => {
          if (response.statusCode >= 500 && this.forTokens) throw serverFailure(response);
          if (response.statusCode >= 500 && !carriesErrorCode(response.body)) throw unnamedServerFailure(response);
          return response;
        },
        (err: unknown) => {
          // jsforce's abort says "timeout of 10 minutes" whatever the timeout was.
          if (err instanceof Error && err.name === 'AbortError') {
            throw Object.assign(new Error(`no answer within ${this.timeoutMs} ms (${req.method} ${new URL(req.url).pathname})`), { code: 'ETIMEDOUT' });
          }
          throw err;
        },
      ),
    }));
  }
}

/**
 * A token endpoint's 5xx as the session refresh's error, `ERROR_HTTP_<status>: <body>`, which the
 * classifier retries. jsforce reads a JSON answer's `error` alone and keeps no status: a 5xx whose
 * JSON body had none (a proxy's `{"message": "Bad Gateway"}`) failed the run as refused credentials.
 */
function serverFailure(response: HttpResponse): Error {
  return new Error(`ERROR_HTTP_${response.statusCode}: ${shortBody(response)}`);
}

/**
 * An API request's 5xx whose body names no Salesforce `errorCode` (a load balancer's or proxy's
 * `{"message": "Bad Gateway"}`) as errorCode `ERROR_HTTP_<status>`, which the classifier retries.
 * jsforce keeps no status and named it `Error`: the batch failed as an invalid request, for good.
 */
function unnamedServerFailure(response: HttpResponse): Error {
  return Object.assign(new Error(shortBody(response)), { errorCode: `ERROR_HTTP_${response.statusCode}` });
}

function shortBody(response: HttpResponse): string {
  return response.body.length > 500 ? `${response.body.slice(0, 500)}…` : response.body;
}

/** Whether a body is Salesforce's error answer (`[{"message", "errorCode"}]`), whose code the classifier reads. */
function carriesErrorCode(text: string): boolean {
  try {
    const body = JSON.parse(text) as unknown;
    const first = (Array.isArray(body) ? body[0] : body) as { errorCode?: unknown } | null | undefined;
    return typeof first?.errorCode === 'string';
  } catch {
    return false;
  }
}

/**
 * Sends every later request of `connection` (REST, Bulk API 2.0, and the OAuth token requests of a
 * session refresh, which go through its own oauth2 transport) through BackflowTransport: at most
 * `timeoutMs` to be answered, and no retries of jsforce's own.
 */
export function withBackflowTransport(connection: Connection, timeoutMs: number): Connection {
  connection._transport = new BackflowTransport(timeoutMs);
  connection.oauth2._transport = new BackflowTransport(timeoutMs, true);
  return connection;
}
