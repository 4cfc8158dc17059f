/**
 * One chaos run: the Salesforce sandbox with a fault profile, a restartable Temporal dev server,
 * `backflow worker` processes SIGKILLed at random moments, the server restarted once mid-run; then
 * the destination is compared with the model and the run's results. Shared by `npm run chaos` and
 * the suite's reduced chaos test.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FaultProfile } from '../../src/sandbox/faults';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce';
import { openStateStore } from '../../src/state/database';
import { startSync } from '../../src/temporal/startSync';
import type { SyncProgress } from '../../workflows';
import { compareRecords } from './compare';
import { createChaosProject, expectedRecords, EXTERNAL_ID, SYNC_NAME } from './project';
import { startRestartableTemporal } from './temporal';
import { WorkerPool } from './workers';
import { workflowBundle } from '../processes';

export interface ChaosOptions {
  /** Everything of the run lives here (project, Temporal db file, worker log); emptied first. */
  workDir: string;
  records: number;
  batchSize: number;
  concurrency: number;
  workers: number;
  /** SIGKILLs to deliver before the run ends (at least). */
  kills: number;
  /** Pause between chaos events, drawn uniformly from this range (ms). */
  killEveryMs: [number, number];
  /**
   * When chaos begins: at once (a kill may hit the extract, whose loss is noticed after its 1-minute
   * heartbeat timeout), or once the run sends batches (the reduced run, which has to fit the suite).
   */
  chaosFrom: 'start' | 'batches';
  /**
   * While chaos events remain, the sandbox answers each write this much later (ms), so the run
   * cannot end before they are all delivered; lifted after the last one. The reduced run needs it:
   * a 4,000-row run under the suite's load once finished between its first and second kill.
   */
  holdWritesMs?: number;
  faults: FaultProfile;
  /** The Salesforce connection's timeoutMs: how soon a held request is given up. */
  requestTimeoutMs: number;
  /** Give up waiting for the run after this long. */
  deadlineMs: number;
  log: (line: string) => void;
}

export interface ChaosResult {
  records: number;
  kills: number;
  serverRestarts: number;
  faultsInjected: number;
  lost: number;
  duplicated: number;
  wrongValues: number;
  runStatus: string;
  seconds: number;
  /** Model rows without a `synced` result row in the run. */
  missingResults: number;
  unexpected: number;
  faultsByKind: Record<string, number>;
  apiRequests: number;
  workerCrashes: number;
  /** Staged row payloads the finished run left in the state store (finishRun deletes them). */
  stagedRowsLeft: number;
  examples: string[];
}

/** The bar: nothing lost, duplicated or wrong, a result row for every record, the run succeeded. */
export function chaosPassed(result: ChaosResult, wanted: { kills: number }): boolean {
  return (
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.wrongValues === 0 &&
    result.unexpected === 0 &&
    result.missingResults === 0 &&
    result.stagedRowsLeft === 0 &&
    result.runStatus === 'succeeded' &&
    result.kills >= wanted.kills &&
    result.serverRestarts >= 1
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]: [number, number]) => low + Math.random() * (high - low);

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { log } = options;
  rmSync(options.workDir, { recursive: true, force: true });
  mkdirSync(options.workDir, { recursive: true });
  const projectDir = path.join(options.workDir, 'project');
  const workerLog = path.join(options.workDir, 'workers.log');
  const stateUrl = `sqlite:${path.join(projectDir, '.backflow', 'state.db')}`;
  const taskQueue = 'backflow-chaos';

  log(`seeding ${options.records} rows`);
  await createChaosProject({ dir: projectDir, records: options.records, batchSize: options.batchSize, concurrency: options.concurrency, requestTimeoutMs: options.requestTimeoutMs });
  const bundle = await workflowBundle(options.workDir);
  const sandbox = await startSalesforceSandbox();
  const temporal = await startRestartableTemporal({ dbFile: path.join(options.workDir, 'temporal.db') });
  const pool = new WorkerPool({
    projectDir,
    size: options.workers,
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      BACKFLOW_TASK_QUEUE: taskQueue,
      BACKFLOW_STATE_URL: stateUrl,
      BACKFLOW_WORKFLOW_BUNDLE: bundle,
      BACKFLOW_SHUTDOWN_GRACE_TIME: '1s',
      SALESFORCE_INSTANCE_URL: sandbox.instanceUrl,
      SALESFORCE_ACCESS_TOKEN: sandbox.accessToken,
      LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'info',
    },
    onLog: (pid, chunk) => appendFileSync(workerLog, chunk.split('\n').filter(Boolean).map((line) => `[${pid}] ${line}\n`).join('')),
  });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: 'default' });
  const startedAt = Date.now();
  let serverRestarts = 0;
  try {
    log(`starting ${options.workers} worker processes on ${temporal.address}`);
    await pool.start();
    sandbox.setFaults(options.holdWritesMs !== undefined ? { ...options.faults, writeResponseDelayMs: options.holdWritesMs } : options.faults);
    const handle = await startSync(client, SYNC_NAME, { taskQueue });
    log(`run ${handle.workflowId} started`);

    let finished = false;
    // A connection lost while the server restarts must not end the wait: wait again until the run closed.
    const settled = (async () => {
      for (;;) {
        try {
          return await handle.result();
        } catch (err) {
          if (!/UNAVAILABLE|connect|ECONNREFUSED|ECONNRESET|deadline|transport/i.test(String(err))) throw err;
          await sleep(1_000);
        }
      }
    })().finally(() => {
      finished = true;
    });

    // Chaos: kill a worker (preferably the one holding a batch) every few seconds; restart the server once, midway.
    const chaos = (async () => {
      const restartAfter = Math.max(1, Math.floor(options.kills / 2));
      if (options.chaosFrom === 'batches') await untilSyncing(handle, () => finished);
      while (!finished && Date.now() - startedAt < options.deadlineMs) {
        await sleep(between(options.killEveryMs));
        if (finished) break;
        if (pool.kills >= restartAfter && serverRestarts === 0) {
          log('restarting the Temporal dev server');
          await temporal.restart();
          serverRestarts += 1;
          continue;
        }
        if (pool.kills >= options.kills && serverRestarts > 0) break;
        const holder = await batchHolder(client, handle.workflowId, pool.pids());
        const pid = await pool.killOne(holder);
        log(`SIGKILL worker ${pid ?? '?'}${holder !== undefined ? ' (it held a batch)' : ''} — kill ${pool.kills}`);
      }
      sandbox.setFaults(options.faults);
    })();

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the chaos run did not finish within ${options.deadlineMs / 1000} s`)), options.deadlineMs);
    });
    const summary = await Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
    finished = true;
    await chaos;
    log(`run ${summary.status}: ${summary.counts.synced} synced, ${summary.counts.rejected} rejected`);

    const state = await openStateStore(stateUrl);
    let synced: Set<string>;
    let stagedRowsLeft: number;
    try {
      const staged = await state.selectFrom('staged_rows').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', summary.runId).executeTakeFirst();
      stagedRowsLeft = Number(staged?.n ?? 0);
      const rows = await state.selectFrom('record_results').select(['key']).where('run_id', '=', summary.runId).where('status', '=', 'synced').execute();
      synced = new Set(rows.flatMap((r) => (r.key !== null ? [r.key] : [])));
    } finally {
      await state.destroy();
    }
    const comparison = compareRecords(await expectedRecords(projectDir), sandbox.records('Account'), EXTERNAL_ID, synced);
    const requests = sandbox.requests();
    const faultsByKind: Record<string, number> = {};
    for (const r of requests) if (r.fault !== undefined) faultsByKind[r.fault] = (faultsByKind[r.fault] ?? 0) + 1;
    return {
      records: options.records,
      kills: pool.kills,
      serverRestarts,
      faultsInjected: Object.values(faultsByKind).reduce((a, b) => a + b, 0),
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      wrongValues: comparison.wrongValues,
      runStatus: summary.status,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      missingResults: comparison.missingResults,
      unexpected: comparison.unexpected,
      faultsByKind,
      apiRequests: requests.length,
      workerCrashes: pool.crashes,
      stagedRowsLeft,
      examples: comparison.examples,
    };
  } finally {
    await pool.stop();
    await connection.close().catch(() => {});
    await temporal.stop();
    await sandbox.close();
  }
}

/** Waits for the run to reach its syncing phase (or end); a failed query (server restarting) is asked again. */
async function untilSyncing(handle: { progress(): Promise<SyncProgress> }, finished: () => boolean): Promise<void> {
  while (!finished()) {
    const phase = await handle.progress().then((p) => p.phase, () => 'unknown');
    if (phase === 'syncing' || phase === 'finishing' || phase === 'finished') return;
    await sleep(100);
  }
}

/** The pid of our worker that holds one of the run's batches right now, if any (describe may fail mid-restart). */
async function batchHolder(client: Client, workflowId: string, pids: number[]): Promise<number | undefined> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    const identities = (description.raw.pendingActivities ?? []).map((p) => p.lastWorkerIdentity ?? '');
    return pids.find((pid) => identities.some((identity) => identity.startsWith(`${pid}@`)));
  } catch {
    return undefined;
  }
}
