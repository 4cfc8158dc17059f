import { sql } from 'kysely';
import type { SyncSpec } from '../../src/config/schema';
import { PRUNE_CHUNK, pruneRecordResults } from '../../src/ops/retention';
import { openStateStore } from '../../src/state/database';
import { openRun } from '../../src/state/runs';

async function runWithResults(db: Awaited<ReturnType<typeof openStateStore>>, runId: string, finishedAt: string, results: number): Promise<void> {
  await openRun(db, { runId, spec: { name: runId } as unknown as SyncSpec, full: false, now: finishedAt, lease: false });
  await db.updateTable('runs').set({ finished_at: finishedAt }).where('run_id', '=', runId).execute();
  await sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${results})
    INSERT INTO record_results (run_id, key, batch_no, change, status, destination_id, created, error_code, error_message, error_fields, payload, recorded_at)
    SELECT ${runId}, 'k' || i, 1, 'added', 'synced', NULL, 1, NULL, NULL, NULL, '{}', ${finishedAt} FROM n`.execute(db);
}

describe('pruneRecordResults', () => {
  it('deletes every result past retention in chunks, letting the event loop turn between them (heartbeats, other writers)', async () => {
    const db = await openStateStore('sqlite::memory:');
    try {
      await runWithResults(db, 'old', '2026-01-01T00:00:00.000Z', PRUNE_CHUNK * 2 + 123);
      await runWithResults(db, 'recent', '2026-11-01T00:00:00.000Z', 7);
      let timerRan = false;
      setTimeout(() => {
        timerRan = true;
      }, 0);
      const pruned = await pruneRecordResults(db, 30 * 86_400_000, new Date('2026-11-02T00:00:00.000Z'));
      // The timer was due from the start: it ran while the prune was still going.
      const ranDuringPrune = timerRan;
      expect(pruned.records).toBe(PRUNE_CHUNK * 2 + 123);
      expect(ranDuringPrune).toBe(true);
      const left = await db.selectFrom('record_results').select('run_id').distinct().execute();
      expect(left).toEqual([{ run_id: 'recent' }]);
    } finally {
      await db.destroy();
    }
  });

  it('deletes a dry run a killed process left behind (its staged rows too) a day after it started, not one still going', async () => {
    const db = await openStateStore('sqlite::memory:');
    try {
      const preview = async (runId: string, startedAt: string) => {
        await openRun(db, { runId, spec: { name: 'accounts' } as unknown as SyncSpec, full: false, now: startedAt, lease: false });
        await sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PRUNE_CHUNK + 10})
          INSERT INTO staged_rows (run_id, seq, key, fingerprint, payload, change) SELECT ${runId}, i, 'k' || i, 'f', '{}', 'added' FROM n`.execute(db);
      };
      await preview('preview:killed', '2026-11-01T00:00:00.000Z');
      await preview('preview:going', '2026-11-02T23:00:00.000Z');
      const pruned = await pruneRecordResults(db, 30 * 86_400_000, new Date('2026-11-03T00:00:00.000Z'));
      expect(pruned.previews).toBe(1);
      expect(await db.selectFrom('runs').select('run_id').execute()).toEqual([{ run_id: 'preview:going' }]);
      expect(await db.selectFrom('staged_rows').select('run_id').distinct().execute()).toEqual([{ run_id: 'preview:going' }]);
    } finally {
      await db.destroy();
    }
  });
});
