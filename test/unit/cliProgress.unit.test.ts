import { finalFrame } from '../../src/cli/runSync';
import type { RunSummary } from '../../src/state/summary';

const counts = { extracted: 3000, added: 3000, changed: 0, removed: 0, unchanged: 0, invalid: 0, synced: 2998, rejected: 2, skipped: 0, created: 2998, updated: 0, deleted: 0 };
const summary = (over: Partial<RunSummary>): RunSummary => ({ sync: 's', runId: 'r', status: 'partial', startedAt: '', finishedAt: '', counts, apiCalls: 15, batches: 15, ...over });

describe('the progress bar of `backflow run`', () => {
  it('ends on the run as it finished, however fast it was: every batch done, its counts and outcome', () => {
    // The last poll came while it was still extracting: 0 of 1.
    expect(finalFrame(summary({}), 0)).toEqual({ total: 15, done: 15, payload: { phase: 'partial', synced: 2998, rejected: 2 } });
  });

  it('a run that stopped with an error keeps the batches it was seen to finish', () => {
    const stopped = summary({ status: 'partial', error: { code: 'DESTINATION_BUDGET_EXHAUSTED', message: 'daily limit' } });
    expect(finalFrame(stopped, 6)).toMatchObject({ total: 15, done: 6 });
    expect(finalFrame(summary({ status: 'failed', batches: 0, error: { code: 'X', message: 'y' } }), 0)).toMatchObject({ total: 1, done: 0, payload: { phase: 'failed' } });
  });
});
