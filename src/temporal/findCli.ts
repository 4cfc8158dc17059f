import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_SCRIPT, LOCAL_TEMPORAL } from './paths';

export type TemporalCli = { kind: 'local' | 'path' | 'built'; path: string } | { kind: 'download' };

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Where the Temporal CLI comes from, in order: the project-local bin, a `temporal` on PATH, a fresh
 * `go install` when Go is present, and last @temporalio/testing's own download (needs internet).
 */
export function findTemporalCli(log: (line: string) => void): TemporalCli {
  if (existsSync(LOCAL_TEMPORAL)) return { kind: 'local', path: LOCAL_TEMPORAL };
  const fromPath = onPath('temporal');
  if (fromPath) return { kind: 'path', path: fromPath };
  if (onPath('go')) {
    log('Temporal CLI not found: building it with go install (one time, a few minutes)');
    const built = spawnSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status === 0 && existsSync(LOCAL_TEMPORAL)) return { kind: 'built', path: LOCAL_TEMPORAL };
    log(`go install failed (exit ${String(built.status)}); falling back to the SDK's download`);
  }
  return { kind: 'download' };
}
