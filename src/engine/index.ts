export type { EngineDeps } from './context';
export { startRun, type StartRunInput } from './startRun';
export { extractChanges, type ExtractResult } from './extract';
export { syncBatches, type BatchRange, type BatchRangeResult } from './syncBatches';
export { finishRun } from './finishRun';
export { checkSync } from './check';
export { previewRun } from './preview';
