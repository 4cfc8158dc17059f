import { sql, type Insertable, type RawBuilder } from 'kysely';
import type { StateDb, StateSchema } from './database';
import { isPostgres } from './dialect';

type Table = keyof StateSchema & string;
type Column<T extends Table> = keyof Insertable<StateSchema[T]> & string;

/**
 * Rows passed as ONE bound parameter, a JSON array, which the database expands itself: a subquery
 * yielding `columns` typed as in `table` (SQLite `jsonb_each`; PostgreSQL `jsonb_populate_recordset`,
 * which casts by the table's own column types), to use as `FROM ${jsonRows(…)} AS r`. Kysely's
 * multi-row VALUES builds and binds a node per value: on a 100,000-row sync that was ~10% of the
 * worker's CPU.
 */
export function jsonRows<T extends Table>(db: StateDb, table: T, columns: readonly Column<T>[], rows: readonly Insertable<StateSchema[T]>[]): RawBuilder<unknown> {
  const json = JSON.stringify(rows);
  const names = sql.join(columns.map((column) => sql.id(column)));
  if (isPostgres(db)) return sql`(SELECT ${names} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${json}::jsonb))`;
  // jsonb: each element is parsed once, not once per column read from it.
  const values = sql.join(columns.map((column) => sql`value ->> ${`$.${column}`} AS ${sql.id(column)}`));
  return sql`(SELECT ${values} FROM jsonb_each(jsonb(${json})))`;
}

/** Inserts `rows` in one statement (see jsonRows); `conflict` is an ON CONFLICT clause, the same on both databases. */
export async function insertJsonRows<T extends Table>(
  db: StateDb,
  table: T,
  columns: readonly Column<T>[],
  rows: readonly Insertable<StateSchema[T]>[],
  conflict?: RawBuilder<unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  const names = sql.join(columns.map((column) => sql.id(column)));
  // `WHERE true` lets SQLite tell an upsert's ON CONFLICT from a join constraint after a SELECT.
  await sql`INSERT INTO ${sql.table(table)} (${names})
    SELECT ${names} FROM ${jsonRows(db, table, columns, rows)} AS r WHERE true ${conflict ?? sql``}`.execute(db);
}
