import { settleStashedSnapshot } from './movedSnapshot';
import type { SyncSpec } from '../config/schema';
import { renameOf, syncRenamed } from './syncRenames';
import { BackflowError, RunOfEndedExecution, SyncAlreadyRunning } from '../errors';
import type { RunRow, RunStatus, StateDb } from './database';
import { isUniqueViolation } from './dialect';
import type { RunSummary } from './summary';

export interface OpenRunInput {
  runId: string;
  spec: SyncSpec;
  full: boolean;
  now: string;
  /** Take the sync's one-run-at-a-time lease (every real run does; a preview does not). */
  lease: boolean;
  /** The Temporal execution (its run id) opening the run, when a workflow does. */
  execution?: string;
  /** Where the destination connection points (engine/destinationLocator.ts). */
  locator?: string;
  /** The Temporal namespace of the workflow opening the run, when a workflow does. */
  temporal?: TemporalNamespace;
}

/**
 * A Temporal namespace: its name, and the id its cluster gave it when it was created. Two clusters'
 * `default` namespaces share a name, never an id.
 */
export interface TemporalNamespace {
  name: string;
  id: string;
}

/**
 * A run's id is its workflow's id, except when Temporal let a workflow id start again after its run
 * finished: a schedule's backfill names each run after its nominal time, the id the schedule's own
 * run had then. Such a run is `<workflow id>~2` (then `~3`, …) instead of being refused.
 */
const REUSED_SUFFIX = /~(\d+)$/;

/** The workflow id of a run (its Temporal execution is the newest of that id). */
export function workflowIdOfRun(runId: string): string {
  return runId.replace(REUSED_SUFFIX, '');
}

/**
 * Opens the run record and takes the sync's lease, in one transaction; returns the run (whose id is
 * not `input.runId` when that run finished already: see workflowIdOfRun). Idempotent for one
 * workflow execution (an activity retry); refused while another run of the sync is still running.
 */
export async function openRun(db: StateDb, input: OpenRunInput): Promise<RunRow> {
  // Two runs racing for a free lease: the loser's insert hits the lease's key; looking again
  // then sees the winner's running run and refuses with SYNC_ALREADY_RUNNING.
  for (let attempt = 1; ; attempt++) {
    try {
      return await openRunOnce(db, input);
    } catch (err) {
      if (attempt >= 3 || !isUniqueViolation(err)) throw err;
    }
  }
}

async function openRunOnce(db: StateDb, requested: OpenRunInput): Promise<RunRow> {
  return db.transaction().execute(async (trx) => {
    // The first of `id`, `id~2`, `id~3`, … not finished: a finished one belongs to an earlier
    // execution of the workflow id, an unfinished one to this execution (an activity retry).
    let input = requested;
    let existing: RunRow | undefined;
    for (let reuse = 2; ; reuse++) {
      existing = await trx.selectFrom('runs').selectAll().where('run_id', '=', input.runId).executeTakeFirst();
      if (existing?.phase !== 'finished') break;
      input = { ...requested, runId: `${workflowIdOfRun(requested.runId)}~${reuse}` };
    }
    if (existing) {
      // Opened by an earlier execution of this workflow id, which ended without closing it (terminated):
      // not a retry of this one. Taken over, its staged rows would be sent as they were then.
      if (requested.execution !== undefined && existing.opened_by !== null && existing.opened_by !== requested.execution) {
        throw new RunOfEndedExecution(existing.run_id);
      }
      return existing;
    }
    if (!input.lease) {
      await insertRun(trx, input);
      return trx.selectFrom('runs').selectAll().where('run_id', '=', input.runId).executeTakeFirstOrThrow();
    }
    const lease = await trx
      .selectFrom('sync_leases')
      .innerJoin('runs', 'runs.run_id', 'sync_leases.run_id')
      .select(['sync_leases.run_id', 'runs.status'])
      .where('sync_leases.sync_name', '=', input.spec.name)
      .executeTakeFirst();
    if (lease && lease.run_id !== input.runId && lease.status === 'running') {
      throw new SyncAlreadyRunning(input.spec.name, lease.run_id);
    }
    await trx.deleteFrom('sync_leases').where('sync_name', '=', input.spec.name).execute();
    await trx
      .insertInto('sync_leases')
      .values({ sync_name: input.spec.name, run_id: input.runId, acquired_at: input.now })
      .execute();
    // Looked at with the lease held: a rename taking this name's state (syncRenames.ts) holds it too.
    const rename = await renameOf(trx, input.spec.name);
    if (rename) throw syncRenamed(rename);
    await insertRun(trx, input);
    return trx.selectFrom('runs').selectAll().where('run_id', '=', input.runId).executeTakeFirstOrThrow();
  });
}

async function insertRun(db: StateDb, input: OpenRunInput): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      run_id: input.runId,
      sync_name: input.spec.name,
      status: 'running',
      phase: 'started',
      spec_json: JSON.stringify(input.spec),
      full_resync: input.full ? 1 : 0,
      started_at: input.now,
      finished_at: null,
      error_code: null,
      error_message: null,
      opened_by: input.execution ?? null,
      destination_locator: input.locator ?? null,
      temporal_namespace: input.temporal?.name ?? null,
      temporal_namespace_id: input.temporal?.id ?? null,
    })
    .execute();
}

/**
 * A run that failed before it opened (its model, a secret, its own sync file): recorded closed and
 * failed, holding no lease and having sent nothing, so `backflow runs --failed` and `runs show` name it
 * as any failed run. A run of that id already on record (a retried activity, a reused id) is kept.
 */
export async function recordStartFailure(
  db: StateDb,
  input: { runId: string; syncName: string; specJson: string; error: { code: string; message: string }; now: string },
): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      run_id: input.runId,
      sync_name: input.syncName,
      status: 'failed',
      phase: 'finished',
      spec_json: input.specJson,
      full_resync: 0,
      started_at: input.now,
      finished_at: input.now,
      error_code: input.error.code,
      error_message: input.error.message,
    })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

/** Removes every trace of a run (a dry-run preview leaves nothing behind). */
export async function deleteRun(db: StateDb, runId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['staged_rows', 'batches', 'record_results', 'runs'] as const) {
      await trx.deleteFrom(table).where('run_id', '=', runId).execute();
    }
  });
}

export async function getRun(db: StateDb, runId: string): Promise<RunRow> {
  const run = await db.selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  if (!run) throw new BackflowError('RUN_NOT_FOUND', `no run with id ${runId}`);
  return run;
}

/** The run's outcome if it is closed (phase finished), else undefined: a small read, asked before each batch. */
export async function closedRun(db: StateDb, runId: string): Promise<Pick<RunRow, 'status' | 'error_code'> | undefined> {
  return db.selectFrom('runs').select(['status', 'error_code']).where('run_id', '=', runId).where('phase', '=', 'finished').executeTakeFirst();
}

export function specOf(run: RunRow): SyncSpec {
  return JSON.parse(run.spec_json) as SyncSpec;
}

/** How many of a run's rows are on record as invalid (a NULL or duplicate key, an unreadable value). */
export async function countInvalidResults(db: StateDb, runId: string): Promise<number> {
  const invalid = await db
    .selectFrom('record_results')
    .select((eb) => eb.fn.countAll<number>().as('rows'))
    .where('run_id', '=', runId)
    .where('status', '=', 'invalid')
    .executeTakeFirstOrThrow();
  return Number(invalid.rows);
}

/** Totals of a run from its committed batches (the source of truth), plus the extract counts. */
export async function summarizeRun(db: StateDb, runId: string): Promise<RunSummary> {
  const run = await getRun(db, runId);
  const totals = await db
    .selectFrom('batches')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('synced'), eb.lit(0)).as('synced'),
      eb.fn.coalesce(eb.fn.sum<number>('rejected'), eb.lit(0)).as('rejected'),
      eb.fn.coalesce(eb.fn.sum<number>('skipped'), eb.lit(0)).as('skipped'),
      eb.fn.coalesce(eb.fn.sum<number>('deleted'), eb.lit(0)).as('deleted'),
      eb.fn.coalesce(eb.fn.sum<number>('created'), eb.lit(0)).as('created'),
      eb.fn.coalesce(eb.fn.sum<number>('updated'), eb.lit(0)).as('updated'),
      eb.fn.coalesce(eb.fn.sum<number>('api_calls'), eb.lit(0)).as('api_calls'),
    ])
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  // A run that failed during its extract never wrote its counts, yet the invalid rows of the pages it
  // read are on record, each with its reason: counted, `runs show` does not say 0 above them.
  const invalidResults = await countInvalidResults(db, runId);
  const summary: RunSummary = {
    sync: run.sync_name,
    runId: run.run_id,
    status: run.status,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
    counts: {
      extracted: run.extracted,
      added: run.added,
      changed: run.changed,
      removed: run.removed,
      unchanged: run.unchanged,
      invalid: Math.max(run.invalid, invalidResults),
      synced: Number(totals.synced),
      rejected: Number(totals.rejected),
      skipped: run.skipped + Number(totals.skipped),
      created: Number(totals.created),
      updated: Number(totals.updated),
      deleted: Number(totals.deleted),
    },
    apiCalls: Number(totals.api_calls),
    batches: run.batches,
  };
  if (run.error_code !== null) summary.error = { code: run.error_code, message: run.error_message ?? '' };
  return summary;
}

/** Error codes that end a run early without failing it: what was sent stands, the rest goes next run. */
const STOPPED_PARTIAL = new Set(['DESTINATION_BUDGET_EXHAUSTED']);

export function statusFor(summary: Pick<RunSummary, 'counts'>, error?: { code: string }): RunStatus {
  if (error && STOPPED_PARTIAL.has(error.code)) return 'partial';
  if (error) return 'failed';
  return summary.counts.rejected + summary.counts.invalid > 0 ? 'partial' : 'succeeded';
}

export interface FinishRunInput {
  runId: string;
  now: string;
  error?: { code: string; message: string };
  /** The sync writes its results back to the warehouse: the run closes owing it (see writeBack.ts). */
  writeBackOwed?: boolean;
}

/**
 * Closes a run: final status, staging cleanup, lease released. Idempotent: a finished run keeps
 * its first outcome.
 */
export async function closeRun(db: StateDb, input: FinishRunInput): Promise<RunSummary> {
  const run = await getRun(db, input.runId);
  if (run.phase !== 'finished') {
    const summary = await summarizeRun(db, input.runId);
    const status = statusFor(summary, input.error);
    await db.transaction().execute(async (trx) => {
      // Closed only if still open: a close running alongside (a finishRun retried after its timeout,
      // the maintenance closing a terminated run's) read it open too, and its outcome came first.
      const closed = await trx
        .updateTable('runs')
        .set({
          status,
          phase: 'finished',
          finished_at: input.now,
          error_code: input.error?.code ?? null,
          error_message: input.error?.message ?? null,
          // In the closing transaction: a crash right after the close cannot lose the debt.
          ...(input.writeBackOwed ? { write_back_pending: input.now } : {}),
          after_run_pending: input.now,
        })
        .where('run_id', '=', input.runId)
        .where('phase', '<>', 'finished')
        .executeTakeFirst();
      if (Number(closed.numUpdatedRows) === 0) return;
      await trx.deleteFrom('staged_rows').where('run_id', '=', input.runId).execute();
      await settleStashedSnapshot(trx, run.sync_name, input.runId);
      await trx
        .deleteFrom('sync_leases')
        .where('sync_name', '=', run.sync_name)
        .where('run_id', '=', input.runId)
        .execute();
    });
  }
  return summarizeRun(db, input.runId);
}

/** Whether the closed run's after-run steps are still to run (see afterRunDone). */
export async function afterRunPending(db: StateDb, runId: string): Promise<boolean> {
  const run = await db.selectFrom('runs').select('after_run_pending').where('run_id', '=', runId).executeTakeFirst();
  return run?.after_run_pending !== null && run?.after_run_pending !== undefined;
}

/** The closed run's after-run steps ran: a later retry of its close does not run them again. */
export async function afterRunDone(db: StateDb, runId: string): Promise<void> {
  await db.updateTable('runs').set({ after_run_pending: null }).where('run_id', '=', runId).execute();
}
