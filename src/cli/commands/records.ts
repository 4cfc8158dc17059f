import { recordHistory } from '../../ops/records';
import { cliContext, engineDeps, requireKnownSync } from '../context';
import { logTo } from '../output';
import { table } from '../render';

/** `backflow records <sync> --key K`: one record's history across runs. */
export async function recordsCommand(sync: string, options: { project?: string; key: string; json?: boolean }): Promise<number> {
  const ctx = cliContext(options);
  const deps = await engineDeps(ctx);
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
  for (const entry of history) {
    const error = entry.error ? `${entry.error.code}: ${entry.error.message}` : '';
    list.push([entry.runId, entry.recordedAt, entry.change, entry.status, entry.destinationId ?? '', error, JSON.stringify(entry.sent)]);
  }
  log(list.toString());
  return 0;
}
