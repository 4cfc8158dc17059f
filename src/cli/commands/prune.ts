import { loadProject } from '../../config/load';
import { pruneRecordResults } from '../../ops/retention';
import { cliContext, engineDeps, requireProject } from '../context';
import { durationOption } from '../options';
import { logTo } from '../output';

/** `backflow prune [--older-than 30d]`: deletes per-record results past retention now. */
export async function pruneCommand(options: { project?: string; olderThan?: string; json?: boolean }): Promise<number> {
  const ctx = cliContext(options);
  requireProject(ctx);
  const olderThanMs = options.olderThan !== undefined ? durationOption('--older-than', options.olderThan) : loadProject(ctx.projectDir, { strict: false }).recordRetentionMs; // another sync's broken file is no reason not to prune
  const deps = await engineDeps(ctx);
  const result = await pruneRecordResults(deps.state, olderThanMs, new Date());
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const previews = result.previews > 0 ? `, and ${result.previews} dry runs a killed process left behind` : '';
    logTo(false)(`deleted ${result.records} per-record results and ${result.incidents} resolved incidents of runs finished before ${result.cutoff}${previews}`);
  }
  return 0;
}
