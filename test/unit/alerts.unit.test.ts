import { decideIncidents, observeRun, observeStaleness, rejectedShare, type IncidentKind } from '../../src/ops/incidents';
import { alertText } from '../../src/ops/notify';
import type { RunSummary } from '../../src/state/summary';

function summary(status: RunSummary['status'], counts: Partial<RunSummary['counts']> = {}, error?: RunSummary['error']): RunSummary {
  return {
    sync: 'accounts',
    runId: 'sync:accounts:1',
    status,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    counts: { extracted: 10, added: 0, changed: 10, removed: 0, unchanged: 0, invalid: 0, synced: 10, rejected: 0, skipped: 0, created: 0, updated: 10, deleted: 0, ...counts },
    apiCalls: 1,
    batches: 1,
    ...(error ? { error } : {}),
  };
}

const open = (...kinds: IncidentKind[]) => new Set(kinds);

describe('decideIncidents: once per incident', () => {
  const failing = { kind: 'failed' as const, active: true, detail: 'x' };
  const fine = { kind: 'failed' as const, active: false, detail: 'x' };

  it('opens a new problem', () => {
    expect(decideIncidents(open(), [failing])).toEqual({ open: [failing], resolve: [] });
  });
  it('does not alert again while the incident is open', () => {
    expect(decideIncidents(open('failed'), [failing])).toEqual({ open: [], resolve: [] });
  });
  it('resolves an open incident once the problem clears', () => {
    expect(decideIncidents(open('failed'), [fine])).toEqual({ open: [], resolve: [fine] });
  });
  it('has nothing to resolve when nothing was open', () => {
    expect(decideIncidents(open(), [fine])).toEqual({ open: [], resolve: [] });
  });
  it('leaves kinds that were not observed alone', () => {
    expect(decideIncidents(open('stale'), [fine])).toEqual({ open: [], resolve: [] });
  });
});

describe('observeRun', () => {
  it('a failed run is a failure and says nothing about staleness or rejections', () => {
    const observed = observeRun(summary('failed', {}, { code: 'SOURCE_QUERY_FAILED', message: 'no table' }), { rejectedShare: 0.1 });
    expect(observed).toEqual([{ kind: 'failed', active: true, detail: expect.stringContaining('SOURCE_QUERY_FAILED: no table') as string }]);
  });
  it('a run the destination\'s budget stopped short is an incident of its own, cleared by a run that sends everything', () => {
    const cut = observeRun(summary('partial', { synced: 4 }, { code: 'DESTINATION_BUDGET_EXHAUSTED', message: 'daily API requests at 95%' }), {});
    expect(cut.find((o) => o.kind === 'stopped')).toEqual({
      kind: 'stopped',
      active: true,
      detail: 'run sync:accounts:1 stopped before sending every record (DESTINATION_BUDGET_EXHAUSTED: daily API requests at 95%); the rest go out with the next run',
    });
    expect(decideIncidents(open(), cut).open.map((o) => o.kind)).toEqual(['stopped']);
    const whole = observeRun(summary('succeeded'), {});
    expect(decideIncidents(open('stopped'), whole).resolve.map((o) => o.kind)).toEqual(['stopped']);
  });
  it('a cancelled run says nothing', () => {
    expect(observeRun(summary('failed', {}, { code: 'CANCELLED', message: 'the run was cancelled' }), {})).toEqual([]);
  });
  it('a partial run clears failed and stale; its rejected share is compared with the threshold', () => {
    const observed = observeRun(summary('partial', { synced: 8, rejected: 2 }), { rejectedShare: 0.1 });
    expect(observed.map(({ kind, active }) => [kind, active])).toEqual([
      ['failed', false],
      ['stale', false],
      ['stopped', false],
      ['rejected', true],
    ]);
    expect(observed[3]?.detail).toContain('2 of 10 records rejected (20.0%, threshold 10.0%)');
  });
  it('at or under the threshold is not an incident; without a threshold rejections are not watched', () => {
    expect(observeRun(summary('partial', { synced: 9, rejected: 1 }), { rejectedShare: 0.1 }).find((o) => o.kind === 'rejected')?.active).toBe(false);
    expect(observeRun(summary('partial', { synced: 1, rejected: 9 }), {}).some((o) => o.kind === 'rejected')).toBe(false);
  });
  it('the share of a run that sent nothing is 0', () => {
    expect(rejectedShare(summary('succeeded', { synced: 0, rejected: 0 }))).toBe(0);
  });
});

describe('observeStaleness', () => {
  const base = { since: '2025-01-01T00:00:00.000Z', schedule: { every: '15m' }, staleAfter: 3 };
  it('is stale once staleAfter scheduled runs were missed since the last success', async () => {
    expect((await observeStaleness({ ...base, lastSuccessAt: '2025-01-01T00:00:00.000Z', now: new Date('2025-01-01T00:46:00Z') })).active).toBe(true);
  });
  it('is not stale within it', async () => {
    expect((await observeStaleness({ ...base, lastSuccessAt: '2025-01-01T00:00:00.000Z', now: new Date('2025-01-01T00:44:00Z') })).active).toBe(false);
  });
  it('counts from the first run when no run ever succeeded', async () => {
    const observed = await observeStaleness({ ...base, lastSuccessAt: undefined, now: new Date('2025-01-01T01:00:00Z') });
    expect(observed).toMatchObject({ active: true, detail: expect.stringContaining('no successful run yet') as string });
  });
});

it('alert text names the sync and what happened', () => {
  expect(alertText({ type: 'incident.opened', sync: 'accounts', kind: 'failed', detail: 'run x failed', at: '' })).toContain('backflow sync accounts: run failed');
  expect(alertText({ type: 'incident.resolved', sync: 'accounts', kind: 'failed', detail: 'run y succeeded', at: '' })).toContain('recovered');
  // A receiver's or destination's words quoted in the detail never ping a channel.
  expect(alertText({ type: 'incident.opened', sync: 'accounts', kind: 'failed', detail: 'webhook answered HTTP 401: <!channel> token bad', at: '' })).toContain(
    'webhook answered HTTP 401: &lt;!channel&gt; token bad',
  );
});
