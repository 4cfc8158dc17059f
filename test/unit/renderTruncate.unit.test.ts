import { MAX_CELL_CHARS, truncateForDisplay } from '../../src/cli/render';

describe('truncateForDisplay', () => {
  it('leaves a short cell alone', () => {
    expect(truncateForDisplay('STRING_TOO_LONG: Account Name')).toBe('STRING_TOO_LONG: Account Name');
    expect(truncateForDisplay('n'.repeat(MAX_CELL_CHARS))).toBe('n'.repeat(MAX_CELL_CHARS));
  });

  it('cuts a 10 MB cell to the limit and says how much is left out', () => {
    const shown = truncateForDisplay('n'.repeat(10 * 1024 * 1024));
    expect(shown).toBe(`${'n'.repeat(MAX_CELL_CHARS)}… (10,485,460 more characters; --json shows all)`);
  });

  it('never splits a surrogate pair', () => {
    const shown = truncateForDisplay(`${'n'.repeat(9)}😀rest`, 10);
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
