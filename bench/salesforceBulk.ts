/**
 * Salesforce initial load, Bulk API 2.0 vs sObject Collections: 100,000 new Accounts written to the
 * Salesforce sandbox through the Salesforce destination, cut into batches as the engine cuts them
 * (maxBatchSize: 200 a request below the bulk threshold, 10,000 a job above it). Measures the
 * destination path (coercion, requests, result mapping) without Temporal or a warehouse in the way.
 * `npx tsx bench/salesforceBulk.ts [rows]`, or through `npm run bench -- salesforce`.
 */
import { salesforceConnectionSchema } from '../src/config/schema';
import type { DestinationRecord } from '../src/destinations/destination';
import { SalesforceDestination } from '../src/destinations/salesforce';
import { salesforceTargetSchema } from '../src/destinations/targets';
import { startSalesforceSandbox } from '../src/sandbox/salesforce';
import type { ScenarioResult } from './report';

function records(count: number): DestinationRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `bench-${i}`,
    fields: { Name: `Account ${i}`, Health_Score__c: i % 100, Segment__c: 'neutral', MRR__c: String(i * 10) },
    destinationId: null,
  }));
}

async function load(mode: 'collections' | 'bulk', rows: number): Promise<ScenarioResult> {
  const sandbox = await startSalesforceSandbox({ dailyApiLimit: 1_000_000 });
  try {
    // As the engine hands it over: parsed from config, the secret reference then resolved.
    const parsed = salesforceConnectionSchema.parse({
      type: 'salesforce',
      instanceUrl: sandbox.instanceUrl,
      accessToken: '${env:SALESFORCE_ACCESS_TOKEN}',
      // Collections: never bulk; bulk: the default threshold, which 100,000 records cross.
      bulkThreshold: mode === 'collections' ? rows + 1 : 2_000,
      maxDailyApiUsage: 1,
    });
    const config = { ...parsed, accessToken: sandbox.accessToken };
    const target = salesforceTargetSchema.parse({ connection: 'salesforce', object: 'Account', externalIdField: 'External_Id__c' });
    const all = records(rows);
    const size = new SalesforceDestination(config, target).maxBatchSize('upsert', rows);
    const started = process.hrtime.bigint();
    let apiCalls = 0;
    let peakRss = 0;
    for (let first = 0, batchNo = 1; first < rows; first += size, batchNo += 1) {
      const destination = new SalesforceDestination(config, target);
      const { results, apiCalls: calls } = await destination.write('upsert', all.slice(first, first + size), {
        syncName: 'bench',
        runId: 'bench',
        batchId: `bench#${batchNo}`,
        checkpoint: null,
        saveCheckpoint: async () => {},
      });
      apiCalls += calls;
      if (results.some((r) => r.status !== 'ok')) throw new Error(`${mode}: batch ${batchNo} had records not written`);
      peakRss = Math.max(peakRss, process.memoryUsage().rss / 1e6);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (sandbox.records('Account').length !== rows) throw new Error(`${mode}: the sandbox holds ${sandbox.records('Account').length} Accounts`);
    return { name: `salesforce initial load via ${mode}`, records: rows, seconds, recordsPerSecond: rows / seconds, apiCalls, responses429: 0, peakRssMb: peakRss };
  } finally {
    await sandbox.close();
  }
}

export async function benchSalesforceBulk(rows: number, log: (line: string) => void): Promise<{ scenarios: ScenarioResult[] }> {
  const scenarios: ScenarioResult[] = [];
  for (const mode of ['collections', 'bulk'] as const) {
    const result = await load(mode, rows);
    log(`${result.name}: ${rows} records in ${result.seconds.toFixed(1)} s (${Math.round(result.recordsPerSecond)}/s), ${result.apiCalls} API calls`);
    scenarios.push(result);
  }
  return { scenarios };
}

if (require.main === module) {
  benchSalesforceBulk(Number(process.argv[2] ?? 100_000), (line) => process.stderr.write(`${line}\n`)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
