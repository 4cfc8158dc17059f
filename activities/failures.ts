import { ApplicationFailure } from '@temporalio/activity';
import { BackflowError } from '../src/errors';
import { interruptionOf } from '../src/engine/rangeInterruption';

/**
 * Maps engine errors to Temporal's retry semantics, by the engine's one rule (interruptionOf): a
 * transient destination failure is retried (after the destination's own wait, when it named one); a
 * typed BackflowError is final; anything else (a dropped state-store connection, say) is retried
 * with Temporal's backoff, its stack kept.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof BackflowError)) return err;
  const retry = interruptionOf(err);
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: retry === undefined,
    ...(retry?.retryAfterMs !== undefined ? { nextRetryDelay: retry.retryAfterMs } : {}),
  });
}

export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
