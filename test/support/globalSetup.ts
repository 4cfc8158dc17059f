import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { parseEnv } from '../../src/env';
import { startTemporal, type TemporalServer } from '../../src/temporal/server';

const ROOT = path.resolve(__dirname, '..', '..');
const TEST_DIR = path.join(ROOT, '.backflow', 'test');

/**
 * For the whole integration run: one real Temporal dev server (the project-local CLI), one real
 * PostgreSQL on loopback (installed from Debian packages by scripts/postgres.sh when missing), and
 * one workflow bundle shared by every test worker. Their addresses reach the tests through env.
 */
export default async function globalSetup(): Promise<void> {
  mkdirSync(TEST_DIR, { recursive: true });
  const script = path.join(ROOT, 'scripts', 'postgres.sh');
  // A server already running (another test run, a developer's) is left running at teardown.
  const alreadyRunning = spawnSync('bash', [script, 'status']).status === 0;
  if (!alreadyRunning) process.env.BACKFLOW_TEST_PG_STARTED = '1';
  const postgres = execFileSync('bash', [script, 'start'], { encoding: 'utf8' });
  process.env.BACKFLOW_TEST_PG_URL = postgres.trim();

  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS;
  const server = await startTemporal({ env: parseEnv(env), log: (line) => process.stderr.write(`${line}\n`) });
  (globalThis as { __temporal?: TemporalServer }).__temporal = server;
  process.env.BACKFLOW_TEST_TEMPORAL_ADDRESS = server.address;

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  const bundlePath = path.join(TEST_DIR, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE = bundlePath;
}
