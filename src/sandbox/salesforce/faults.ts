/**
 * The shared fault kinds (src/sandbox/faults) as Salesforce's REST API answers them. Salesforce has
 * no 429: its rate limit is 403 REQUEST_LIMIT_EXCEEDED — "TotalRequests" when the org's daily
 * allocation is spent, "ConcurrentPerOrgLongTxn" when too many long requests run at once. The
 * injected rate limit is the concurrent one (it clears by itself; the daily one is `setDailyApiLimit`).
 */
import { parseFaultProfile as parseSharedProfile, type FaultKind } from '../faults';
import { SalesforceApiError } from './errors';
import type { SalesforceFaultProfile } from './types';

/** Validates an admin/`setFaults` profile: the shared kinds plus `writeResponseDelayMs`; unknown keys are rejected. */
export function parseSalesforceFaultProfile(value: unknown): SalesforceFaultProfile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('fault profile must be a JSON object');
  }
  const { writeResponseDelayMs, ...shared } = value as Record<string, unknown>;
  const profile: SalesforceFaultProfile = parseSharedProfile(shared);
  if (writeResponseDelayMs !== undefined && writeResponseDelayMs !== null) {
    if (typeof writeResponseDelayMs !== 'number' || !Number.isFinite(writeResponseDelayMs) || writeResponseDelayMs < 0) {
      throw new Error('writeResponseDelayMs must be a non-negative number');
    }
    profile.writeResponseDelayMs = writeResponseDelayMs;
  }
  return profile;
}

/** Salesforce's answer to an unexpected server-side failure (HTTP 500). */
export function unknownException(): SalesforceApiError {
  return new SalesforceApiError(
    500,
    'UNKNOWN_EXCEPTION',
    'An unexpected error occurred. Please include this ErrorId if you contact support: 1193024771-4711 (-1473502937)',
  );
}

/** The error an injected fault answers with, or undefined for the kinds that are no answer (timeout, reset) or come after the write. */
export function salesforceFaultError(fault: FaultKind): SalesforceApiError | undefined {
  switch (fault) {
    case 'rateLimited':
      return new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.');
    case 'serverError':
      return unknownException();
    case 'unavailable':
      return new SalesforceApiError(503, 'SERVER_UNAVAILABLE', 'Server Unavailable');
    case 'tokenExpired':
      return new SalesforceApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    case 'timeout':
    case 'connectionReset':
    case 'applyThenFail':
      return undefined;
  }
}
