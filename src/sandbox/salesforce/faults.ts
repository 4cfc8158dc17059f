/**
 * The shared fault kinds (src/sandbox/faults) as Salesforce's REST API answers them. Salesforce has
 * no 429: its rate limit is 403 REQUEST_LIMIT_EXCEEDED — "TotalRequests" when the org's daily
 * allocation is spent, "ConcurrentPerOrgLongTxn" when too many long requests run at once. The
 * injected rate limit is the concurrent one (it clears by itself; the daily one is `setDailyApiLimit`).
 */
import { parseFaultProfile as parseSharedProfile, type FaultKind } from '../faults';
import type { LockTarget } from './dml';
import { SalesforceApiError, recordError, type RecordError } from './errors';
import type { SalesforceFaultProfile } from './types';

/**
 * Validates an admin/`setFaults` profile: the shared kinds plus `writeResponseDelayMs`, `unableToLockRow`
 * and `lockedRecords`; unknown keys are rejected.
 */
export function parseSalesforceFaultProfile(value: unknown): SalesforceFaultProfile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('fault profile must be a JSON object');
  }
  const { writeResponseDelayMs, unableToLockRow, lockedRecords, ...shared } = value as Record<string, unknown>;
  const profile: SalesforceFaultProfile = parseSharedProfile(shared);
  if (writeResponseDelayMs !== undefined && writeResponseDelayMs !== null) {
    if (typeof writeResponseDelayMs !== 'number' || !Number.isFinite(writeResponseDelayMs) || writeResponseDelayMs < 0) {
      throw new Error('writeResponseDelayMs must be a non-negative number');
    }
    profile.writeResponseDelayMs = writeResponseDelayMs;
  }
  if (unableToLockRow !== undefined && unableToLockRow !== null) {
    if (typeof unableToLockRow !== 'number' || !(unableToLockRow >= 0 && unableToLockRow <= 1)) {
      throw new Error('unableToLockRow must be a share of records between 0 and 1');
    }
    profile.unableToLockRow = unableToLockRow;
  }
  if (lockedRecords !== undefined && lockedRecords !== null) {
    if (typeof lockedRecords !== 'object' || Array.isArray(lockedRecords)) throw new Error('lockedRecords must map record keys to a number of writes');
    const counts: Record<string, number> = {};
    for (const [key, times] of Object.entries(lockedRecords)) {
      if (typeof times !== 'number' || !Number.isInteger(times) || times < 0) throw new Error(`lockedRecords.${key} must be a non-negative whole number of writes`);
      counts[key] = times;
    }
    profile.lockedRecords = counts;
  }
  return profile;
}

/**
 * A record another transaction holds the lock of (or of its parent) past Salesforce's 10-second wait:
 * the record is not saved. Salesforce names the locked rows when it knows them (`or 1 records: 001…`).
 */
export function unableToLockRow(id?: string): RecordError {
  const rows = id === undefined ? '' : ` or 1 records: ${id}`;
  return recordError('UNABLE_TO_LOCK_ROW', `unable to obtain exclusive access to this record${rows}`);
}

/**
 * Whether a record written now meets a lock (see SalesforceFaultProfile): one of `lockedRecords` by its
 * Id or the key the write names it by (LockTarget; its count is spent by one), or the `unableToLockRow` roll.
 */
export function meetsLock(profile: SalesforceFaultProfile, record: LockTarget, random: () => number): boolean {
  const locked = profile.lockedRecords;
  if (locked !== undefined) {
    for (const value of [record.id, ...record.keys]) {
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const left = locked[String(value)];
      if (left !== undefined && left > 0) {
        locked[String(value)] = left - 1;
        return true;
      }
    }
  }
  const share = profile.unableToLockRow ?? 0;
  return share > 0 && random() < share;
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
