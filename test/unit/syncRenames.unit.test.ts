import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { opsDb } from '../../src/ops/schema';
import { openStateStore, type StateDb } from '../../src/state/database';
import type { SyncSpec } from '../../src/config/schema';
import { openRun } from '../../src/state/runs';
import { adoptRenamedSync, renameOf } from '../../src/state/syncRenames';

const NOW = '2026-11-27T10:00:00.000Z';
let db: StateDb;

beforeEach(async () => {
  db = await openStateStore(`sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'backflow-renames-')), 'state.db')}`);
});
afterEach(async () => {
  await db.destroy();
});

async function openIncident(sync: string, kind: string, openedAt: string): Promise<void> {
  await (await opsDb(db))
    .insertInto('alert_incidents')
    .values({ sync_name: sync, kind, opened_at: openedAt, resolved_at: null, detail: `${kind} of ${sync}`, run_id: null, open_pending: null, resolve_pending: null, opened_channels: null, resolved_detail: null, resolved_run_id: null, delivery_lease_until: null })
    .execute();
}

async function incidents(): Promise<string[]> {
  const rows = await (await opsDb(db)).selectFrom('alert_incidents').select(['sync_name', 'detail']).orderBy('detail').execute();
  return rows.map((row) => `${row.sync_name}: ${row.detail}`);
}

describe('adoptRenamedSync', () => {
  it('moves the alert incidents, but leaves an open one behind where the new name has one of that kind open', async () => {
    await openIncident('old', 'failed', '2026-11-26T00:00:00.000Z');
    await openIncident('old', 'stale', '2026-11-26T00:00:00.000Z');
    await openIncident('new', 'failed', '2026-11-26T01:00:00.000Z');
    expect(await adoptRenamedSync(db, { from: 'old', to: 'new', now: NOW })).toEqual({ runs: 0, records: 0 });
    expect(await incidents()).toEqual(['new: failed of new', 'old: failed of old', 'new: stale of old']);
    expect(await renameOf(db, 'old')).toEqual({ from: 'old', to: 'new', renamedAt: NOW });
    // Done once: taking over again does nothing.
    expect(await adoptRenamedSync(db, { from: 'old', to: 'new', now: NOW })).toBeUndefined();
  });

  it('refuses a name given up to another sync, and forgets a rename once the name is taken back', async () => {
    await adoptRenamedSync(db, { from: 'a', to: 'b', now: NOW });
    await expect(adoptRenamedSync(db, { from: 'a', to: 'c', now: NOW })).rejects.toMatchObject({ code: 'SYNC_RENAME_CONFLICT', message: expect.stringContaining('a was renamed to b') as unknown });
    // Renamed back: a is in use again, b given up.
    await adoptRenamedSync(db, { from: 'b', to: 'a', now: NOW });
    expect(await renameOf(db, 'a')).toBeUndefined();
    expect(await renameOf(db, 'b')).toMatchObject({ to: 'a' });
  });

  it('is not held back by a dry run of the old name (it commits nothing; closing it as abandoned alerted)', async () => {
    await openRun(db, { runId: 'preview:1', spec: { name: 'old' } as unknown as SyncSpec, full: false, now: NOW, lease: false });
    expect(await adoptRenamedSync(db, { from: 'old', to: 'new', now: NOW })).toEqual({ runs: 1, records: 0 });
  });
});

