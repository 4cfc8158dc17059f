import { sql, type RawBuilder } from 'kysely';
import type { StateDb } from './database';

/**
 * Where a sync's snapshot is set aside while a full resync takes the sync to a moved destination
 * (engine/destinationLocator.ts): under a name no sync can have (`#` is not in a sync name).
 */
function stashName(syncName: string, runId: string): string {
  return `#moved:${runId}:${syncName}`;
}

/**
 * Sets the sync's snapshot aside for run `runId`: what the old destination held is not what the new
 * one holds, so the run sends every row as added and no old record id is acted on there.
 */
export async function stashSnapshot(db: StateDb, syncName: string, runId: string): Promise<void> {
  await db.updateTable('snapshots').set({ sync_name: stashName(syncName, runId) }).where('sync_name', '=', syncName).execute();
}

/**
 * At the close of a run that set the snapshot aside: dropped once the run has written something at the
 * new destination (it is the sync's from then on); put back when it wrote nothing there (failed at
 * once, cancelled), so pointing the connection back finds the old destination's snapshot as it was
 * and sends nothing twice.
 */
export async function settleStashedSnapshot(db: StateDb, syncName: string, runId: string): Promise<void> {
  const stash = stashName(syncName, runId);
  const stashed = await db.selectFrom('snapshots').select('key').where('sync_name', '=', stash).limit(1).executeTakeFirst();
  if (!stashed) return;
  const wrote = await sql<{ wrote: number }>`SELECT 1 AS wrote WHERE ${wroteRecords(sql`${runId}`)}`.execute(db);
  if (wrote.rows.length > 0) await db.deleteFrom('snapshots').where('sync_name', '=', stash).execute();
  else await db.updateTable('snapshots').set({ sync_name: syncName }).where('sync_name', '=', stash).execute();
}

/** The run (`run`: its id, or a reference to a run_id column) committed a batch with records in it. */
function wroteRecords(run: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM batches b WHERE b.run_id = ${run} AND b.committed = 1 AND (b.synced > 0 OR b.skipped > 0))`;
}

/**
 * The last run that wrote the sync's records to its destination, and where that destination was
 * (runs.destination_locator): it committed a batch with records in it, or was a full resync that
 * finished (it may have had nothing to send). Undefined when the sync holds no snapshot (nothing to
 * lose), or no run since migration 015 wrote it.
 */
export async function lastWritingRun(db: StateDb, syncName: string): Promise<{ runId: string; startedAt: string; locator: string } | undefined> {
  const written = await db.selectFrom('snapshots').select('key').where('sync_name', '=', syncName).limit(1).executeTakeFirst();
  if (!written) return undefined;
  const last = await db
    .selectFrom('runs as r')
    .select(['r.run_id', 'r.started_at', 'r.destination_locator'])
    .where('r.sync_name', '=', syncName)
    .where('r.destination_locator', 'is not', null)
    .where((eb) => eb.or([eb.and([eb('r.full_resync', '=', 1), eb('r.status', 'in', ['succeeded', 'partial'])]), wroteRecords(sql.ref('r.run_id'))]))
    .orderBy('r.started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.destination_locator ? { runId: last.run_id, startedAt: last.started_at, locator: last.destination_locator } : undefined;
}
