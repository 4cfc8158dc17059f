import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `backflow …` as a user would; resolves with exit code and output, whatever the exit code.
 * Commands that start a worker use the suite's prebuilt workflow bundle (BACKFLOW_WORKFLOW_BUNDLE);
 * the demo's end-to-end test bundles on the fly, as a first run does.
 */
export async function backflow(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE, ...process.env, ...env },
      maxBuffer: 10 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Fails with the command's own output when it exited non-zero, so a CI log shows why. */
export function expectSucceeded(result: CliResult): void {
  if (result.code === 0) return;
  throw new Error(`backflow exited with ${result.code}\n--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout}`);
}
