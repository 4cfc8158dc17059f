/** The chaos run's project: a DuckDB model of N accounts synced to the Salesforce sandbox. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export const SYNC_NAME = 'accounts_to_salesforce';
export const EXTERNAL_ID = 'External_Id__c';
/** Model column → Salesforce field, as the sync maps them (the comparison reads the same table). */
export const MAPPINGS = [
  { from: 'name', to: 'Name' },
  { from: 'health', to: 'Health_Score__c' },
  { from: 'segment', to: 'Segment__c' },
  { from: 'mrr', to: 'MRR__c' },
] as const;

export interface ChaosProjectOptions {
  dir: string;
  records: number;
  batchSize: number;
  /** Batches of the run in flight at once (the connection's limits.concurrency). */
  concurrency: number;
  /** The connection's timeoutMs: how soon a held request is given up. */
  requestTimeoutMs: number;
}

/** Writes backflow.yaml, the sync and a seeded warehouse into a fresh `dir`. */
export async function createChaosProject(options: ChaosProjectOptions): Promise<void> {
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(path.join(options.dir, 'syncs'), { recursive: true });
  writeFileSync(
    path.join(options.dir, 'backflow.yaml'),
    [
      'version: 1',
      'connections:',
      '  warehouse:',
      '    type: duckdb',
      '    path: warehouse.duckdb',
      '  salesforce:',
      '    type: salesforce',
      '    instanceUrl: ${env:SALESFORCE_INSTANCE_URL}',
      '    accessToken: ${env:SALESFORCE_ACCESS_TOKEN}',
      '    apiVersion: "62.0"',
      `    limits: { concurrency: ${options.concurrency} }`,
      `    timeoutMs: ${options.requestTimeoutMs}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(options.dir, 'syncs', `${SYNC_NAME}.yaml`),
    [
      'source: warehouse',
      'model: SELECT id, name, health, segment, mrr FROM accounts',
      'primaryKey: id',
      `destination: { connection: salesforce, object: Account, externalIdField: ${EXTERNAL_ID} }`,
      'mode: upsert',
      'mappings:',
      ...MAPPINGS.map((m) => `  - { from: ${m.from}, to: ${m.to} }`),
      `batchSize: ${options.batchSize}`,
      '',
    ].join('\n'),
  );
  await withWarehouse(options.dir, async (run) => {
    await run(
      `CREATE TABLE accounts AS SELECT i AS id, 'Account ' || i || ' ' || md5(i::VARCHAR) AS name, (i * 37) % 101 AS health,
         CASE i % 3 WHEN 0 THEN 'at-risk' WHEN 1 THEN 'neutral' ELSE 'healthy' END AS segment, i * 7 AS mrr
       FROM range(1, ${options.records + 1}) t(i)`,
    );
  });
}

/** The model's rows as the destination should hold them: external id → mapped field values. */
export async function expectedRecords(dir: string): Promise<Map<string, Record<string, unknown>>> {
  const expected = new Map<string, Record<string, unknown>>();
  await withWarehouse(dir, async (_run, read) => {
    for (const row of await read('SELECT id, name, health, segment, mrr FROM accounts ORDER BY id')) {
      const fields: Record<string, unknown> = {};
      for (const m of MAPPINGS) fields[m.to] = row[m.from];
      expected.set(String(row['id']), fields);
    }
  });
  return expected;
}

async function withWarehouse(
  dir: string,
  work: (run: (sql: string) => Promise<void>, read: (sql: string) => Promise<Array<Record<string, unknown>>>) => Promise<void>,
): Promise<void> {
  const instance = await DuckDBInstance.create(path.join(dir, 'warehouse.duckdb'));
  const connection = await instance.connect();
  try {
    await work(
      async (sql) => {
        await connection.run(sql);
      },
      async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
