import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { MODE_PLANS, type ActionableChange, type SyncMode, type WriteOperation } from '../destinations/modes';
import type { SyncSpec } from '../config/schema';
import { BackflowError } from '../errors';
import type { StateDb } from './database';
import { isPostgres } from './dialect';
import type { KeyMatching } from '../destinations/destination';
import { keyFold } from './keyFold';
import { RESULT_COLUMNS, UNWRITTEN_PREFIX } from './batches';
import { insertJsonRows, jsonRows } from './jsonRows';
import { countInvalidResults } from './runs';

export interface StagedRow {
  key: string;
  fingerprint: string;
  payload: string;
  /**
   * The model returned the key but its row cannot be sent (a value the source could not read): it is
   * staged `invalid`, so its key still counts as present — mirror mode must not delete its record.
   */
  invalid?: true;
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

/**
 * Starts (or starts over) a run's extract: drops whatever an earlier attempt staged, and returns this
 * attempt's fence. An attempt Temporal gave up on (its heartbeat lost) may still be running; every
 * write it makes checks the fence (stagePage, classifyChanges), so it stops at its next page instead
 * of mixing its rows into this attempt's staging — in mirror mode, rows not yet staged again would
 * read as removed, and be deleted.
 */
export async function resetStaging(db: StateDb, runId: string): Promise<string> {
  const fence = randomUUID();
  await db.transaction().execute(async (trx) => {
    const owned = await trx.updateTable('runs').set({ extract_fence: fence }).where('run_id', '=', runId).where('phase', '=', 'started').executeTakeFirst();
    if (Number(owned.numUpdatedRows) === 0) await checkFence(trx, runId, fence);
    await trx.deleteFrom('staged_rows').where('run_id', '=', runId).execute();
    await trx.deleteFrom('batches').where('run_id', '=', runId).execute();
    await trx.deleteFrom('record_results').where('run_id', '=', runId).execute();
  });
  return fence;
}

/**
 * Refuses a write of an extract attempt that no longer owns the run's staging (see resetStaging).
 * First in its transaction: on PostgreSQL it locks the run's row, so a takeover waits for this write
 * to commit (or this write for the takeover) instead of the two deadlocking over staged rows. SQLite
 * transactions take the whole file's write lock at BEGIN already.
 */
async function checkFence(trx: StateDb, runId: string, fence: string | undefined): Promise<void> {
  if (fence === undefined) return;
  const query = trx.selectFrom('runs').select(['phase', 'extract_fence']).where('run_id', '=', runId);
  const run = await (isPostgres(trx) ? query.forUpdate() : query).executeTakeFirst();
  if (run?.phase === 'started' && run.extract_fence === fence) return;
  throw new BackflowError(
    'EXTRACT_SUPERSEDED',
    run?.phase === 'started'
      ? `a later attempt of run ${runId}'s extract has taken over its staging; this attempt stops`
      : `run ${runId} is ${run ? `past extracting (${run.phase})` : 'gone'}; this extract attempt stops`,
  );
}

/** The longest key PostgreSQL's key indexes take (entries of at most 2,704 bytes, the run id included). */
const POSTGRES_INDEXED_KEY_BYTES = 2_500;

/** Whether the store can hold `key` (PostgreSQL text holds no U+0000, nor its indexes a key past their limit). */
export function storesKey(db: StateDb, key: string): boolean {
  return !isPostgres(db) || (!key.includes('\u0000') && Buffer.byteLength(key, 'utf8') <= POSTGRES_INDEXED_KEY_BYTES);
}

/**
 * Appends one page of mapped rows (and the page's invalid rows) in one transaction, each row
 * classified against the sync's committed snapshot as it goes in: no snapshot → added; another
 * fingerprint (or a full resync) → changed; the same → unchanged. The run record says which sync
 * and whether it is a full resync.
 */
export async function stagePage(
  db: StateDb,
  runId: string,
  firstSeq: number,
  rows: readonly StagedRow[],
  invalid: readonly InvalidRow[],
  now: string,
  /** The extract attempt's fence (resetStaging): the page is refused once another owns the staging. */
  fence?: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await checkFence(trx, runId, fence);
    if (rows.length > 0) {
      const run = await trx.selectFrom('runs').select(['sync_name', 'full_resync', 'spec_json']).where('run_id', '=', runId).executeTakeFirstOrThrow();
      // Insert mode alone takes a record it skipped as existing (see UNWRITTEN_PREFIX) for unchanged.
      const insertMode = (JSON.parse(run.spec_json) as Pick<SyncSpec, 'mode'>).mode === 'insert';
      const changedWhen =
        run.full_resync === 1
          ? sql`1 = 1`
          : insertMode
            ? sql`snap.fingerprint <> r.fingerprint AND snap.fingerprint <> ${UNWRITTEN_PREFIX} || r.fingerprint`
            : sql`snap.fingerprint <> r.fingerprint`;
      // Insert mode sends no changed row, so a full resync in it takes every row as added: the insert's
      // look-up skips a record that exists and creates one that is gone (deleted by hand). As changed,
      // every row was skipped and nothing could ever re-create it.
      const addedWhen = run.full_resync === 1 && insertMode ? sql`1 = 1` : sql`snap.key IS NULL`;
      const staged = jsonRows(
        trx,
        'staged_rows',
        ['run_id', 'seq', 'key', 'fingerprint', 'payload', 'change'],
        rows.map((row, index) => ({
          run_id: runId,
          seq: firstSeq + index,
          key: row.key,
          fingerprint: row.fingerprint,
          payload: row.payload,
          ...(row.invalid ? { change: 'invalid' as const } : {}),
        })),
      );
      await sql`
        INSERT INTO staged_rows (run_id, seq, key, fingerprint, payload, change)
        SELECT r.run_id, r.seq, r.key, r.fingerprint, r.payload,
               CASE WHEN r.change = 'invalid' THEN 'invalid' WHEN ${addedWhen} THEN 'added' WHEN ${changedWhen} THEN 'changed' ELSE 'unchanged' END
        FROM ${staged} AS r LEFT JOIN snapshots snap ON snap.sync_name = ${run.sync_name} AND snap.key = r.key`.execute(trx);
    }
    if (invalid.length > 0) await insertInvalid(trx, runId, invalid, now);
  });
}

async function insertInvalid(db: StateDb, runId: string, rows: readonly InvalidRow[], now: string): Promise<void> {
  await insertJsonRows(
    db,
    'record_results',
    RESULT_COLUMNS,
    rows.map((row) => ({
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
  );
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
  /** Mirror mode only: the most records a run may delete, a number or a share (`"10%"`) of those held. */
  maxDeletes?: number | string;
  /** How the destination tells keys apart (see markDuplicates, keepRecasedKeys); absent: exactly. */
  keyMatching?: KeyMatching;
  /** The extract attempt's fence (resetStaging): refused once another attempt owns the staging. */
  fence?: string;
  /** Rows of the model with no key to stage (NULL, unreadable, unusable): mirror mode holds its deletes back (holdDeletes). */
  unkeyedRows?: number;
  /** A dry run (previewRun): counts as a run would, but leaves the committed snapshot untouched. */
  dryRun?: true;
  /** Records per batch: a number, or chosen per verb from how many records take it (e.g. bulk APIs). */
  batchSize: number | ((operation: WriteOperation, records: number) => number);
  now: string;
}

/**
 * Finishes the diff of the staged rows (each classified as it was staged) against the sync's
 * committed snapshot, all inside the state store so memory stays flat in model size: duplicate keys
 * → invalid (never sent); committed keys missing from the model → removed (staged for deletion only
 * when the mode deletes); unchanged rows are dropped from staging. The mode's plan gives each change
 * its verb; batches are cut per verb in model order, each a range of staged seqs. Rows rejected by
 * an earlier run were never committed, so they come back here.
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
  // PostgreSQL plans the joins below from table statistics; freshly staged rows have none, and a
  // nested-loop plan over them is quadratic. SQLite needs no such step. Outside the transaction: in
  // it, ANALYZE's lock on both tables lasted until the commit, so every sync's classify on the fleet
  // waited for the largest one's (161 ms → 455 ms measured beside a 300,000-row one).
  if (isPostgres(db)) await sql`ANALYZE staged_rows, snapshots`.execute(db);
  return db.transaction().execute(async (trx) => {
    await checkFence(trx, runId, input.fence);
    const matching: KeyMatching = input.keyMatching ?? { ignoreCase: false, asNumbers: false };
    // Keys the destination matches loosely: two spellings of one key are one record.
    const foldsKeys = matching.ignoreCase || matching.asNumbers;
    await markDuplicates(trx, runId, input.now, matching);

    const removed = await countRemoved(trx, runId, syncName);
    let recased = 0;
    let held = 0;
    if (plan.removed !== null && removed > 0 && (input.unkeyedRows ?? 0) > 0) {
      held = await holdDeletes(trx, { runId, syncName, removed, unkeyedRows: input.unkeyedRows ?? 0, now: input.now });
    } else if (plan.removed !== null && removed > 0) {
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
      if (foldsKeys) recased = await keepRecasedKeys(trx, { runId, syncName, now: input.now, dryRun: input.dryRun === true, matching });
      if (input.maxDeletes !== undefined) await refusePastDeleteLimit(trx, syncName, removed - recased, input.maxDeletes);
    } else if (foldsKeys && removed > 0) {
      recased = await renameRecasedSnapshots(trx, { runId, syncName, dryRun: input.dryRun === true, matching });
    }
    // A mode that deletes nothing leaves a removed row's record alone and forgets its key: kept, the key
    // was counted removed again every run, and a later switch to mirror deleted records whose rows had
    // left long before. A row that comes back is added again (its record found by its key).
    if (plan.removed === null && removed > recased && input.dryRun !== true) await forgetRemoved(trx, runId, syncName);

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
      lastBatch = await cutBatches(trx, { runId, changes, operation, batchSizeOf, after: lastBatch });
    }

    const byChange = await trx
      .selectFrom('staged_rows')
      .select(['change', (eb) => eb.fn.countAll<number>().as('rows')])
      .where('run_id', '=', runId)
      .groupBy('change')
      .execute();
    const count = (kind: string) => Number(byChange.find((c) => c.change === kind)?.rows ?? 0);
    // Every invalid row has a result: duplicates (also staged, as 'invalid'), and rows never staged
    // (a NULL key, a value the source could not read).
    const invalidResults = await countInvalidResults(trx, runId);
    const neverStaged = invalidResults - count('invalid');
    const skipped = ACTIONABLE.filter((change) => change !== 'removed' && plan[change] === null).reduce((sum, change) => sum + count(change), 0);

    const counts: ChangeCounts = {
      extracted: byChange.filter((c) => c.change !== 'removed').reduce((sum, c) => sum + Number(c.rows), 0) + neverStaged,
      added: count('added'),
      changed: count('changed'),
      removed: removed - recased,
      unchanged: count('unchanged'),
      invalid: invalidResults,
      skipped: skipped + recased + held,
      batches: lastBatch,
    };

    // Unchanged, skipped and invalid rows are never sent: keep only what the batches need, so a
    // batch's seq range holds its rows and no others.
    const sent = ACTIONABLE.filter((change) => plan[change] !== null);
    await trx
      .deleteFrom('staged_rows')
      .where('run_id', '=', runId)
      .where((eb) => eb.or([eb('change', 'is', null), eb('change', 'not in', sent)]))
      .execute();
    await checkBatchRanges(trx, runId);
    await trx
      .updateTable('runs')
      .set({ ...counts, phase: 'extracted' })
      .where('run_id', '=', runId)
      .execute();
    return counts;
  });
}

/**
 * Rows sharing a primary key are all reported and none is sent: which one is right is unknowable.
 * For a destination matching keys ignoring letter case (`keyMatching.ignoreCase`), `acme-1` and `ACME-1` are
 * one record too: sent apart they would overwrite each other, each reported synced. So are `042` and
 * `42` on a Number key field (`keyMatching.asNumbers`); there, mirror mode deleted the record when one left.
 */
async function markDuplicates(trx: StateDb, runId: string, now: string, matching: KeyMatching): Promise<void> {
  const fold = (column: string) => keyFold(trx, column, matching);
  const why = matching.asNumbers ? "the destination's key field is a Number, matched by value" : 'the destination matches keys ignoring letter case';
  const duplicates = await sql<{ folded: string; copies: number }>`
    SELECT ${fold('key')} AS folded, COUNT(*) AS copies FROM staged_rows
    WHERE run_id = ${runId} GROUP BY ${fold('key')} HAVING COUNT(*) > 1`.execute(trx);
  if (duplicates.rows.length === 0) return;
  const copies = new Map(duplicates.rows.map((d) => [d.folded, Number(d.copies)]));
  const folded = duplicates.rows.map((d) => d.folded);
  for (let start = 0; start < folded.length; start += 500) {
    const chunk = folded.slice(start, start + 500);
    const inChunk = sql`${fold('key')} IN (${sql.join(chunk)})`;
    const spellings = new Map<string, Set<string>>();
    const rows = await sql<{ key: string; folded: string; payload: string; change: string | null }>`
      SELECT key, ${fold('key')} AS folded, payload, change FROM staged_rows
      WHERE run_id = ${runId} AND ${inChunk} ORDER BY seq`.execute(trx);
    for (const row of rows.rows) spellings.set(row.folded, (spellings.get(row.folded) ?? new Set()).add(row.key));
    const message = (row: { key: string; folded: string }): string => {
      const times = copies.get(row.folded) ?? 2;
      const others = [...(spellings.get(row.folded) ?? [])].filter((key) => key !== row.key);
      return others.length === 0
        ? `primary key ${row.key} appears ${times} times in the model; none of its rows is sent`
        : `primary key ${row.key} names the same record as ${others.join(', ')} (${why}): ` +
            `${times} rows for one record; none of them is sent`;
    };
    // A copy already invalid (an unreadable value) has its result; the others get theirs here.
    await insertInvalid(
      trx,
      runId,
      rows.rows
        .filter((row) => row.change !== 'invalid')
        .map((row) => ({ key: row.key, code: 'DUPLICATE_PRIMARY_KEY', message: message(row), payload: row.payload })),
      now,
    );
    await sql`UPDATE staged_rows SET change = 'invalid' WHERE run_id = ${runId} AND ${inChunk}`.execute(trx);
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

/**
 * A mirror run that would delete more than `maxDeletes` (a number, or a share of the records the sync
 * holds) sends nothing: a table half loaded upstream, or keys whose format changed, would otherwise
 * delete (and the next run re-create, under new ids) records people act on.
 */
async function refusePastDeleteLimit(trx: StateDb, syncName: string, deletes: number, maxDeletes: number | string): Promise<void> {
  const held = await trx
    .selectFrom('snapshots')
    .select((eb) => eb.fn.countAll<number>().as('rows'))
    .where('sync_name', '=', syncName)
    .executeTakeFirstOrThrow();
  const records = Number(held.rows);
  const limit = typeof maxDeletes === 'number' ? maxDeletes : Math.floor((records * Number(maxDeletes.slice(0, -1))) / 100);
  if (deletes <= limit) return;
  throw new BackflowError(
    'MIRROR_DELETE_LIMIT',
    `mirror mode would delete ${deletes} of the ${records} records this sync holds, more than maxDeletes (${maxDeletes}: ${limit}); nothing was sent. ` +
      'If the model is right, raise maxDeletes in the sync for one run',
  );
}

/** Drops the snapshot rows of the committed keys the model no longer returns (see classifyChanges). */
async function forgetRemoved(trx: StateDb, runId: string, syncName: string): Promise<void> {
  await sql`
    DELETE FROM snapshots
    WHERE sync_name = ${syncName}
      AND NOT EXISTS (SELECT 1 FROM staged_rows s WHERE s.run_id = ${runId} AND s.key = snapshots.key)`.execute(trx);
}

/**
 * Mirror mode with rows whose key could not be staged (NULL, unreadable, unusable): any removed key
 * may be one of theirs, its record still wanted, so none is deleted this run. Each is reported skipped
 * with the reason, and stays in the snapshot: deletes resume once every row of the model has a key.
 * Staged as removed, the record of a row whose key came back NULL (a broken join) was deleted.
 */
async function holdDeletes(trx: StateDb, input: { runId: string; syncName: string; removed: number; unkeyedRows: number; now: string }): Promise<number> {
  const rows = input.unkeyedRows === 1 ? '1 row of the model has' : `${input.unkeyedRows} rows of the model have`;
  const reason = `not deleted: ${rows} no usable primary key (NULL, unreadable or unusable), and this record's row may be one of them; deletes resume once every row has a key`;
  await sql`
    INSERT INTO record_results (run_id, key, batch_no, change, status, destination_id, created, error_code, error_message, error_fields, payload, recorded_at)
    SELECT ${input.runId}, snap.key, NULL, 'removed', 'skipped', snap.destination_id, NULL, 'MIRROR_DELETE_HELD', ${reason}, NULL, '{}', ${input.now}
    FROM snapshots snap
    WHERE snap.sync_name = ${input.syncName}
      AND NOT EXISTS (SELECT 1 FROM staged_rows s WHERE s.run_id = ${input.runId} AND s.key = snap.key)`.execute(trx);
  return input.removed;
}

/** Stages each removed key (after the model's rows) so it can be batched for deletion. */
async function stageRemoved(trx: StateDb, runId: string, syncName: string): Promise<void> {
  await sql`
    INSERT INTO staged_rows (run_id, seq, key, fingerprint, payload, change)
    SELECT ${runId}, (SELECT COALESCE(MAX(seq), -1) FROM staged_rows WHERE run_id = ${runId}) + ROW_NUMBER() OVER (ORDER BY snap.key),
           snap.key, snap.fingerprint, '{}', 'removed'
    FROM snapshots snap
    WHERE snap.sync_name = ${syncName}
      AND NOT EXISTS (SELECT 1 FROM staged_rows s WHERE s.run_id = ${runId} AND s.key = snap.key)`.execute(trx);
}

/** Moves a committed key's snapshot row (its record's id, what it last got) to the key's new spelling, unless that has one. */
async function renameSnapshot(trx: StateDb, syncName: string, from: string, to: string): Promise<void> {
  await sql`UPDATE snapshots SET key = ${to} WHERE sync_name = ${syncName} AND key = ${from}
    AND NOT EXISTS (SELECT 1 FROM snapshots o WHERE o.sync_name = ${syncName} AND o.key = ${to})`.execute(trx);
}

/**
 * In a mode that deletes nothing, a committed key the model now returns in another case (`acme-1` →
 * `ACME-1`, one record for the destination): its snapshot row passes to the new key, as mirror mode's
 * keepRecasedKeys does. Left under the old key, it was stale once the new key's write landed: a later
 * change back to the old spelling read as unchanged and was never sent. A dry run leaves the rows.
 * Returns how many.
 */
async function renameRecasedSnapshots(trx: StateDb, input: { runId: string; syncName: string; dryRun: boolean; matching: KeyMatching }): Promise<number> {
  const { runId, syncName } = input;
  const pairs = await sql<{ old_key: string; new_key: string }>`
    SELECT MAX(CASE WHEN side = 'committed' THEN key END) AS old_key, MAX(CASE WHEN side = 'model' THEN key END) AS new_key
    FROM (SELECT snap.key, 'committed' AS side FROM snapshots snap
          WHERE snap.sync_name = ${syncName} AND NOT EXISTS (SELECT 1 FROM staged_rows s WHERE s.run_id = ${runId} AND s.key = snap.key)
          UNION ALL
          SELECT key, 'model' AS side FROM staged_rows WHERE run_id = ${runId} AND COALESCE(change, '') <> 'invalid') keys
    GROUP BY ${keyFold(trx, 'key', input.matching)}
    HAVING SUM(CASE WHEN side = 'committed' THEN 1 ELSE 0 END) = 1 AND SUM(CASE WHEN side = 'model' THEN 1 ELSE 0 END) = 1`.execute(trx);
  if (!input.dryRun) {
    for (const pair of pairs.rows) {
      await renameSnapshot(trx, syncName, pair.old_key, pair.new_key);
    }
  }
  return pairs.rows.length;
}

/**
 * A destination matching keys ignoring letter case (Salesforce external ids) holds ONE record for
 * `acme-1` and `ACME-1`. A committed key the model now returns in another case is not removed: a
 * delete by its stored id would delete the record the new key's upsert matches. Its staged delete is
 * dropped, the skip put on record, and its snapshot row renamed to the new key (a dry run leaves it).
 * Case folded as JavaScript's toLowerCase on SQLite (`casefold`, see database.ts:
 * SQLite's own lower() folds A–Z only), by the database's lower() on PostgreSQL. On a Number key
 * field the same holds for a key written another way (`1` → `01`): keys are folded by value (keyFold).
 * Returns how many.
 */
async function keepRecasedKeys(trx: StateDb, input: { runId: string; syncName: string; now: string; dryRun: boolean; matching: KeyMatching }): Promise<number> {
  const { runId, syncName } = input;
  const fold = (column: string) => keyFold(trx, column, input.matching);
  const recased = await sql<{ seq: number; key: string; new_key: string; destination_id: string | null }>`
    SELECT r.seq, r.key, g.new_key, snap.destination_id
    FROM staged_rows r
    JOIN (SELECT ${fold('key')} AS folded, MAX(CASE WHEN COALESCE(change, '') <> 'removed' THEN key END) AS new_key
          FROM staged_rows WHERE run_id = ${runId}
          GROUP BY ${fold('key')}
          HAVING SUM(CASE WHEN change = 'removed' THEN 1 ELSE 0 END) > 0
             AND SUM(CASE WHEN COALESCE(change, '') <> 'removed' THEN 1 ELSE 0 END) > 0) g ON ${fold('r.key')} = g.folded
    LEFT JOIN snapshots snap ON snap.sync_name = ${syncName} AND snap.key = r.key
    WHERE r.run_id = ${runId} AND r.change = 'removed'`.execute(trx);
  const rows = recased.rows;
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500);
    await trx.deleteFrom('staged_rows').where('run_id', '=', runId).where('seq', 'in', chunk.map((row) => row.seq)).execute();
    if (!input.dryRun) {
      // The record (its id, what it last got) carries over to the new key: should the new key's write
      // fail, a later removal still finds the record and deletes it.
      for (const row of chunk) {
        await renameSnapshot(trx, syncName, row.key, row.new_key);
      }
      await trx.deleteFrom('snapshots').where('sync_name', '=', syncName).where('key', 'in', chunk.map((row) => row.key)).execute();
    }
    await insertJsonRows(
      trx,
      'record_results',
      RESULT_COLUMNS,
      chunk.map((row) => ({
        run_id: runId,
        key: row.key,
        batch_no: null,
        change: 'removed' as const,
        status: 'skipped' as const,
        destination_id: row.destination_id,
        created: null,
        error_code: input.matching.asNumbers ? 'KEY_REWRITTEN' : 'KEY_RECASED',
        error_message: input.matching.asNumbers
          ? `key ${row.key} is back as ${row.new_key}; the destination's key field is a Number, matched by value, so its record is ${row.new_key}'s now and is not deleted`
          : `key ${row.key} is back as ${row.new_key}; the destination matches keys ignoring case, so its record is ${row.new_key}'s now and is not deleted`,
        error_fields: null,
        payload: null,
        recorded_at: input.now,
      })),
    );
  }
  return rows.length;
}

/**
 * Cuts the rows of these changes into batches after batch `after`, in model order, each stored as
 * the range of staged seqs it spans (no staged row is rewritten); returns the last batch number.
 */
async function cutBatches(
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
  // Literals, so the division is integer division on every database.
  await sql`
    INSERT INTO batches (run_id, batch_no, size, first_seq, last_seq, committed, synced, rejected, created, updated, api_calls, operation, skipped, deleted)
    SELECT ${runId}, grp + ${sql.lit(after + 1)}, COUNT(*), MIN(seq), MAX(seq), 0, 0, 0, 0, 0, 0, ${operation}, 0, 0
    FROM (SELECT seq, (ROW_NUMBER() OVER (ORDER BY seq) - 1) / ${sql.lit(batchSize)} AS grp
          FROM staged_rows WHERE run_id = ${runId} AND change IN (${kinds})) numbered
    GROUP BY grp`.execute(trx);
  return after + Math.ceil(records / batchSize);
}

/**
 * Every batch's seq range must hold exactly its own rows. True while each verb's changes come in
 * ranges of their own (the model's rows, then the removed ones); checked, because a plan mixing verbs
 * within the model's rows would otherwise send records with the wrong verb.
 */
async function checkBatchRanges(trx: StateDb, runId: string): Promise<void> {
  const wrong = await sql<{ batch_no: number }>`
    SELECT b.batch_no FROM batches b
    WHERE b.run_id = ${runId}
      AND b.size <> (SELECT COUNT(*) FROM staged_rows s WHERE s.run_id = b.run_id AND s.seq BETWEEN b.first_seq AND b.last_seq)`.execute(trx);
  if (wrong.rows.length > 0) {
    throw new Error(`batches ${wrong.rows.map((row) => row.batch_no).join(', ')} of run ${runId} overlap rows of another verb`);
  }
}
