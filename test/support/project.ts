import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import type { EngineDeps } from '../../src/engine';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce';
import { openStateStore } from '../../src/state/database';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'demo');

/** A throwaway copy of the demo project: seeded DuckDB warehouse, SQLite state store, sandbox env. */
export interface TestProject {
  dir: string;
  deps: EngineDeps;
  /** Environment a child process needs to run this project against the sandbox. */
  env: Record<string, string>;
  /** Runs SQL on the warehouse (a short-lived write connection). */
  sql(text: string): Promise<void>;
  /** Replaces a file of the project (e.g. a sync's YAML). */
  write(file: string, text: string): void;
  read(file: string): string;
  close(): Promise<void>;
}

export async function createTestProject(sandbox: SalesforceSandbox): Promise<TestProject> {
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
  const env = { SALESFORCE_INSTANCE_URL: sandbox.instanceUrl, SALESFORCE_ACCESS_TOKEN: sandbox.accessToken };
  const state = await openStateStore(`sqlite:${path.join(dir, '.backflow', 'state.db')}`);
  return {
    dir,
    deps: { projectDir: dir, state, logger: pino({ level: 'warn' }), env: { ...process.env, ...env } },
    env,
    sql,
    write: (file, text) => writeFileSync(path.join(dir, file), text),
    read: (file) => readFileSync(path.join(dir, file), 'utf8'),
    close: () => state.destroy(),
  };
}
