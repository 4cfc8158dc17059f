import { sql } from 'kysely';
import { openStateStore, type StateDb } from '../../src/state/database';
import { readBatchRecords } from '../../src/state/batches';
import { migrateTo, migrateToLatest } from '../../src/state/migrations';

let db: StateDb;
beforeEach(async () => {
  db = await openStateStore('sqlite::memory:', { migrate: false });
});
afterEach(async () => {
  await db.destroy();
});

describe('migration 006_batch_ranges', () => {
  it('gives the batches of a run in flight the seq ranges of their numbered rows, so it resumes after the upgrade', async () => {
    await migrateTo(db, '005_batch_read_index');
    // A run staged and numbered by the older code: 5 rows, batches of 2, batch 1 already committed.
    for (const [seq, batch] of [[0, 1], [1, 1], [2, 2], [3, 2], [4, 3]] as const) {
      await sql`INSERT INTO staged_rows (run_id, seq, key, fingerprint, payload, change, batch_no)
                VALUES ('r', ${seq}, ${`k${seq}`}, 'f', ${`{"n":${seq}}`}, 'added', ${batch})`.execute(db);
    }
    for (const [batch, size, committed] of [[1, 2, 1], [2, 2, 0], [3, 1, 0]] as const) {
      await sql`INSERT INTO batches (run_id, batch_no, size, committed, synced, rejected, created, updated, api_calls, operation, skipped, deleted)
                VALUES ('r', ${batch}, ${size}, ${committed}, 0, 0, 0, 0, 0, 'upsert', 0, 0)`.execute(db);
    }

    expect(await migrateToLatest(db)).toContain('006_batch_ranges');

    const batches = await db.selectFrom('batches').select(['batch_no', 'first_seq', 'last_seq']).orderBy('batch_no').execute();
    expect(batches).toEqual([
      { batch_no: 1, first_seq: null, last_seq: null },
      { batch_no: 2, first_seq: 2, last_seq: 3 },
      { batch_no: 3, first_seq: 4, last_seq: 4 },
    ]);
    expect((await readBatchRecords(db, 'r', 's', 2)).map((record) => record.key)).toEqual(['k2', 'k3']);
    expect((await readBatchRecords(db, 'r', 's', 3)).map((record) => record.key)).toEqual(['k4']);
  });
});
