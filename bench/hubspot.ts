/**
 * HubSpot pacing: the first sync of 20,000 contacts (batch upsert, 100 a request) against the
 * HubSpot sandbox limited to 100 requests per rolling 10 s (the Free/Starter burst limit), through a
 * real Temporal dev server and worker. The budget is 100 records × 10 requests/s = 1,000 records/s.
 *
 * Figures: records/s over the whole run (extract included; the first window's burst lifts it above
 * the budget), records/s once the first window's 100 requests are spent (steady state, the fair
 * fraction of the budget), 429 answers, and the most requests HubSpot saw in any 10 s window.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { parseEnv } from '../src/env';
import { startHubspotSandbox } from '../src/sandbox/hubspot';
import { openStateStore } from '../src/state/database';
import { startSync } from '../src/temporal/startSync';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { startTemporal } from '../src/temporal/server';
import { createWorker } from '../worker';
import type { ScenarioResult } from './report';

const BATCH = 100;
const LIMIT = 100;
const WINDOW_MS = 10_000;
const BUDGET_RECORDS_PER_SECOND = (BATCH * LIMIT * 1000) / WINDOW_MS;

const PROJECT = `version: 1
connections:
  warehouse:
    type: duckdb
    path: warehouse.duckdb
  hubspot:
    type: hubspot
    accessToken: \${env:HUBSPOT_ACCESS_TOKEN}
    basePath: \${env:HUBSPOT_BASE_PATH}
    tier: free
`;

const SYNC = `source: warehouse
model: SELECT email, firstname, lastname FROM contacts
primaryKey: email
destination: { connection: hubspot, object: contacts, externalIdField: email }
mappings:
  - { from: firstname, to: firstname }
  - { from: lastname, to: lastname }
`;

async function seed(file: string, rows: number): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE OR REPLACE TABLE contacts AS
      SELECT 'contact' || i || '@example.com' AS email, 'First' || i AS firstname, 'Last' || i AS lastname
      FROM range(1, ${rows + 1}) t(i)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The most request times (ms) falling in any window of `windowMs`. */
function peakInWindow(times: number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

export async function benchHubspot(
  rows: number,
  log: (line: string) => void,
): Promise<{ scenarios: ScenarioResult[]; figures: Record<string, number> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-bench-hubspot-'));
  mkdirSync(path.join(dir, 'syncs'), { recursive: true });
  writeFileSync(path.join(dir, 'backflow.yaml'), PROJECT);
  writeFileSync(path.join(dir, 'syncs', 'contacts_to_hubspot.yaml'), SYNC);
  await seed(path.join(dir, 'warehouse.duckdb'), rows);

  const logger = pino({ level: 'error' }, pino.destination(2));
  installTemporalRuntime(logger);
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS;
  const server = await startTemporal({ env: parseEnv(env), log });
  const sandbox = await startHubspotSandbox({ limits: { tenSecondlyLimit: LIMIT, tenSecondlyWindowMs: WINDOW_MS, dailyLimit: null } });
  const state = await openStateStore(`sqlite:${path.join(dir, '.backflow', 'state.db')}`);
  const deps = { projectDir: dir, state, logger, env: { ...process.env, HUBSPOT_BASE_PATH: sandbox.basePath, HUBSPOT_ACCESS_TOKEN: sandbox.accessToken } };
  const taskQueue = `bench-hubspot-${process.pid}`;
  const worker = await createWorker({ connection: server.nativeConnection, namespace: server.namespace, taskQueue, deps });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    log(`HubSpot: first sync of ${rows} contacts at ${LIMIT} requests / ${WINDOW_MS / 1000} s ...`);
    const started = performance.now();
    const summary = await worker.runUntil(async () => (await startSync(server.client, 'contacts_to_hubspot', { taskQueue })).result());
    const seconds = (performance.now() - started) / 1000;
    if (summary.status !== 'succeeded') throw new Error(`HubSpot sync ${summary.status}: ${JSON.stringify(summary.error)}`);

    const upserts = sandbox.requests().filter((r) => r.path.endsWith('/batch/upsert'));
    const accepted = upserts.filter((r) => r.status === 200 || r.status === 207).map((r) => Date.parse(r.at));
    const limited = upserts.filter((r) => r.status === 429).length;
    // Steady state: from the request that opened the second window's budget to the last one.
    const first = accepted[0] ?? 0;
    const afterBurst = accepted.filter((t) => t >= first + WINDOW_MS);
    const steadyRequests = afterBurst.length;
    const steadySeconds = steadyRequests > 1 ? ((afterBurst[afterBurst.length - 1] ?? 0) - first - WINDOW_MS) / 1000 : 0;
    const steadyRecordsPerSecond = steadySeconds > 0 ? (steadyRequests * BATCH) / steadySeconds : 0;
    const figures = {
      records: summary.counts.synced,
      seconds,
      recordsPerSecond: summary.counts.synced / seconds,
      budgetRecordsPerSecond: BUDGET_RECORDS_PER_SECOND,
      wholeRunFractionOfBudget: summary.counts.synced / seconds / BUDGET_RECORDS_PER_SECOND,
      steadyRecordsPerSecond,
      steadyFractionOfBudget: steadyRecordsPerSecond / BUDGET_RECORDS_PER_SECOND,
      requests: upserts.length,
      responses429: limited,
      share429: upserts.length > 0 ? limited / upserts.length : 0,
      peakRequestsIn10s: peakInWindow(accepted, WINDOW_MS),
    };
    log(`HubSpot: ${JSON.stringify(figures)}`);
    return {
      scenarios: [
        {
          name: 'rate-limited',
          records: figures.records,
          seconds,
          recordsPerSecond: figures.recordsPerSecond,
          apiCalls: summary.apiCalls,
          responses429: limited,
          budgetRecordsPerSecond: BUDGET_RECORDS_PER_SECOND,
          utilization: figures.steadyFractionOfBudget,
          peakRssMb: peakRss / 1024 / 1024,
        },
      ],
      figures,
    };
  } finally {
    clearInterval(sampler);
    await state.destroy();
    await sandbox.close();
    await server.stop();
  }
}
