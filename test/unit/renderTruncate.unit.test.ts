import { MAX_CELL_CHARS, displayCell } from '../../src/cli/render';

describe('displayCell: shortening', () => {
  it('leaves a short cell alone', () => {
    expect(displayCell('STRING_TOO_LONG: Account Name')).toBe('STRING_TOO_LONG: Account Name');
    expect(displayCell('n'.repeat(MAX_CELL_CHARS))).toBe('n'.repeat(MAX_CELL_CHARS));
  });

  it('cuts a 10 MB cell to the limit and says how much is left out', () => {
    const shown = displayCell('n'.repeat(10 * 1024 * 1024));
    expect(shown).toBe(`${'n'.repeat(MAX_CELL_CHARS)}… (10,485,460 more characters; --json shows all)`);
  });

  it('never splits a surrogate pair', () => {
    const shown = displayCell(`${'n'.repeat(9)}😀rest`, 10);
    expect(shown.startsWith(`${'n'.repeat(9)}…`)).toBe(true);
  });
});

describe('backflow records', () => {
  it('shortens a long sent value and error as runs show does', async () => {
    const { historyRow } = await import('../../src/cli/commands/records');
    const name = 'n'.repeat(5_000);
    const row = historyRow({
      runId: 'r1',
      recordedAt: '2026-11-27T00:00:00.000Z',
      change: 'added',
      status: 'rejected',
      destinationId: null,
      created: null,
      error: { code: 'STRING_TOO_LONG', message: `Account Name: data value too large: ${name}`, fields: ['Name'] },
      sent: { Name: name },
    });
    expect(row.every((cell) => cell.length <= MAX_CELL_CHARS + 60)).toBe(true);
    expect(row[6]).toBe(`{"Name":"${'n'.repeat(MAX_CELL_CHARS - 9)}… (4,711 more characters; --json shows all)`);
  });
});

describe('a run summary', () => {
  const summary = {
    sync: 'accounts_to_salesforce',
    runId: 'sync:accounts_to_salesforce:20261127T000000000Z',
    status: 'succeeded' as const,
    startedAt: '',
    finishedAt: '',
    counts: { extracted: 100000, added: 100000, changed: 0, removed: 0, unchanged: 0, invalid: 0, synced: 100000, rejected: 0, skipped: 0, created: 99998, updated: 2, deleted: 0 },
    apiCalls: 500,
    batches: 500,
  };

  it('fits an 80-column terminal: its counts as a column when the row would be wider', async () => {
    const { renderSummary } = await import('../../src/cli/render');
    const narrow = renderSummary(summary, undefined, 80);
    expect(Math.max(...narrow.split('\n').slice(1).map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(narrow).toMatch(/│ synced +│ 100000 \(99998 created, 2 updated\) │/);
    // Wide enough (or piped: no width), the one row as before.
    const wide = renderSummary(summary, undefined, 200);
    expect(wide.split('\n')[1]!.length).toBeGreaterThan(80);
    expect(renderSummary(summary, undefined, undefined)).toBe(wide);
  });
});

describe('a list of runs', () => {
  it('is one table where it fits, else a block per run, within an 80-column terminal', async () => {
    const { fittedTable } = await import('../../src/cli/render');
    const head = ['run', 'status', 'started', 'duration', 'added', 'changed', 'synced', 'rejected', 'api calls'];
    const rows = [1, 2].map((n) => [`sync:accounts_to_salesforce:2026112${n}T000000000Z`, 'succeeded', `2026-11-2${n}T00:00:00.000Z`, '4.2s', 100, 0, 100, 0, 1]);
    const narrow = fittedTable(head, rows, 80);
    expect(Math.max(...narrow.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(narrow.match(/│ run +│ sync:accounts_to_salesforce:/g)).toHaveLength(2);
    const wide = fittedTable(head, rows, 300);
    expect(wide.split('\n')[1]).toMatch(/│ run +│ status +│ started/);
    expect(fittedTable(head, rows, undefined)).toBe(wide);
  });
});
