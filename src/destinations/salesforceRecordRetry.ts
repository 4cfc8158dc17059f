import type { RecordError } from './destination';

/**
 * Per-record status codes Salesforce answers for contention, not for anything wrong with the record:
 * another transaction (a user, a trigger, another integration, a rollup on the parent account) held
 * the record's lock, or its parent's, past the 10-second wait. With allOrNone false such a record is
 * not saved while the rest of the request is, so sending it again cannot duplicate it, even a create.
 */
const CONTENTION_CODES = new Set(['UNABLE_TO_LOCK_ROW']);

/**
 * Codes that wrap a failure of the record's own automation (a trigger, a flow): transient only when
 * what failed inside was the lock (`…: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access…`).
 */
const AUTOMATION_CODES = new Set(['CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', 'CANNOT_EXECUTE_FLOW_TRIGGER']);

/**
 * Waits before each re-send of the records that met a lock, in units of the first wait (1 s by
 * default): 1 s, 2 s, 4 s. Three more tries spread over 7 s: each try itself waits up to Salesforce's
 * 10 s for the lock, so together they outlast a trigger or a parent's rollup holding it; a lock held
 * longer than that is a job's or a user's, better met by the next run than by holding the batch.
 */
export const RECORD_RETRY_BACKOFF = [1, 2, 4] as const;

/** The first wait before records that met a lock are sent again (see RECORD_RETRY_BACKOFF). */
export const RECORD_RETRY_FIRST_WAIT_MS = 1_000;

/** Whether a record's rejection is contention that may clear within the batch (see CONTENTION_CODES). */
export function isContention(error: RecordError): boolean {
  if (CONTENTION_CODES.has(error.code)) return true;
  return AUTOMATION_CODES.has(error.code) && /\bUNABLE_TO_LOCK_ROW\b/.test(error.message);
}

/** What to do with a record Salesforce rejected, after `retriesDone` re-sends of it in this batch. */
export type RecordRetry = { retry: true; waitMs: number } | { retry: false; reason: 'not-contention' | 'retries-spent' | 'run-cancelled' };

/** A pure decision, unit-tested on its own: re-send after a wait, or let the rejection stand. */
export function decideRecordRetry(input: { error: RecordError; retriesDone: number; cancelled: boolean; firstWaitMs?: number }): RecordRetry {
  if (!isContention(input.error)) return { retry: false, reason: 'not-contention' };
  const step = RECORD_RETRY_BACKOFF[input.retriesDone];
  if (step === undefined) return { retry: false, reason: 'retries-spent' };
  // A cancelled run sends nothing more: the record stays uncommitted and goes with the next run.
  if (input.cancelled) return { retry: false, reason: 'run-cancelled' };
  return { retry: true, waitMs: step * (input.firstWaitMs ?? RECORD_RETRY_FIRST_WAIT_MS) };
}
