import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStateStore } from '../../src/state/database';
import { sql } from 'kysely';
import { migrateTo, pendingMigrations } from '../../src/state/migrations';

/** Opening the store as a worker does leaves no migration pending. */
async function expectMigratedOnOpen(url: string): Promise<void> {
  const current = await openStateStore(url);
  try {
    expect((await pendingMigrations(current)).pending).toEqual([]);
  } finally {
    await current.destroy();
  }
}

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
        message: expect.stringContaining('lacks migrations this version of backflow reads with (012_results_page_index, 013_run_opened_by, 014_alert_opened_channels, 015_run_destination_locator, 016_sync_renames, 017_run_after_run_pending, 018_run_temporal_namespace)') as unknown,
      });
      expect((await pendingMigrations(older)).pending).toEqual(['012_results_page_index', '013_run_opened_by', '014_alert_opened_channels', '015_run_destination_locator', '016_sync_renames', '017_run_after_run_pending', '018_run_temporal_namespace']);
    } finally {
      await older.destroy();
    }
    // A worker of this version (or backflow migrate) applies them.
    await expectMigratedOnOpen(url);
  });
});

describe('migrating a SQLite store', () => {
  it('applies the pending migrations all or none: one failing leaves the store as it was, to migrate again once mended', async () => {
    const url = newStoreUrl();
    const older = await openStateStore(url, { migrate: false });
    try {
      await migrateTo(older, '011_write_back_owed');
      // A column 014 adds, there already (a hand edit, say): 014 fails after 012 and 013 ran.
      await sql`ALTER TABLE alert_incidents ADD COLUMN opened_channels text`.execute(older);
      await expect(openStateStore(url)).rejects.toThrow(/migration 014_alert_opened_channels/);
      expect((await pendingMigrations(older)).pending).toEqual(['012_results_page_index', '013_run_opened_by', '014_alert_opened_channels', '015_run_destination_locator', '016_sync_renames', '017_run_after_run_pending', '018_run_temporal_namespace']);
      const runColumns = await sql<{ name: string }>`SELECT name FROM pragma_table_info('runs')`.execute(older);
      expect(runColumns.rows.map((column) => column.name)).not.toContain('opened_by');
      await sql`ALTER TABLE alert_incidents DROP COLUMN opened_channels`.execute(older);
    } finally {
      await older.destroy();
    }
    await expectMigratedOnOpen(url);
  });
});

describe('a SQLite state store URL naming something that cannot be the store', () => {
  const scratch = () => mkdtempSync(path.join(tmpdir(), 'backflow-open-'));

  it('names the store and the file, and leaves a file that is not a database as it was', async () => {
    // BACKFLOW_STATE_URL pointed at the warehouse, or at another program's file, by mistake.
    const file = path.join(scratch(), 'warehouse.csv');
    writeFileSync(file, 'id,name\n1,Acme\n'.repeat(200));
    await expect(openStateStore(`sqlite:${file}`)).rejects.toMatchObject({
      code: 'STATE_STORE_UNREACHABLE',
      message: `cannot open the SQLite state store ${file}: file is not a database`,
    });
    expect(readFileSync(file, 'utf8')).toBe('id,name\n1,Acme\n'.repeat(200));
  });

  it('names the store and the path when the path is a directory', async () => {
    const dir = path.join(scratch(), 'state');
    mkdirSync(dir);
    await expect(openStateStore(`sqlite:${dir}`, { migrate: 'fresh-only' })).rejects.toMatchObject({
      code: 'STATE_STORE_UNREACHABLE',
      message: `cannot open the SQLite state store ${dir}: unable to open database file`,
    });
  });
});
