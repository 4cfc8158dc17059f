import { sql, type RawBuilder } from 'kysely';
import type { KeyMatching } from '../destinations/destination';
import { soqlNumber } from '../destinations/soql';
import type { StateDb } from './database';
import { isPostgres } from './dialect';

/**
 * A key written as the destination compares it, as SQL: two keys one record holds fold alike. A key
 * that is no number, on a number field, stays as it is (its record is rejected when sent). The same
 * decimal form on both databases (`numberfold` is soqlNumber on SQLite, see database.ts); no bound
 * parameters, so the expression can be both selected and grouped by on PostgreSQL.
 */
export function keyFold(trx: StateDb, column: string, matching: KeyMatching): RawBuilder<string> {
  const ref = sql.ref(column);
  if (matching.asNumbers) {
    return isPostgres(trx)
      ? sql<string>`(CASE WHEN ${ref} ~* ${sql.raw(`'${NUMBER_PATTERN}'`)} THEN trim_scale(${ref}::numeric)::text ELSE ${ref} END)`
      : sql<string>`numberfold(${ref})`;
  }
  if (matching.ignoreCase) return sql<string>`${sql.raw(isPostgres(trx) ? 'lower' : 'casefold')}(${ref})`;
  return sql<string>`${ref}`;
}

/** soqlNumber's NUMBER_TEXT, as a PostgreSQL regular expression (matched ignoring case, for the `e`). */
const NUMBER_PATTERN = String.raw`^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d{1,3})?\s*$`;

/** SQLite's `numberfold`: a number key in its plain decimal form, anything else as it is. */
export function numberFold(text: unknown): unknown {
  return typeof text === 'string' ? (soqlNumber(text) ?? text) : text;
}
