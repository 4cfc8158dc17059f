import { POLL_GIVE_UP_MS } from '../../src/destinations/salesforceBulk';
import { SYNC_BATCHES_START_TO_CLOSE_MS } from '../../workflows/sync';

describe('activity time limits', () => {
  it('give a Salesforce Bulk API batch its whole polling time (plus the upload and results) within one attempt', () => {
    // Temporal ends an attempt at its start-to-close timeout whatever it heartbeats: a shorter one
    // cut every slow bulk job off and re-polled it from a fresh attempt.
    expect(SYNC_BATCHES_START_TO_CLOSE_MS).toBeGreaterThanOrEqual(POLL_GIVE_UP_MS + 10 * 60_000);
  });
});
