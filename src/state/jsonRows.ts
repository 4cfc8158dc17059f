import { sql, type Insertable, type RawBuilder } from 'kysely';
import type { StateDb, StateSchema } from './database';
import { isPostgres } from './dialect';

/**
 * Inserts many rows with ONE bound parameter, the rows as a JSON array, which the database expands
 * itself (SQLite `jsonb_each`, PostgreSQL `jsonb_populate_recordset`, which casts by the table's own
 * column types). Kysely's multi-row VALUES builds and binds a node per value: on a 100,000-row sync
 * that was ~10% of the worker's CPU. `conflict` is an ON CONFLICT clause, the same on both.
 */
export async function insertJsonRows<T extends keyof StateSchema & string>(
  db: StateDb,
  table: T,
  columns: readonly (keyof Insertable<StateSchema[T]> & string)[],
  rows: readonly Insertable<StateSchema[T]>[],
  conflict?: RawBuilder<unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows);
  const into = sql.join(columns.map((column) => sql.id(column)));
  const onConflict = conflict ?? sql``;
  if (isPostgres(db)) {
    await sql`INSERT INTO ${sql.table(table)} (${into})
      SELECT ${into} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${json}::jsonb) ${onConflict}`.execute(db);
    return;
  }
  // jsonb: each element is parsed once, not once per column read from it. `WHERE true` lets SQLite
  // tell an upsert's ON CONFLICT from a join constraint after a SELECT.
  const values = sql.join(columns.map((column) => sql`value ->> ${`$.${column}`}`));
  await sql`INSERT INTO ${sql.table(table)} (${into}) SELECT ${values} FROM jsonb_each(jsonb(${json})) WHERE true ${onConflict}`.execute(db);
}
