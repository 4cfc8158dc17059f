/** Records one activity aims to carry: enough that Temporal's per-activity cost is small next to the requests. */
export const RECORDS_PER_ACTIVITY = 5_000;
/** Never more batches than this per activity, however small they are: progress is reported per activity. */
export const MAX_BATCHES_PER_ACTIVITY = 25;

/**
 * How many consecutive batches one syncBatches activity sends. Each activity costs a Temporal round
 * trip (~100 ms measured on the dev server, several times a 200-record request to a fast API), so
 * small batches are grouped — but never so much that the `concurrency` lanes go without work.
 * Pure: the workflow gets the answer from the extract activity.
 */
export function batchesPerActivity(input: { batches: number; largestBatch: number; concurrency: number }): number {
  if (input.batches <= 0) return 1;
  const bySize = Math.floor(RECORDS_PER_ACTIVITY / Math.max(1, input.largestBatch));
  const byLanes = Math.floor(input.batches / Math.max(1, input.concurrency));
  return Math.max(1, Math.min(MAX_BATCHES_PER_ACTIVITY, bySize, byLanes));
}
