/**
 * The pieces of a deployment the benches run as processes of their own, as users run them: the
 * destination sandbox (`backflow sandbox`), and a prebuilt workflow bundle for `backflow worker`s.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { SandboxEndpoints } from '../src/sandbox';

const BIN = path.resolve(__dirname, '..', 'bin', 'backflow.js');

export interface SandboxProcess {
  endpoints: SandboxEndpoints;
  pid: number;
  close(): Promise<void>;
}

/** `backflow sandbox --json` in a child process: its CPU and memory are the destination's, not the worker's. */
export async function startSandboxProcess(): Promise<SandboxProcess> {
  const child = spawn(process.execPath, [BIN, 'sandbox', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const endpoints = await new Promise<SandboxEndpoints>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as SandboxEndpoints);
    });
    child.once('exit', (code) => reject(new Error(`backflow sandbox exited (${code}) before printing its endpoints: ${stderr}`)));
  });
  return {
    endpoints,
    pid: child.pid ?? 0,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The highest resident set a process has had so far (Linux VmHWM), in MB. */
export function peakRssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/** The workflow bundle, built once and shared by every worker process (each would otherwise bundle on start). */
export async function workflowBundle(workDir: string): Promise<string> {
  const shared = process.env.BACKFLOW_TEST_WORKFLOW_BUNDLE;
  if (shared !== undefined && existsSync(shared)) return shared;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  const file = path.join(workDir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}
