import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { sealedMessageOf, sealedNote, type SealedMessage } from '../../workflows/sealedMessage';

/**
 * An activity's failure with its message moved into its details. Temporal keeps a failure's message
 * and stack trace in history as they are, out of the payload codec's reach: a warehouse's `Could not
 * convert string 'ann@example.com'` or a state-store key conflict put row values there in the clear,
 * with BACKFLOW_PAYLOAD_KEY set. The failure keeps its type (the engine's code) and retry decision;
 * its message says only that. A cancellation (or any other Temporal failure) passes as it is.
 */
export function sealFailure(err: unknown): unknown {
  if (!(err instanceof Error) || (err instanceof TemporalFailure && !(err instanceof ApplicationFailure))) return err;
  if (err instanceof ApplicationFailure && sealedMessageOf(err) !== undefined) return err;
  const type = err instanceof ApplicationFailure ? (err.type ?? 'Error') : err.name;
  const sealed: SealedMessage = { sealedMessage: err.message };
  return ApplicationFailure.create({
    type,
    message: sealedNote(type),
    // An error that is not an ApplicationFailure is retried (a dropped connection), as before.
    nonRetryable: err instanceof ApplicationFailure ? err.nonRetryable === true : false,
    ...(err instanceof ApplicationFailure && err.nextRetryDelay != null ? { nextRetryDelay: err.nextRetryDelay } : {}),
    details: [sealed],
  });
}

/** The worker's activity interceptor sealing every failure (see sealFailure): for a worker encrypting payloads. */
export const sealActivityFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw sealFailure(err);
      }
    },
  },
});
