import type { SyncSpec } from '../config/schema';
import { openRun } from '../state/runs';
import { checkSync } from './check';
import { nowIso, type EngineDeps } from './context';

export interface StartRunInput {
  runId: string;
  sync: string;
  full: boolean;
  /** A preview (dry run) opens a run record without taking the sync's lease. */
  lease?: boolean;
}

/**
 * Checks everything that can be checked before touching the destination — the spec, the secrets,
 * the model's SQL and columns — then opens the run and takes the sync's lease.
 */
export async function startRun(deps: EngineDeps, input: StartRunInput): Promise<{ runId: string; spec: SyncSpec }> {
  const { spec } = await checkSync(deps, input.sync);
  await openRun(deps.state, { runId: input.runId, spec, full: input.full, now: nowIso(deps), lease: input.lease ?? true });
  return { runId: input.runId, spec };
}
