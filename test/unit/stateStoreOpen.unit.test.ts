import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStateStore } from '../../src/state/database';
import { migrateTo, pendingMigrations } from '../../src/state/migrations';

const newStoreUrl = () => `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'backflow-open-')), 'state.db')}`;

describe('opening the state store to read history (runs, records)', () => {
  it('gives a new store its schema', async () => {
    const db = await openStateStore(newStoreUrl(), { migrate: 'fresh-only' });
    try {
      expect((await pendingMigrations(db)).pending).toEqual([]);
      expect(await db.selectFrom('runs').select('run_id').execute()).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('never migrates a store an older version still uses: it says so, and leaves the schema as it was', async () => {
    const url = newStoreUrl();
    const older = await openStateStore(url, { migrate: false });
    await migrateTo(older, '011_write_back_owed');
    try {
      await expect(openStateStore(url, { migrate: 'fresh-only' })).rejects.toMatchObject({
        code: 'STATE_STORE_OUTDATED',
        message: expect.stringContaining('lacks migrations this version of backflow reads with (012_results_page_index, 013_run_opened_by, 014_alert_opened_channels)') as unknown,
      });
      expect((await pendingMigrations(older)).pending).toEqual(['012_results_page_index', '013_run_opened_by', '014_alert_opened_channels']);
    } finally {
      await older.destroy();
    }
    // A worker of this version (or backflow migrate) applies them.
    const current = await openStateStore(url);
    try {
      expect((await pendingMigrations(current)).pending).toEqual([]);
    } finally {
      await current.destroy();
    }
  });
});
