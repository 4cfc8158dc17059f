/**
 * `npm run bench`: starts what the scenarios need itself, runs them, prints a table and writes
 * bench/results/latest.json. `npm run bench -- sources` runs one group; `--quick` a reduced version of
 * the throughput scenarios only (under two minutes).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { report, type ScenarioResult } from './report';
import { inScratchDir } from './scratchDir';
import { benchHubspot } from './hubspot';
import { benchSalesforceBulk } from './salesforceBulk';
import { benchThroughput } from './throughput';
import { WORKER_HEAP_MB, benchSources, bigqueryBench, duckdbBench, postgresBench } from './sources';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.filter((arg) => !arg.startsWith('--'));
  const wanted = (group: string) => (only.length === 0 && !quick) || only.includes(group) || (quick && (group === 'throughput' || group === 'hubspot'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const scenarios: ScenarioResult[] = [];
  const extra: Record<string, unknown> = {};

  if (wanted('sources')) {
    const dir = mkdtempSync(path.join(tmpdir(), 'backflow-bench-duckdb-'));
    const bigquery = await bigqueryBench();
    const postgres = await postgresBench();
    try {
      const result = await benchSources([await duckdbBench(dir), postgres, bigquery], log);
      scenarios.push(...result.scenarios);
      extra.peakRssGrowth100kTo1m = result.rssGrowth;
      extra.workerHeapMb = WORKER_HEAP_MB;
    } finally {
      await bigquery.close();
      postgres.close();
    }
  }

  if (wanted('throughput')) {
    const result = await benchThroughput(quick ? 10_000 : 100_000, log);
    scenarios.push(...result.scenarios);
    extra.throughputChecks = result.checks;
    extra.throughput = result.figures;
  }

  if (wanted('hubspot')) {
    // 20,000 contacts against the HubSpot sandbox at 100 requests / 10 s (takes at least 20 s by nature).
    const result = await benchHubspot(20_000, log);
    scenarios.push(...result.scenarios);
    extra.hubspot = result.figures;
  }

  if (wanted('salesforce')) {
    // 100,000 new Accounts into the Salesforce sandbox: Bulk API 2.0 jobs vs 200-record collections requests.
    const result = await benchSalesforceBulk(100_000, log);
    scenarios.push(...result.scenarios);
  }

  const file = report(scenarios, extra);
  log(`wrote ${file}`);
}

inScratchDir(main).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
