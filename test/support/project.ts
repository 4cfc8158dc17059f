import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client } from 'pg';
import pino from 'pino';
import type { EngineDeps } from '../../src/engine';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce';
import { openStateStore } from '../../src/state/database';
import { createTestDatabase, testPostgresUrl } from './postgres';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'demo');

/**
 * A throwaway copy of the demo project: seeded DuckDB warehouse, sandbox env, and a state store of its
 * own — SQLite in the project, or with BACKFLOW_TEST_STATE=postgres a fresh database on the suite's
 * PostgreSQL (so the whole integration suite runs against both stores).
 */
export interface TestProject {
  dir: string;
  deps: EngineDeps;
  /** Environment a child process needs to run this project against the sandbox (and its state store). */
  env: Record<string, string>;
  /** BACKFLOW_STATE_URL of this project's state store. */
  stateUrl: string;
  /** Runs SQL on the warehouse (a short-lived write connection). */
  sql(text: string): Promise<void>;
  /** Replaces a file of the project (e.g. a sync's YAML). */
  write(file: string, text: string): void;
  read(file: string): string;
  close(): Promise<void>;
}

export async function createTestProject(
  sandbox: SalesforceSandbox,
  options: { state?: 'sqlite' | 'postgres' } = {},
): Promise<TestProject> {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-test-'));
  cpSync(EXAMPLE, dir, { recursive: true });
  const warehouse = path.join(dir, 'warehouse.duckdb');
  const sql = async (text: string) => {
    const instance = await DuckDBInstance.create(warehouse);
    const connection = await instance.connect();
    try {
      await connection.run(text);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };
  await sql(readFileSync(path.join(dir, 'seed.sql'), 'utf8'));
  const stateUrl = await testStateUrl(dir, options.state ?? testStateKind());
  const env = { SALESFORCE_INSTANCE_URL: sandbox.instanceUrl, SALESFORCE_ACCESS_TOKEN: sandbox.accessToken, BACKFLOW_STATE_URL: stateUrl };
  const state = await openStateStore(stateUrl);
  return {
    dir,
    deps: { projectDir: dir, state, logger: pino({ level: 'warn' }), env: { ...process.env, ...env } },
    env,
    stateUrl,
    sql,
    write: (file, text) => writeFileSync(path.join(dir, file), text),
    read: (file) => readFileSync(path.join(dir, file), 'utf8'),
    async close() {
      await state.destroy();
      if (stateUrl.startsWith('postgres')) await dropTestDatabase(stateUrl);
    },
  };
}

/** Which store the suite runs on: BACKFLOW_TEST_STATE=postgres | sqlite (default). */
export function testStateKind(): 'sqlite' | 'postgres' {
  const kind = process.env.BACKFLOW_TEST_STATE ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`BACKFLOW_TEST_STATE must be sqlite or postgres, got "${kind}"`);
  return kind;
}

/**
 * `describe` for tests that never read or write the state store (config checks, usage errors, the
 * emulators, log format): they run in the SQLite pass only, as the PostgreSQL pass would repeat them
 * unchanged. Jest lists them as skipped there.
 */
export const describeStoreIndependent: jest.Describe = testStateKind() === 'postgres' ? describe.skip : describe;

async function testStateUrl(projectDir: string, kind: 'sqlite' | 'postgres'): Promise<string> {
  return kind === 'postgres' ? createTestDatabase() : `sqlite:${path.join(projectDir, '.backflow', 'state.db')}`;
}

/** Drops a test database once its project is done (FORCE: a killed worker may have left sessions). */
async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
