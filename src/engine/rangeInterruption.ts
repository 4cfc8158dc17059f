import { BackflowError, DestinationTransientError } from '../errors';

/** Why a batch range stopped short and handed its rest back: the failure of the batch it stopped at. */
export interface RangeInterruption {
  code: string;
  message: string;
  /** A transient destination error's reason ('rate-limit', 'server-error'…). */
  reason?: string;
  retryAfterMs?: number;
}

/**
 * The retry rule, in one place: a retryable failure (transient destination error, or anything
 * untyped) as a hand-back, with the wait the destination named; undefined for a final one (a typed
 * BackflowError other than transient). activities/failures.ts maps Temporal retries by it too.
 */
export function interruptionOf(err: unknown): RangeInterruption | undefined {
  if (err instanceof DestinationTransientError) {
    return { code: err.code, message: err.message, reason: err.reason, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
  // A batch taken back from this attempt (an older one's claim landing late, after a long freeze):
  // retried, the attempt claims it again and finds it committed, or sends it; failing the run for it
  // would fail the attempt Temporal is waiting on, in favour of one it gave up.
  if (err instanceof BackflowError && err.code === 'BATCH_SUPERSEDED') return { code: err.code, message: err.message };
  if (err instanceof BackflowError) return undefined;
  const code = err instanceof Error ? String((err as { code?: unknown }).code ?? err.name) : 'UNKNOWN';
  return { code, message: err instanceof Error ? err.message : String(err) };
}
