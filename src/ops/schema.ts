import type { Kysely } from 'kysely';
import type { StateDb } from '../state/database';

/**
 * One alert incident of a sync: opened once, notified once, resolved (with a recovery message) once.
 * At most one open (resolved_at null) incident per (sync_name, kind): a partial unique index
 * (migration 009) enforces it on SQLite and PostgreSQL alike.
 */
export type AlertIncidentsTable = {
  sync_name: string;
  /** failed | rejected | stale | stopped */
  kind: string;
  opened_at: string;
  resolved_at: string | null;
  /** What was wrong when it opened (shown in the alert). */
  detail: string;
  run_id: string | null;
  /**
   * Channels (`slack`, `webhook`, comma-separated) the opening alert has still to reach; null or
   * empty once it reached every channel configured when it opened (and for incidents from before 009).
   */
  open_pending: string | null;
  /** The same for the recovery message; set when the incident resolves. */
  resolve_pending: string | null;
  /**
   * The channels the opening alert was for: the recovery goes to these only (of those configured
   * when it resolves). Null for incidents from before 014: every channel configured then.
   */
  opened_channels: string | null;
  /** The recovery message's detail and run, kept so a late delivery says what it said then. */
  resolved_detail: string | null;
  resolved_run_id: string | null;
  /** A worker delivering this incident's alerts holds it until then (ISO time), so two never send the same one. */
  delivery_lease_until: string | null;
};

// Type aliases, not interfaces: Kysely's withTables wants an index-signature-compatible shape.
export type OpsSchema = {
  alert_incidents: AlertIncidentsTable;
};

export type OpsDb = Kysely<OpsSchema>;

/** Schema of the operations tables; written with Kysely's builder so it runs on SQLite and PostgreSQL. */
export async function createOpsTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_incidents')
    .ifNotExists()
    .addColumn('sync_name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addPrimaryKeyConstraint('alert_incidents_pk', ['sync_name', 'kind', 'opened_at'])
    .execute();
}

/** The migration entry for src/state/migrations.ts (`'003_operations': operationsMigration`). */
export const operationsMigration = { up: createOpsTables };

const ready = new WeakSet<object>();

/**
 * The state store with the operations tables, created on first use when the migration has not
 * run yet (idempotent: IF NOT EXISTS), so alerts work on a store opened by any version.
 */
export async function opsDb(db: StateDb): Promise<OpsDb> {
  const ops = db.withTables<OpsSchema>() as unknown as OpsDb;
  if (!ready.has(db)) {
    await createOpsTables(db as unknown as Kysely<unknown>);
    ready.add(db);
  }
  return ops;
}
