import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProject } from '../../src/config/load';
import { ConfigError, formatConfigIssue } from '../../src/errors';

/** A minimal valid backflow.yaml: a DuckDB warehouse and a Salesforce connection by ${env:…}. */
export const PROJECT = `version: 1
connections:
  warehouse: { type: duckdb, path: w.duckdb }
  salesforce:
    type: salesforce
    instanceUrl: \${env:SF_URL}
    accessToken: \${env:SF_TOKEN}
`;

/** A minimal valid sync of PROJECT's connections. */
export const SYNC = `source: warehouse
model: SELECT id, name FROM accounts
primaryKey: id
destination: { connection: salesforce, object: Account, externalIdField: External_Id__c }
mappings:
  - { from: name, to: Name }
`;

/** A project directory in tmp holding `files` (path → text), with a syncs/ folder. */
export function writeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'backflow-config-'));
  mkdirSync(path.join(dir, 'syncs'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** The issues of the ConfigError `work` throws, formatted as the CLI prints them. */
export function configIssuesOf(work: () => unknown): string[] {
  try {
    work();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatConfigIssue);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** The issues of loading the project in `dir` as `file: path: message` (an empty path kept, so patterns can anchor on it). */
export function loadIssuesOf(dir: string): string[] {
  try {
    loadProject(dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.file}: ${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}
