/**
 * `backflow worker` processes the chaos run kills at will: each is a real child process on the
 * shared Temporal server and state store; a killed or crashed one is replaced by a fresh one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backflow.js');

export interface WorkerPoolOptions {
  projectDir: string;
  size: number;
  env: Record<string, string>;
  /** Node options before the script, e.g. a heap cap as deployed. */
  nodeArgs?: string[];
  /** Where each worker's stderr (its pino logs) goes, appended. */
  onLog?: (pid: number, chunk: string) => void;
}

export class WorkerPool {
  private readonly workers = new Set<ChildProcess>();
  private stopping = false;
  kills = 0;
  /** Workers that exited without being killed by us (a crash), replaced all the same. */
  crashes = 0;

  constructor(private readonly options: WorkerPoolOptions) {}

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.size }, () => this.spawnOne()));
  }

  /** Identities (`pid@host`) start with the pid: tells whether a worker of ours holds an activity. */
  pids(): number[] {
    return [...this.workers].flatMap((w) => (w.pid !== undefined ? [w.pid] : []));
  }

  /** SIGKILLs one worker (the given pid, else a random one) and starts its replacement; resolves once the new one polls. */
  async killOne(pid?: number): Promise<number | undefined> {
    const all = [...this.workers];
    const victim = all.find((w) => w.pid === pid) ?? all[Math.floor(Math.random() * all.length)];
    if (victim === undefined) return undefined;
    this.workers.delete(victim);
    const exited = once(victim, 'exit');
    victim.kill('SIGKILL');
    await exited;
    this.kills += 1;
    await this.spawnOne();
    return victim.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(async (worker) => {
        if (worker.exitCode !== null || worker.signalCode !== null) return;
        const exited = once(worker, 'exit');
        worker.kill('SIGKILL');
        await exited;
      }),
    );
    this.workers.clear();
  }

  private async spawnOne(): Promise<void> {
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), BIN, 'worker', '--project', this.options.projectDir], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.workers.add(child);
    let output = '';
    // The last of its stderr, to say why a worker that died before polling did.
    let lastErr = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => {
      lastErr = (lastErr + chunk.toString()).slice(-2_000);
      this.options.onLog?.(child.pid ?? 0, chunk.toString());
    });
    child.once('exit', () => {
      // Died on its own (e.g. it lost the Temporal server for too long): replace it.
      if (this.workers.delete(child) && !this.stopping) {
        this.crashes += 1;
        void this.spawnOne().catch(() => {});
      }
    });
    const deadline = Date.now() + 120_000;
    while (!output.includes('worker on')) {
      if (child.exitCode !== null || child.signalCode !== null) {
        if (this.stopping) return;
        throw new Error(`backflow worker exited before polling (${child.exitCode ?? child.signalCode}): ${output}${lastErr}`);
      }
      if (Date.now() > deadline) throw new Error(`backflow worker did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
