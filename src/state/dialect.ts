import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * True when the store is PostgreSQL. For the few spots where SQLite and PostgreSQL need different
 * SQL (auto-increment ids, row locks); everything else is one query layer.
 */
export function isPostgres(db: Pick<Kysely<never>, "getExecutor">): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
