import type { Selectable } from 'kysely';
import type { RecordResultsTable, StateDb } from '../../src/state/database';

type ResultRow = Selectable<RecordResultsTable>;

/** A run's per-record results, by key, with the columns a test asserts on. */
export async function recordResultsOf<C extends keyof ResultRow & string>(state: StateDb, runId: string, columns: readonly C[]): Promise<Array<Pick<ResultRow, C>>> {
  const rows = await state.selectFrom('record_results').selectAll().where('run_id', '=', runId).orderBy('key').execute();
  return rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[column]])) as Pick<ResultRow, C>);
}
