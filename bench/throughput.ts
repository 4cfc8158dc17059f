/**
 * Throughput of a sync against the sandbox, and what orchestration costs: `initial-unthrottled` (first
 * sync of N rows, no limits), `ceiling` (the same records pushed by a bare jsforce loop with the same
 * batch size and concurrency, no Temporal, no state store: the physical ceiling on this machine, in
 * the same run), `incremental-1pct` (API calls must be ceil(changed / batch size)) and `noop` (0 calls).
 *
 * Laid out as deployed: the worker is a `backflow worker` process with a capped heap, the destination
 * a `backflow sandbox` process (its CPU and memory are the destination's, in the ceiling too), and the
 * Temporal dev server its own. Peak RSS is the worker's; a first sync of a tenth of the rows in a
 * worker of its own shows whether it grows with model size.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Connection } from 'jsforce';
import pino from 'pino';
import { parseEnv } from '../src/env';
import type { RunSummary } from '../src/state/summary';
import { startSync } from '../src/temporal/startSync';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { startTemporal, type TemporalServer } from '../src/temporal/server';
import { WorkerPool } from './chaos/workers';
import { childPidsNamed, cpuSecondsOf, peakRssMbOf, startSandboxProcess, workflowBundle, type SandboxProcess } from './processes';
import type { ScenarioResult } from './report';
import { WORKER_HEAP_MB, runChild } from './sources';

const ROOT = path.resolve(__dirname, '..');
const SYNC = 'accounts_to_salesforce';
/**
 * A deployed worker is long-lived: the first run it ever serves also loads the engine, the
 * destination's SDK and the workflow context, once per process. Each worker serves one ten-row sync
 * of this name before the measured runs, so they measure what every run costs, not the process's start.
 */
const WARM_UP = 'warm_up_accounts_to_salesforce';
const BATCH = 200;
/** Batches in flight: the same for the sync and for the bare loop. */
const CONCURRENCY = 4;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/** CPU seconds each named process spends on `work`: where a run's time goes on a machine it saturates. */
async function cpuOf<T>(pids: Record<string, number>, work: () => Promise<T>): Promise<{ value: T; cpu: Record<string, number> }> {
  const self = process.cpuUsage();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const value = await work();
  const used = process.cpuUsage(self);
  const cpu: Record<string, number> = { bench: (used.user + used.system) / 1e6 };
  for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuSecondsOf(pid) - (before[name] ?? 0);
  return { value, cpu };
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

/** The demo project with an `accounts` model of `rows` rows; collections for every batch, no limits. */
async function benchProject(workDir: string, name: string, rows: number): Promise<{ dir: string; warehouse: string }> {
  const dir = path.join(workDir, name);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'examples', 'demo'), dir, { recursive: true });
  const warehouse = path.join(dir, 'warehouse.duckdb');
  await runSql(warehouse, accountsTable(rows));
  const projectFile = path.join(dir, 'backflow.yaml');
  // No Bulk API, so the sync and the bare loop make the same requests; CONCURRENCY batches in flight.
  writeFileSync(
    projectFile,
    readFileSync(projectFile, 'utf8').replace('apiVersion: "62.0"', `apiVersion: "62.0"\n    bulkThreshold: 1000000000\n    limits: { concurrency: ${CONCURRENCY} }`),
  );
  // A sync of ten other Accounts (negative ids), run before the measured ones: see WARM_UP.
  writeFileSync(
    path.join(dir, 'syncs', `${WARM_UP}.yaml`),
    readFileSync(path.join(dir, 'syncs', `${SYNC}.yaml`), 'utf8').replace('FROM accounts', 'FROM (SELECT -id AS id, name, health, segment, mrr FROM accounts WHERE id <= 10)'),
  );
  return { dir, warehouse };
}

/** Runs `work` with one `backflow worker` process serving `projectDir` against `sandbox`. */
async function withWorkerProcess<T>(
  server: TemporalServer,
  bundle: string,
  project: { dir: string; taskQueue: string },
  sandbox: SandboxProcess,
  work: (workerPid: number) => Promise<T>,
): Promise<T> {
  const pool = new WorkerPool({
    projectDir: project.dir,
    size: 1,
    nodeArgs: [`--max-old-space-size=${WORKER_HEAP_MB}`],
    env: {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      BACKFLOW_TASK_QUEUE: project.taskQueue,
      BACKFLOW_WORKFLOW_BUNDLE: bundle,
      SALESFORCE_INSTANCE_URL: sandbox.endpoints.salesforce.instanceUrl,
      SALESFORCE_ACCESS_TOKEN: sandbox.endpoints.salesforce.accessToken,
      LOG_LEVEL: 'error',
    },
  });
  await pool.start();
  try {
    const [pid] = pool.pids();
    if (pid === undefined) throw new Error('the worker process did not start');
    return await work(pid);
  } finally {
    await pool.stop();
  }
}

/**
 * The same first sync with the engine's activities called directly (bench/engineChild.ts), in a
 * process of its own against a sandbox of its own: the engine's cost without Temporal around it.
 */
async function engineInProcess(
  workDir: string,
  rows: number,
  sandboxes: SandboxProcess[],
): Promise<{ records: number; seconds: number; phases: Record<string, number>; apiCalls: number; cpuSeconds: number; peakRssMb: number }> {
  const project = await benchProject(workDir, 'in-process', rows);
  const sandbox = await startSandboxProcess();
  sandboxes.push(sandbox);
  const { instanceUrl, accessToken } = sandbox.endpoints.salesforce;
  const child = await runChild([path.join(__dirname, 'engineChild.ts'), project.dir, SYNC, WARM_UP], {
    cwd: ROOT,
    env: { ...process.env, SALESFORCE_INSTANCE_URL: instanceUrl, SALESFORCE_ACCESS_TOKEN: accessToken, LOG_LEVEL: 'error' },
  });
  if (child.code !== 0) throw new Error(`the in-process run failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Awaited<ReturnType<typeof engineInProcess>>;
}

/** The bare loop: the model's rows as Accounts, upserted BATCH at a time, CONCURRENCY requests in flight. */
async function ceiling(sandbox: SandboxProcess, rows: number): Promise<number> {
  const { instanceUrl, accessToken } = sandbox.endpoints.salesforce;
  const conn = new Connection({ instanceUrl, accessToken, version: '62.0' });
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

export async function benchThroughput(
  rows: number,
  log: (line: string) => void,
): Promise<{ scenarios: ScenarioResult[]; checks: Record<string, boolean>; figures: Record<string, number> }> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'backflow-bench-throughput-'));
  installTemporalRuntime(pino({ level: 'error' }, pino.destination(2)));
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS;
  const server = await startTemporal({ env: parseEnv(env), log });
  const [temporalServerPid] = childPidsNamed('temporal');
  const sandboxes: SandboxProcess[] = [];
  const scenarios: ScenarioResult[] = [];
  const checks: Record<string, boolean> = {};
  const figures: Record<string, number> = {};
  const scenario = (name: string, records: number, run: { seconds: number }, apiCalls: number, peakRssMb: number): ScenarioResult => ({
    name,
    records,
    seconds: run.seconds,
    recordsPerSecond: records / run.seconds,
    apiCalls,
    responses429: 0,
    peakRssMb,
  });
  try {
    const bundle = await workflowBundle(workDir);
    const sync = async (taskQueue: string, name = SYNC): Promise<RunSummary> => (await startSync(server.client, name, { taskQueue })).result();
    const succeeded = (summary: RunSummary): RunSummary => {
      if (summary.status !== 'succeeded') throw new Error(`sync ${summary.status}: ${JSON.stringify(summary.error)}`);
      return summary;
    };

    // The same first sync at a tenth of the size, in a worker of its own: the reference for peak RSS.
    const tenth = Math.max(1_000, Math.round(rows / 10));
    const small = { ...(await benchProject(workDir, 'tenth', tenth)), taskQueue: `bench-tenth-${process.pid}` };
    sandboxes.push(await startSandboxProcess());
    log(`first sync of ${tenth} rows (peak RSS reference) ...`);
    const smallPeak = await withWorkerProcess(server, bundle, small, sandboxes[0]!, async (pid) => {
      succeeded(await sync(small.taskQueue, WARM_UP));
      succeeded(await sync(small.taskQueue));
      return peakRssMbOf(pid);
    });

    const big = { ...(await benchProject(workDir, 'full', rows)), taskQueue: `bench-full-${process.pid}` };
    const sandbox = await startSandboxProcess();
    const bare = await startSandboxProcess();
    sandboxes.push(sandbox, bare);
    await withWorkerProcess(server, bundle, big, sandbox, async (pid) => {
      succeeded(await sync(big.taskQueue, WARM_UP));
      log(`initial sync of ${rows} rows ...`);
      const processes = { worker: pid, destination: sandbox.pid, ...(temporalServerPid ? { temporalServer: temporalServerPid } : {}) };
      const { value: initial, cpu: initialCpu } = await cpuOf(processes, () => timed(async () => succeeded(await sync(big.taskQueue))));
      for (const [name, seconds] of Object.entries(initialCpu)) figures[`initialCpuSeconds_${name}`] = seconds;
      const initialPeak = peakRssMbOf(pid);
      scenarios.push(scenario('initial-unthrottled', initial.value.counts.synced, initial, initial.value.apiCalls, initialPeak));

      log('bare loop (ceiling) ...');
      const before = process.memoryUsage().rss;
      const { value: bareRun, cpu: bareCpu } = await cpuOf({ destination: bare.pid }, () => timed(() => ceiling(bare, rows)));
      for (const [name, seconds] of Object.entries(bareCpu)) figures[`ceilingCpuSeconds_${name}`] = seconds;
      scenarios.push(scenario('ceiling', rows, bareRun, bareRun.value, Math.max(before, process.memoryUsage().rss) / 1024 / 1024));
      figures.initialOverCeiling = bareRun.seconds / initial.seconds;
      checks.orchestrationAtMostHalf = initial.seconds <= 2 * bareRun.seconds;
      figures.peakRssMbTenth = smallPeak;
      figures.peakRssGrowthTenthToFull = initialPeak / smallPeak;
      // "Flat": ten times the rows, at most a quarter more peak RSS (the heap is capped as deployed).
      checks.peakRssFlat = initialPeak <= 1.25 * smallPeak;

      const inProcess = await engineInProcess(workDir, rows, sandboxes);
      scenarios.push(scenario('initial-in-process', inProcess.records, inProcess, inProcess.apiCalls, inProcess.peakRssMb));
      for (const [name, seconds] of Object.entries(inProcess.phases)) figures[`inProcessPhaseSeconds_${name}`] = seconds;
      figures.inProcessCpuSeconds = inProcess.cpuSeconds;
      figures.inProcessOverCeiling = bareRun.seconds / inProcess.seconds;
      // What Temporal adds to the same run: the activities' scheduling, polling and history.
      figures.orchestrationSeconds = initial.seconds - inProcess.seconds;

      const changed = Math.ceil(rows / 100);
      await runSql(big.warehouse, `UPDATE accounts SET health = health + 1 WHERE id % 100 = 7`);
      log(`incremental sync after ${changed} changed rows ...`);
      const incremental = await timed(async () => succeeded(await sync(big.taskQueue)));
      scenarios.push(scenario('incremental-1pct', incremental.value.counts.synced, incremental, incremental.value.apiCalls, peakRssMbOf(pid)));
      checks.incrementalCallsExact = incremental.value.counts.changed === changed && incremental.value.apiCalls === Math.ceil(changed / BATCH);

      const noop = await timed(async () => succeeded(await sync(big.taskQueue)));
      scenarios.push(scenario('noop', 0, noop, noop.value.apiCalls, peakRssMbOf(pid)));
      checks.noopZeroCalls = noop.value.apiCalls === 0;
    });
  } finally {
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
    await server.stop();
  }
  return { scenarios, checks, figures };
}
