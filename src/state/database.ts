import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { withStatementCache } from './statementCache';
import { ImmediateSqliteDialect } from './sqliteDialect';
import { Kysely, PostgresDialect, sql, type Generated, type Selectable } from 'kysely';
import { Pool } from 'pg';
import type { WriteOperation } from '../destinations/modes';
import { BackflowError } from '../errors';
import { numberFold } from './keyFold';
import { migrateToLatest, pendingMigrations } from './migrations';
import { parseStateUrl, pgConnectTimeoutMs, redactStateUrl } from './stateUrl';
import { namedPool, StateStoreConnectFailed } from './postgresPool';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqliteBusy';

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type RunPhase = 'started' | 'extracted' | 'syncing' | 'finished';
/** How a staged row differs from the committed snapshot. */
export type ChangeKind = 'added' | 'changed' | 'removed' | 'unchanged' | 'invalid';
/** synced: written (or deleted); skipped: the mode left it alone, with a reason. */
export type RecordStatus = 'synced' | 'skipped' | 'rejected' | 'invalid';

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
  /** Changes the mode does not send (insert mode: changed rows), counted at extract. */
  skipped: Generated<number>;
  error_code: string | null;
  error_message: string | null;
  /** The extract attempt that owns the run's staging (see resetStaging); null before the first. */
  extract_fence: Generated<string | null>;
  /** When the run closed owing its write-back (writeBack.ts); null once written, or when none is due. */
  write_back_pending: Generated<string | null>;
  /** The Temporal execution (run id) that opened the run; null for runs opened before it was kept, and previews. */
  opened_by: Generated<string | null>;
  /** Where the destination connection pointed when the run opened (engine/destinationLocator.ts); null before migration 015. */
  destination_locator: Generated<string | null>;
  /** When the run closed, until its after-run steps (metrics, alerts, write-back) ran: a retried close runs them. */
  after_run_pending: Generated<string | null>;
  /** The Temporal namespace whose workflow opened the run, and the id its cluster gave it; null before migration 018, and previews. */
  temporal_namespace: Generated<string | null>;
  temporal_namespace_id: Generated<string | null>;
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
  /** The write verb of every record in the batch (see destinations/modes.ts). */
  operation: WriteOperation;
  skipped: number;
  deleted: number;
  checkpoint: string | null;
  /** The batch's rows: the staged rows of the run from seq first_seq to last_seq (null once long committed). */
  first_seq: number | null;
  last_seq: number | null;
  /** The syncBatches attempt sending the batch (see claimBatch); null before the first. */
  attempt_fence: Generated<string | null>;
}

export interface StagedRowsTable {
  run_id: string;
  seq: number;
  key: string;
  fingerprint: string;
  /** Mapped destination payload, JSON. */
  payload: string;
  change: ChangeKind | null;
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
  /** 64-bit: a number from SQLite, a string from PostgreSQL (pg reads bigint as text). */
  id: Generated<number | string>;
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

export interface SyncRenamesTable {
  from_name: string;
  to_name: string;
  renamed_at: string;
}

export interface PacingBucketsTable {
  bucket: string;
  tokens: number;
  updated_ms: number;
  rate: number;
}

export interface StateSchema {
  runs: RunsTable;
  batches: BatchesTable;
  staged_rows: StagedRowsTable;
  snapshots: SnapshotsTable;
  record_results: RecordResultsTable;
  sync_leases: SyncLeasesTable;
  pacing_buckets: PacingBucketsTable;
  sync_renames: SyncRenamesTable;
}

export type StateDb = Kysely<StateSchema>;
export type RunRow = Selectable<RunsTable>;
export type BatchRow = Selectable<BatchesTable>;

export interface OpenStateStoreOptions {
  /**
   * Run pending migrations on open: `true` (the default: workers, runs), `false` (`backflow migrate`
   * runs them itself to report them), or `'fresh-only'` for commands that only read history: a new
   * store gets its schema, but one an older version still uses is not changed under its workers
   * (STATE_STORE_OUTDATED: `backflow migrate` says when).
   */
  migrate?: boolean | 'fresh-only';
}

/**
 * Opens the state store named by a URL: `sqlite:<path>` (the embedded default) or
 * `postgres://…` (production: one store shared by a fleet of workers).
 * Migrations run on open, so every process sees the current schema; on PostgreSQL Kysely's Migrator
 * holds an advisory lock while it migrates, so workers starting together apply each migration once.
 */
export async function openStateStore(url: string, options: OpenStateStoreOptions = {}): Promise<StateDb> {
  const target = parseStateUrl(url);
  const db = target.kind === 'sqlite' ? openSqlite(target.file) : openPostgres(target.url);
  if (target.kind === 'postgres') await checkReachable(db, target.url);
  const migrate = options.migrate ?? true;
  try {
    if (migrate === 'fresh-only') {
      const { pending, fresh } = await pendingMigrations(db);
      if (fresh) await migrateOnOpen(db, target.kind);
      else if (pending.length > 0) {
        throw new BackflowError(
          'STATE_STORE_OUTDATED',
          `the state store ${redactStateUrl(url)} lacks migrations this version of backflow reads with (${pending.join(', ')}); ` +
            'a read does not apply them under workers of the older version: stop those, then run backflow migrate',
        );
      }
    } else if (migrate) await migrateOnOpen(db, target.kind);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/** One round trip, so a store that cannot be reached says so, naming it, before anything else fails. */
async function checkReachable(db: StateDb, url: string): Promise<void> {
  try {
    await sql`SELECT 1`.execute(db);
  } catch (err) {
    await db.destroy();
    const reason = err instanceof Error ? err.message : String(err);
    // Failed here, at the start, it is final; later (a restart mid-run) it is retried.
    const message = err instanceof StateStoreConnectFailed ? reason : `cannot reach the PostgreSQL state store ${redactStateUrl(url)}: ${reason}`;
    throw new BackflowError('STATE_STORE_UNREACHABLE', message);
  }
}

/**
 * SQLite has no advisory lock: two processes opening a fresh file at once (workers starting
 * together) can both see a migration as pending, and the slower one trips over the tables the other
 * just created. Looking again after the other committed finds nothing left to do.
 */
async function migrateOnOpen(db: StateDb, kind: 'sqlite' | 'postgres'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(db);
      return;
    } catch (err) {
      if (kind !== 'sqlite' || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * A SQLite file that cannot be the store (a directory, another program's file, the DuckDB warehouse
 * named by mistake) says so, naming it: SQLite's own "file is not a database" named neither.
 */
function openSqlite(file: string): StateDb {
  let database: Database.Database | undefined;
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    database = new Database(file);
    return configureSqlite(database);
  } catch (err) {
    database?.close();
    // Read by shape, not class: better-sqlite3's errors may come from another realm (a test runner's).
    const message = (err as { message?: unknown } | null)?.message;
    const reason = typeof message === 'string' ? message : String(err);
    throw new BackflowError('STATE_STORE_UNREACHABLE', `cannot open the SQLite state store ${file}: ${reason}`);
  }
}

function configureSqlite(database: Database.Database): StateDb {
  // busy_timeout first: it rides out short write locks, including another process's migration
  // while this one switches to WAL (which lets the CLI read run history while a worker writes).
  database.pragma('busy_timeout = 10000');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  // Bounded page caches (main and temp: the change-set diff sorts in temp) keep a worker's memory
  // flat in model size (16 MB for the main one, which holds the staged rows being written).
  database.pragma(`cache_size = -16000`);
  database.pragma(`temp.cache_size = -4000`);
  // Checkpoint the WAL every 64 MB rather than every 4 MB: each checkpoint ends in an fsync, and
  // staging a 100,000-row model spent half its commit time in them (1.5 s → 0.85 s measured).
  database.pragma('wal_autocheckpoint = 16384');
  database.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  // Unicode case folding for keys (SQLite's lower() folds A–Z only): as destinations match them.
  database.function('casefold', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : text));
  // Number keys by value (`042` is 42), as a destination's Number key field compares them (keyFold.ts).
  database.function('numberfold', { deterministic: true }, numberFold);
  // From here on a lock held by another process is waited for asynchronously (sqliteBusy.ts), not by
  // SQLite inside each call, which held the event loop for up to the whole busy_timeout.
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return new Kysely<StateSchema>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }) });
}

/** How long PostgreSQL lets a backflow connection sit idle inside a transaction before ending it. */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

function openPostgres(url: string): StateDb {
  // A worker runs a few activities at once, each one transaction at a time: a small pool suffices,
  // and a fleet of N workers then holds at most N × max connections.
  const pool = new Pool({
    connectionString: url,
    max: 5,
    application_name: 'backflow',
    // pg waits forever for a server that accepted the connection but never answers (a firewall that
    // drops packets, a wrong host): every command and activity would hang without a word.
    connectionTimeoutMillis: pgConnectTimeoutMs(url),
    // A worker that freezes mid-transaction (a paused VM, a stopped process, a host cut off) kept its
    // row locks until TCP gave up on it, hours later: the retried batch's claim waited on its commit
    // all along, heartbeating. No backflow transaction waits between statements, so the server ends
    // one idle this long. The URL may say otherwise (`?idle_in_transaction_session_timeout=<ms>`).
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  // A client losing its server (restart, failover) must not crash the worker: the pool's own listener
  // covers idle clients; a checked-out one (a transaction between queries) emits on itself, where an
  // unheard 'error' event killed the process. Its query or transaction fails instead, and is retried.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<StateSchema>({ dialect: new PostgresDialect({ pool: namedPool(pool, url) }) });
}
