import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The suite's PostgreSQL (started by globalSetup). */
export function testPostgresUrl(): string {
  const url = process.env.BACKFLOW_TEST_PG_URL;
  if (!url) throw new Error('BACKFLOW_TEST_PG_URL is not set: run integration tests through jest (globalSetup)');
  return url;
}

/** A fresh database of its own for one test file; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return testPostgresUrl().replace(/\/[^/]*$/, `/${name}`);
}

export async function runPostgres(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
