import type { Value } from '../sources/source';
import type { WriteOperation } from './modes';

/** One record as a destination receives it. */
export interface DestinationRecord {
  /** The warehouse primary key (also the external id value). */
  key: string;
  /** The mapped payload; empty for a delete. */
  fields: Record<string, Value>;
  /** The destination's id for this key from an earlier run, when known. */
  destinationId: string | null;
}

/** Where a batch goes: the sync's destination object and the field that holds the warehouse key. */
export interface WriteTarget {
  object: string;
  externalIdField: string;
}

export interface RecordError {
  code: string;
  message: string;
  fields: string[];
}

/**
 * The destination's verdict on one record: exactly one per record sent.
 * `skipped`: the mode said not to write it (update: no such record; insert: it exists already).
 */
export type RecordResult =
  | { key: string; status: 'ok'; destinationId: string; created: boolean }
  | { key: string; status: 'skipped'; reason: string; destinationId?: string }
  | { key: string; status: 'rejected'; error: RecordError };

export interface WriteResult {
  results: RecordResult[];
  /** HTTP requests made to the destination. */
  apiCalls: number;
}

/** What a destination can take; the engine batches and paces to these. */
export interface DestinationLimits {
  /** Records per request. */
  maxBatchSize: number;
  /** Requests in flight at once, per sync run. */
  concurrency: number;
}

/** A field as the destination describes it (for `backflow validate`). */
export interface DestinationField {
  name: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  externalId: boolean;
  length?: number;
  /** Allowed values of a picklist / enumeration field. */
  options?: string[];
}

/**
 * The contract every destination implements: a few batch verbs; the sync mode decides which verb a
 * change takes (modes.ts). A whole-request failure worth retrying throws DestinationTransientError;
 * one that is not (bad credentials, malformed request) throws BackflowError.
 */
export interface Destination {
  readonly limits: DestinationLimits;
  /** The verbs this destination implements; a sync whose mode needs another is refused up front. */
  readonly operations: readonly WriteOperation[];
  /** Describes the target object: proves credentials and object exist. */
  describe(object: string): Promise<DestinationField[]>;
  /**
   * Writes one batch with one verb, answering one result per record:
   * upsert = create or update by external id; update = only existing records (others skipped);
   * insert = only new records (existing skipped); delete = remove records backflow synced before
   * (by their stored destination id; already gone counts as ok).
   */
  write(operation: WriteOperation, target: WriteTarget, records: readonly DestinationRecord[]): Promise<WriteResult>;
}
