import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';

/** One benchmark scenario's figures, as written to bench/results/latest.json. */
export interface ScenarioResult {
  name: string;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  apiCalls: number;
  responses429: number;
  budgetRecordsPerSecond?: number;
  utilization?: number;
  peakRssMb: number;
}

const RESULTS = path.resolve(__dirname, 'results');

/** Prints the table and writes `bench/results/<file>` as `{ scenarios, ...extra }`. */
export function report(scenarios: ScenarioResult[], extra: Record<string, unknown> = {}, file = 'latest.json'): string {
  const table = new Table({
    head: ['scenario', 'records', 'seconds', 'records/s', 'api calls', '429s', 'peak RSS MB'],
    style: { head: [], border: [] },
  });
  for (const s of scenarios) {
    table.push([s.name, s.records, s.seconds.toFixed(2), Math.round(s.recordsPerSecond), s.apiCalls, s.responses429, s.peakRssMb.toFixed(0)]);
  }
  process.stdout.write(`${table.toString()}\n`);
  mkdirSync(RESULTS, { recursive: true });
  const target = path.join(RESULTS, file);
  writeFileSync(target, `${JSON.stringify({ scenarios, ...extra }, null, 2)}\n`);
  return target;
}
