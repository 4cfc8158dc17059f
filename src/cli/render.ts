import Table from 'cli-table3';
import type { RunSummary } from '../state/summary';

/** A plain table: no colours, so piped output stays readable. */
export function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

export function renderSummary(summary: RunSummary, title?: string): string {
  const { counts } = summary;
  const countsTable = table(['extracted', 'added', 'changed', 'removed', 'unchanged', 'invalid', 'synced', 'skipped', 'rejected', 'api calls']);
  const written = [`${counts.created} created`, `${counts.updated} updated`, ...(counts.deleted ? [`${counts.deleted} deleted`] : [])];
  countsTable.push([
    counts.extracted,
    counts.added,
    counts.changed,
    counts.removed,
    counts.unchanged,
    counts.invalid,
    `${counts.synced} (${written.join(', ')})`,
    counts.skipped,
    counts.rejected,
    summary.apiCalls,
  ]);
  const heading = `${title ? `${title} — ` : ''}${summary.sync}  run ${summary.runId}  ${summary.status.toUpperCase()}`;
  const error = summary.error ? `\nerror: ${summary.error.code}: ${summary.error.message}` : '';
  return `${heading}\n${countsTable.toString()}${error}`;
}
