import { loadProject } from '../../config/load';
import { durationMs } from '../../config/schema';
import { BackflowError } from '../../errors';
import { pruneRecordResults } from '../../ops/retention';
import { cliContext, engineDeps } from '../context';
import { logTo } from '../output';

/** `backflow prune [--older-than 30d]`: deletes per-record results past retention now. */
export async function pruneCommand(options: { project?: string; olderThan?: string; json?: boolean }): Promise<number> {
  const ctx = cliContext(options);
  let olderThanMs: number;
  if (options.olderThan !== undefined) {
    const ms = durationMs(options.olderThan);
    if (ms === undefined) throw new BackflowError('CONFIG_INVALID', `--older-than: "${options.olderThan}" is not a duration like 30d, 12h or 90m`);
    olderThanMs = ms;
  } else olderThanMs = loadProject(ctx.projectDir).recordRetentionMs;
  const deps = await engineDeps(ctx);
  const result = await pruneRecordResults(deps.state, olderThanMs, new Date());
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else logTo(false)(`deleted ${result.records} per-record results and ${result.incidents} resolved incidents of runs finished before ${result.cutoff}`);
  return 0;
}
