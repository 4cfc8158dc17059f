import Table from 'cli-table3';
import type { ChangeCounts } from '../state/staging';
import type { RunCounts, RunSummary } from '../state/summary';

/** A plain table: no colours, so piped output stays readable. */
function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/**
 * Every CLI table, its cells' control characters escaped: values come from the warehouse and the
 * destinations' answers, and a newline or an escape sequence in one must not reach the terminal.
 * A cell that can be long is cut by its caller (`displayCell`, which escapes too).
 */
export function tableText(head: string[], rows: Iterable<ReadonlyArray<string | number>>): string {
  const shown = table(head.map(escapeControls));
  for (const row of rows) shown.push(row.map((cell) => (typeof cell === 'number' ? cell : escapeControls(cell))));
  return shown.toString();
}

/** Longest cell text a table shows; the stored value and `--json` stay complete. */
export const MAX_CELL_CHARS = 300;

/**
 * What a terminal would act on rather than show: C0 controls (newline, ESC, BEL…), DEL, C1 controls
 * (0x9B is a one-byte CSI), the line and paragraph separators, and the bidi embeddings, overrides
 * and isolates (U+202A–U+202E, U+2066–U+2069) that reorder the text after them.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A text with each control character written as an escape (`\n`, `\u001b`): shown, never acted on. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, visible);
}

/**
 * A table cell as the terminal shows it: control characters escaped, and cut at `max` characters
 * of what is shown (a rejected 10 MB value quoted in an error would flood it), saying how many of
 * the value's characters were left out.
 */
export function displayCell(text: string, max = MAX_CELL_CHARS): string {
  if (text.length <= max && !CONTROL.test(text)) return text;
  let shown = '';
  let used = 0;
  // Character by character up to `max` shown: a 10 MB value is never escaped whole.
  for (; used < text.length; used++) {
    const char = text[used] as string;
    const piece = CONTROL.test(char) ? visible(char) : char;
    if (shown.length + piece.length > max) break;
    shown += piece;
  }
  if (used === text.length) return shown;
  if (/[\uD800-\uDBFF]$/.test(shown)) {
    shown = shown.slice(0, -1); // never split a surrogate pair
    used -= 1;
  }
  return `${shown}… (${(text.length - used).toLocaleString('en')} more characters; --json shows all)`;
}

/**
 * A record's error as a cell: its code and the fields it names before the message, so a long
 * message (a rejected value quoted whole) is what the cut shortens.
 */
export function errorText(error: { code: string; message: string; fields?: readonly string[] } | null | undefined, max = MAX_CELL_CHARS): string {
  if (!error) return '';
  const fields = error.fields?.length ? ` [${error.fields.join(', ')}]` : '';
  return displayCell(`${error.code}${fields}: ${error.message}`, max);
}

/** The line under a table that shows the first `shown` of `total`: where the rest is. */
export function moreLine(shown: number, total: number, rest: string): string | undefined {
  if (total <= shown) return undefined;
  return `… ${(total - shown).toLocaleString('en')} more ${total - shown === 1 ? 'record' : 'records'}: ${rest}`;
}

/** The terminal's width when stdout is one (a pipe has none: nothing to fit). */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

/** The widest line of a text. */
function widthOf(text: string): number {
  return Math.max(...text.split('\n').map((line) => line.length));
}

/**
 * Rows under their column names: one table, or, when that table is wider than `width` (a terminal;
 * a pipe has none), one two-column block per row, so nothing wraps into a tangle of box drawing.
 */
export function fittedTable(head: string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, width = terminalWidth()): string {
  const text = tableText(head, rows);
  if (width === undefined || widthOf(text) <= width) return text;
  return rows.map((row) => tableText(['', ''], head.map((name, index) => [name, row[index] ?? '']))).join('\n');
}

/**
 * A run's heading and counts: one row of ten columns, or a column of them when that row is wider than
 * `width` (an 80-column terminal wrapped the 145-character row into a tangle of box drawing).
 */
export function renderSummary(summary: RunSummary, title?: string, width = terminalWidth()): string {
  const { counts } = summary;
  const written = [`${counts.created} created`, `${counts.updated} updated`, ...(counts.deleted ? [`${counts.deleted} deleted`] : [])];
  const cells: Array<[string, string | number]> = [
    ['extracted', counts.extracted],
    ['added', counts.added],
    ['changed', counts.changed],
    ['removed', counts.removed],
    ['unchanged', counts.unchanged],
    ['invalid', counts.invalid],
    ['synced', `${counts.synced} (${written.join(', ')})`],
    ['skipped', counts.skipped],
    ['rejected', counts.rejected],
    ['api calls', summary.apiCalls],
  ];
  const countsText = fittedTable(cells.map(([name]) => name), [cells.map(([, value]) => value)], width);
  const heading = `${title ? `${title} — ` : ''}${summary.sync}  run ${summary.runId}  ${summary.status.toUpperCase()}`;
  const error = summary.error ? `\nerror: ${errorText(summary.error)}` : '';
  return `${heading}\n${countsText}${error}`;
}

/** A count and its noun, singular for one (`1 API call`, `2 rows`). */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? singular : plural}`;
}

/** What `backflow run --dry-run` prints: the change counts, the requests the run would make and their time. */
export function renderDryRun(sync: string, preview: ChangeCounts & { apiCalls: number; estimatedSeconds?: number; bytesProcessed?: number }): string {
  const { apiCalls, estimatedSeconds, bytesProcessed } = preview;
  return (
    `dry run of ${sync}: ${counted(preview.extracted, 'row')}, ${preview.added} added, ${preview.changed} changed, ` +
    `${preview.removed} removed, ${preview.unchanged} unchanged, ${preview.invalid} invalid, ${preview.skipped} skipped → ${counted(apiCalls, 'API call')}` +
    (estimatedSeconds !== undefined ? ` (about ${estimatedSeconds} s at the destination's request budget)` : '') +
    (bytesProcessed !== undefined ? `; the model scans ${counted(bytesProcessed, 'byte')}` : '')
  );
}

/**
 * What `runs show` says when it lists no record: nothing sent, or results `prune` has deleted (the
 * run's summary still counts them, so "no records were sent" would contradict it).
 */
export function noRecordsLine(counts: RunCounts, failedOnly: boolean): string {
  const kept = failedOnly ? counts.rejected + counts.invalid : counts.synced + counts.rejected + counts.invalid + counts.skipped;
  if (kept > 0) return `no per-record results: the run's ${kept} were older than the retention and pruned (backflow prune)`;
  return failedOnly ? 'no failed records' : 'no records were sent';
}
