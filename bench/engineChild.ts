/**
 * A sync's first run driven by the engine's activities called directly, as the workflow schedules
 * them (start, extract, `concurrency` lanes of batch ranges, finish) but with no Temporal in between,
 * in a process of its own: the throughput bench's measure of what the engine costs apart from the
 * orchestration. A ten-row warm-up sync runs first, as in the bench's worker.
 * Prints one JSON line: records, seconds, per-phase seconds, API calls, CPU seconds, peak RSS.
 * Usage: node --require tsx/cjs bench/engineChild.ts <projectDir> <sync> <warmUpSync>
 * (SALESFORCE_INSTANCE_URL / SALESFORCE_ACCESS_TOKEN in the environment, as for a worker).
 */
import path from 'node:path';
import pino from 'pino';
import { extractChanges, finishRun, startRun, syncBatches, type EngineDeps } from '../src/engine';
import { openStateStore } from '../src/state/database';

interface Phases {
  start: number;
  extract: number;
  send: number;
  finish: number;
}

async function firstRun(deps: EngineDeps, sync: string, runId: string): Promise<{ phases: Phases; synced: number; apiCalls: number }> {
  const phases: Phases = { start: 0, extract: 0, send: 0, finish: 0 };
  const phase = async <T>(name: keyof Phases, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await work();
    phases[name] = (performance.now() - started) / 1000;
    return value;
  };
  await phase('start', () => startRun(deps, { runId, sync, full: false }));
  const extracted = await phase('extract', () => extractChanges(deps, runId));
  const total = extracted.counts.batches;
  let next = 1;
  // One lane per batch the destination takes at once, each sending ranges of `batchesPerActivity`
  // batches as the workflow's window does; a range handed back early (time slice) goes on at once.
  const lane = async (): Promise<void> => {
    while (next <= total) {
      const first = next;
      const last = Math.min(total, first + extracted.batchesPerActivity - 1);
      next = last + 1;
      for (let from = first; from <= last; ) {
        const result = await syncBatches(deps, runId, { first: from, last });
        if (result.budgetSpent || result.interrupted) throw new Error(`batches ${from}-${last}: ${JSON.stringify(result.budgetSpent ?? result.interrupted)}`);
        from += result.batches.length;
      }
    }
  };
  await phase('send', () => Promise.all(Array.from({ length: extracted.concurrency }, lane)));
  const summary = await phase('finish', () => finishRun(deps, runId));
  if (summary.status !== 'succeeded') throw new Error(`run ${runId} ${summary.status}: ${JSON.stringify(summary.error)}`);
  return { phases, synced: summary.counts.synced, apiCalls: summary.apiCalls };
}

async function main(): Promise<void> {
  const [projectDir, sync, warmUp] = process.argv.slice(2);
  if (!projectDir || !sync || !warmUp) throw new Error('usage: engineChild.ts <projectDir> <sync> <warmUpSync>');
  const state = await openStateStore(`sqlite:${path.join(projectDir, '.backflow', 'state.db')}`);
  const deps: EngineDeps = { projectDir, state, logger: pino({ level: 'error' }), env: process.env };
  try {
    await firstRun(deps, warmUp, 'bench-engine-warm-up');
    const cpu = process.cpuUsage();
    const started = performance.now();
    const run = await firstRun(deps, sync, 'bench-engine-initial');
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    // maxRSS is in kilobytes on Linux.
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ records: run.synced, seconds, phases: run.phases, apiCalls: run.apiCalls, cpuSeconds: (used.user + used.system) / 1e6, peakRssMb })}\n`);
  } finally {
    await state.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
