import { sql, type Selectable } from 'kysely';
import type { RecordResultsTable, RecordStatus, StateDb } from './database';
import { isPostgres } from './dialect';
import { summarizeRun } from './runs';
import type { RunSummary } from './summary';

/** A sync's most recent runs, newest first; `failedOnly` keeps those that failed or ended partial. */
export async function listRuns(db: StateDb, sync: string, limit = 20, options: { failedOnly?: boolean } = {}): Promise<RunSummary[]> {
  let query = db.selectFrom('runs').select('run_id').where('sync_name', '=', sync).where('run_id', 'not like', 'preview:%');
  if (options.failedOnly) query = query.where('status', 'in', ['failed', 'partial']);
  const runs = await query.orderBy('started_at', 'desc').limit(limit).execute();
  return Promise.all(runs.map((run) => summarizeRun(db, run.run_id)));
}

export interface RecordError {
  code: string;
  message: string;
  fields: string[];
}

export interface RecordResultView {
  key: string | null;
  change: string;
  status: RecordStatus;
  destinationId: string | null;
  created: boolean | null;
  error: RecordError | null;
  batchNo: number | null;
  recordedAt: string;
}

/** A stored record result's error (or skip reason), as shown to users. */
export function errorOf(row: { error_code: string | null; error_message: string | null; error_fields: string | null }): RecordError | null {
  if (row.error_code === null) return null;
  return { code: row.error_code, message: row.error_message ?? '', fields: JSON.parse(row.error_fields ?? '[]') as string[] };
}

/** Per-record results of a run, in the order they were recorded; `failedOnly` keeps rejected + invalid. */
export async function recordResults(db: StateDb, runId: string, failedOnly: boolean): Promise<RecordResultView[]> {
  const views: RecordResultView[] = [];
  for await (const page of recordResultPages(db, runId, { failedOnly })) views.push(...page);
  return views;
}

/** Rejected and invalid: skipped records are the mode's choice, not failures. */
const FAILED: RecordStatus[] = ['rejected', 'invalid'];

/**
 * A run's per-record results in the order they were recorded, `pageSize` at a time and at most
 * `limit` in all: memory flat in run size (`runs show` of a 50,000-record run held them all, 700 MB).
 */
export async function* recordResultPages(
  db: StateDb,
  runId: string,
  options: { failedOnly: boolean; limit?: number; pageSize?: number },
): AsyncGenerator<RecordResultView[]> {
  const pageSize = options.pageSize ?? 1_000;
  let left = options.limit ?? Number.POSITIVE_INFINITY;
  let after = 0;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    let page = db.selectFrom('record_results').selectAll().orderBy('id').limit(size);
    if (options.failedOnly) page = page.where('status', 'in', FAILED);
    let rows;
    if (isPostgres(db)) rows = await page.where('run_id', '=', runId).where('id', '>', after).execute();
    else {
      const from = await sqlitePageStart(db, runId, after);
      if (from === undefined) return;
      rows = await page.where(sql<string>`+run_id`, '=', runId).where('id', '>', from).execute();
    }
    if (rows.length > 0) yield rows.map(resultView);
    // A short page is the last: asking again would walk the rest of the table for nothing.
    if (rows.length < size) return;
    left -= rows.length;
    after = Number(rows[rows.length - 1]?.id);
  }
}

/** How many results a run has on record (`failedOnly`: rejected + invalid), for "… N more records". */
export async function countRecordResults(db: StateDb, runId: string, failedOnly: boolean): Promise<number> {
  let query = db.selectFrom('record_results').select((eb) => eb.fn.countAll<number | string>().as('n')).where('run_id', '=', runId);
  if (failedOnly) query = query.where('status', 'in', FAILED);
  return Number((await query.executeTakeFirst())?.n ?? 0);
}

function resultView(row: Selectable<RecordResultsTable>): RecordResultView {
  return {
    key: row.key,
    change: row.change,
    status: row.status,
    destinationId: row.destination_id,
    created: row.created === null ? null : row.created === 1,
    error: errorOf(row),
    batchNo: row.batch_no,
    recordedAt: row.recorded_at,
  };
}

/**
 * Where a page of a run's results starts on SQLite: the rowid walk begins just before the run's
 * first result (0: from the first); undefined when the run has none.
 */
async function sqlitePageStart(db: StateDb, runId: string, after: number): Promise<number | undefined> {
  if (after !== 0) return after;
  const first = await db.selectFrom('record_results').select((eb) => eb.fn.min('id').as('id')).where('run_id', '=', runId).executeTakeFirst();
  if (first?.id === null || first?.id === undefined) return undefined;
  return Number(first.id) - 1;
}

/**
 * A run's results with ids above `after` (0: from the first), in id order, `limit` at a time: memory
 * flat in run size. PostgreSQL walks record_results_by_run_page (migration 012). SQLite walks the
 * rowid from the run's first result (`+run_id` keeps it off record_results_by_run, by which it
 * sorted the whole run for every page: quadratic in run size).
 */
export async function resultsPage(db: StateDb, runId: string, after: number, limit: number) {
  const page = db
    .selectFrom('record_results')
    .select(['id', 'key', 'change', 'status', 'destination_id', 'error_code', 'error_message', 'recorded_at'])
    .orderBy('id')
    .limit(limit);
  if (isPostgres(db)) return page.where('run_id', '=', runId).where('id', '>', after).execute();
  const from = await sqlitePageStart(db, runId, after);
  if (from === undefined) return [];
  return page.where(sql<string>`+run_id`, '=', runId).where('id', '>', from).execute();
}
