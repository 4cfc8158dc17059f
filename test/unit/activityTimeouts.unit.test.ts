import { POLL_GIVE_UP_MS } from '../../src/destinations/salesforceBulk';
import { SYNC_BATCHES_START_TO_CLOSE_MS } from '../../workflows/sync';

describe('activity time limits', () => {
  it('give a Salesforce Bulk API batch its whole polling time (plus the upload and results) within one attempt', () => {
    // Temporal ends an attempt at its start-to-close timeout whatever it heartbeats: a shorter one
    // cut every slow bulk job off and re-polled it from a fresh attempt.
    expect(SYNC_BATCHES_START_TO_CLOSE_MS).toBeGreaterThanOrEqual(POLL_GIVE_UP_MS + 10 * 60_000);
  });
});

describe('retries of a run start, finish and extract', () => {
  it('ride out about an hour of a warehouse or state store that cannot answer, where ten attempts gave up after minutes', async () => {
    const { EXTRACT_RETRY, RUN_STEP_RETRY, retryWaitMs } = await import('../../workflows/retryPolicies');
    expect(retryWaitMs(RUN_STEP_RETRY)).toBeGreaterThanOrEqual(55 * 60_000);
    expect(retryWaitMs(EXTRACT_RETRY)).toBeGreaterThanOrEqual(55 * 60_000);
    // The policy before: 1 s doubling to Temporal's default cap (100× the first interval), 10 attempts.
    expect(retryWaitMs({ initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 100_000, maximumAttempts: 10 })).toBe(327_000);
  });
});
