import type { RunStatus } from './database';

export interface RunCounts {
  /** Rows the model returned. */
  extracted: number;
  added: number;
  changed: number;
  /** Committed keys no longer in the model (deleted only in mirror mode). */
  removed: number;
  unchanged: number;
  /** Rows never sent: NULL or duplicate primary key. */
  invalid: number;
  synced: number;
  rejected: number;
  /** Records the mode left alone, each with a reason (update: not found; insert: exists). */
  skipped: number;
  /** Of `synced`: records the destination created, updated, and (mirror mode) deleted. */
  created: number;
  updated: number;
  deleted: number;
}

/** What a run did: ids and counts only, so it is safe in Temporal history and logs. */
export interface RunSummary {
  sync: string;
  runId: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  counts: RunCounts;
  apiCalls: number;
  batches: number;
  error?: { code: string; message: string };
}
