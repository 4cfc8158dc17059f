import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type Generated, type Selectable } from 'kysely';
import { migrateToLatest } from './migrations';

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type RunPhase = 'started' | 'extracted' | 'syncing' | 'finished';
/** How a staged row differs from the committed snapshot. */
export type ChangeKind = 'added' | 'changed' | 'unchanged' | 'invalid';
export type RecordStatus = 'synced' | 'rejected' | 'invalid';

export interface RunsTable {
  run_id: string;
  sync_name: string;
  status: RunStatus;
  phase: RunPhase;
  /** The SyncSpec the run uses (no secrets), so every activity of a run sees the same spec. */
  spec_json: string;
  full_resync: number;
  started_at: string;
  finished_at: string | null;
  extracted: Generated<number>;
  added: Generated<number>;
  changed: Generated<number>;
  removed: Generated<number>;
  unchanged: Generated<number>;
  invalid: Generated<number>;
  batches: Generated<number>;
  error_code: string | null;
  error_message: string | null;
}

export interface BatchesTable {
  run_id: string;
  batch_no: number;
  size: number;
  committed: number;
  synced: number;
  rejected: number;
  created: number;
  updated: number;
  api_calls: number;
  committed_at: string | null;
}

export interface StagedRowsTable {
  run_id: string;
  seq: number;
  key: string;
  fingerprint: string;
  /** Mapped destination payload, JSON. */
  payload: string;
  change: ChangeKind | null;
  batch_no: number | null;
}

export interface SnapshotsTable {
  sync_name: string;
  key: string;
  fingerprint: string;
  destination_id: string | null;
  run_id: string;
  synced_at: string;
}

export interface RecordResultsTable {
  id: Generated<number>;
  run_id: string;
  /** Null only for a row whose primary key was NULL. */
  key: string | null;
  batch_no: number | null;
  change: ChangeKind;
  status: RecordStatus;
  destination_id: string | null;
  created: number | null;
  error_code: string | null;
  error_message: string | null;
  /** JSON array of the fields the error names. */
  error_fields: string | null;
  /** JSON of what was (or would have been) sent. */
  payload: string | null;
  recorded_at: string;
}

export interface SyncLeasesTable {
  sync_name: string;
  run_id: string;
  acquired_at: string;
}

export interface StateSchema {
  runs: RunsTable;
  batches: BatchesTable;
  staged_rows: StagedRowsTable;
  snapshots: SnapshotsTable;
  record_results: RecordResultsTable;
  sync_leases: SyncLeasesTable;
}

export type StateDb = Kysely<StateSchema>;
export type RunRow = Selectable<RunsTable>;
export type BatchRow = Selectable<BatchesTable>;

/**
 * Opens the state store named by a URL: `sqlite:<path>` (the embedded default).
 * Migrations run on open, so every process sees the current schema.
 */
export async function openStateStore(url: string): Promise<StateDb> {
  const file = parseSqliteUrl(url);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const database = new Database(file);
  // WAL lets the CLI read run history while a worker writes; busy_timeout rides out short write locks.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('synchronous = NORMAL');
  // Bounded page caches (main and temp: the change-set diff sorts in temp) keep a worker's memory
  // flat in model size; the defaults (16 MB each) fill up only on large models.
  database.pragma(`cache_size = -4000`);
  database.pragma(`temp.cache_size = -4000`);
  const db = new Kysely<StateSchema>({ dialect: new SqliteDialect({ database }) });
  await migrateToLatest(db);
  return db;
}

export function parseSqliteUrl(url: string): string {
  const match = /^sqlite:(.+)$/.exec(url);
  if (!match?.[1]) throw new Error(`unsupported state store URL "${url}" (expected sqlite:<path>)`);
  return match[1];
}
