import { loadProjectCached } from '../../config/cache';
import { getSync } from '../../config/load';
import { alertSecretIssues } from '../../config/secrets';
import { BackflowError, ConfigError } from '../../errors';
import { SourceUnavailable } from '../../sources/sourceErrors';
import { cliContext, engineDeps, requireProject } from '../context';
import { exitCodeFor, logTo } from '../output';
import { renderDryRun, renderSummary } from '../render';
import { finishLeftoverRuns } from '../leftoverRuns';

/**
 * Loaded once the project's files parse: the engine, every destination's SDK and Temporal take ~1.5 s
 * to load, which a typo in a YAML file should not cost. `require`, as in main.ts.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const engine = () => require('../../engine') as typeof import('../../engine');
const check = () => require('../../engine/check') as typeof import('../../engine/check');
const session = () => require('../temporalSession') as typeof import('../temporalSession');
const runner = () => require('../runSync') as typeof import('../runSync');
const startFailure = () => require('../../ops/startFailure') as typeof import('../../ops/startFailure');
const startSync = () => require('../../temporal/startSync') as typeof import('../../temporal/startSync');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface RunCommandOptions {
  project?: string;
  full?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** `backflow run <sync>`: checks the sync, then runs it on Temporal (or previews it with --dry-run). */
export async function runCommand(sync: string, options: RunCommandOptions): Promise<number> {
  const json = options.json ?? false;
  const log = logTo(json);
  const ctx = cliContext(options);
  // The same errors the checks below would report, before anything heavy is loaded.
  requireProject(ctx);
  // Only backflow.yaml and this sync's own file need to be valid; another sync's broken file is noted.
  const project = loadProjectCached(ctx.projectDir);
  getSync(project, sync);
  const others = [...new Set(project.syncFileIssues.map((issue) => issue.file))];
  if (others.length > 0) process.stderr.write(`note: invalid sync file(s) not loaded: ${others.join(', ')} (npx backflow validate lists their problems)\n`);
  const deps = await engineDeps(ctx);
  // An unset alert URL would only be logged when an alert fires: refuse it like any missing secret
  // (in a dry run too, which answers whether the run would go).
  const alertIssues = alertSecretIssues(project, sync, deps.env ?? process.env);
  if (alertIssues.length > 0) throw new ConfigError(alertIssues);
  if (options.dryRun) {
    const preview = await engine().previewRun(deps, sync, options.full ?? false);
    const { apiCalls, bytesProcessed, estimatedSeconds, ...counts } = preview;
    const scanned = bytesProcessed !== undefined ? { bytesProcessed } : {};
    const timed = estimatedSeconds !== undefined ? { estimatedSeconds } : {};
    if (json) process.stdout.write(`${JSON.stringify({ sync, dryRun: true, counts, apiCalls, ...timed, ...scanned })}\n`);
    else log(renderDryRun(sync, preview));
    return 0;
  }
  // Bad config fails here, before any run starts (file + path in the message). A warehouse that cannot
  // answer right now (a file dbt holds for writing) is not bad config: the run's own check waits it out.
  try {
    await check().checkSync(deps, sync);
  } catch (err) {
    if (!(err instanceof SourceUnavailable)) {
      // On record as a scheduled run refused at its start is (`runs --failed`, the metrics, an alert):
      // a cron job running `backflow run` heard nothing of a model that broke.
      if (err instanceof BackflowError) {
        await startFailure().reportStartFailure(deps, { runId: startSync().syncWorkflowId(sync), sync, error: { code: err.code, message: err.message } });
      }
      throw err;
    }
    process.stderr.write(`note: ${err.code}: ${err.message}; the run starts and waits for it\n`);
  }
  const result = await session().withTemporal(ctx, deps, { log, json }, async (temporal) => {
    await finishLeftoverRuns(temporal, deps, sync, log);
    return runner().runSync(temporal, sync, { ...(options.full ? { full: true } : {}), progressBar: !json && process.stdout.isTTY === true, json });
  });
  if (json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  else {
    log(renderSummary(result.summary));
    log(`per-record results: npx backflow runs show ${result.summary.runId} --project ${ctx.projectDir}`);
    if (result.webUrl) log(`Temporal Web: ${result.webUrl}`);
  }
  return exitCodeFor([result.summary.status]);
}
