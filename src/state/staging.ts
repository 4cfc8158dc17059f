import { sql } from 'kysely';
import { MODE_PLANS, type ActionableChange, type SyncMode, type WriteOperation } from '../destinations/modes';
import { BackflowError } from '../errors';
import type { StateDb } from './database';
import { isPostgres } from './dialect';
import { insertJsonRows } from './jsonRows';

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
  /** Changes the sync's mode does not send (insert mode: changed rows). */
  skipped: number;
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
    await insertJsonRows(
      trx,
      'staged_rows',
      ['run_id', 'seq', 'key', 'fingerprint', 'payload'],
      rows.map((row, index) => ({ run_id: runId, seq: firstSeq + index, key: row.key, fingerprint: row.fingerprint, payload: row.payload })),
    );
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

/** Batches are cut per verb, in this order, so every batch takes exactly one. */
const OPERATION_ORDER: readonly WriteOperation[] = ['upsert', 'update', 'insert', 'delete'];
const ACTIONABLE: readonly ActionableChange[] = ['added', 'changed', 'removed'];

export interface ClassifyInput {
  runId: string;
  syncName: string;
  mode: SyncMode;
  /** Mirror mode only: delete everything when the model returns no rows. */
  allowEmptyMirror?: boolean;
  fullResync: boolean;
  /** Records per batch: a number, or chosen per verb from how many records take it (e.g. bulk APIs). */
  batchSize: number | ((operation: WriteOperation, records: number) => number);
  now: string;
}

/**
 * Compares the staged rows with the sync's committed snapshot, all inside the state store so memory
 * stays flat in model size:
 * duplicate keys → invalid (never sent); no snapshot → added; other fingerprint (or a full resync)
 * → changed; same → unchanged (dropped from staging); committed keys missing from the model →
 * removed (staged for deletion only when the mode deletes). The mode's plan gives each change its
 * verb; batches are numbered per verb in model order. Rows rejected by an earlier run were never
 * committed, so they come back here.
 */
export async function classifyChanges(db: StateDb, input: ClassifyInput): Promise<ChangeCounts> {
  const { runId, syncName } = input;
  const plan = MODE_PLANS[input.mode];
  const batchSizeOf = (operation: WriteOperation, records: number): number => {
    const size = typeof input.batchSize === 'number' ? input.batchSize : input.batchSize(operation, records);
    // Inlined as a literal so the division is integer division on every database.
    if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive integer, got ${size}`);
    return size;
  };
  batchSizeOf('upsert', 0);
  return db.transaction().execute(async (trx) => {
    // PostgreSQL plans the joins below from table statistics; freshly staged rows have none, and a
    // nested-loop plan over them is quadratic. SQLite needs no such step.
    if (isPostgres(trx)) await sql`ANALYZE staged_rows, snapshots`.execute(trx);
    await markDuplicates(trx, runId, input.now);

    const changedWhen = input.fullResync ? sql`1 = 1` : sql`snap.fingerprint <> staged_rows.fingerprint`;
    await sql`
      UPDATE staged_rows SET change = CASE
        WHEN NOT EXISTS (SELECT 1 FROM snapshots snap WHERE snap.sync_name = ${syncName} AND snap.key = staged_rows.key) THEN 'added'
        WHEN EXISTS (SELECT 1 FROM snapshots snap WHERE snap.sync_name = ${syncName} AND snap.key = staged_rows.key AND ${changedWhen}) THEN 'changed'
        ELSE 'unchanged' END
      WHERE run_id = ${runId} AND change IS NULL`.execute(trx);

    const removed = await countRemoved(trx, runId, syncName);
    if (plan.removed !== null && removed > 0) {
      const present = await trx
        .selectFrom('staged_rows')
        .select((eb) => eb.fn.countAll<number>().as('rows'))
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      if (Number(present.rows) === 0 && !input.allowEmptyMirror) {
        throw new BackflowError(
          'MIRROR_EMPTY_MODEL',
          `the model returned no rows, so mirror mode would delete all ${removed} records this sync created; nothing was sent. ` +
            'If that is really wanted, set allowEmptyMirror: true in the sync',
        );
      }
      await stageRemoved(trx, runId, syncName);
    }

    // Changes the mode does not send are skipped, each with a reason on record.
    for (const change of ACTIONABLE) {
      if (plan[change] !== null || change === 'removed') continue;
      await sql`
        INSERT INTO record_results (run_id, key, batch_no, change, status, destination_id, created, error_code, error_message, error_fields, payload, recorded_at)
        SELECT staged_rows.run_id, staged_rows.key, NULL, staged_rows.change, 'skipped', snap.destination_id, NULL, 'MODE_SKIPS_CHANGE',
               ${`${input.mode} mode does not send ${change} rows`}, NULL, staged_rows.payload, ${input.now}
        FROM staged_rows LEFT JOIN snapshots snap ON snap.sync_name = ${syncName} AND snap.key = staged_rows.key
        WHERE staged_rows.run_id = ${runId} AND staged_rows.change = ${change}`.execute(trx);
    }

    let lastBatch = 0;
    for (const operation of OPERATION_ORDER) {
      const changes = ACTIONABLE.filter((change) => plan[change] === operation);
      if (changes.length === 0) continue;
      lastBatch = await numberBatches(trx, { runId, changes, operation, batchSizeOf, after: lastBatch });
    }

    const byChange = await trx
      .selectFrom('staged_rows')
      .select(['change', (eb) => eb.fn.countAll<number>().as('rows')])
      .where('run_id', '=', runId)
      .groupBy('change')
      .execute();
    const count = (kind: string) => Number(byChange.find((c) => c.change === kind)?.rows ?? 0);
    const nullKeys = await trx
      .selectFrom('record_results')
      .select((eb) => eb.fn.countAll<number>().as('rows'))
      .where('run_id', '=', runId)
      .where('key', 'is', null)
      .executeTakeFirstOrThrow();
    const skipped = ACTIONABLE.filter((change) => change !== 'removed' && plan[change] === null).reduce((sum, change) => sum + count(change), 0);

    const counts: ChangeCounts = {
      extracted: byChange.filter((c) => c.change !== 'removed').reduce((sum, c) => sum + Number(c.rows), 0) + Number(nullKeys.rows),
      added: count('added'),
      changed: count('changed'),
      removed,
      unchanged: count('unchanged'),
      invalid: count('invalid') + Number(nullKeys.rows),
      skipped,
      batches: lastBatch,
    };

    // Unchanged, skipped and invalid rows are never sent: keep only what the batches need.
    await trx.deleteFrom('staged_rows').where('run_id', '=', runId).where('batch_no', 'is', null).execute();
    await trx
      .updateTable('runs')
      .set({ ...counts, phase: 'extracted' })
      .where('run_id', '=', runId)
      .execute();
    return counts;
  });
}

/** Rows sharing a primary key are all reported and none is sent: which one is right is unknowable. */
async function markDuplicates(trx: StateDb, runId: string, now: string): Promise<void> {
  const duplicates = await trx
    .selectFrom('staged_rows')
    .select(['key', (eb) => eb.fn.countAll<number>().as('copies')])
    .where('run_id', '=', runId)
    .groupBy('key')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  if (duplicates.length === 0) return;
  const copies = new Map(duplicates.map((d) => [d.key, Number(d.copies)]));
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
    await insertInvalid(
      trx,
      runId,
      rows.map((row) => ({
        key: row.key,
        code: 'DUPLICATE_PRIMARY_KEY',
        message: `primary key ${row.key} appears ${copies.get(row.key) ?? 2} times in the model; none of its rows is sent`,
        payload: row.payload,
      })),
      now,
    );
    await trx.updateTable('staged_rows').set({ change: 'invalid' }).where('run_id', '=', runId).where('key', 'in', chunk).execute();
  }
}

/** Committed keys the model no longer returns. */
async function countRemoved(trx: StateDb, runId: string, syncName: string): Promise<number> {
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
  return Number(removed.rows);
}

/** Stages each removed key (after the model's rows) so it can be batched for deletion. */
async function stageRemoved(trx: StateDb, runId: string, syncName: string): Promise<void> {
  await sql`
    INSERT INTO staged_rows (run_id, seq, key, fingerprint, payload, change, batch_no)
    SELECT ${runId}, (SELECT COALESCE(MAX(seq), -1) FROM staged_rows WHERE run_id = ${runId}) + ROW_NUMBER() OVER (ORDER BY snap.key),
           snap.key, snap.fingerprint, '{}', 'removed', NULL
    FROM snapshots snap
    WHERE snap.sync_name = ${syncName}
      AND NOT EXISTS (SELECT 1 FROM staged_rows s WHERE s.run_id = ${runId} AND s.key = snap.key)`.execute(trx);
}

/** Numbers the rows of these changes into batches after batch `after`; returns the last batch number. */
async function numberBatches(
  trx: StateDb,
  input: {
    runId: string;
    changes: readonly ActionableChange[];
    operation: WriteOperation;
    batchSizeOf: (operation: WriteOperation, records: number) => number;
    after: number;
  },
): Promise<number> {
  const { runId, changes, operation, after } = input;
  const kinds = sql.join(changes.map((change) => sql`${change}`));
  const rows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM staged_rows WHERE run_id = ${runId} AND change IN (${kinds})`.execute(trx);
  const records = Number(rows.rows[0]?.n ?? 0);
  if (records === 0) return after;
  const batchSize = input.batchSizeOf(operation, records);
  await sql`
    UPDATE staged_rows SET batch_no = numbered.batch_no
    FROM (SELECT seq, (ROW_NUMBER() OVER (ORDER BY seq) - 1) / ${sql.lit(batchSize)} + ${sql.lit(after + 1)} AS batch_no
          FROM staged_rows WHERE run_id = ${runId} AND change IN (${kinds})) AS numbered
    WHERE staged_rows.run_id = ${runId} AND staged_rows.seq = numbered.seq`.execute(trx);
  await sql`
    INSERT INTO batches (run_id, batch_no, size, committed, synced, rejected, created, updated, api_calls, operation, skipped, deleted)
    SELECT run_id, batch_no, COUNT(*), 0, 0, 0, 0, 0, 0, ${operation}, 0, 0 FROM staged_rows
    WHERE run_id = ${runId} AND batch_no > ${after} GROUP BY run_id, batch_no`.execute(trx);
  const last = await trx
    .selectFrom('batches')
    .select((eb) => eb.fn.max('batch_no').as('last'))
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  return Number(last.last ?? after);
}
