import { MAX_BATCHES_PER_ACTIVITY, RECORDS_PER_ACTIVITY, batchesPerActivity } from '../../src/engine/batchesPerActivity';

describe('batchesPerActivity', () => {
  it('groups small batches up to the records an activity aims to carry', () => {
    expect(batchesPerActivity({ batches: 500, largestBatch: 200, concurrency: 4 })).toBe(RECORDS_PER_ACTIVITY / 200);
  });

  it('never groups more than the cap, however small the batches', () => {
    expect(batchesPerActivity({ batches: 10_000, largestBatch: 1, concurrency: 1 })).toBe(MAX_BATCHES_PER_ACTIVITY);
  });

  it('sends a batch larger than the target on its own', () => {
    expect(batchesPerActivity({ batches: 30, largestBatch: 10_000, concurrency: 1 })).toBe(1);
  });

  it('leaves every concurrency lane work from the start', () => {
    // 4 batches over 3 lanes: three activities at once, not two of two.
    expect(batchesPerActivity({ batches: 4, largestBatch: 1, concurrency: 3 })).toBe(1);
    expect(batchesPerActivity({ batches: 40, largestBatch: 100, concurrency: 4 })).toBe(10);
  });

  it('answers 1 for a run with no batches', () => {
    expect(batchesPerActivity({ batches: 0, largestBatch: 0, concurrency: 4 })).toBe(1);
  });
});
