import { defineSearchAttributeKey, type SearchAttributeUpdatePair } from '@temporalio/common';

/**
 * Custom search attributes on every run, so runs can be filtered in Temporal Web
 * (`BackflowSync = 'accounts' AND BackflowStatus = 'failed'`). Defined here, with no side effects,
 * so the workflow can upsert them; src/temporal/searchAttributes.ts re-exports them for clients.
 */
export const BACKFLOW_SYNC = defineSearchAttributeKey('BackflowSync', 'KEYWORD');
export const BACKFLOW_DESTINATION = defineSearchAttributeKey('BackflowDestination', 'KEYWORD');
export const BACKFLOW_STATUS = defineSearchAttributeKey('BackflowStatus', 'KEYWORD');
export const BACKFLOW_REJECTED = defineSearchAttributeKey('BackflowRejected', 'INT');

export const BACKFLOW_SEARCH_ATTRIBUTES = [BACKFLOW_SYNC, BACKFLOW_DESTINATION, BACKFLOW_STATUS, BACKFLOW_REJECTED];

/** The pairs to upsert for what is known of a run so far. */
export function runAttributes(run: { destination?: string; status?: string; rejected?: number }): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [];
  if (run.destination !== undefined) pairs.push({ key: BACKFLOW_DESTINATION, value: run.destination });
  if (run.status !== undefined) pairs.push({ key: BACKFLOW_STATUS, value: run.status });
  if (run.rejected !== undefined) pairs.push({ key: BACKFLOW_REJECTED, value: run.rejected });
  return pairs;
}
