import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startSandboxes, sandboxEnv, type Sandboxes } from '../sandbox';
import { BackflowError } from '../errors';
import { PACKAGE_ROOT } from '../temporal/paths';
import { cliContext, engineDeps } from './context';
import { runSync, type SyncRunResult } from './runSync';
import { withTemporal, type TemporalSession } from './temporalSession';

export const DEMO_SYNC = 'accounts_to_salesforce';
const EXAMPLE = path.join(PACKAGE_ROOT, 'examples', 'demo');
/** Written first into every demo directory: the only proof that the demo may delete it again. */
export const DEMO_MARKER = '.backflow-demo';

/**
 * Makes `dir` ready for a fresh demo project. A directory is only ever deleted when it is empty or
 * carries the marker of an earlier `backflow demo`; anything else is refused with nothing touched.
 */
export function prepareDemoDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) {
      throw new BackflowError('CONFIG_INVALID', `--dir ${dir}: is a file, not a directory; choose another --dir`);
    }
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
      throw new BackflowError(
        'CONFIG_INVALID',
        `--dir ${dir}: is not empty and was not written by backflow demo (no ${DEMO_MARKER} file); ` +
          'nothing was deleted. Choose an empty or new directory with --dir',
      );
    }
    // Emptied, not removed (it may be the shell's cwd); the marker stays, so an interrupted
    // clean-up leaves a directory the next demo may still replace.
    for (const entry of entries) if (entry !== DEMO_MARKER) rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  // Before anything else, so a demo interrupted while copying can still be replaced next time.
  writeFileSync(path.join(dir, DEMO_MARKER), 'Written by `backflow demo`: the next `backflow demo --dir` here deletes this directory.\n');
}

export interface DemoOptions {
  /** Where the demo project is written (fresh each time). */
  dir: string;
  progressBar: boolean;
  log: (line: string) => void;
  /** Called with the Temporal session once the runs are done, before it is stopped (to keep Web up). */
  afterRuns?: (runs: SyncRunResult[], session: TemporalSession, sandboxes: Sandboxes) => Promise<void>;
}

export interface DemoResult {
  dir: string;
  runs: SyncRunResult[];
}

/** Runs SQL on the demo warehouse with a short-lived write connection (syncs read it read-only). */
async function runWarehouseSql(file: string, sqlFile: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    await connection.run(readFileSync(sqlFile, 'utf8'));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * The seed scenario: seed the warehouse, run `accounts_to_salesforce` (4 created), change two rows
 * and one unmapped column (2 updated), run again (nothing sent).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const dir = path.resolve(options.dir);
  prepareDemoDir(dir);
  cpSync(EXAMPLE, dir, { recursive: true });
  const warehouse = path.join(dir, 'warehouse.duckdb');
  await runWarehouseSql(warehouse, path.join(dir, 'seed.sql'));

  const sandboxes = await startSandboxes();
  try {
    const ctx = cliContext({ project: dir });
    const deps = { ...(await engineDeps(ctx)), env: { ...process.env, ...sandboxEnv(sandboxes) } };
    return await withTemporal(ctx, deps, { ui: true, log: options.log, worker: 'always' }, async (session) => {
      const runs: SyncRunResult[] = [];
      const run = async (step: string) => {
        options.log(step);
        runs.push(await runSync(session, DEMO_SYNC, { progressBar: options.progressBar }));
      };
      await run('run 1: first sync of the 4 accounts');
      await runWarehouseSql(warehouse, path.join(dir, 'changes.sql'));
      await run("run 2: Acme's health 38 → 30, Initech's segment neutral → at-risk, Globex's unmapped last_seen_at");
      await run('run 3: nothing changed');
      await options.afterRuns?.(runs, session, sandboxes);
      return { dir, runs };
    });
  } finally {
    await sandboxes.close();
  }
}
