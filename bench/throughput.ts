/**
 * Throughput of a sync against the sandbox, and what orchestration costs: `initial-unthrottled` (first
 * sync of N rows, no limits), `ceiling` (the same records pushed by a bare jsforce loop with the same
 * batch size and concurrency, no Temporal, no state store: the physical ceiling on this machine, in
 * the same run), `incremental-1pct` (API calls must be ceil(changed / batch size)) and `noop` (0 calls).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Connection } from 'jsforce';
import pino from 'pino';
import { parseEnv } from '../src/env';
import { startSalesforceSandbox, type SalesforceSandbox } from '../src/sandbox/salesforce';
import { openStateStore } from '../src/state/database';
import { startSync } from '../src/temporal/startSync';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { startTemporal } from '../src/temporal/server';
import { createWorker } from '../worker';
import type { ScenarioResult } from './report';

const ROOT = path.resolve(__dirname, '..');
const BATCH = 200;
/** Batches in flight: the same for the sync and for the bare loop. */
const CONCURRENCY = 4;

/** Samples this process's RSS (worker, client and sandbox run in it) while `work` runs. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  try {
    const value = await work();
    return { value, seconds: (performance.now() - started) / 1000, peakRssMb: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

async function runSql(file: string, text: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    await connection.run(text);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function accountsTable(rows: number): string {
  return `CREATE OR REPLACE TABLE accounts AS
    SELECT i AS id, 'Account ' || i AS name, (i % 100)::INTEGER AS health,
           CASE i % 3 WHEN 0 THEN 'at-risk' WHEN 1 THEN 'neutral' ELSE 'healthy' END AS segment,
           (i * 10)::INTEGER AS mrr, TIMESTAMP '2026-11-01 00:00:00' AS last_seen_at
    FROM range(1, ${rows + 1}) t(i)`;
}

/** The bare loop: the model's rows as Accounts, upserted BATCH at a time, CONCURRENCY requests in flight. */
async function ceiling(sandbox: SalesforceSandbox, rows: number): Promise<number> {
  const conn = new Connection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version: '62.0' });
  const segments = ['at-risk', 'neutral', 'healthy'];
  let next = 1;
  let calls = 0;
  const lane = async () => {
    while (next <= rows) {
      const first = next;
      next += BATCH;
      const records = [];
      for (let i = first; i < Math.min(first + BATCH, rows + 1); i++) {
        records.push({ External_Id__c: String(i), Name: `Account ${i}`, Health_Score__c: i % 100, Segment__c: segments[i % 3], MRR__c: i * 10 });
      }
      await conn.sobject('Account').upsert(records, 'External_Id__c', { allOrNone: false });
      calls++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return calls;
}

export async function benchThroughput(rows: number, log: (line: string) => void): Promise<{ scenarios: ScenarioResult[]; checks: Record<string, boolean> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-bench-throughput-'));
  cpSync(path.join(ROOT, 'examples', 'demo'), dir, { recursive: true });
  const warehouse = path.join(dir, 'warehouse.duckdb');
  await runSql(warehouse, accountsTable(rows));

  const logger = pino({ level: 'error' }, pino.destination(2));
  installTemporalRuntime(logger);
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS;
  const server = await startTemporal({ env: parseEnv(env), log });
  const sandbox = await startSalesforceSandbox();
  const bare = await startSalesforceSandbox();
  const state = await openStateStore(`sqlite:${path.join(dir, '.backflow', 'state.db')}`);
  // The bench's own connection settings: no limits on the sandbox, CONCURRENCY batches in flight.
  const projectFile = path.join(dir, 'backflow.yaml');
  // Collections for every batch (no Bulk API), so the sync and the bare loop make the same requests.
  writeFileSync(
    projectFile,
    readFileSync(projectFile, 'utf8').replace('apiVersion: "62.0"', `apiVersion: "62.0"\n    bulkThreshold: 1000000000\n    limits: { concurrency: ${CONCURRENCY} }`),
  );
  const deps = {
    projectDir: dir,
    state,
    logger,
    env: { ...process.env, SALESFORCE_INSTANCE_URL: sandbox.instanceUrl, SALESFORCE_ACCESS_TOKEN: sandbox.accessToken },
  };
  const taskQueue = `bench-throughput-${process.pid}`;
  const worker = await createWorker({ connection: server.nativeConnection, namespace: server.namespace, taskQueue, deps });
  const scenarios: ScenarioResult[] = [];
  const checks: Record<string, boolean> = {};
  const sync = async () => (await startSync(server.client, 'accounts_to_salesforce', { taskQueue })).result();
  const scenario = (name: string, records: number, run: { seconds: number; peakRssMb: number }, apiCalls: number): ScenarioResult => ({
    name,
    records,
    seconds: run.seconds,
    recordsPerSecond: records / run.seconds,
    apiCalls,
    responses429: 0,
    peakRssMb: run.peakRssMb,
  });
  try {
    await worker.runUntil(async () => {
      log(`initial sync of ${rows} rows ...`);
      const initial = await measured(sync);
      if (initial.value.status !== 'succeeded') throw new Error(`initial sync ${initial.value.status}: ${JSON.stringify(initial.value.error)}`);
      scenarios.push(scenario('initial-unthrottled', initial.value.counts.synced, initial, initial.value.apiCalls));

      log('bare loop (ceiling) ...');
      const bareRun = await measured(() => ceiling(bare, rows));
      scenarios.push(scenario('ceiling', rows, bareRun, bareRun.value));
      checks.orchestrationAtMostHalf = initial.seconds <= 2 * bareRun.seconds;

      const changed = Math.ceil(rows / 100);
      await runSql(warehouse, `UPDATE accounts SET health = health + 1 WHERE id % 100 = 7`);
      log(`incremental sync after ${changed} changed rows ...`);
      const incremental = await measured(sync);
      scenarios.push(scenario('incremental-1pct', incremental.value.counts.synced, incremental, incremental.value.apiCalls));
      checks.incrementalCallsExact = incremental.value.counts.changed === changed && incremental.value.apiCalls === Math.ceil(changed / BATCH);

      const noop = await measured(sync);
      scenarios.push(scenario('noop', 0, noop, noop.value.apiCalls));
      checks.noopZeroCalls = noop.value.apiCalls === 0;
    });
  } finally {
    await state.destroy();
    await sandbox.close();
    await bare.close();
    await server.stop();
  }
  return { scenarios, checks };
}
