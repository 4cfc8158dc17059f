import { fingerprint } from '../diff/fingerprint';
import { sqlOf } from '../sources/dbt';
import { mapRow, targetOf } from '../diff/mapping';
import { classifyChanges, resetStaging, stagePage, storesKey, type ChangeCounts, type InvalidRow, type StagedRow } from '../state/staging';
import { getRun, specOf } from '../state/runs';
import type { RunRow } from '../state/database';
import { BackflowError } from '../errors';
import { largestBatch } from '../state/batches';
import type { Destination, KeyMatching } from '../destinations/destination';
import { batchesPerActivity } from './batchesPerActivity';
import { syncFileOf } from './check';
import { batchSizeFor, nowIso, openSource, openTarget, type EngineDeps } from './context';

/**
 * An extract stopped at a page boundary because its activity was cancelled (the worker shutting down
 * after its grace time, the run cancelled). Not a BackflowError: Temporal retries it, elsewhere, and
 * the retry starts the staging over (resetStaging). Before, an extract ran to its end however long,
 * holding a shutting-down worker for the whole of it.
 */
export class ExtractStopped extends Error {
  constructor(runId: string, rows: number) {
    super(`the extract of run ${runId} stopped after ${rows} rows: its activity was cancelled (the worker is shutting down, or the run was cancelled); it starts over when retried`);
    this.name = 'ExtractStopped';
  }
}

export interface ExtractResult {
  counts: ChangeCounts;
  /** Batches the destination may take at once. */
  concurrency: number;
  /** Consecutive batches one activity sends (see batchesPerActivity). */
  batchesPerActivity: number;
}

/**
 * Streams the model page by page into staging (mapped payload + fingerprint per row), then lets
 * the state store diff it against the committed snapshot and cut the change set into batches.
 * Idempotent: a finished extract returns its counts; an interrupted one starts over.
 */
export async function extractChanges(
  deps: EngineDeps,
  runId: string,
  onPage: (rowsSoFar: number) => void = () => {},
  /**
   * dryRun: a dry run's extract (previewRun), whose diff leaves the committed snapshot as it is.
   * stopRequested: asked after each page; true stops the extract there (ExtractStopped).
   */
  options: { dryRun?: boolean; stopRequested?: () => boolean } = {},
): Promise<ExtractResult> {
  const run = await getRun(deps.state, runId);
  const spec = specOf(run);
  const destination = openTarget(deps, spec);
  const concurrency = destination.limits.concurrency;
  if (run.phase !== 'started') return finishedExtract(deps, run, concurrency);

  let fence: string;
  try {
    fence = await resetStaging(deps.state, runId);
  } catch (err) {
    // An earlier attempt (one Temporal gave up on) finished the extract since the phase was read:
    // its counts are the extract's, not a reason to fail the run.
    const now = await getRun(deps.state, runId);
    if (err instanceof BackflowError && err.code === 'EXTRACT_SUPERSEDED' && now.phase !== 'started') return finishedExtract(deps, now, concurrency);
    throw err;
  }
  const target = targetOf(spec);
  const source = openSource(deps, spec);
  let seq = 0;
  let rowNumber = 0;
  let unkeyedRows = 0;
  try {
    for await (const page of source.stream(sqlOf(spec.model), { labels: { backflow_sync: spec.name, backflow_run: runId } })) {
      const staged: StagedRow[] = [];
      const invalid: InvalidRow[] = [];
      for (const row of page) {
        rowNumber++;
        const mapped = mapRow(row, spec);
        if (!mapped.ok) {
          const key = mapped.reason === 'UNREADABLE_VALUE' ? mapped.key : null;
          invalid.push({ key, code: mapped.reason, message: `row ${rowNumber}: ${mapped.message}`, payload: JSON.stringify(row) });
          // Its key is staged too (as invalid, never sent): left out, it would count as removed, and
          // mirror mode would delete its record. So is an unusable key the store can hold: an older
          // version committed such keys (SQLite any; PostgreSQL up to its index limit).
          const staging = mapped.reason === 'UNUSABLE_PRIMARY_KEY' && storesKey(deps.state, mapped.key) ? mapped.key : key;
          if (staging !== null) staged.push({ key: staging, fingerprint: '', payload: '{}', invalid: true });
          else unkeyedRows++;
          continue;
        }
        const payload = JSON.stringify(mapped.payload);
        staged.push({ key: mapped.key, fingerprint: fingerprint(target, mapped.payload), payload });
      }
      await stagePage(deps.state, runId, seq, staged, invalid, nowIso(deps), fence);
      seq += staged.length;
      onPage(rowNumber);
      if (options.stopRequested?.()) throw new ExtractStopped(runId, rowNumber);
    }
  } catch (err) {
    // A query failing while it streams (a division by zero at row 5,000) names the model as one
    // failing before it starts does (check.ts), and how far it got.
    if (err instanceof BackflowError && err.code === 'SOURCE_QUERY_FAILED') {
      throw new BackflowError('SOURCE_QUERY_FAILED', `${syncFileOf(deps, spec.name)}: model: ${err.message} (after ${rowNumber} rows)`);
    }
    throw err;
  } finally {
    await source.close();
  }

  const counts = await classifyChanges(deps.state, {
    runId,
    syncName: spec.name,
    mode: spec.mode,
    ...(spec.allowEmptyMirror ? { allowEmptyMirror: true } : {}),
    ...(spec.maxDeletes !== undefined ? { maxDeletes: spec.maxDeletes } : {}),
    ...(unkeyedRows > 0 ? { unkeyedRows } : {}),
    ...(await keyMatchingOf(destination.destination, runId, options.dryRun === true)),
    fence,
    ...(options.dryRun ? { dryRun: true } : {}),
    batchSize: batchSizeFor(spec, destination),
    now: nowIso(deps),
  });
  return { counts, concurrency, batchesPerActivity: await grouping(deps, runId, counts, concurrency) };
}

/** The counts of an extract already done (a retried activity, or an earlier attempt that finished). */
async function finishedExtract(deps: EngineDeps, run: RunRow, concurrency: number): Promise<ExtractResult> {
  const { extracted, added, changed, removed, unchanged, invalid, skipped, batches } = run;
  const counts = { extracted, added, changed, removed, unchanged, invalid, skipped, batches };
  return { counts, concurrency, batchesPerActivity: await grouping(deps, run.run_id, counts, concurrency) };
}

/** How the destination tells keys apart, as classifyChanges takes it (nothing when it does not say). */
async function keyMatchingOf(destination: Destination, runId: string, offline: boolean): Promise<{ keyMatching?: KeyMatching }> {
  const matching = await destination.keyMatching?.({ runId, offline });
  return matching ? { keyMatching: matching } : {};
}

async function grouping(deps: EngineDeps, runId: string, counts: ChangeCounts, concurrency: number): Promise<number> {
  return batchesPerActivity({ batches: counts.batches, largestBatch: await largestBatch(deps.state, runId), concurrency });
}
