import type { SyncSpec } from '../../src/config/schema';
import { fingerprint } from '../../src/diff/fingerprint';
import { openStateStore, type StateDb } from '../../src/state/database';
import { claimBatch, commitBatch, getBatch, readBatchRecords, saveBatchCheckpoint, type BatchOutcome } from '../../src/state/batches';
import type { SyncMode } from '../../src/destinations/modes';
import { recordResults } from '../../src/state/history';
import { closeRun, openRun } from '../../src/state/runs';
import { classifyChanges, resetStaging, stagePage } from '../../src/state/staging';

const spec: SyncSpec = {
  name: 'accounts',
  source: 'warehouse',
  model: 'SELECT 1',
  primaryKey: 'id',
  destination: { connection: 'sf', object: 'Account', externalIdField: 'External_Id__c' },
  mode: 'upsert',
  mappings: [{ from: 'name', to: 'Name' }],
};
const NOW = '2026-11-25T00:00:00.000Z';
let db: StateDb;
let runNo = 0;

beforeEach(async () => {
  db = await openStateStore('sqlite::memory:');
});
afterEach(async () => {
  await db.destroy();
});

/** Stages one run of `rows` (key → Name) and diffs it; returns the run id and counts. */
async function stageRun(
  rows: Array<[string, string]>,
  /** `unreadable`: keys whose rows held a value the source could not read, staged after `rows` as extractChanges does. */
  options: { full?: boolean; batchSize?: number; mode?: SyncMode; allowEmptyMirror?: boolean; maxDeletes?: number | string; unreadable?: string[]; keysIgnoreCase?: boolean; keysAreNumbers?: boolean; dryRun?: boolean } = {},
) {
  const runId = `run-${++runNo}`;
  await openRun(db, { runId, spec: { ...spec, mode: options.mode ?? 'upsert' }, full: options.full ?? false, now: NOW, lease: true });
  const unreadable = options.unreadable ?? [];
  await stagePage(
    db,
    runId,
    0,
    [
      ...rows.map(([key, name]) => ({ key, fingerprint: fingerprint('t', { Name: name }), payload: JSON.stringify({ Name: name }) })),
      ...unreadable.map((key) => ({ key, fingerprint: '', payload: '{}', invalid: true as const })),
    ],
    unreadable.map((key) => ({ key, code: 'UNREADABLE_VALUE', message: `column name: cannot read "x" as date`, payload: null })),
    NOW,
  );
  const counts = await classifyChanges(db, {
    runId,
    syncName: spec.name,
    mode: options.mode ?? 'upsert',
    ...(options.allowEmptyMirror ? { allowEmptyMirror: true } : {}),
    ...(options.maxDeletes !== undefined ? { maxDeletes: options.maxDeletes } : {}),
    ...(options.keysIgnoreCase || options.keysAreNumbers ? { keyMatching: { ignoreCase: options.keysIgnoreCase === true, asNumbers: options.keysAreNumbers === true } } : {}),
    ...(options.dryRun ? { dryRun: true as const } : {}),
    batchSize: options.batchSize ?? 2,
    now: NOW,
  });
  return { runId, counts };
}

/** Commits every batch of a run with the given verdicts (default: all synced). */
async function commitAll(runId: string, counts: { batches: number }, rejectKeys: string[] = [], skipKeys: string[] = []) {
  for (let batchNo = 1; batchNo <= counts.batches; batchNo++) {
    const records = await readBatchRecords(db, runId, spec.name, batchNo);
    await commitBatch(db, {
      runId,
      syncName: spec.name,
      batchNo,
      records,
      outcomes: records.map((r): BatchOutcome => {
        if (rejectKeys.includes(r.key)) {
          return { key: r.key, status: 'rejected', error: { code: 'STRING_TOO_LONG', message: 'too long', fields: ['Name'] } };
        }
        if (skipKeys.includes(r.key)) return { key: r.key, status: 'skipped', reason: 'mode says so', destinationId: `id-${r.key}` };
        return { key: r.key, status: 'synced', destinationId: `id-${r.key}`, created: r.change === 'added' };
      }),
      apiCalls: 1,
      now: NOW,
    });
  }
  return closeRun(db, { runId, now: NOW });
}

describe('change detection against the committed snapshot', () => {
  it('sends everything first, then only what changed, then nothing', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex'], ['3', 'Initech']]);
    expect(first.counts).toMatchObject({ extracted: 3, added: 3, changed: 0, unchanged: 0, batches: 2 });
    expect((await commitAll(first.runId, first.counts)).counts).toMatchObject({ synced: 3, created: 3 });

    const second = await stageRun([['1', 'Acme Corp'], ['2', 'Globex'], ['3', 'Initech'], ['4', 'Umbrella']]);
    expect(second.counts).toMatchObject({ added: 1, changed: 1, unchanged: 2, batches: 1 });
    const batch = await readBatchRecords(db, second.runId, spec.name, 1);
    expect(batch.map((r) => [r.key, r.change, r.destinationId])).toEqual([
      ['1', 'changed', 'id-1'],
      ['4', 'added', null],
    ]);
    await commitAll(second.runId, second.counts);

    const third = await stageRun([['1', 'Acme Corp'], ['2', 'Globex'], ['3', 'Initech'], ['4', 'Umbrella']]);
    expect(third.counts).toMatchObject({ added: 0, changed: 0, unchanged: 4, batches: 0 });
  });

  it('counts keys that left the model as removed', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex']]);
    await commitAll(first.runId, first.counts);
    const second = await stageRun([['1', 'Acme']]);
    expect(second.counts).toMatchObject({ removed: 1, unchanged: 1 });
  });

  it('keeps rejected records out of the snapshot so the next run retries them', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'X'.repeat(300)]]);
    const summary = await commitAll(first.runId, first.counts, ['2']);
    expect(summary).toMatchObject({ status: 'partial', counts: { synced: 1, rejected: 1 } });
    const retry = await stageRun([['1', 'Acme'], ['2', 'X'.repeat(300)]]);
    expect(retry.counts).toMatchObject({ added: 1, unchanged: 1 });
  });

  it('never sends rows with a duplicate primary key, and reports each of them', async () => {
    const { runId, counts } = await stageRun([['1', 'Acme'], ['2', 'Globex'], ['1', 'Acme again']]);
    expect(counts).toMatchObject({ extracted: 3, added: 1, invalid: 2, batches: 1 });
    const invalid = await db.selectFrom('record_results').selectAll().where('run_id', '=', runId).execute();
    expect(invalid.map((r) => [r.key, r.status, r.error_code])).toEqual([
      ['1', 'invalid', 'DUPLICATE_PRIMARY_KEY'],
      ['1', 'invalid', 'DUPLICATE_PRIMARY_KEY'],
    ]);
  });

  it('for a destination matching keys ignoring case, sends no row of two keys naming one record, and says why', async () => {
    const { runId, counts } = await stageRun([['acme-1', 'Acme'], ['émile-2', 'Émile'], ['ACME-1', 'Acme Corp'], ['ÉMILE-2', 'Émile'], ['globex-3', 'Globex']], { keysIgnoreCase: true });
    expect(counts).toMatchObject({ extracted: 5, added: 1, invalid: 4, batches: 1 });
    const invalid = await db.selectFrom('record_results').select(['key', 'error_code', 'error_message']).where('run_id', '=', runId).orderBy('id').execute();
    expect(invalid.map((r) => [r.key, r.error_code])).toEqual([
      ['acme-1', 'DUPLICATE_PRIMARY_KEY'],
      ['émile-2', 'DUPLICATE_PRIMARY_KEY'],
      ['ACME-1', 'DUPLICATE_PRIMARY_KEY'],
      ['ÉMILE-2', 'DUPLICATE_PRIMARY_KEY'],
    ]);
    expect(invalid[0]?.error_message).toBe(
      'primary key acme-1 names the same record as ACME-1 (the destination matches keys ignoring letter case): 2 rows for one record; none of them is sent',
    );
  });

  it('for a Number key field, sends no row of keys written another way (`042`, `42.0`, `4.2E1`), and says why', async () => {
    const { runId, counts } = await stageRun([['042', 'Acme'], ['43', 'Globex'], ['42.0', 'Acme again'], ['4.2E1', 'Acme too'], ['ERP-7', 'Initech'], ['0.50', 'Half'], ['.5', 'Half again']], { keysAreNumbers: true });
    expect(counts).toMatchObject({ extracted: 7, added: 2, invalid: 5 });
    const invalid = await db.selectFrom('record_results').select(['key', 'error_code', 'error_message']).where('run_id', '=', runId).orderBy('id').execute();
    expect(invalid.map((r) => [r.key, r.error_code])).toEqual([
      ['042', 'DUPLICATE_PRIMARY_KEY'],
      ['42.0', 'DUPLICATE_PRIMARY_KEY'],
      ['4.2E1', 'DUPLICATE_PRIMARY_KEY'],
      ['0.50', 'DUPLICATE_PRIMARY_KEY'],
      ['.5', 'DUPLICATE_PRIMARY_KEY'],
    ]);
    expect(invalid[0]?.error_message).toBe(
      "primary key 042 names the same record as 42.0, 4.2E1 (the destination's key field is a Number, matched by value): 3 rows for one record; none of them is sent",
    );
  });

  it('where letter case tells keys apart, sends both', async () => {
    expect((await stageRun([['acme-9', 'Acme'], ['ACME-9', 'Acme Corp']])).counts).toMatchObject({ added: 2, invalid: 0 });
  });

  it('re-sends everything on a full resync', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex']]);
    await commitAll(first.runId, first.counts);
    const full = await stageRun([['1', 'Acme'], ['2', 'Globex']], { full: true });
    expect(full.counts).toMatchObject({ changed: 2, unchanged: 0 });
  });

  it('commits a batch once: a second commit of the same batch changes nothing', async () => {
    const { runId } = await stageRun([['1', 'Acme']]);
    const records = await readBatchRecords(db, runId, spec.name, 1);
    const input = {
      runId,
      syncName: spec.name,
      batchNo: 1,
      records,
      outcomes: [{ key: '1', status: 'synced' as const, destinationId: 'id-1', created: true }],
      apiCalls: 1,
      now: NOW,
    };
    expect(await commitBatch(db, input)).toMatchObject({ synced: 1, alreadyCommitted: false });
    expect(await commitBatch(db, input)).toMatchObject({ synced: 1, alreadyCommitted: true });
    expect(await db.selectFrom('record_results').selectAll().execute()).toHaveLength(1);
  });

  it('allows one running run per sync', async () => {
    await stageRun([['1', 'Acme']]);
    await expect(openRun(db, { runId: 'other', spec, full: false, now: NOW, lease: true })).rejects.toMatchObject({
      code: 'SYNC_ALREADY_RUNNING',
    });
  });
});

describe('sync modes decide what each change sends', () => {
  const snapshotKeys = async () =>
    (await db.selectFrom('snapshots').select('key').orderBy('key').execute()).map((r) => r.key);

  it('mirror: removed keys get delete batches of their own, with the stored destination id, and leave the snapshot', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex'], ['3', 'Initech']], { mode: 'mirror' });
    await commitAll(first.runId, first.counts);
    const second = await stageRun([['1', 'Acme Corp']], { mode: 'mirror', batchSize: 1 });
    expect(second.counts).toMatchObject({ extracted: 1, changed: 1, removed: 2, batches: 3 });
    expect((await getBatch(db, second.runId, 1)).operation).toBe('upsert');
    const deletes = [await readBatchRecords(db, second.runId, spec.name, 2), await readBatchRecords(db, second.runId, spec.name, 3)];
    expect(deletes.flat().map((r) => [r.key, r.change, r.destinationId])).toEqual([
      ['2', 'removed', 'id-2'],
      ['3', 'removed', 'id-3'],
    ]);
    expect((await getBatch(db, second.runId, 2)).operation).toBe('delete');
    const summary = await commitAll(second.runId, second.counts);
    expect(summary.counts).toMatchObject({ deleted: 2, updated: 1 });
    expect(await snapshotKeys()).toEqual(['1']);
    // Deleted keys are ours no longer: nothing left to remove on the next run.
    expect((await stageRun([['1', 'Acme Corp']], { mode: 'mirror' })).counts).toMatchObject({ removed: 0, batches: 0 });
  });

  it('mirror, keys matched ignoring case: a key back in another case (accented letters too) is not deleted; a dry run keeps the snapshot', async () => {
    const first = await stageRun([['émile-1', 'Émile'], ['acme-2', 'Acme']], { mode: 'mirror', keysIgnoreCase: true });
    await commitAll(first.runId, first.counts);
    // A dry run counts as a run would, and leaves the committed snapshot as it was.
    const preview = await stageRun([['ÉMILE-1', 'Émile'], ['ACME-2', 'Acme']], { mode: 'mirror', keysIgnoreCase: true, dryRun: true });
    expect(preview.counts).toMatchObject({ added: 2, removed: 0, skipped: 2 });
    expect(await snapshotKeys()).toEqual(['acme-2', 'émile-1']);
    await closeRun(db, { runId: preview.runId, now: NOW });
    const second = await stageRun([['ÉMILE-1', 'Émile'], ['ACME-2', 'Acme']], { mode: 'mirror', keysIgnoreCase: true });
    expect(second.counts).toMatchObject({ added: 2, removed: 0, skipped: 2 });
    const sent = [];
    for (let batchNo = 1; batchNo <= second.counts.batches; batchNo++) sent.push(...(await readBatchRecords(db, second.runId, spec.name, batchNo)));
    expect(sent.map((r) => [r.key, r.change])).toEqual([
      ['ÉMILE-1', 'added'],
      ['ACME-2', 'added'],
    ]);
  });

  it('mirror, keys matched ignoring case: the record stays tracked when the re-cased key\'s write fails, and a later removal deletes it', async () => {
    const first = await stageRun([['acme-1', 'Acme'], ['globex', 'Globex']], { mode: 'mirror', keysIgnoreCase: true });
    await commitAll(first.runId, first.counts);
    const recased = await stageRun([['ACME-1', 'Acme'], ['globex', 'Globex']], { mode: 'mirror', keysIgnoreCase: true });
    expect(recased.counts).toMatchObject({ added: 1, removed: 0, skipped: 1 });
    await commitAll(recased.runId, recased.counts, ['ACME-1']);
    expect(await snapshotKeys()).toEqual(['ACME-1', 'globex']);
    const gone = await stageRun([['globex', 'Globex']], { mode: 'mirror', keysIgnoreCase: true });
    expect(gone.counts).toMatchObject({ removed: 1 });
    const sent = [];
    for (let batchNo = 1; batchNo <= gone.counts.batches; batchNo++) sent.push(...(await readBatchRecords(db, gone.runId, spec.name, batchNo)));
    // Deleted by the id acme-1 was synced with.
    expect(sent.map((r) => [r.key, r.change, r.destinationId])).toEqual([['ACME-1', 'removed', 'id-acme-1']]);
  });

  it('mirror: a key whose row could not be read is invalid, not removed: its record is kept', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex'], ['3', 'Initech']], { mode: 'mirror' });
    await commitAll(first.runId, first.counts);
    const second = await stageRun([['1', 'Acme Corp']], { mode: 'mirror', unreadable: ['2'] });
    expect(second.counts).toMatchObject({ extracted: 2, changed: 1, removed: 1, invalid: 1 });
    const sent = [];
    for (let batchNo = 1; batchNo <= second.counts.batches; batchNo++) sent.push(...(await readBatchRecords(db, second.runId, spec.name, batchNo)));
    expect(sent.map((r) => [r.key, r.change])).toEqual([
      ['1', 'changed'],
      ['3', 'removed'],
    ]);
    const results = await recordResults(db, second.runId, true);
    expect(results.map((r) => [r.key, r.status, r.error?.code])).toEqual([['2', 'invalid', 'UNREADABLE_VALUE']]);
    await commitAll(second.runId, second.counts);
    expect(await snapshotKeys()).toEqual(['1', '2']);
  });

  it('a run that failed during its extract counts the invalid rows of the pages it read, as it lists them', async () => {
    const runId = `run-${++runNo}`;
    await openRun(db, { runId, spec, full: false, now: NOW, lease: true });
    await stagePage(db, runId, 0, [{ key: '1', fingerprint: 'f', payload: '{}' }], [{ key: null, code: 'NULL_PRIMARY_KEY', message: 'row 2: primary key id is NULL', payload: null }], NOW);
    // The next page failed (the warehouse went away): the extract never classified, and the run closed.
    const summary = await closeRun(db, { runId, now: NOW, error: { code: 'SOURCE_UNAVAILABLE', message: 'connection lost' } });
    expect(summary.counts.invalid).toBe(1);
    expect((await recordResults(db, runId, true)).map((r) => r.status)).toEqual(['invalid']);
  });

  it('an unreadable row sharing its key with another row makes both invalid, each reported once', async () => {
    const { runId, counts } = await stageRun([['1', 'Acme'], ['2', 'Globex']], { unreadable: ['1'] });
    expect(counts).toMatchObject({ extracted: 3, added: 1, invalid: 2, batches: 1 });
    const invalid = await db.selectFrom('record_results').select(['key', 'error_code']).where('run_id', '=', runId).orderBy('id').execute();
    expect(invalid.map((r) => [r.key, r.error_code])).toEqual([
      ['1', 'UNREADABLE_VALUE'],
      ['1', 'DUPLICATE_PRIMARY_KEY'],
    ]);
  });

  it('upsert: removed keys are counted once, never sent, and forgotten: a later switch to mirror does not delete their records', async () => {
    const run = async (rows: Array<[string, string]>, options: { mode?: SyncMode; dryRun?: boolean } = {}) => {
      const staged = await stageRun(rows, options);
      await commitAll(staged.runId, staged.counts);
      return staged.counts;
    };
    await run([['1', 'Acme'], ['2', 'Globex']]);
    expect(await run([['1', 'Acme']])).toMatchObject({ removed: 1, batches: 0 });
    // Kept, key 2 was counted removed again every run.
    expect(await run([['1', 'Acme']])).toMatchObject({ removed: 0, unchanged: 1 });
    // Kept, the first mirror run deleted Globex, whose row had left long before the switch.
    expect(await run([['1', 'Acme']], { mode: 'mirror' })).toMatchObject({ removed: 0, batches: 0 });
    // Back in the model, the row is added again (its record is found by its key).
    expect(await run([['1', 'Acme'], ['2', 'Globex']])).toMatchObject({ added: 1, unchanged: 1 });
  });

  it('upsert: a dry run counts a removed key and keeps it', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex']]);
    await commitAll(first.runId, first.counts);
    const preview = await stageRun([['1', 'Acme']], { dryRun: true });
    expect(preview.counts).toMatchObject({ removed: 1 });
    await commitAll(preview.runId, preview.counts);
    expect((await stageRun([['1', 'Acme']])).counts).toMatchObject({ removed: 1 });
  });

  it('mirror refuses a run that would delete more than maxDeletes (a number or a share), sending nothing', async () => {
    const rows: Array<[string, string]> = [['1', 'Acme'], ['2', 'Globex'], ['3', 'Initech'], ['4', 'Umbrella']];
    const first = await stageRun(rows, { mode: 'mirror' });
    await commitAll(first.runId, first.counts);
    // A table half loaded upstream: three of four rows gone.
    await expect(stageRun(rows.slice(0, 1), { mode: 'mirror', maxDeletes: '50%' })).rejects.toMatchObject({
      code: 'MIRROR_DELETE_LIMIT',
      message: 'mirror mode would delete 3 of the 4 records this sync holds, more than maxDeletes (50%: 2); nothing was sent. If the model is right, raise maxDeletes in the sync for one run',
    });
    const refused = async () => closeRun(db, { runId: `run-${runNo}`, now: NOW, error: { code: 'MIRROR_DELETE_LIMIT', message: 'refused' } });
    await refused();
    expect(await snapshotKeys()).toEqual(['1', '2', '3', '4']);
    await expect(stageRun(rows.slice(0, 1), { mode: 'mirror', maxDeletes: 2 })).rejects.toMatchObject({ code: 'MIRROR_DELETE_LIMIT' });
    await refused();
    // Within the limit, the deletes go.
    const within = await stageRun(rows.slice(0, 2), { mode: 'mirror', maxDeletes: '50%' });
    expect(within.counts).toMatchObject({ removed: 2, batches: 1 });
  });

  it('mirror refuses to delete everything when the model returns no rows, unless allowed', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'mirror' });
    await commitAll(first.runId, first.counts);
    await expect(stageRun([], { mode: 'mirror' })).rejects.toMatchObject({ code: 'MIRROR_EMPTY_MODEL' });
    expect(await snapshotKeys()).toEqual(['1', '2']);
    await closeRun(db, { runId: `run-${runNo}`, now: NOW, error: { code: 'MIRROR_EMPTY_MODEL', message: 'refused' } });
    expect(await db.selectFrom('batches').selectAll().where('run_id', '=', `run-${runNo}`).execute()).toEqual([]);
    const allowed = await stageRun([], { mode: 'mirror', allowEmptyMirror: true });
    expect(allowed.counts).toMatchObject({ removed: 2, batches: 1 });
  });

  it('insert: changed rows are skipped with a reason and never batched', async () => {
    const first = await stageRun([['1', 'Acme']], { mode: 'insert' });
    expect((await getBatch(db, first.runId, 1)).operation).toBe('insert');
    await commitAll(first.runId, first.counts);
    const second = await stageRun([['1', 'Acme Corp'], ['2', 'Globex']], { mode: 'insert' });
    expect(second.counts).toMatchObject({ added: 1, changed: 1, skipped: 1, batches: 1 });
    const skipped = await db.selectFrom('record_results').selectAll().where('run_id', '=', second.runId).execute();
    expect(skipped.map((r) => [r.key, r.status, r.error_message])).toEqual([['1', 'skipped', 'insert mode does not send changed rows']]);
    expect((await readBatchRecords(db, second.runId, spec.name, 1)).map((r) => r.key)).toEqual(['2']);
  });

  it('insert: a record the destination already holds is skipped and committed, so it is not looked up again', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'insert' });
    const summary = await commitAll(first.runId, first.counts, [], ['2']);
    expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 1, skipped: 1 } });
    expect(await snapshotKeys()).toEqual(['1', '2']);
    // Left alone by insert mode, run after run; sent once the sync writes (it switched to upsert).
    const again = await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'insert' });
    expect(again.counts).toMatchObject({ unchanged: 2, changed: 0, skipped: 0 });
    await closeRun(db, { runId: again.runId, now: NOW });
    const upsert = await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'upsert' });
    expect(upsert.counts).toMatchObject({ unchanged: 1, changed: 1 });
    expect((await readBatchRecords(db, upsert.runId, spec.name, 1)).map((r) => [r.key, r.destinationId])).toEqual([['2', 'id-2']]);
    await commitAll(upsert.runId, upsert.counts);
    expect((await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'upsert' })).counts).toMatchObject({ unchanged: 2, changed: 0 });
  });

  it('update: a key the destination does not hold is skipped and stays uncommitted, to be looked for next run', async () => {
    const first = await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'update' });
    expect((await getBatch(db, first.runId, 1)).operation).toBe('update');
    const summary = await commitAll(first.runId, first.counts, [], ['2']);
    expect(summary).toMatchObject({ status: 'succeeded', counts: { synced: 1, skipped: 1 } });
    expect(await snapshotKeys()).toEqual(['1']);
    expect((await stageRun([['1', 'Acme'], ['2', 'Globex']], { mode: 'update' })).counts).toMatchObject({ added: 1, unchanged: 1 });
  });

  it('lists skipped records with their reason, but not among the failed ones', async () => {
    const { runId, counts } = await stageRun([['1', 'Acme'], ['2', 'Globex'], ['3', 'Initech']], { mode: 'update', batchSize: 3 });
    await commitAll(runId, counts, ['3'], ['2']);
    expect((await recordResults(db, runId, false)).map((r) => [r.key, r.status, r.error?.message ?? null])).toEqual([
      ['1', 'synced', null],
      ['2', 'skipped', 'mode says so'],
      ['3', 'rejected', 'too long'],
    ]);
    expect((await recordResults(db, runId, true)).map((r) => r.key)).toEqual(['3']);
  });
});

describe('extract fences', () => {
  const page = [{ key: '1', fingerprint: 'f', payload: '{}' }];

  it('refuses the pages and the diff of an attempt whose staging a later attempt took over', async () => {
    await openRun(db, { runId: 'fenced', spec, full: false, now: NOW, lease: true });
    const stale = await resetStaging(db, 'fenced');
    await stagePage(db, 'fenced', 0, page, [], NOW, stale);
    const current = await resetStaging(db, 'fenced');
    await expect(stagePage(db, 'fenced', 1, page, [], NOW, stale)).rejects.toMatchObject({
      code: 'EXTRACT_SUPERSEDED',
      message: "a later attempt of run fenced's extract has taken over its staging; this attempt stops",
    });
    const input = { runId: 'fenced', syncName: spec.name, mode: 'upsert' as const, batchSize: 2, now: NOW };
    await expect(classifyChanges(db, { ...input, fence: stale })).rejects.toMatchObject({ code: 'EXTRACT_SUPERSEDED' });
    await stagePage(db, 'fenced', 0, page, [], NOW, current);
    expect(await classifyChanges(db, { ...input, fence: current })).toMatchObject({ extracted: 1, added: 1 });
  });

  it('refuses the pages of an extract still running when its run was closed (cancelled)', async () => {
    await openRun(db, { runId: 'closed', spec, full: false, now: NOW, lease: true });
    const fence = await resetStaging(db, 'closed');
    await closeRun(db, { runId: 'closed', now: NOW, error: { code: 'CANCELLED', message: 'cancelled' } });
    await expect(stagePage(db, 'closed', 0, page, [], NOW, fence)).rejects.toMatchObject({
      code: 'EXTRACT_SUPERSEDED',
      message: 'run closed is past extracting (finished); this extract attempt stops',
    });
    await expect(resetStaging(db, 'closed')).rejects.toMatchObject({ code: 'EXTRACT_SUPERSEDED' });
  });
});

describe('batch attempt fences', () => {
  it('refuses the checkpoint saves and the commit of an attempt whose batch a later attempt took over', async () => {
    const { runId } = await stageRun([['1', 'Acme']]);
    await claimBatch(db, runId, 1, 'stale');
    await saveBatchCheckpoint(db, runId, 1, '{"posted":[]}', 'stale');
    expect(await claimBatch(db, runId, 1, 'current')).toMatchObject({ attempt_fence: 'current', checkpoint: '{"posted":[]}' });
    await expect(saveBatchCheckpoint(db, runId, 1, '{"posted":["1"]}', 'stale')).rejects.toMatchObject({
      code: 'BATCH_SUPERSEDED',
      message: `a later attempt has taken over batch 1 of run ${runId} (or committed it); this attempt stops`,
    });
    const records = await readBatchRecords(db, runId, spec.name, 1);
    const commit = (fence: string) =>
      commitBatch(db, {
        runId,
        syncName: spec.name,
        batchNo: 1,
        records,
        outcomes: [{ key: '1', status: 'synced', destinationId: 'id-1', created: true }],
        apiCalls: 1,
        now: NOW,
        fence,
      });
    await expect(commit('stale')).rejects.toMatchObject({ code: 'BATCH_SUPERSEDED' });
    expect(await db.selectFrom('record_results').selectAll().execute()).toHaveLength(0);
    await saveBatchCheckpoint(db, runId, 1, '{"posted":["1"]}', 'current');
    expect(await commit('current')).toMatchObject({ synced: 1, alreadyCommitted: false });
    // Committed: nothing more is saved for it, and a late commit finds it done.
    await expect(saveBatchCheckpoint(db, runId, 1, '{}', 'current')).rejects.toMatchObject({ code: 'BATCH_SUPERSEDED' });
    expect(await commit('stale')).toMatchObject({ alreadyCommitted: true });
  });
});
