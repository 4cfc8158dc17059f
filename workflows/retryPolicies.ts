/** The retry policies of a sync run's activities, as data the activity side reads too. */
export interface RetryPolicyMs {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

/**
 * syncBatches': the activity side reads it too (activities/failures.ts): a destination's Retry-After
 * replaces Temporal's backoff for that retry, and must still grow with it while the limit persists,
 * or 25 attempts of a 1-second Retry-After would fail a run after 25 seconds of throttling.
 */
export const SYNC_BATCHES_RETRY: RetryPolicyMs = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 5 * 60_000, maximumAttempts: 25 };

/**
 * A run's start, finish and extract. Their non-retryable failures are typed (activities/failures.ts),
 * so what these retry is what waiting can fix: a warehouse locked by dbt or down, a state store
 * restarting, a network blip. Ten attempts at Temporal's default backoff gave up after ~5.5 minutes
 * (start, finish) and ~11 (extract): a longer outage failed the run, or, at its finish, left it open
 * holding the sync. These ride out about an hour.
 */
export const RUN_STEP_RETRY: RetryPolicyMs = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 64 };

export const EXTRACT_RETRY: RetryPolicyMs = { initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 120_000, maximumAttempts: 36 };

/** The waits between a policy's attempts, added up: how long an outage it rides out. */
export function retryWaitMs(policy: RetryPolicyMs): number {
  let total = 0;
  for (let retry = 0; retry < policy.maximumAttempts - 1; retry++) {
    total += Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** retry);
  }
  return total;
}

/** As proxyActivities takes it. */
export function retryOptions(policy: RetryPolicyMs) {
  return {
    initialInterval: policy.initialIntervalMs,
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: policy.maximumIntervalMs,
    maximumAttempts: policy.maximumAttempts,
  };
}
