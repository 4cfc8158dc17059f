import type { SyncSpec } from '../config/schema';
import type { EngineDeps } from '../engine/context';
import type { RunSummary } from '../state/summary';
import { alertOnRun } from './alerts';
import { recordRunMetrics } from './metrics';
import { deliverOwedWriteBacks } from './owedWriteBacks';

/**
 * What happens once a run has closed: metrics, alerts, the write-back table (unless `writeBack` is
 * false: the workflow delivers it in an activity of its own). Each step is best-effort: its failure
 * is logged and never changes the run's outcome (a write-back that fails stays owed: see
 * owedWriteBacks.ts).
 */
export async function afterRun(deps: EngineDeps, summary: RunSummary, spec: SyncSpec, options: { writeBack: boolean } = { writeBack: true }): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const env = deps.env ?? process.env;
  const step = async (name: string, work: () => Promise<unknown> | unknown) => {
    try {
      await work();
    } catch (err) {
      deps.logger.warn({ sync: summary.sync, runId: summary.runId, step: name, err: (err as Error).message }, 'after-run step failed');
    }
  };
  await step('metrics', () => recordRunMetrics(summary, spec.destination.connection));
  await step('alerts', () => alertOnRun({ state: deps.state, logger: deps.logger, env, now }, summary, spec.alerts));
  // This run's, and any the sync still owes from earlier runs.
  if (spec.writeBack && options.writeBack) await step('write-back', () => deliverOwedWriteBacks(deps, summary.sync));
}
