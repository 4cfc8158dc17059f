import { commitsSkipped, type WriteOperation } from '../destinations/modes';
import { BackflowError } from '../errors';
import { sql, type Insertable } from 'kysely';
import { insertJsonRows } from './jsonRows';
import type { BatchRow, ChangeKind, RecordResultsTable, SnapshotsTable, StateDb } from './database';
import { isPostgres } from './dialect';

/** Every column of a record_results row the engine writes. */
export const RESULT_COLUMNS = [
  'run_id', 'key', 'batch_no', 'change', 'status', 'destination_id', 'created',
  'error_code', 'error_message', 'error_fields', 'payload', 'recorded_at',
] as const;
const SNAPSHOT_COLUMNS = ['sync_name', 'key', 'fingerprint', 'destination_id', 'run_id', 'synced_at'] as const;

/**
 * Prefix of the fingerprint committed for a record insert mode skipped because the destination held
 * it already: known (insert mode leaves it alone), but never written with these values — so a run in
 * another mode (the sync switched to upsert, say) sends it rather than finding it unchanged.
 */
export const UNWRITTEN_PREFIX = 'unwritten:';

/**
 * Prefix of the fingerprint of a record a delete was sent for and not yet committed (markDeletesSent).
 */
export const DELETING_PREFIX = 'deleting:';

/**
 * Marks the snapshot rows of a delete batch's keys before it is sent. Should the batch never commit
 * (its answer lost, its run abandoned), the destination may have deleted the records while the
 * snapshot still said synced: a row back in the model read as unchanged and was never written again.
 * Marked, it reads as changed and is sent again (its record re-created); a row still gone is deleted
 * again (a record already deleted answers as gone). A committed delete removes the rows.
 */
export async function markDeletesSent(db: StateDb, syncName: string, keys: readonly string[]): Promise<void> {
  for (const chunk of chunked(keys, 500)) {
    await db
      .updateTable('snapshots')
      .set({ fingerprint: sql<string>`${DELETING_PREFIX} || fingerprint` })
      .where('sync_name', '=', syncName)
      .where('key', 'in', chunk)
      .where('fingerprint', 'not like', `${DELETING_PREFIX}%`)
      .execute();
  }
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

export interface BatchRecord {
  key: string;
  change: ChangeKind;
  fingerprint: string;
  payload: string;
  /** Destination id committed by an earlier run, when there is one. */
  destinationId: string | null;
  /** The run whose commit holds the record's snapshot, when there is one. */
  writtenBy: string | null;
}

export interface BatchOutcome {
  key: string;
  status: 'synced' | 'skipped' | 'rejected';
  destinationId?: string;
  created?: boolean;
  /** Why a skipped record was left alone. */
  reason?: string;
  /** Skipped by the sync's own filter, not by the mode: never committed (see RecordResult). */
  filtered?: true;
  /** A delete with nothing of this sync's to delete (nothingToDelete): its key is dropped. */
  nothingToDelete?: true;
  error?: { code: string; message: string; fields: string[] };
}

export interface BatchTotals {
  batchNo: number;
  size: number;
  operation: WriteOperation;
  synced: number;
  rejected: number;
  skipped: number;
  created: number;
  updated: number;
  deleted: number;
  apiCalls: number;
  /** True when the batch had already been committed and nothing was sent again. */
  alreadyCommitted: boolean;
}

export function totalsOf(batch: BatchRow, alreadyCommitted: boolean): BatchTotals {
  return {
    batchNo: batch.batch_no,
    size: batch.size,
    operation: batch.operation,
    synced: batch.synced,
    rejected: batch.rejected,
    skipped: batch.skipped,
    created: batch.created,
    updated: batch.updated,
    deleted: batch.deleted,
    apiCalls: batch.api_calls,
    alreadyCommitted,
  };
}

export async function getBatch(db: StateDb, runId: string, batchNo: number): Promise<BatchRow> {
  const batch = await db
    .selectFrom('batches')
    .selectAll()
    .where('run_id', '=', runId)
    .where('batch_no', '=', batchNo)
    .executeTakeFirst();
  if (!batch) throw new BackflowError('RUN_NOT_FOUND', `run ${runId} has no batch ${batchNo}`);
  return batch;
}

/** The most records any batch of the run holds (0 when it has none). */
export async function largestBatch(db: StateDb, runId: string): Promise<number> {
  const row = await db
    .selectFrom('batches')
    .select((eb) => eb.fn.max('size').as('largest'))
    .where('run_id', '=', runId)
    .executeTakeFirst();
  return Number(row?.largest ?? 0);
}

/**
 * Takes an uncommitted batch over for one syncBatches attempt (`fence`, its own token) and returns the
 * batch as it stands now — its checkpoint included, read after the takeover so no later save of
 * another attempt is missed. An attempt Temporal gave up on (its heartbeat lost in a network split)
 * may still be sending; its checkpoint saves and its commit check the fence, so it stops at the next
 * one instead of posting what this attempt posts too (Slack messages, insert-mode records).
 */
export async function claimBatch(db: StateDb, runId: string, batchNo: number, fence: string): Promise<BatchRow> {
  await db
    .updateTable('batches')
    .set({ attempt_fence: fence })
    .where('run_id', '=', runId)
    .where('batch_no', '=', batchNo)
    .where('committed', '=', 0)
    .execute();
  return getBatch(db, runId, batchNo);
}

function superseded(runId: string, batchNo: number): BackflowError {
  return new BackflowError(
    'BATCH_SUPERSEDED',
    `a later attempt has taken over batch ${batchNo} of run ${runId} (or committed it); this attempt stops`,
  );
}

/**
 * Adds the requests an attempt made before it failed (a 429, a 5xx) to its uncommitted batch: they
 * count in the run's `apiCalls` (the destination's budget paid for them), and the commit of a later
 * attempt adds its own. A batch committed meanwhile by another attempt is left as that one counted it.
 */
export async function addFailedAttemptCalls(db: StateDb, runId: string, batchNo: number, apiCalls: number): Promise<void> {
  if (apiCalls <= 0) return;
  await db
    .updateTable('batches')
    .set((eb) => ({ api_calls: eb('api_calls', '+', apiCalls) }))
    .where('run_id', '=', runId)
    .where('batch_no', '=', batchNo)
    .where('committed', '=', 0)
    .execute();
}

/**
 * Keeps a destination's note on a batch in flight (see WriteContext); dropped with the batch's commit.
 * With `fence`, only while that attempt owns the batch (see claimBatch); else BATCH_SUPERSEDED.
 */
export async function saveBatchCheckpoint(db: StateDb, runId: string, batchNo: number, checkpoint: string, fence?: string): Promise<void> {
  let update = db
    .updateTable('batches')
    .set({ checkpoint })
    .where('run_id', '=', runId)
    .where('batch_no', '=', batchNo)
    .where('committed', '=', 0);
  if (fence !== undefined) update = update.where('attempt_fence', '=', fence);
  const saved = await update.executeTakeFirst();
  if (fence !== undefined && Number(saved.numUpdatedRows) === 0) throw superseded(runId, batchNo);
}

/** The staged records of a batch (the staged rows in its seq range), in model order, with any destination id already known. */
export async function readBatchRecords(
  db: StateDb,
  runId: string,
  syncName: string,
  batchNo: number,
): Promise<BatchRecord[]> {
  const rows = await db
    .selectFrom('batches')
    .innerJoin('staged_rows', (join) =>
      join
        .onRef('staged_rows.run_id', '=', 'batches.run_id')
        .onRef('staged_rows.seq', '>=', 'batches.first_seq')
        .onRef('staged_rows.seq', '<=', 'batches.last_seq'),
    )
    .leftJoin('snapshots', (join) =>
      join.onRef('snapshots.key', '=', 'staged_rows.key').on('snapshots.sync_name', '=', syncName),
    )
    .select([
      'staged_rows.key',
      'staged_rows.change',
      'staged_rows.fingerprint',
      'staged_rows.payload',
      'snapshots.destination_id',
      'snapshots.run_id as written_by',
    ])
    .where('batches.run_id', '=', runId)
    .where('batches.batch_no', '=', batchNo)
    .orderBy('staged_rows.seq')
    .execute();
  return rows.map((row) => ({
    key: row.key,
    change: row.change ?? 'changed',
    fingerprint: row.fingerprint,
    payload: row.payload,
    destinationId: row.destination_id ?? null,
    writtenBy: row.written_by ?? null,
  }));
}

/**
 * The batch commit: per-record results, the snapshot of every synced record and the batch's
 * "committed" mark, in ONE transaction, so a crash leaves either all of it or none.
 * Rejected records stay out of the snapshot and are retried by the next run.
 */
export async function commitBatch(
  db: StateDb,
  input: {
    runId: string;
    syncName: string;
    batchNo: number;
    records: readonly BatchRecord[];
    outcomes: readonly BatchOutcome[];
    apiCalls: number;
    now: string;
    /** The attempt's fence (claimBatch): a commit of an attempt that no longer owns the batch is refused. */
    fence?: string;
  },
): Promise<BatchTotals> {
  const byKey = new Map(input.records.map((record) => [record.key, record]));
  return db.transaction().execute(async (trx) => {
    // Locked on PostgreSQL until the commit ends: another attempt's claim (claimBatch) waits for it and
    // then finds the batch committed, instead of taking it over mid-commit and sending it again.
    // SQLite transactions hold the whole file's write lock from BEGIN already.
    const query = trx.selectFrom('batches').selectAll().where('run_id', '=', input.runId).where('batch_no', '=', input.batchNo);
    const batch = await (isPostgres(trx) ? query.forUpdate() : query).executeTakeFirstOrThrow();
    if (batch.committed) return totalsOf(batch, true);
    if (input.fence !== undefined && batch.attempt_fence !== input.fence) throw superseded(input.runId, input.batchNo);

    const operation = batch.operation;
    let synced = 0;
    let rejected = 0;
    let skipped = 0;
    let created = 0;
    const results: Insertable<RecordResultsTable>[] = [];
    const snapshots: Insertable<SnapshotsTable>[] = [];
    const deletedKeys: string[] = [];
    for (const outcome of input.outcomes) {
      const record = byKey.get(outcome.key);
      if (!record) throw new Error(`destination answered for key ${outcome.key}, which is not in batch ${input.batchNo}`);
      const destinationId = outcome.destinationId || record.destinationId;
      results.push({
        run_id: input.runId,
        key: outcome.key,
        batch_no: input.batchNo,
        change: record.change,
        status: outcome.status,
        destination_id: destinationId,
        created: outcome.created === undefined ? null : outcome.created ? 1 : 0,
        error_code: outcome.error?.code ?? (outcome.status === 'skipped' ? 'SKIPPED' : null),
        error_message: outcome.error?.message ?? outcome.reason ?? null,
        error_fields: outcome.error ? JSON.stringify(outcome.error.fields) : null,
        payload: record.payload,
        recorded_at: input.now,
      });
      if (outcome.status === 'rejected') {
        rejected++;
        continue;
      }
      if (outcome.status === 'skipped') {
        skipped++;
        // A delete skipped as having nothing to delete (nothingToDelete) has nothing left to hold the key for.
        const nothingStored = operation === 'delete' && (!record.destinationId || outcome.nothingToDelete === true);
        if (!(commitsSkipped(operation) || nothingStored) || outcome.filtered) continue;
      } else {
        synced++;
        if (outcome.created) created++;
      }
      // Deleted: the key is no longer one of ours, so a later run treats it as new.
      if (operation === 'delete') deletedKeys.push(outcome.key);
      else {
        snapshots.push({
          sync_name: input.syncName,
          key: outcome.key,
          fingerprint: outcome.status === 'skipped' ? `${UNWRITTEN_PREFIX}${record.fingerprint}` : record.fingerprint,
          destination_id: destinationId,
          run_id: input.runId,
          synced_at: input.now,
        });
      }
    }
    // One statement per table, the rows as one JSON parameter (see insertJsonRows).
    await insertJsonRows(trx, 'record_results', RESULT_COLUMNS, results);
    await insertJsonRows(
      trx,
      'snapshots',
      SNAPSHOT_COLUMNS,
      snapshots,
      sql`ON CONFLICT (sync_name, key) DO UPDATE SET fingerprint = excluded.fingerprint,
        destination_id = COALESCE(excluded.destination_id, snapshots.destination_id),
        run_id = excluded.run_id, synced_at = excluded.synced_at`,
    );
    for (const chunk of chunked(deletedKeys, 500)) {
      await trx.deleteFrom('snapshots').where('sync_name', '=', input.syncName).where('key', 'in', chunk).execute();
    }
    const done = {
      committed: 1,
      synced,
      rejected,
      skipped,
      created,
      updated: operation === 'delete' ? 0 : synced - created,
      deleted: operation === 'delete' ? synced : 0,
      // With the requests of the batch's failed attempts (addFailedAttemptCalls).
      api_calls: batch.api_calls + input.apiCalls,
      committed_at: input.now,
      checkpoint: null,
    };
    let mark = trx.updateTable('batches').set(done).where('run_id', '=', input.runId).where('batch_no', '=', input.batchNo).where('committed', '=', 0);
    if (input.fence !== undefined) mark = mark.where('attempt_fence', '=', input.fence);
    const marked = await mark.executeTakeFirst();
    if (Number(marked.numUpdatedRows) !== 1) throw superseded(input.runId, input.batchNo);
    // Only the first commit of a run changes it: later ones match no row and lock nothing.
    await trx.updateTable('runs').set({ phase: 'syncing' }).where('run_id', '=', input.runId).where('phase', '=', 'extracted').execute();
    return totalsOf({ ...batch, ...done }, false);
  });
}
