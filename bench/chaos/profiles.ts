/**
 * The two chaos runs. Full: the figures (20,000 rows, ≥ 5 kills, 20% rate limits, 5% 5xx,
 * 2% timeouts, 2% apply-then-fail). Quick: the same kinds of trouble on 4,000 rows for the suite.
 * Salesforce has no 429: its rate limit is 403 REQUEST_LIMIT_EXCEEDED (ConcurrentPerOrgLongTxn), which
 * backflow waits out for 60 s (REQUEST_LIMIT_WAIT_MS) — so the quick run leaves rate limits out to fit
 * in the suite's time (test/sandbox/salesforce-faults and the classifier's unit test cover them).
 */
import type { ChaosOptions } from './run';

export type ChaosProfileName = 'full' | 'quick';

export function chaosProfile(name: ChaosProfileName): Omit<ChaosOptions, 'workDir' | 'log'> {
  if (name === 'quick') {
    return {
      // Enough batches (80) that both kills and the restart land before the run is done, now that
      // one activity sends a range of batches (1,500 records finished before the second kill once).
      records: 4_000,
      batchSize: 50,
      concurrency: 5,
      workers: 2,
      kills: 2,
      killEveryMs: [500, 1_500],
      // A kill during the extract costs its 1-minute heartbeat timeout; the full run covers that.
      chaosFrom: 'batches',
      // 80 batches over 5 lanes at 2 s a write: at least 32 s to finish while the kills and the restart are due.
      holdWritesMs: 2_000,
      // 5xx split between 500 and 503.
      faults: { serverError: 0.03, unavailable: 0.02, timeout: 0.02, applyThenFail: 0.05 },
      requestTimeoutMs: 5_000,
      deadlineMs: 150_000,
    };
  }
  return {
    records: 20_000,
    batchSize: 200,
    concurrency: 10,
    workers: 2,
    kills: 5,
    killEveryMs: [4_000, 12_000],
    chaosFrom: 'start',
    faults: { rateLimited: 0.2, serverError: 0.03, unavailable: 0.02, timeout: 0.02, applyThenFail: 0.02 },
    requestTimeoutMs: 10_000,
    deadlineMs: 20 * 60_000,
  };
}
