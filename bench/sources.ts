/**
 * Source throughput and memory: rows/s extracted + fingerprinted (the worker's whole extract path)
 * from each source at 100,000 and 1,000,000 rows, and each extract's peak RSS. Memory must stay
 * flat in model size: the 1M-row peak within 10% of the 100k-row peak.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client } from 'pg';
import { startBigQuerySandbox } from '../src/sandbox/bigquery';
import { duckdbWideTable, postgresWideTable } from './wideModel';
import type { ScenarioResult } from './report';

const ROOT = path.resolve(__dirname, '..');
const SIZES = [100_000, 1_000_000];
const MAPPINGS = ['name:Name', 'health:Health_Score__c', 'big_id:Big_Id__c', 'mrr:MRR__c', 'active:Active__c', 'renewal_on:Renewal__c', 'seen_at:Seen__c', 'note:Note__c'];

function syncYaml(source: string, table: string): string {
  if (source === 'bigquery') table = `analytics.${table}`;
  const mappings = MAPPINGS.map((m) => m.split(':')).map(([from, to]) => `  - { from: ${from}, to: ${to} }`).join('\n');
  return `source: ${source}\nmodel: SELECT * FROM ${table}\nprimaryKey: id\ndestination: { connection: salesforce, object: Account, externalIdField: External_Id__c }\nmappings:\n${mappings}\n`;
}

/**
 * A worker's heap as deployed: capped, so V8 collects instead of growing the heap lazily (uncapped,
 * peak RSS grows with model size from GC laziness alone while live heap stays ~30 MB).
 */
export const WORKER_HEAP_MB = Number(process.env.BENCH_WORKER_HEAP_MB ?? 192);

/** Runs a bench script in a process of its own, with a worker's heap cap. */
export async function runChild(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn(process.execPath, [`--max-old-space-size=${WORKER_HEAP_MB}`, '--require', 'tsx/cjs', ...args], {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

export interface SourceBench {
  name: string;
  connectionYaml: string;
  /** Creates the table `table` with `rows` rows in this source. */
  seed(table: string, rows: number): Promise<void>;
}

export async function duckdbBench(dir: string): Promise<SourceBench> {
  const file = path.join(dir, 'warehouse.duckdb');
  return {
    name: 'duckdb',
    connectionYaml: `  duckdb:\n    type: duckdb\n    path: ${file}\n`,
    async seed(table, rows) {
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      await connection.run(duckdbWideTable(table, rows));
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** PostgreSQL from scripts/postgres.sh; `close` stops it again when this bench started it. */
export async function postgresBench(): Promise<SourceBench & { close(): void }> {
  const script = path.join(ROOT, 'scripts', 'postgres.sh');
  const wasRunning = spawnSync('bash', [script, 'status']).status === 0;
  const url = execFileSync('bash', [script, 'start'], { encoding: 'utf8' }).trim();
  return {
    close() {
      if (!wasRunning) execFileSync('bash', [script, 'stop']);
    },
    name: 'postgres',
    connectionYaml: `  postgres:\n    type: postgres\n    url: ${url}\n`,
    async seed(table, rows) {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query(postgresWideTable(table, rows));
      await client.end();
    },
  };
}

/** BigQuery through its REST API, served by the BigQuery sandbox (DuckDB behind it). */
export async function bigqueryBench(): Promise<SourceBench & { close(): Promise<void> }> {
  const sandbox = await startBigQuerySandbox();
  await sandbox.exec('CREATE SCHEMA analytics');
  return {
    name: 'bigquery',
    connectionYaml: `  bigquery:\n    type: bigquery\n    projectId: ${sandbox.projectId}\n    apiEndpoint: ${sandbox.apiEndpoint}\n`,
    seed: (table, rows) => sandbox.exec(duckdbWideTable(`analytics.${table}`, rows)),
    close: () => sandbox.close(),
  };
}

/** Runs the extract benchmarks for the given sources; each extract in a fresh child process. */
export async function benchSources(sources: SourceBench[], log: (line: string) => void): Promise<{ scenarios: ScenarioResult[]; rssGrowth: Record<string, number> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-bench-'));
  mkdirSync(path.join(dir, 'syncs'));
  const connections = sources.map((s) => s.connectionYaml).join('');
  writeFileSync(
    path.join(dir, 'backflow.yaml'),
    `version: 1\nconnections:\n${connections}  salesforce:\n    type: salesforce\n    instanceUrl: http://127.0.0.1:9\n    accessToken: \${env:BENCH_UNUSED_TOKEN}\n`,
  );
  const scenarios: ScenarioResult[] = [];
  const rssGrowth: Record<string, number> = {};
  for (const source of sources) {
    const peaks: number[] = [];
    for (const rows of SIZES) {
      const table = `wide_${rows}`;
      const sync = `${source.name}_${rows}`;
      log(`seeding ${source.name} with ${rows.toLocaleString('en')} rows ...`);
      await source.seed(table, rows);
      writeFileSync(path.join(dir, 'syncs', `${sync}.yaml`), syncYaml(source.name, table));
      log(`extracting ${sync} ...`);
      // Asynchronous: the BigQuery sandbox answering the child lives in this process.
      const child = await runChild([path.join(__dirname, 'extractChild.ts'), dir, sync], {
        cwd: ROOT,
        env: { ...process.env, BENCH_UNUSED_TOKEN: 'unused' },
      });
      if (child.code !== 0) throw new Error(`extract ${sync} failed: ${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { rows: number; seconds: number; peakRssMb: number };
      peaks.push(result.peakRssMb);
      scenarios.push({
        name: `extract-${source.name}-${rows >= 1_000_000 ? `${rows / 1_000_000}m` : `${rows / 1000}k`}`,
        records: result.rows,
        seconds: result.seconds,
        recordsPerSecond: result.rows / result.seconds,
        apiCalls: 0,
        responses429: 0,
        peakRssMb: result.peakRssMb,
      });
    }
    rssGrowth[source.name] = (peaks[1] ?? 0) / (peaks[0] ?? 1);
  }
  return { scenarios, rssGrowth };
}
