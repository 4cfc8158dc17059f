/**
 * One extract as a worker runs it — stream the model, map, fingerprint, stage, diff — in a process
 * of its own, so its peak RSS is this extract's alone. Prints one JSON line: rows, seconds, peak RSS.
 * Usage: node --require tsx/cjs bench/extractChild.ts <projectDir> <sync>
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { extractChanges, startRun } from '../src/engine';
import { openStateStore } from '../src/state/database';
import { deleteRun } from '../src/state/runs';

async function main(): Promise<void> {
  const [projectDir, sync] = process.argv.slice(2);
  if (!projectDir || !sync) throw new Error('usage: extractChild.ts <projectDir> <sync>');
  const state = await openStateStore(`sqlite:${path.join(projectDir, '.backflow', `bench-${sync}.db`)}`);
  const deps = { projectDir, state, logger: pino({ level: 'warn' }) };
  const runId = `bench:${randomUUID()}`;
  const started = performance.now();
  await startRun(deps, { runId, sync, full: false, lease: false });
  // Offline, as a dry run's: no destination is there to ask whether keys ignore case (the project's
  // salesforce connection points nowhere). The staging and the diff are the same work.
  const { counts } = await extractChanges(deps, runId, undefined, { dryRun: true });
  const seconds = (performance.now() - started) / 1000;
  await deleteRun(state, runId);
  await state.destroy();
  // maxRSS is in kilobytes on Linux.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ rows: counts.extracted, seconds, peakRssMb })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
