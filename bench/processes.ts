/**
 * The pieces of a deployment the benches run as processes of their own, as users run them: the
 * destination sandbox (`backflow sandbox`), and a prebuilt workflow bundle for `backflow worker`s.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Pids of this process's children whose command name is `name` (e.g. the Temporal dev server). */
export function childPidsNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return comm === name && ppid === process.pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
