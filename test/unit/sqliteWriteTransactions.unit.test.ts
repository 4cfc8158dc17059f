import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStateStore } from '../../src/state/database';

describe('a SQLite state store transaction', () => {
  it('takes the write lock when it begins, so another process waits its turn instead of failing SQLITE_BUSY', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'backflow-sqlite-tx-')), 'state.db');
    const db = await openStateStore(`sqlite:${file}`);
    // Another process's connection that would give up at once rather than wait.
    const other = new Database(file);
    other.pragma('busy_timeout = 0');
    try {
      let otherWrite: unknown;
      await db.transaction().execute(async (trx) => {
        // Only a read so far: a deferred transaction would hold no write lock yet.
        await trx.selectFrom('runs').select('run_id').execute();
        try {
          other.exec('BEGIN IMMEDIATE');
          other.exec('ROLLBACK');
        } catch (err) {
          otherWrite = err;
        }
      });
      expect(otherWrite).toMatchObject({ code: 'SQLITE_BUSY' });
      // Once committed, the lock is free again.
      expect(() => {
        other.exec('BEGIN IMMEDIATE');
        other.exec('ROLLBACK');
      }).not.toThrow();
    } finally {
      other.close();
      await db.destroy();
    }
  });

  it("waits for another process's write lock without holding the event loop, and writes once it is free", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'backflow-sqlite-tx-')), 'state.db');
    const db = await openStateStore(`sqlite:${file}`);
    // Another process holding the write lock (a CLI's classify, a prune), released 300 ms later by a
    // timer: with SQLite waiting inside the call, that timer could never run, and the write failed
    // SQLITE_BUSY after 10 s with the worker frozen throughout.
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 20);
    setTimeout(() => other.exec('COMMIT'), 300);
    try {
      const started = performance.now();
      await db.updateTable('runs').set({ status: 'failed' }).where('run_id', '=', 'none').execute();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(ticks).toBeGreaterThanOrEqual(5);
    } finally {
      clearInterval(ticking);
      other.close();
      await db.destroy();
    }
  });
});
