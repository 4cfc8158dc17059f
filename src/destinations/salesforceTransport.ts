import type { Connection } from 'jsforce';
import { Transport } from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types';
import { StreamPromise } from 'jsforce/lib/util/promise';

/**
 * jsforce's transport with a deadline on every request of one connection. jsforce waits 30 minutes
 * for an answer, and its `sobject()` verbs pass no options down, so only its process-wide
 * HTTP_TIMEOUT could shorten that; a hung request would hold its batch past the activity's timeout
 * while the heartbeats go on. Past the deadline the request is aborted and fails as a network error
 * (ETIMEDOUT), which is retried.
 */
class DeadlineTransport extends Transport {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> {
    const sent = super.httpRequest(req, { ...options, timeout: this.timeoutMs });
    return StreamPromise.create(() => ({
      stream: sent.stream(),
      promise: sent.catch((err: unknown) => {
        // jsforce's abort says "timeout of 10 minutes" whatever the timeout was.
        if (err instanceof Error && err.name === 'AbortError') {
          throw Object.assign(new Error(`no answer within ${this.timeoutMs} ms (${req.method} ${new URL(req.url).pathname})`), { code: 'ETIMEDOUT' });
        }
        throw err;
      }),
    }));
  }
}

/** Gives every later request of `connection` (REST, Bulk API 2.0) at most `timeoutMs` to be answered. */
export function withRequestDeadline(connection: Connection, timeoutMs: number): Connection {
  connection._transport = new DeadlineTransport(timeoutMs);
  return connection;
}
