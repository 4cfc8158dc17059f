export { syncWorkflow, progressQuery, SYNC_FAILED, type SyncProgress, type SyncWorkflowInput } from './sync';
export { maintenanceWorkflow } from './maintenance';
