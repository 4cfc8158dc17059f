import { ApplicationFailure, Context } from '@temporalio/activity';
import { SYNC_BATCHES_RETRY } from '../workflows/retryPolicies';
import { BackflowError } from '../src/errors';
import { interruptionOf } from '../src/engine/rangeInterruption';

/**
 * The wait before retrying after a destination named one (Retry-After): at least that, and at least
 * the backoff Temporal would have used for this attempt. Honouring Retry-After alone made every retry
 * of a throttled first batch come as soon as allowed, so the attempts ran out in 25 × Retry-After.
 */
export function rateLimitRetryDelayMs(retryAfterMs: number, attempt: number): number {
  const { initialIntervalMs, backoffCoefficient, maximumIntervalMs } = SYNC_BATCHES_RETRY;
  const backoff = Math.min(maximumIntervalMs, initialIntervalMs * backoffCoefficient ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs, backoff);
}

/**
 * Maps engine errors to Temporal's retry semantics, by the engine's one rule (interruptionOf): a
 * transient destination failure is retried (after the destination's own wait, when it named one,
 * grown by rateLimitRetryDelayMs); a typed BackflowError is final; anything else (a dropped
 * state-store connection, say) is retried with Temporal's backoff, its stack kept.
 */
export function toActivityFailure(err: unknown, attempt = 1): unknown {
  if (!(err instanceof BackflowError)) return err;
  const retry = interruptionOf(err);
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: retry === undefined,
    ...(retry?.retryAfterMs !== undefined ? { nextRetryDelay: rateLimitRetryDelayMs(retry.retryAfterMs, attempt) } : {}),
  });
}

export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toActivityFailure(err, Context.current().info.attempt);
  }
}
