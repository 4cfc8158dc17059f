import Database from 'better-sqlite3';
import { openStateStore, type StateDb } from '../../src/state/database';
import { insertJsonRows } from '../../src/state/jsonRows';
import { withStatementCache } from '../../src/state/statementCache';

describe('prepared statement cache', () => {
  it('hands out the same statement for the same SQL, and a fresh one while it is being iterated', () => {
    const raw = new Database(':memory:');
    const cached = withStatementCache(raw);
    const first = cached.prepare('SELECT 1 AS one');
    expect(cached.prepare('SELECT 1 AS one')).toBe(first);
    const iterating = cached.prepare('SELECT value FROM json_each(?)');
    const rows = iterating.iterate(['[1,2]']);
    rows.next();
    const second = cached.prepare('SELECT value FROM json_each(?)');
    expect(second).not.toBe(iterating);
    expect(second.all(['[3]'])).toEqual([{ value: 3 }]);
    rows.return?.();
    cached.close();
  });
});

describe('insertJsonRows', () => {
  let db: StateDb;
  beforeEach(async () => {
    db = await openStateStore('sqlite::memory:');
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('stores every value with its own type: texts that look like numbers, quotes, unicode, JSON text, nulls', async () => {
    const snapshots = [
      { sync_name: 's', key: '007', fingerprint: 'f"1', destination_id: null, run_id: 'r', synced_at: '2026-11-26T00:00:00Z' },
      { sync_name: 's', key: 'Zoë 🚀', fingerprint: '{"a":[1,2]}', destination_id: '001x', run_id: 'r', synced_at: '2026-11-26T00:00:00Z' },
    ];
    await insertJsonRows(db, 'snapshots', ['sync_name', 'key', 'fingerprint', 'destination_id', 'run_id', 'synced_at'], snapshots);
    const stored = await db.selectFrom('snapshots').selectAll().orderBy('key').execute();
    expect(stored).toEqual(snapshots);
  });

  it('keeps integers integers and applies the ON CONFLICT clause it is given', async () => {
    const { sql } = await import('kysely');
    const row = (fingerprint: string, destination: string | null) => ({
      sync_name: 's', key: 'k', fingerprint, destination_id: destination, run_id: 'r', synced_at: 'now',
    });
    const columns = ['sync_name', 'key', 'fingerprint', 'destination_id', 'run_id', 'synced_at'] as const;
    const upsert = sql`ON CONFLICT (sync_name, key) DO UPDATE SET fingerprint = excluded.fingerprint,
      destination_id = COALESCE(excluded.destination_id, snapshots.destination_id)`;
    await insertJsonRows(db, 'snapshots', columns, [row('a', 'id-1')], upsert);
    await insertJsonRows(db, 'snapshots', columns, [row('b', null)], upsert);
    expect(await db.selectFrom('snapshots').select(['fingerprint', 'destination_id']).execute()).toEqual([{ fingerprint: 'b', destination_id: 'id-1' }]);

    await insertJsonRows(db, 'staged_rows', ['run_id', 'seq', 'key', 'fingerprint', 'payload'], [{ run_id: 'r', seq: 41, key: 'k', fingerprint: 'f', payload: '{}' }]);
    const staged = await db.selectFrom('staged_rows').select(['seq', 'key', 'change']).execute();
    expect(staged).toEqual([{ seq: 41, key: 'k', change: null }]);
  });
});

describe('record_results indexes', () => {
  const indexesOf = async (db: StateDb) => {
    const { sql } = await import('kysely');
    const rows = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'record_results' AND sql IS NOT NULL ORDER BY name`.execute(db);
    return rows.rows.map((row) => row.name);
  };

  it('are only those its queries use (every synced record writes each one), on a new store and an upgraded one', async () => {
    const { migrateTo, migrateToLatest } = await import('../../src/state/migrations');
    const { opsDb } = await import('../../src/ops/schema');
    const fresh = await openStateStore('sqlite::memory:');
    const upgraded = await openStateStore('sqlite::memory:', { migrate: false });
    try {
      await opsDb(fresh);
      expect(await indexesOf(fresh)).toEqual(['record_results_by_key', 'record_results_by_run']);
      await migrateTo(upgraded, '009_alert_delivery');
      // What 003_operations created before 010: the store of an earlier version.
      await upgraded.schema.createIndex('record_results_by_recorded_at').on('record_results').column('recorded_at').execute();
      expect(await migrateToLatest(upgraded)).toEqual(['010_drop_results_by_recorded_at', '011_write_back_owed', '012_results_page_index', '013_run_opened_by', '014_alert_opened_channels', '015_run_destination_locator', '016_sync_renames', '017_run_after_run_pending', '018_run_temporal_namespace']);
      await opsDb(upgraded);
      expect(await indexesOf(upgraded)).toEqual(['record_results_by_key', 'record_results_by_run']);
    } finally {
      await fresh.destroy();
      await upgraded.destroy();
    }
  });
});
