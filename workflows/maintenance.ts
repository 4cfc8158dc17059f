import { proxyActivities } from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { MaintenanceResult } from '../src/ops/maintenance';

const { runMaintenance } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5s', maximumAttempts: 5 },
});

/** Started by a deployment's `backflow-maintenance:<task queue>` schedule: prunes old per-record results, alerts on stale syncs. */
export async function maintenanceWorkflow(): Promise<MaintenanceResult> {
  return runMaintenance();
}
