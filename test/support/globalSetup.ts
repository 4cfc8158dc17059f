import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { parseEnv } from '../../src/env';
import { startTemporal, type TemporalServer } from '../../src/temporal/server';

const TEST_DIR = path.resolve(__dirname, '..', '..', '.backflow', 'test');

/**
 * One real Temporal dev server (the project-local CLI) for the whole integration run, and one
 * workflow bundle shared by every test worker. Their addresses reach the tests through env.
 */
export default async function globalSetup(): Promise<void> {
  mkdirSync(TEST_DIR, { recursive: true });
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
