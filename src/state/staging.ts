import { sql } from 'kysely';
import type { StateDb } from './database';

export interface StagedRow {
  key: string;
  fingerprint: string;
  payload: string;
}

export interface InvalidRow {
  key: string | null;
  code: string;
  message: string;
  payload: string | null;
}

export interface ChangeCounts {
  extracted: number;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  invalid: number;
  batches: number;
}

/** Drops whatever a previous, interrupted extract of this run staged, so the extract can start over. */
export async function resetStaging(db: StateDb, runId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('staged_rows').where('run_id', '=', runId).execute();
    await trx.deleteFrom('batches').where('run_id', '=', runId).execute();
    await trx.deleteFrom('record_results').where('run_id', '=', runId).execute();
  });
}

/** Appends one page of mapped rows (and the page's invalid rows) in one transaction. */
export async function stagePage(
  db: StateDb,
  runId: string,
  firstSeq: number,
  rows: readonly StagedRow[],
  invalid: readonly InvalidRow[],
  now: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // SQLite caps bound parameters per statement; 100 rows × 7 columns stays well under it.
    for (let start = 0; start < rows.length; start += 100) {
      const chunk = rows.slice(start, start + 100);
      await trx
        .insertInto('staged_rows')
        .values(
          chunk.map((row, index) => ({
            run_id: runId,
            seq: firstSeq + start + index,
            key: row.key,
            fingerprint: row.fingerprint,
            payload: row.payload,
            change: null,
            batch_no: null,
          })),
        )
        .execute();
    }
    if (invalid.length > 0) await insertInvalid(trx, runId, invalid, now);
  });
}

async function insertInvalid(db: StateDb, runId: string, rows: readonly InvalidRow[], now: string): Promise<void> {
  for (let start = 0; start < rows.length; start += 50) {
    await db
      .insertInto('record_results')
      .values(
        rows.slice(start, start + 50).map((row) => ({
          run_id: runId,
          key: row.key,
          batch_no: null,
          change: 'invalid' as const,
          status: 'invalid' as const,
          destination_id: null,
          created: null,
          error_code: row.code,
          error_message: row.message,
          error_fields: null,
          payload: row.payload,
          recorded_at: now,
        })),
      )
      .execute();
  }
}

/**
 * Compares the staged rows with the sync's committed snapshot, all inside the state store so memory
 * stays flat in model size:
 * duplicate keys → invalid (never sent); no snapshot → added; other fingerprint (or a full resync)
 * → changed; same → unchanged (dropped from staging). Changed and added rows get batch numbers in
 * model order. Rows rejected by an earlier run were never committed, so they come back here.
 */
export async function classifyChanges(
  db: StateDb,
  input: { runId: string; syncName: string; fullResync: boolean; batchSize: number; now: string },
): Promise<ChangeCounts> {
  const { runId, syncName, batchSize } = input;
  // Inlined as a literal so the division is integer division on every database.
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  return db.transaction().execute(async (trx) => {
    const duplicates = await trx
      .selectFrom('staged_rows')
      .select(['key', (eb) => eb.fn.countAll<number>().as('copies')])
      .where('run_id', '=', runId)
      .groupBy('key')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    if (duplicates.length > 0) {
      const keys = duplicates.map((d) => d.key);
      for (let start = 0; start < keys.length; start += 500) {
        const chunk = keys.slice(start, start + 500);
        const rows = await trx
          .selectFrom('staged_rows')
          .select(['key', 'payload'])
          .where('run_id', '=', runId)
          .where('key', 'in', chunk)
          .orderBy('seq')
          .execute();
        const copies = new Map(duplicates.map((d) => [d.key, Number(d.copies)]));
        await insertInvalid(
          trx,
          runId,
          rows.map((row) => ({
            key: row.key,
            code: 'DUPLICATE_PRIMARY_KEY',
            message: `primary key ${row.key} appears ${copies.get(row.key) ?? 2} times in the model; none of its rows is sent`,
            payload: row.payload,
          })),
          input.now,
        );
        await trx
          .updateTable('staged_rows')
          .set({ change: 'invalid' })
          .where('run_id', '=', runId)
          .where('key', 'in', chunk)
          .execute();
      }
    }

    const changedWhen = input.fullResync ? sql`1 = 1` : sql`snap.fingerprint <> staged_rows.fingerprint`;
    await sql`
      UPDATE staged_rows SET change = CASE
        WHEN NOT EXISTS (SELECT 1 FROM snapshots snap WHERE snap.sync_name = ${syncName} AND snap.key = staged_rows.key) THEN 'added'
        WHEN EXISTS (SELECT 1 FROM snapshots snap WHERE snap.sync_name = ${syncName} AND snap.key = staged_rows.key AND ${changedWhen}) THEN 'changed'
        ELSE 'unchanged' END
      WHERE run_id = ${runId} AND change IS NULL`.execute(trx);

    await sql`
      UPDATE staged_rows SET batch_no = numbered.batch_no
      FROM (SELECT seq, (ROW_NUMBER() OVER (ORDER BY seq) - 1) / ${sql.lit(batchSize)} + 1 AS batch_no
            FROM staged_rows WHERE run_id = ${runId} AND change IN ('added', 'changed')) AS numbered
      WHERE staged_rows.run_id = ${runId} AND staged_rows.seq = numbered.seq`.execute(trx);

    await sql`
      INSERT INTO batches (run_id, batch_no, size, committed, synced, rejected, created, updated, api_calls)
      SELECT run_id, batch_no, COUNT(*), 0, 0, 0, 0, 0, 0 FROM staged_rows
      WHERE run_id = ${runId} AND batch_no IS NOT NULL GROUP BY run_id, batch_no`.execute(trx);

    const byChange = await trx
      .selectFrom('staged_rows')
      .select(['change', (eb) => eb.fn.countAll<number>().as('rows')])
      .where('run_id', '=', runId)
      .groupBy('change')
      .execute();
    const count = (kind: string) => Number(byChange.find((c) => c.change === kind)?.rows ?? 0);
    const removed = await trx
      .selectFrom('snapshots')
      .select((eb) => eb.fn.countAll<number>().as('rows'))
      .where('sync_name', '=', syncName)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('staged_rows')
              .select('seq')
              .where('staged_rows.run_id', '=', runId)
              .whereRef('staged_rows.key', '=', 'snapshots.key'),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    const nullKeys = await trx
      .selectFrom('record_results')
      .select((eb) => eb.fn.countAll<number>().as('rows'))
      .where('run_id', '=', runId)
      .where('key', 'is', null)
      .executeTakeFirstOrThrow();
    const batches = await trx
      .selectFrom('batches')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();

    const counts: ChangeCounts = {
      extracted: byChange.reduce((sum, c) => sum + Number(c.rows), 0) + Number(nullKeys.rows),
      added: count('added'),
      changed: count('changed'),
      removed: Number(removed.rows),
      unchanged: count('unchanged'),
      invalid: count('invalid') + Number(nullKeys.rows),
      batches: Number(batches.n),
    };

    // Unchanged and invalid rows are never sent: keep only what the batches need.
    await trx.deleteFrom('staged_rows').where('run_id', '=', runId).where('batch_no', 'is', null).execute();
    await trx
      .updateTable('runs')
      .set({ ...counts, phase: 'extracted' })
      .where('run_id', '=', runId)
      .execute();
    return counts;
  });
}
