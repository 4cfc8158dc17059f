import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * True when the store is PostgreSQL. For the few spots where SQLite and PostgreSQL need different
 * SQL (auto-increment ids, row locks); everything else is one query layer.
 */
export function isPostgres(db: Pick<Kysely<never>, "getExecutor">): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** PostgreSQL's unique_violation, or SQLite's primary-key / unique constraint failure: a racing writer got there first. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
