import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Runs `work` with TMPDIR pointing at a fresh directory, removed afterwards however `work` ends: every
 * temporary project, warehouse and state store the scenarios (and the worker, sandbox and server
 * processes they start, which inherit TMPDIR) create goes there. A throughput run leaves ~170 MB.
 */
export async function inScratchDir<T>(work: () => Promise<T>): Promise<T> {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-bench-'));
  process.env.TMPDIR = dir;
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  }
}
