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
  const wrote = await db
    .selectFrom('batches')
    .select('batch_no')
    .where('run_id', '=', runId)
    .where('committed', '=', 1)
    .where((eb) => eb.or([eb('synced', '>', 0), eb('skipped', '>', 0)]))
    .limit(1)
    .executeTakeFirst();
  if (wrote) await db.deleteFrom('snapshots').where('sync_name', '=', stash).execute();
  else await db.updateTable('snapshots').set({ sync_name: syncName }).where('sync_name', '=', stash).execute();
}
