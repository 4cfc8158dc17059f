import { countRecordResults, listRuns, recordResultPages } from '../../state/history';
import { summarizeRun } from '../../state/runs';
import type { RunSummary } from '../../state/summary';
import { cliContext, engineDeps, requireKnownSync } from '../context';
import { limitOption } from '../options';
import { logTo, writeOut } from '../output';
import { displayCell, errorText, fittedTable, moreLine, noRecordsLine, renderSummary, tableText } from '../render';

/** Runs `runs <sync>` lists unless `--limit` says otherwise. */
export const DEFAULT_RUNS_LIMIT = 20;

/**
 * Records `runs show` puts in its table unless `--limit` says otherwise: more than a screen's worth
 * of rejections to read, and under half a second to draw (the table library slows superlinearly:
 * 2,500 rows took 1.3 s, 50,000 four minutes and 700 MB). `--json` has them all.
 */
export const DEFAULT_SHOWN_RECORDS = 1_000;

/** An error column's width in the runs list: the code and the start of the message. */
const RUN_ERROR_CHARS = 80;

/** `backflow runs <sync> [--failed] [--limit N]`: the sync's recent runs, or only those that failed or ended partial. */
export async function runsCommand(sync: string, options: { project?: string; json?: boolean; failed?: boolean; limit?: string }): Promise<number> {
  const limit = options.limit !== undefined ? limitOption(options.limit) : DEFAULT_RUNS_LIMIT;
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx, { historyOnly: true });
  await requireKnownSync(ctx, deps, sync);
  const failedOnly = options.failed ?? false;
  const runs = await listRuns(deps.state, sync, limit, { failedOnly });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(runs)}\n`);
    return 0;
  }
  const now = Date.now();
  const rows = runs.map((run) => [
    displayCell(run.runId),
    run.status,
    run.startedAt,
    durationText(run, now),
    run.counts.added,
    run.counts.changed,
    run.counts.synced,
    run.counts.rejected,
    run.apiCalls,
    errorText(run.error, RUN_ERROR_CHARS),
  ]);
  const list = fittedTable(['run', 'status', 'started', 'duration', 'added', 'changed', 'synced', 'rejected', 'api calls', 'error'], rows);
  logTo(false)(runs.length > 0 ? list : failedOnly ? `no failed or partial runs of ${sync}` : `no runs of ${sync} yet`);
  return 0;
}

/** A run's duration; one not closed yet shows how long it has been going (`running 12.0s`). */
export function durationText(run: Pick<RunSummary, 'startedAt' | 'finishedAt'>, now: number): string {
  const seconds = (end: number) => `${Math.max(0, (end - Date.parse(run.startedAt)) / 1000).toFixed(1)}s`;
  return run.finishedAt ? seconds(Date.parse(run.finishedAt)) : `running ${seconds(now)}`;
}

/** `backflow runs show <runId> [--failed] [--limit N]`: the run's summary and its per-record results. */
export async function runShowCommand(runId: string, options: { project?: string; json?: boolean; failed?: boolean; limit?: string }): Promise<number> {
  const chosen = options.limit !== undefined ? limitOption(options.limit) : undefined;
  const deps = await engineDeps(cliContext(options), { historyOnly: true });
  const summary = await summarizeRun(deps.state, runId);
  const failedOnly = options.failed ?? false;
  if (options.json) {
    // Streamed a page at a time, all of them unless --limit: memory flat in run size.
    await writeOut(`{"summary":${JSON.stringify(summary)},"records":[`);
    let first = true;
    for await (const page of recordResultPages(deps.state, runId, { failedOnly, ...(chosen !== undefined ? { limit: chosen } : {}) })) {
      await writeOut(`${first ? '' : ','}${page.map((record) => JSON.stringify(record)).join(',')}`);
      first = false;
    }
    await writeOut(']}\n');
    return 0;
  }
  const log = logTo(false);
  log(renderSummary(summary));
  const limit = chosen ?? DEFAULT_SHOWN_RECORDS;
  const rows: string[][] = [];
  for await (const page of recordResultPages(deps.state, runId, { failedOnly, limit })) {
    for (const record of page) rows.push([displayCell(record.key ?? '(null)'), record.change, record.status, displayCell(record.destinationId ?? ''), errorText(record.error)]);
  }
  if (rows.length === 0) {
    log(noRecordsLine(summary.counts, failedOnly));
    return 0;
  }
  log(tableText(['key', 'change', 'status', 'destination id', 'error'], rows));
  // Counted only when the table is full: a shorter one has them all.
  const total = rows.length < limit ? rows.length : await countRecordResults(deps.state, runId, failedOnly);
  const more = moreLine(rows.length, total, `--json for all${failedOnly ? '' : ', --failed for the rejected'}, --limit N for more here`);
  if (more) log(more);
  return 0;
}
