import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');

export interface WorkerProcess {
  child: ChildProcess;
  /** What it wrote to stdout (and stderr, with `captureStderr`: pino logs go there). */
  output(): string;
}

/** A real `backflow worker` process for a project on the suite's dev server; resolves once it polls. */
export async function startWorkerProcess(options: {
  projectDir: string;
  temporalAddress: string;
  taskQueue: string;
  env?: Record<string, string | undefined>;
  captureStderr?: boolean;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--project', options.projectDir], {
    env: {
      ...process.env,
      ...options.env,
      TEMPORAL_ADDRESS: options.temporalAddress,
      BACKFLOW_TASK_QUEUE: options.taskQueue,
      BACKFLOW_WORKFLOW_BUNDLE: process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE,
    },
    stdio: ['ignore', 'pipe', options.captureStderr ? 'pipe' : 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!output.includes('worker on')) {
    if (child.exitCode !== null) throw new Error(`worker exited early (${child.exitCode}): ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output };
}
