import { historyRow } from '../../src/cli/commands/records';
import { durationText } from '../../src/cli/commands/runs';
import { displayCell, errorText, escapeControls, fittedTable, MAX_CELL_CHARS, moreLine, renderSummary, tableText } from '../../src/cli/render';

const ESC = '\u001b';
const BEL = '\u0007';
/** Anything a terminal acts on rather than shows (what every table must be free of). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('table cells show control characters as escapes', () => {
  it('writes newlines, tabs, ESC, BEL, DEL, C1 and bidi overrides visibly', () => {
    expect(escapeControls('line1\nline2\r\tend')).toBe('line1\\nline2\\r\\tend');
    expect(escapeControls(`${ESC}[2J${ESC}]0;pwned${BEL}`)).toBe('\\u001b[2J\\u001b]0;pwned\\u0007');
    expect(escapeControls('a\u007fb\u009bc\u0000')).toBe('a\\u007fb\\u009bc\\u0000');
    expect(escapeControls('abc\u202edcba\u2066x\u2069')).toBe('abc\\u202edcba\\u2066x\\u2069');
    // Everything else, accents and emoji included, as it is.
    expect(escapeControls('Société Générale 😀 — ok')).toBe('Société Générale 😀 — ok');
  });

  it('a table row stays one line, and the screen is neither cleared nor retitled', () => {
    const text = tableText(['key', 'error'], [['line1\nline2', `${ESC}[2J${ESC}]0;pwned${BEL}`]]);
    expect(text.split('\n')).toHaveLength(5); // borders, head, separator and one line for the row
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('line1\\nline2');
    expect(fittedTable(['key'], [['a\nb']], 10)).not.toMatch(RAW_CONTROL);
  });

  it('cuts at the limit of what is shown, never in the middle of an escape, counting the value’s characters left', () => {
    const shown = displayCell(`${'n'.repeat(MAX_CELL_CHARS - 1)}\n${'m'.repeat(100)}`);
    expect(shown).toBe(`${'n'.repeat(MAX_CELL_CHARS - 1)}… (101 more characters; --json shows all)`);
    expect(displayCell('\n'.repeat(10), 7)).toBe('\\n\\n\\n… (7 more characters; --json shows all)');
  });

  it('the run summary’s error and a record’s history are escaped too', () => {
    const summary = {
      sync: 'accounts_to_salesforce',
      runId: 'r1',
      status: 'failed' as const,
      startedAt: '',
      finishedAt: '',
      counts: { extracted: 0, added: 0, changed: 0, removed: 0, unchanged: 0, invalid: 0, synced: 0, rejected: 0, skipped: 0, created: 0, updated: 0, deleted: 0 },
      apiCalls: 0,
      batches: 0,
      error: { code: 'SOURCE_QUERY_FAILED', message: `bad value ${ESC}[2J\nnext` },
    };
    expect(renderSummary(summary, undefined, 200)).toContain('error: SOURCE_QUERY_FAILED: bad value \\u001b[2J\\nnext');
    const row = historyRow({
      runId: 'r1',
      recordedAt: '2026-11-27T00:00:00.000Z',
      change: 'added',
      status: 'rejected',
      destinationId: null,
      created: null,
      error: { code: 'X', message: 'a\nb', fields: [] },
      sent: { Name: `${ESC}[2J` },
    });
    expect(row.join('')).not.toMatch(RAW_CONTROL);
  });
});

describe('an error cell', () => {
  it('puts the code and the fields before the message, so a cut keeps them', () => {
    const error = { code: 'STRING_TOO_LONG', message: `Account Name: data value too large: ${'n'.repeat(5_000)} (max length=255)`, fields: ['Name'] };
    const cell = errorText(error);
    expect(cell.startsWith('STRING_TOO_LONG [Name]: Account Name: data value too large: nnn')).toBe(true);
    expect(cell.length).toBeLessThanOrEqual(MAX_CELL_CHARS + 60);
    expect(errorText({ code: 'DESTINATION_AUTH_FAILED', message: 'refused' })).toBe('DESTINATION_AUTH_FAILED: refused');
    expect(errorText(undefined)).toBe('');
  });
});

describe('the lines around a bounded table', () => {
  it('says how many records are left out and where they are', () => {
    expect(moreLine(1_000, 50_000, '--json for all')).toBe('… 49,000 more records: --json for all');
    expect(moreLine(1_000, 1_001, '--json for all')).toBe('… 1 more record: --json for all');
    expect(moreLine(1_000, 1_000, '--json for all')).toBeUndefined();
  });

  it('a run not closed yet shows how long it has been running, not "…s"', () => {
    const startedAt = '2026-11-27T00:00:00.000Z';
    expect(durationText({ startedAt, finishedAt: '2026-11-27T00:00:04.200Z' }, Date.parse(startedAt) + 60_000)).toBe('4.2s');
    expect(durationText({ startedAt, finishedAt: null }, Date.parse(startedAt) + 12_000)).toBe('running 12.0s');
  });
});
