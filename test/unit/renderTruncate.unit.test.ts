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
