import path from 'node:path';
import type { Logger } from 'pino';
import type { EngineDeps } from '../engine';
import { parseEnv, type BackflowEnv } from '../env';
import { createLogger } from '../logger';
import { openStateStore } from '../state/database';
import { installTemporalRuntime } from '../temporal/runtime';

/** What every command works with: the project, the parsed environment, a logger. */
export interface CliContext {
  projectDir: string;
  env: BackflowEnv;
  logger: Logger;
  stateUrl: string;
}

export function cliContext(options: { project?: string }): CliContext {
  const env = parseEnv();
  const projectDir = path.resolve(options.project ?? process.env.BACKFLOW_PROJECT ?? process.cwd());
  const logger = createLogger(env.LOG_LEVEL);
  installTemporalRuntime(logger);
  return {
    projectDir,
    env,
    logger,
    stateUrl: env.BACKFLOW_STATE_URL ?? `sqlite:${path.join(projectDir, '.backflow', 'state.db')}`,
  };
}

export async function engineDeps(ctx: CliContext): Promise<EngineDeps> {
  return { projectDir: ctx.projectDir, state: await openStateStore(ctx.stateUrl), logger: ctx.logger };
}
