import { BackflowError } from '../../errors';
import { recordHistory, type RecordHistoryEntry } from '../../ops/records';
import { cliContext, engineDeps, requireKnownSync } from '../context';
import { logTo } from '../output';
import { table, truncateForDisplay } from '../render';

/** `backflow records <sync> --key K`: one record's history across runs. */
export async function recordsCommand(sync: string, options: { project?: string; key: string; json?: boolean }): Promise<number> {
  if (options.key.trim() === '') {
    // No record has one: a row whose key is empty or blank is invalid, and recorded without a key.
    throw new BackflowError('USAGE', '--key: give the record\'s primary key value (an empty or blank key names no record)');
  }
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx, { historyOnly: true });
  await requireKnownSync(ctx, deps, sync);
  const history = await recordHistory(deps.state, sync, options.key);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ sync, key: options.key, history })}\n`);
    return 0;
  }
  const log = logTo(false);
  if (history.length === 0) {
    log(`no results for key ${options.key} in ${sync} (never sent, unchanged since, or older than the retention)`);
    return 0;
  }
  const list = table(['run', 'at', 'change', 'result', 'destination id', 'error', 'sent']);
  for (const entry of history) list.push(historyRow(entry));
  log(list.toString());
  return 0;
}

/** One run's line of a record's history, each long cell shortened as `runs show` does (`--json` shows all). */
export function historyRow(entry: RecordHistoryEntry): string[] {
  const error = entry.error ? `${entry.error.code}: ${entry.error.message}` : '';
  return [
    entry.runId,
    entry.recordedAt,
    entry.change,
    entry.status,
    truncateForDisplay(entry.destinationId ?? ''),
    truncateForDisplay(error),
    truncateForDisplay(JSON.stringify(entry.sent)),
  ];
}
