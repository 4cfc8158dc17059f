import Table from 'cli-table3';
import type { RunCounts, RunSummary } from '../state/summary';

/** A plain table: no colours, so piped output stays readable. */
export function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/** Longest cell text a table shows; the stored value and `--json` stay complete. */
export const MAX_CELL_CHARS = 300;

/** Shortens a cell for the terminal (a rejected 10 MB value quoted in an error would flood it), saying how much was left out. */
export function truncateForDisplay(text: string, max = MAX_CELL_CHARS): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // never split a surrogate pair
  return `${cut}… (${(text.length - cut.length).toLocaleString('en')} more characters; --json shows all)`;
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
  const wide = table(head);
  for (const row of rows) wide.push([...row]);
  const text = wide.toString();
  if (width === undefined || widthOf(text) <= width) return text;
  return rows
    .map((row) => {
      const block = table(['', '']);
      head.forEach((name, index) => block.push([name, row[index] ?? '']));
      return block.toString();
    })
    .join('\n');
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
  const error = summary.error ? `\nerror: ${summary.error.code}: ${truncateForDisplay(summary.error.message)}` : '';
  return `${heading}\n${countsText}${error}`;
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
