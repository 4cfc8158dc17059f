export type { EngineDeps } from './context';
export { startRun, type StartRunInput } from './startRun';
export { extractChanges, type ExtractResult } from './extract';
export { syncBatch } from './syncBatch';
export { finishRun } from './finishRun';
export { checkSync } from './check';
export { previewRun } from './preview';
