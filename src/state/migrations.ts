import { operationsMigration } from '../ops/schema';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { BackflowError } from '../errors';
import { isPostgres } from './dialect';

/** A migration adding one nullable text column (existing rows read null). */
function addTextColumn(table: string, column: string): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable(table).addColumn(column, 'text').execute();
    },
  };
}

/**
 * Schema changes in order; written with Kysely's schema builder so they run on SQLite and PostgreSQL.
 * Each leaves the schema usable by the releases before it (new tables, nullable or defaulted columns,
 * indexes): an older worker runs on a store a newer one migrated (see migrateToLatest).
 */
const migrations: Record<string, Migration> = {
  '001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('sync_name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('spec_json', 'text', (c) => c.notNull())
        .addColumn('full_resync', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('extracted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('added', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('changed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('invalid', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('batches', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .execute();
      await db.schema.createIndex('runs_by_sync').on('runs').columns(['sync_name', 'started_at']).execute();

      await db.schema
        .createTable('batches')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('batch_no', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('committed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('synced', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('api_calls', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('committed_at', 'text')
        .addPrimaryKeyConstraint('batches_pk', ['run_id', 'batch_no'])
        .execute();

      await db.schema
        .createTable('staged_rows')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('change', 'text')
        .addColumn('batch_no', 'integer')
        .addPrimaryKeyConstraint('staged_rows_pk', ['run_id', 'seq'])
        .execute();
      await db.schema.createIndex('staged_rows_by_key').on('staged_rows').columns(['run_id', 'key']).execute();
      await db.schema.createIndex('staged_rows_by_batch').on('staged_rows').columns(['run_id', 'batch_no']).execute();

      await db.schema
        .createTable('snapshots')
        .addColumn('sync_name', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('destination_id', 'text')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('synced_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('snapshots_pk', ['sync_name', 'key'])
        .execute();

      await db.schema
        .createTable('record_results')
        // PostgreSQL has no AUTOINCREMENT keyword: its auto-numbered integer is `serial`.
        .addColumn('id', isPostgres(db) ? 'serial' : 'integer', (c) => (isPostgres(db) ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text')
        .addColumn('batch_no', 'integer')
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('destination_id', 'text')
        .addColumn('created', 'integer')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('error_fields', 'text')
        .addColumn('payload', 'text')
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('record_results_by_run').on('record_results').columns(['run_id', 'status']).execute();
      await db.schema.createIndex('record_results_by_key').on('record_results').columns(['key', 'run_id']).execute();

      await db.schema
        .createTable('sync_leases')
        .addColumn('sync_name', 'text', (c) => c.primaryKey())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  /** Sync modes: each batch takes one write verb; skipped and deleted records are counted. */
  '002_sync_modes': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('batches').addColumn('operation', 'text', (c) => c.notNull().defaultTo('upsert')).execute();
      await db.schema.alterTable('batches').addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('batches').addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('runs').addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // A destination's note on an uncommitted batch (e.g. its bulk job id), so a retry resumes it.
      await db.schema.alterTable('batches').addColumn('checkpoint', 'text').execute();
    },
  },
  /** Alert incidents (src/ops) and the index retention prunes by. */
  '003_operations': operationsMigration,
  /** One token bucket per destination connection, shared by every worker through the store. */
  '004_pacing': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('pacing_buckets')
        .addColumn('bucket', 'text', (c) => c.primaryKey())
        .addColumn('tokens', 'double precision', (c) => c.notNull())
        .addColumn('updated_ms', 'double precision', (c) => c.notNull())
        /** The rate now in force: the configured one, lowered on 429s and raised back on clean answers. */
        .addColumn('rate', 'double precision', (c) => c.notNull())
        .execute();
    },
  },
  /**
   * A batch's rows by (run, batch, seq): reading a batch is an index range in model order. On
   * (run, batch) alone SQLite preferred the primary key to skip the sort and scanned the whole run
   * for every batch (13 ms per batch at 30,000 rows, growing with the model).
   */
  '005_batch_read_index': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('staged_rows_by_batch').execute();
      await db.schema.createIndex('staged_rows_by_batch_seq').on('staged_rows').columns(['run_id', 'batch_no', 'seq']).execute();
    },
  },
  /**
   * A batch is the range of staged seqs it spans, so cutting batches rewrites no staged row (numbering
   * every row was ~10% of a 100,000-row extract). Batches of runs in flight get their ranges from the
   * rows' numbers before those go.
   */
  '006_batch_ranges': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('batches').addColumn('first_seq', 'integer').execute();
      await db.schema.alterTable('batches').addColumn('last_seq', 'integer').execute();
      await sql`
        UPDATE batches SET
          first_seq = (SELECT MIN(seq) FROM staged_rows s WHERE s.run_id = batches.run_id AND s.batch_no = batches.batch_no),
          last_seq = (SELECT MAX(seq) FROM staged_rows s WHERE s.run_id = batches.run_id AND s.batch_no = batches.batch_no)
        WHERE committed = 0`.execute(db);
      await db.schema.dropIndex('staged_rows_by_batch_seq').execute();
      await db.schema.alterTable('staged_rows').dropColumn('batch_no').execute();
    },
  },
  /**
   * The extract attempt that owns a run's staging (see resetStaging): an attempt Temporal gave up on
   * may still be running, and must not write into the staging of the one that replaced it.
   */
  '007_extract_fence': addTextColumn('runs', 'extract_fence'),
  /** The syncBatches attempt that owns a batch (see claimBatch): the same guard for a batch's sends. */
  '008_batch_attempt_fence': addTextColumn('batches', 'attempt_fence'),
  /**
   * Alerts that reach their channel: each incident records which channels its opening and its
   * recovery message have still to reach (src/ops/alerts.ts delivers them again at the sync's next
   * observation), and a lease so two workers never deliver the same one. At most one open incident
   * per (sync, kind): a partial unique index, so two workers observing the same problem at once on
   * PostgreSQL (READ COMMITTED: both saw none open) cannot both open one. And record_results.id is
   * 64-bit on PostgreSQL too (`serial` is int4: a busy store would run out of ids).
   */
  '009_alert_delivery': {
    async up(db: Kysely<unknown>) {
      for (const column of ['open_pending', 'resolve_pending', 'resolved_detail', 'resolved_run_id', 'delivery_lease_until']) {
        // Existing incidents: null, nothing pending (their alerts were attempted once, as before).
        await db.schema.alterTable('alert_incidents').addColumn(column, 'text').execute();
      }
      // Duplicates the race already made: the earliest open incident of a (sync, kind) stays.
      await sql`
        DELETE FROM alert_incidents
        WHERE resolved_at IS NULL
          AND EXISTS (SELECT 1 FROM alert_incidents o
                      WHERE o.sync_name = alert_incidents.sync_name AND o.kind = alert_incidents.kind
                        AND o.resolved_at IS NULL AND o.opened_at < alert_incidents.opened_at)`.execute(db);
      await db.schema
        .createIndex('alert_incidents_one_open')
        .unique()
        .on('alert_incidents')
        .columns(['sync_name', 'kind'])
        .where(sql.ref('resolved_at'), 'is', null)
        .execute();
      if (isPostgres(db)) {
        // SQLite's INTEGER PRIMARY KEY is already 64-bit. The sequence behind `serial` is int4 too.
        await sql`ALTER TABLE record_results ALTER COLUMN id TYPE bigint`.execute(db);
        await sql`
          DO $$
          DECLARE seq text := pg_get_serial_sequence('record_results', 'id');
          BEGIN
            IF seq IS NOT NULL THEN EXECUTE format('ALTER SEQUENCE %s AS bigint', seq); END IF;
          END $$`.execute(db);
      }
    },
  },
  /**
   * record_results_by_recorded_at served a retention prune by timestamp; prune goes by run now
   * (record_results_by_run). Unused, the index cost every synced record a write: a fifth of the
   * results insert (100,000 records: 0.74 s → 0.55 s measured with the index and without).
   */
  '010_drop_results_by_recorded_at': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('record_results_by_recorded_at').ifExists().execute();
    },
  },
  /**
   * A run's write-back owed to the warehouse (see writeBack.ts): set when the run closes, cleared once
   * its rows are written. A warehouse locked or down at that moment lost them for good.
   */
  '011_write_back_owed': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('write_back_pending', 'text').execute();
    },
  },
  /**
   * A run's results in id order, a page at a time (the write-back's read). PostgreSQL walked the
   * primary key and filtered out every other run's rows: 180 ms a page at 1M rows, growing with the
   * table (0.24 ms with this index, a review measured). SQLite reads a run's rows through
   * record_results_by_run, whose entries carry the rowid (the id); it is spared the extra index a
   * synced record would pay for.
   */
  '012_results_page_index': {
    async up(db: Kysely<unknown>) {
      if (isPostgres(db)) await db.schema.createIndex('record_results_by_run_page').on('record_results').columns(['run_id', 'id']).execute();
    },
  },
  /**
   * The Temporal execution (its run id) that opened a run: a workflow id started again after its
   * execution was terminated (a schedule backfill over that time) must not take the old run over.
   */
  '013_run_opened_by': addTextColumn('runs', 'opened_by'),
  /**
   * The channels an incident's opening alert was for: a recovery message went to every channel
   * configured when it resolved, one that never got the opening too (an invalid sync file alerts
   * through backflow.yaml's channels, its fixed sync's run through its own).
   */
  '014_alert_opened_channels': addTextColumn('alert_incidents', 'opened_channels'),
  /**
   * Where a run's destination connection pointed (engine/destinationLocator.ts): a connection moved to
   * another org or account since the snapshot was written must not find every row unchanged there.
   */
  '015_run_destination_locator': addTextColumn('runs', 'destination_locator'),
  /**
   * A sync renamed with `renamedFrom:` (state/syncRenames.ts): its old name's state moved to the new
   * one, and a run under the old name (a worker not yet given the renamed file) is refused.
   */
  '016_sync_renames': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sync_renames')
        .addColumn('from_name', 'text', (c) => c.primaryKey())
        .addColumn('to_name', 'text', (c) => c.notNull())
        .addColumn('renamed_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  /**
   * A closed run whose after-run steps (metrics, alerts, write-back) have not run yet: an activity
   * retry after the close committed found the run finished and skipped them, so a failed run could
   * go unalerted.
   */
  '017_run_after_run_pending': addTextColumn('runs', 'after_run_pending'),
  /**
   * The Temporal namespace that opened a run, by name and by the id its cluster gave it: a run whose
   * workflow another cluster (or namespace) sharing the store runs must not read as gone there.
   */
  '018_run_temporal_namespace': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('runs').addColumn('temporal_namespace', 'text').execute();
      await db.schema.alterTable('runs').addColumn('temporal_namespace_id', 'text').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies migrations up to and including `name` only: for testing an upgrade from an older store. */
export async function migrateTo<DB>(db: Kysely<DB>, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/**
 * Applies pending migrations; returns the names of those it applied (none when up to date).
 * A store a newer backflow migrated holds migrations this one does not know: Kysely's migrator calls
 * that "corrupted migrations", and a worker of the older release (a rolling deploy after `backflow
 * migrate`, a rollback) could not start. Migrations are additive, so it runs on that schema as it is.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const newer = await appliedByNewerRelease(db);
  if (newer.length > 0) {
    const { pending } = await pendingMigrations(db);
    if (pending.length === 0) return [];
    throw new BackflowError(
      'STATE_STORE_DIVERGED',
      `the state store has migrations this version of backflow does not know (${newer.join(', ')}) and lacks some it has (${pending.join(', ')}): ` +
        'it was migrated by another line of releases; run workers of the release that migrated it',
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const name = failed ? ` (migration ${failed.migrationName})` : '';
    throw new Error(`state store migration failed${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migrations this binary has that the store has not applied yet, and whether it has applied any. */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<{ pending: string[]; fresh: boolean }> {
  const all = await new Migrator({ db, provider }).getMigrations();
  const pending = all.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
  return { pending, fresh: pending.length === all.length };
}

/** Migrations the store has applied that this binary does not have: a newer release migrated it. */
async function appliedByNewerRelease<DB>(db: Kysely<DB>): Promise<string[]> {
  const known = await new Migrator({ db, provider }).getMigrations();
  // Before the first migration there is no table to read: nothing is newer.
  if (known.every((migration) => migration.executedAt === undefined)) return [];
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
  const names = new Set(known.map((migration) => migration.name));
  return rows.map((row) => row.name).filter((name) => !names.has(name));
}
