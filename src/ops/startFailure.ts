import type { AlertsConfig, SyncSpec } from '../config/schema';
import { project, syncSpec, type EngineDeps } from '../engine/context';
import { recordStartFailure } from '../state/runs';
import type { RunSummary } from '../state/summary';
import { alertOnRun } from './alerts';
import { recordRunMetrics } from './metrics';

/** Refusals that are not failures: another run of the sync holds its lease. */
const NOT_A_FAILURE = new Set(['SYNC_ALREADY_RUNNING']);

/**
 * A run that failed before its run record opened (bad SQL, an unset secret, a missing column, its
 * own invalid sync file) is recorded, counted and alerted like any failed run: a closed failed run in
 * the state store (`backflow runs --failed`, `runs show`), the run metrics, and an alert once per
 * incident, through the sync's alerts, or backflow.yaml's when the sync's own file cannot be read.
 * Best-effort: when backflow.yaml cannot be read either there is no alert to send, and the CLI /
 * Temporal Web show the error anyway.
 */
export async function handleStartFailure(
  deps: EngineDeps,
  input: { runId: string; sync: string; error: { code: string; message: string } },
): Promise<void> {
  if (NOT_A_FAILURE.has(input.error.code)) return;
  const now = deps.now ?? (() => new Date());
  const at = now().toISOString();
  let spec: SyncSpec | undefined;
  try {
    spec = syncSpec(deps, input.sync);
  } catch {
    // Its own file is invalid (or gone): recorded under its name, alerted through the project's alerts.
  }
  await recordStartFailure(deps.state, { runId: input.runId, syncName: input.sync, specJson: JSON.stringify(spec ?? { name: input.sync }), error: input.error, now: at });
  const zero = { extracted: 0, added: 0, changed: 0, removed: 0, unchanged: 0, invalid: 0, synced: 0, rejected: 0, skipped: 0, created: 0, updated: 0, deleted: 0 };
  const summary: RunSummary = {
    sync: input.sync,
    runId: input.runId,
    status: 'failed',
    startedAt: at,
    finishedAt: at,
    counts: zero,
    apiCalls: 0,
    batches: 0,
    error: input.error,
  };
  recordRunMetrics(summary, spec?.destination.connection ?? '');
  let alerts: AlertsConfig | undefined;
  if (spec) alerts = spec.alerts;
  else {
    try {
      alerts = project(deps).alerts; // the sync's own file is invalid (or gone): the project's alerts
    } catch (err) {
      deps.logger.warn({ sync: input.sync, runId: input.runId, err: (err as Error).message }, 'no alert for a run that failed to start: config unreadable');
      return;
    }
  }
  await alertOnRun({ state: deps.state, logger: deps.logger, env: deps.env ?? process.env, now }, summary, alerts);
}

/** handleStartFailure that never throws: the refusal itself is what the caller reports (the workflow, `backflow run`). */
export async function reportStartFailure(deps: EngineDeps, input: { runId: string; sync: string; error: { code: string; message: string } }): Promise<void> {
  try {
    await handleStartFailure(deps, input);
  } catch (err) {
    deps.logger.warn({ sync: input.sync, runId: input.runId, err: (err as Error).message }, 'a run that failed to start was not recorded, counted or alerted');
  }
}
