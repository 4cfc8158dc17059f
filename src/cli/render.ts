import Table from 'cli-table3';
import type { RunSummary } from '../state/summary';

export function renderSummary(summary: RunSummary, title?: string): string {
  const { counts } = summary;
  const table = new Table({
    head: ['extracted', 'added', 'changed', 'removed', 'unchanged', 'invalid', 'synced', 'rejected', 'api calls'],
    style: { head: [], border: [] },
  });
  table.push([
    counts.extracted,
    counts.added,
    counts.changed,
    counts.removed,
    counts.unchanged,
    counts.invalid,
    `${counts.synced} (${counts.created} created, ${counts.updated} updated)`,
    counts.rejected,
    summary.apiCalls,
  ]);
  const heading = `${title ? `${title} — ` : ''}${summary.sync}  run ${summary.runId}  ${summary.status.toUpperCase()}`;
  const error = summary.error ? `\nerror: ${summary.error.code}: ${summary.error.message}` : '';
  return `${heading}\n${table.toString()}${error}`;
}
