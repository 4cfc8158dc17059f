import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { getSync, loadProject, PROJECT_FILE, type Project } from '../config/load';
import type { EngineDeps } from '../engine';
import { ConfigError } from '../errors';
import { parseEnv, type BackflowEnv } from '../env';
import { createLogger, type LogFormat } from '../logger';
import { openStateStore } from '../state/database';
import { listRuns } from '../state/history';

/** Where the project directory came from, as a directory without backflow.yaml is reported. */
export type ProjectDirOrigin = '--project' | 'BACKFLOW_PROJECT' | 'cwd';

/** What every command works with: the project, the parsed environment, a logger. */
export interface CliContext {
  projectDir: string;
  projectDirOrigin: ProjectDirOrigin;
  env: BackflowEnv;
  logger: Logger;
  stateUrl: string;
}

/**
 * Logs are readable lines by default: a command's output is read by a person, and with its in-process
 * worker a run's warnings land among the tables and the progress bar. `backflow worker`, a service
 * whose stderr goes to a log collector, asks for `json`.
 */
export function cliContext(options: { project?: string }, logs: { format: LogFormat } = { format: 'text' }): CliContext {
  const env = parseEnv();
  const projectDirOrigin: ProjectDirOrigin = options.project !== undefined ? '--project' : process.env.BACKFLOW_PROJECT !== undefined ? 'BACKFLOW_PROJECT' : 'cwd';
  const projectDir = path.resolve(options.project ?? process.env.BACKFLOW_PROJECT ?? process.cwd());
  const logger = createLogger(env.LOG_LEVEL, { format: logs.format });
  return {
    projectDir,
    projectDirOrigin,
    env,
    logger,
    stateUrl: env.BACKFLOW_STATE_URL ?? `sqlite:${path.join(projectDir, '.backflow', 'state.db')}`,
  };
}

/**
 * What to check, by where the directory came from: a user who set BACKFLOW_PROJECT long ago (a
 * shell profile) and gave no --project was asked whether --project was right.
 */
const ORIGIN_HINTS: Record<ProjectDirOrigin, string> = {
  '--project': 'is --project right?',
  BACKFLOW_PROJECT: 'the directory BACKFLOW_PROJECT names: is it right? --project <dir> overrides it',
  cwd: 'the current directory, as neither --project nor BACKFLOW_PROJECT was given',
};

/**
 * Refuses a directory that is not a project (a wrong `-p` or BACKFLOW_PROJECT), before anything is
 * written there: the state store would otherwise create `<dir>/.backflow/state.db` and report an
 * empty history.
 */
export function requireProject(ctx: Pick<CliContext, 'projectDir' | 'projectDirOrigin'>): void {
  if (!existsSync(path.join(ctx.projectDir, PROJECT_FILE))) {
    throw new ConfigError([{ file: PROJECT_FILE, path: '', message: `not found in ${ctx.projectDir} (${ORIGIN_HINTS[ctx.projectDirOrigin]})` }]);
  }
}

/** `historyOnly`: a command that only reads run history, which never migrates a store in use (see OpenStateStoreOptions). */
export async function engineDeps(ctx: CliContext, options: { historyOnly?: boolean } = {}): Promise<EngineDeps> {
  requireProject(ctx);
  const state = await openStateStore(ctx.stateUrl, options.historyOnly ? { migrate: 'fresh-only' } : {});
  return { projectDir: ctx.projectDir, state, logger: ctx.logger };
}

/**
 * For commands that read a sync's history: an unknown name is an error listing the defined syncs, but
 * a sync deleted from the project that still has runs stays readable (with a note on stderr).
 */
export async function requireKnownSync(ctx: CliContext, deps: EngineDeps, sync: string): Promise<void> {
  let project: Project;
  try {
    // Lenient: another sync's broken file must not turn a typo into "no runs yet".
    project = loadProject(ctx.projectDir, { strict: false });
  } catch (err) {
    // A broken backflow.yaml must not lock the history away: the name cannot be checked, so it is not.
    if (err instanceof ConfigError) return;
    throw err;
  }
  if (project.syncs.has(sync) || project.invalidSyncs.has(sync)) return;
  if ((await listRuns(deps.state, sync, 1)).length === 0) getSync(project, sync); // throws, naming the defined syncs
  process.stderr.write(`note: ${ctx.projectDir} no longer defines a sync named "${sync}"; showing its recorded history\n`);
}
