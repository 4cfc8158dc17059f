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
});
