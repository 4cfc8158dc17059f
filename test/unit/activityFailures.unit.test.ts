import { ApplicationFailure } from '@temporalio/common';
import { rateLimitRetryDelayMs, toActivityFailure } from '../../activities/failures';
import { SYNC_BATCHES_RETRY } from '../../workflows/retryPolicies';
import { BackflowError, DestinationTransientError } from '../../src/errors';

const delayOf = (failure: unknown) => (failure as ApplicationFailure).nextRetryDelay;

describe('the retry a failed activity asks Temporal for', () => {
  it('waits at least the Retry-After, growing like the backoff while the destination keeps refusing', () => {
    const throttled = new DestinationTransientError('429 Too Many Requests', 'rate_limited', 1_000);
    expect([1, 2, 3, 4, 5, 10, 25].map((attempt) => delayOf(toActivityFailure(throttled, attempt)))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 300_000, 300_000,
    ]);
    // A long Retry-After is kept as the destination named it.
    expect(delayOf(toActivityFailure(new DestinationTransientError('429', 'rate_limited', 60_000), 2))).toBe(60_000);
  });

  it('rides out over an hour of throttling at a 1-second Retry-After before its attempts run out (was 25 seconds)', () => {
    let waitedMs = 0;
    for (let attempt = 1; attempt < SYNC_BATCHES_RETRY.maximumAttempts; attempt++) waitedMs += rateLimitRetryDelayMs(1_000, attempt);
    expect(waitedMs).toBeGreaterThan(60 * 60_000);
  });

  it('leaves a failure without a named wait to Temporal\'s backoff, and a typed one final', () => {
    const transient = toActivityFailure(new DestinationTransientError('503', 'server_error'), 3) as ApplicationFailure;
    expect(transient.nonRetryable).toBe(false);
    expect(transient.nextRetryDelay).toBeUndefined();
    const final = toActivityFailure(new BackflowError('DESTINATION_AUTH_FAILED', 'bad token'), 1) as ApplicationFailure;
    expect(final).toMatchObject({ nonRetryable: true, type: 'DESTINATION_AUTH_FAILED' });
    const untyped = new Error('connection reset');
    expect(toActivityFailure(untyped, 1)).toBe(untyped);
  });
});
