import { sql } from 'kysely';
import { BackflowError, SyncAlreadyRunning } from '../errors';
import type { OpsSchema } from '../ops/schema';
import type { StateDb } from './database';
import { isUniqueViolation } from './dialect';

/** A sync's old name, given up to `to` by a sync file's `renamedFrom:`. */
export interface SyncRename {
  from: string;
  to: string;
  renamedAt: string;
}

/** What a rename moved to the new name: the old name's runs, and the records its snapshot holds. */
export interface AdoptedState {
  runs: number;
  records: number;
}

/** The rename that gave up `name`, if it was given up. */
export async function renameOf(db: StateDb, name: string): Promise<SyncRename | undefined> {
  const row = await db.selectFrom('sync_renames').selectAll().where('from_name', '=', name).executeTakeFirst();
  return row && { from: row.from_name, to: row.to_name, renamedAt: row.renamed_at };
}

/** The name is a new sync's again (`backflow run <name> --full`): its runs are no longer refused. */
export async function reclaimName(db: StateDb, name: string): Promise<void> {
  await db.deleteFrom('sync_renames').where('from_name', '=', name).execute();
}

/**
 * Moves what backflow holds under `from` — its snapshot, runs and alert incidents — to `to`, in one
 * transaction, and records the rename so runs under `from` are refused from then on (see renameOf).
 * Undefined when `from` was given up to `to` already. Refused while a run of `from` is open, and when
 * both names hold committed records: merging two snapshots would mix two syncs' records.
 */
export async function adoptRenamedSync(db: StateDb, input: { from: string; to: string; now: string }): Promise<AdoptedState | undefined> {
  // Two runs of the new name adopting at once on PostgreSQL: the loser's insert hits the rename's
  // key; looking again then finds the rename done.
  for (let attempt = 1; ; attempt++) {
    try {
      return await adoptOnce(db, input);
    } catch (err) {
      if (attempt >= 3 || !isUniqueViolation(err)) throw err;
    }
  }
}

async function adoptOnce(db: StateDb, { from, to, now }: { from: string; to: string; now: string }): Promise<AdoptedState | undefined> {
  return db.transaction().execute(async (trx) => {
    const done = await trx.selectFrom('sync_renames').selectAll().where('from_name', '=', from).executeTakeFirst();
    if (done?.to_name === to) return undefined;
    if (done) {
      throw new BackflowError(
        'SYNC_RENAME_CONFLICT',
        `sync ${to}: renamedFrom: ${from}, but ${from} was renamed to ${done.to_name} (${done.renamed_at}), which holds its state now`,
      );
    }
    // The old name's lease first, held as a marker naming no run: a run of the old name opening
    // meanwhile waits for this transaction on it (PostgreSQL), then finds the rename (openRun looks
    // after taking the lease). Only then is "no run of it open" a fact that holds.
    await trx.deleteFrom('sync_leases').where('sync_name', '=', from).execute();
    await trx.insertInto('sync_leases').values({ sync_name: from, run_id: `#renamed:${to}`, acquired_at: now }).execute();
    // A dry run commits nothing (and has no workflow to ask after): it holds nothing back.
    const open = await trx
      .selectFrom('runs')
      .select('run_id')
      .where('sync_name', '=', from)
      .where('status', '=', 'running')
      .where('run_id', 'not like', 'preview:%')
      .executeTakeFirst();
    if (open) throw new SyncAlreadyRunning(from, open.run_id);
    const records = await countSnapshot(trx, from);
    if (records > 0 && (await countSnapshot(trx, to)) > 0) {
      throw new BackflowError(
        'SYNC_RENAME_CONFLICT',
        `sync ${to}: renamedFrom: ${from}, but ${to} has committed records of its own; taking over ${from}'s would mix two syncs' records. ` +
          `Remove renamedFrom (${from}'s records stay under its name), or give this sync a name never run`,
      );
    }
    const runs = await trx.updateTable('runs').set({ sync_name: to }).where('sync_name', '=', from).executeTakeFirst();
    await trx.updateTable('snapshots').set({ sync_name: to }).where('sync_name', '=', from).execute();
    // Incidents follow, so the renamed sync's next good run resolves them; an open one of a kind the
    // new name has open too stays behind (one open incident per sync and kind).
    await sql`UPDATE alert_incidents SET sync_name = ${to}
      WHERE sync_name = ${from}
        AND NOT (resolved_at IS NULL AND EXISTS (
          SELECT 1 FROM alert_incidents o WHERE o.sync_name = ${to} AND o.kind = alert_incidents.kind AND o.resolved_at IS NULL))`.execute(
      trx.withTables<OpsSchema>(),
    );
    // Renamed back (or a new sync under a name given up before): the name is in use again.
    await trx.deleteFrom('sync_renames').where('from_name', '=', to).execute();
    await trx.insertInto('sync_renames').values({ from_name: from, to_name: to, renamed_at: now }).execute();
    return { runs: Number(runs.numUpdatedRows), records };
  });
}

async function countSnapshot(db: StateDb, syncName: string): Promise<number> {
  const { count } = await db
    .selectFrom('snapshots')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
    .where('sync_name', '=', syncName)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** The refusal of a run under a name a rename gave up; `--full` starts a new sync under it. */
export function syncRenamed(rename: SyncRename): BackflowError {
  return new BackflowError(
    'SYNC_RENAMED',
    `sync ${rename.from} was renamed to ${rename.to} (renamedFrom in its file, ${rename.renamedAt}), which holds its snapshot and runs now: ` +
      `a run under the old name would send every row again. Remove the old sync file (and run \`backflow schedules apply\`), ` +
      `or run \`backflow run ${rename.from} --full\` once to start a new sync under this name`,
  );
}
