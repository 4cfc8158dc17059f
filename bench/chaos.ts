/**
 * `npm run chaos [-- --quick | --records N]`: a sync under fire — worker processes SIGKILLed at
 * random moments, the Temporal dev server restarted once, and the Salesforce sandbox answering
 * 20% rate limits, 5% 5xx, 2% timeouts and 2% apply-then-fail. Prints the figures, writes
 * bench/results/chaos.json, exits non-zero unless nothing was lost, duplicated or wrong.
 * The workers log at CHAOS_LOG_LEVEL (default info) to .backflow/chaos/workers.log; `debug` shows
 * each batch range and its attempt number.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chaosPassed, runChaos, type ChaosOptions } from './chaos/run';
import { chaosProfile } from './chaos/profiles';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const recordsAt = args.indexOf('--records');
  const base = chaosProfile(quick ? 'quick' : 'full');
  const records = recordsAt >= 0 ? Number(args[recordsAt + 1]) : base.records;
  if (!Number.isInteger(records) || records <= 0) throw new Error('--records takes a positive whole number');
  const options: ChaosOptions = {
    ...base,
    records,
    workDir: path.resolve(__dirname, '..', '.backflow', 'chaos'),
    log: (line) => process.stderr.write(`chaos: ${line}\n`),
  };
  const result = await runChaos(options);
  const passed = chaosPassed(result, { kills: base.kills });
  const out = path.resolve(__dirname, 'results', 'chaos.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const table = [
    ['records', result.records],
    ['kills (SIGKILL)', result.kills],
    ['server restarts', result.serverRestarts],
    ['faults injected', `${result.faultsInjected} of ${result.apiRequests} API requests ${JSON.stringify(result.faultsByKind)}`],
    ['lost', result.lost],
    ['duplicated', result.duplicated],
    ['wrong values', result.wrongValues],
    ['records without a result row', result.missingResults],
    ['run status', result.runStatus],
    ['seconds', result.seconds],
  ];
  for (const [name, value] of table) process.stdout.write(`${String(name).padEnd(30)} ${String(value)}\n`);
  for (const example of result.examples) process.stdout.write(`  ${example}\n`);
  process.stdout.write(`${passed ? 'PASS' : 'FAIL'} — written to ${path.relative(process.cwd(), out)}\n`);
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
