import { BackflowError, NETWORK_ERROR_CODES } from '../errors';

/**
 * A warehouse that is there but cannot answer right now: its file locked by another writer (dbt), a
 * server restarting or unreachable, a 5xx or rate limit from BigQuery. Deliberately not a
 * BackflowError: Temporal retries untyped errors with its backoff, where SOURCE_QUERY_FAILED (a query
 * the warehouse refused) is final — re-running a wrong query cannot fix it, waiting out a lock can.
 */
export class SourceUnavailable extends Error {
  constructor(
    message: string,
    readonly code: 'SOURCE_LOCKED' | 'SOURCE_UNAVAILABLE',
  ) {
    super(message);
    this.name = 'SourceUnavailable';
  }
}

/**
 * The server's own "not now" SQLSTATEs: 57P01-57P03 shutting down or starting up, 57P04 a database
 * dropped during a standby's recovery, 53300 too many connections, 40001 a query a hot standby
 * cancelled for a conflict with recovery ("a query that was canceled may well succeed if it is
 * executed again", PostgreSQL's Hot Standby chapter), 40P01 a deadlock.
 */
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P04', '53300', '40001', '40P01']);

/**
 * PostgreSQL errors worth waiting out: the network's, a connection dropped mid-query, class 08
 * connection exceptions and RETRYABLE_SQLSTATES. Authentication (28xxx) and unknown databases are final.
 */
export function isPostgresUnavailable(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || code.startsWith('08') || RETRYABLE_SQLSTATES.has(code))) return true;
  return typeof message === 'string' && /Connection terminated|timeout expired/i.test(message);
}

/** BigQuery errors worth waiting out, after the client's own retries: the network's, HTTP 429 / 5xx, and the reasons Google documents as retryable. */
export function isBigqueryUnavailable(err: unknown): boolean {
  const { code, errors } = err as { code?: unknown; errors?: Array<{ reason?: unknown }> };
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (typeof code === 'number' && (code === 429 || code >= 500)) return true;
  return (errors ?? []).some((e) => typeof e.reason === 'string' && ['backendError', 'internalError', 'rateLimitExceeded', 'jobBackendError', 'jobInternalError'].includes(e.reason));
}

/** A source's failure as the engine reports it: retried while the warehouse is unavailable, final otherwise. */
export function sourceFailure(message: string, unavailable: boolean): SourceUnavailable | BackflowError {
  return unavailable ? new SourceUnavailable(`${message} (the warehouse is unavailable; retried)`, 'SOURCE_UNAVAILABLE') : new BackflowError('SOURCE_QUERY_FAILED', message);
}
