import { JobWaits, isDone } from '../../src/sandbox/bigquery/jobs';

describe('JobWaits.untilDone', () => {
  it('never returns before the job ends (a timer can fire a millisecond before Date.now() reaches its mark)', async () => {
    const waits = new JobWaits();
    let early = 0;
    for (let i = 0; i < 1000; i += 1) {
      const job = { endTime: Date.now() + 2 };
      await waits.untilDone(job, undefined);
      if (!isDone(job)) early += 1;
    }
    expect(early).toBe(0);
  });

  it('returns at the request timeout when the job runs longer', async () => {
    const job = { endTime: Date.now() + 60_000 };
    const started = Date.now();
    await new JobWaits().untilDone(job, 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(isDone(job)).toBe(false);
  });

  it('ends every wait at once on releaseAll', async () => {
    const waits = new JobWaits();
    const job = { endTime: Date.now() + 60_000 };
    const waiting = waits.untilDone(job, 60_000);
    waits.releaseAll();
    await expect(waiting).resolves.toBeUndefined();
    expect(isDone(job)).toBe(false);
  });
});
