import { listRuns, recordResults } from '../../state/history';
import { summarizeRun } from '../../state/runs';
import { cliContext, engineDeps, requireKnownSync } from '../context';
import { logTo } from '../output';
import { fittedTable, noRecordsLine, renderSummary, table, truncateForDisplay } from '../render';

/** `backflow runs <sync> [--failed]`: the sync's recent runs, or only those that failed or ended partial. */
export async function runsCommand(sync: string, options: { project?: string; json?: boolean; failed?: boolean }): Promise<number> {
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx, { historyOnly: true });
  await requireKnownSync(ctx, deps, sync);
  const failedOnly = options.failed ?? false;
  const runs = await listRuns(deps.state, sync, 20, { failedOnly });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(runs)}\n`);
    return 0;
  }
  const rows = runs.map((run) => {
    const seconds = run.finishedAt ? ((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1) : '…';
    return [run.runId, run.status, run.startedAt, `${seconds}s`, run.counts.added, run.counts.changed, run.counts.synced, run.counts.rejected, run.apiCalls];
  });
  const list = fittedTable(['run', 'status', 'started', 'duration', 'added', 'changed', 'synced', 'rejected', 'api calls'], rows);
  logTo(false)(runs.length > 0 ? list : failedOnly ? `no failed or partial runs of ${sync}` : `no runs of ${sync} yet`);
  return 0;
}

/** `backflow runs show <runId> [--failed]`: the run's summary and its per-record results. */
export async function runShowCommand(runId: string, options: { project?: string; json?: boolean; failed?: boolean }): Promise<number> {
  const deps = await engineDeps(cliContext(options), { historyOnly: true });
  const summary = await summarizeRun(deps.state, runId);
  const records = await recordResults(deps.state, runId, options.failed ?? false);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ summary, records })}\n`);
    return 0;
  }
  const log = logTo(false);
  log(renderSummary(summary));
  const results = table(['key', 'change', 'status', 'destination id', 'error']);
  for (const record of records) {
    const error = record.error ? `${record.error.code}: ${record.error.message}${record.error.fields.length ? ` [${record.error.fields.join(', ')}]` : ''}` : '';
    results.push([truncateForDisplay(record.key ?? '(null)'), record.change, record.status, truncateForDisplay(record.destinationId ?? ''), truncateForDisplay(error)]);
  }
  log(records.length > 0 ? results.toString() : noRecordsLine(summary.counts, options.failed ?? false));
  return 0;
}
