/**
 * State-store write throughput, SQLite vs PostgreSQL: `npx tsx bench/stateStore.ts [rows]`.
 * Runs the store's side of a sync without a warehouse or a destination — stage the extract in pages,
 * classify it against the snapshot, commit every batch (results + snapshot + mark, one transaction
 * each) — and, on PostgreSQL, the same commits from 1, 2 and 4 worker connections at once (a fleet).
 * Prints a table and writes bench/results/state-store.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { SyncSpec } from '../src/config/schema';
import { commitBatch, readBatchRecords } from '../src/state/batches';
import { openStateStore, type StateDb } from '../src/state/database';
import { openRun } from '../src/state/runs';
import { classifyChanges, stagePage } from '../src/state/staging';
import { report, type ScenarioResult } from './report';
import { inScratchDir } from './scratchDir';

const ROWS = Number(process.argv[2] ?? 100_000);
const PAGE = 2_048;
const BATCH = 200;
const NOW = '2026-01-01T00:00:00.000Z';
const log = (line: string) => process.stderr.write(`${line}\n`);

function payload(i: number): string {
  return JSON.stringify({ Name: `Account ${i}`, Health_Score__c: i % 100, Segment__c: 'neutral', MRR__c: i * 10, Owner__c: `owner-${i % 37}@example.com` });
}

function scenario(name: string, records: number, started: bigint): ScenarioResult {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, records, seconds, recordsPerSecond: records / seconds, apiCalls: 0, responses429: 0, peakRssMb: process.memoryUsage().rss / 1e6 };
}

async function prepareRun(db: StateDb, runId: string, sync: string): Promise<ScenarioResult[]> {
  const spec = { name: sync } as unknown as SyncSpec;
  await openRun(db, { runId, spec, full: false, now: NOW, lease: false });
  let started = process.hrtime.bigint();
  for (let first = 0; first < ROWS; first += PAGE) {
    const rows = [];
    for (let i = first; i < Math.min(first + PAGE, ROWS); i++) rows.push({ key: String(i), fingerprint: `fp${i}`, payload: payload(i) });
    await stagePage(db, runId, first, rows, [], NOW);
  }
  const stage = scenario('stage', ROWS, started);
  started = process.hrtime.bigint();
  // Built loosely so the bench keeps up with classifyChanges' input (e.g. the sync mode).
  const input = { runId, syncName: sync, mode: 'upsert', batchSize: BATCH, now: NOW };
  await classifyChanges(db, input as Parameters<typeof classifyChanges>[1]);
  return [stage, scenario('classify', ROWS, started)];
}

/** Commits batches `batchNos` of a run as if the destination accepted every record. */
async function commitAll(db: StateDb, runId: string, sync: string, batchNos: number[]): Promise<void> {
  for (const batchNo of batchNos) {
    const records = await readBatchRecords(db, runId, sync, batchNo);
    await commitBatch(db, {
      runId,
      syncName: sync,
      batchNo,
      records,
      outcomes: records.map((r) => ({ key: r.key, status: 'synced' as const, destinationId: `001${r.key}`, created: true })),
      apiCalls: 1,
      now: NOW,
    });
  }
}

async function benchStore(label: string, url: string, fleets: number[]): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const batches = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, i) => i + 1);
  for (const workers of fleets) {
    const sync = `bench_${workers}`;
    const runId = `run_${workers}`;
    const stores = await Promise.all(Array.from({ length: workers }, () => openStateStore(url)));
    try {
      const [first] = stores;
      if (!first) throw new Error('no store');
      const prepared = await prepareRun(first, runId, sync);
      if (workers === fleets[0]) results.push(...prepared.map((r) => ({ ...r, name: `${label}: ${r.name}` })));
      const started = process.hrtime.bigint();
      // Worker w takes batches w, w + n, w + 2n …, like a fleet sharing one run's batches.
      await Promise.all(stores.map((db, w) => commitAll(db, runId, sync, batches.filter((_, i) => i % workers === w))));
      results.push({ ...scenario(`${label}: commit (${workers} worker${workers > 1 ? 's' : ''})`, ROWS, started) });
    } finally {
      await Promise.all(stores.map((db) => db.destroy()));
    }
    log(`${label}: ${workers} worker(s) done`);
  }
  return results;
}

async function main(): Promise<void> {
  const sqliteFile = path.join(mkdtempSync(path.join(tmpdir(), 'backflow-bench-state-')), 'state.db');
  const scenarios = await benchStore('SQLite', `sqlite:${sqliteFile}`, [1]);

  const admin = execFileSync('bash', [path.resolve(__dirname, '..', 'scripts', 'postgres.sh'), 'start'], { encoding: 'utf8' }).trim();
  const name = `bench_state_${process.pid}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  try {
    scenarios.push(...(await benchStore('PostgreSQL', admin.replace(/\/[^/]*$/, `/${name}`), [1, 2, 4])));
  } finally {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  }
  log(`wrote ${report(scenarios, { rows: ROWS, batchSize: BATCH, pageSize: PAGE, cores: (await import('node:os')).cpus().length }, 'state-store.json')}`);
}

inScratchDir(main).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
