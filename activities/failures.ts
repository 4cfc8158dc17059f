import { ApplicationFailure } from '@temporalio/activity';
import { BackflowError, DestinationTransientError } from '../src/errors';

/**
 * Maps engine errors to Temporal's retry semantics: a transient destination failure is retried
 * (after the destination's own wait, when it named one); a typed BackflowError is final; anything
 * else (a dropped state-store connection, say) is retried with Temporal's backoff.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof DestinationTransientError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.code,
      nonRetryable: false,
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
    });
  }
  if (err instanceof BackflowError) {
    return ApplicationFailure.create({ message: err.message, type: err.code, nonRetryable: true });
  }
  return err;
}

export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
