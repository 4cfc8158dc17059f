import { BackflowError } from '../../errors';
import { countRecordHistory, recordHistory, type RecordHistoryEntry } from '../../ops/records';
import { cliContext, engineDeps, requireKnownSync } from '../context';
import { limitOption } from '../options';
import { logTo } from '../output';
import { displayCell, errorText, tableText } from '../render';

/** A record's latest results `records --key` shows unless `--limit` says otherwise (`--json` has all). */
export const DEFAULT_SHOWN_HISTORY = 100;

/** `backflow records <sync> --key K [--limit N]`: one record's history across runs. */
export async function recordsCommand(sync: string, options: { project?: string; key: string; json?: boolean; limit?: string }): Promise<number> {
  if (options.key.trim() === '') {
    // No record has one: a row whose key is empty or blank is invalid, and recorded without a key.
    throw new BackflowError('USAGE', '--key: give the record\'s primary key value (an empty or blank key names no record)');
  }
  const chosen = options.limit !== undefined ? limitOption(options.limit) : undefined;
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx, { historyOnly: true });
  await requireKnownSync(ctx, deps, sync);
  const limit = chosen ?? (options.json ? undefined : DEFAULT_SHOWN_HISTORY);
  const history = await recordHistory(deps.state, sync, options.key, limit !== undefined ? { limit } : {});
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ sync, key: options.key, history })}\n`);
    return 0;
  }
  const log = logTo(false);
  if (history.length === 0) {
    log(`no results for key ${options.key} in ${sync} (never sent, unchanged since, or older than the retention)`);
    return 0;
  }
  const earlier = limit !== undefined && history.length === limit ? (await countRecordHistory(deps.state, sync, options.key)) - history.length : 0;
  // The latest results: what came before is one line above them.
  if (earlier > 0) log(`… ${earlier.toLocaleString('en')} earlier ${earlier === 1 ? 'result' : 'results'}: --json for all, --limit N for more here`);
  log(tableText(['run', 'at', 'change', 'result', 'destination id', 'error', 'sent'], history.map(historyRow)));
  return 0;
}

/** One run's line of a record's history, each long cell shortened as `runs show` does (`--json` shows all). */
export function historyRow(entry: RecordHistoryEntry): string[] {
  return [
    entry.runId,
    entry.recordedAt,
    entry.change,
    entry.status,
    displayCell(entry.destinationId ?? ''),
    errorText(entry.error),
    displayCell(JSON.stringify(entry.sent)),
  ];
}
