/**
 * syncBatches' retry policy. The activity side reads it too (activities/failures.ts): a destination's
 * Retry-After replaces Temporal's backoff for that retry, and must still grow with it while the limit
 * persists, or 25 attempts of a 1-second Retry-After would fail a run after 25 seconds of throttling.
 */
export const SYNC_BATCHES_RETRY = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 5 * 60_000,
  maximumAttempts: 25,
} as const;
