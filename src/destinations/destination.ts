import type { Value } from '../sources/source';

/** One record as a destination receives it. */
export interface DestinationRecord {
  /** The warehouse primary key (also the external id value). */
  key: string;
  fields: Record<string, Value>;
  /** The destination's id for this key from an earlier run, when known. */
  destinationId: string | null;
}

export interface RecordError {
  code: string;
  message: string;
  fields: string[];
}

/** The destination's verdict on one record: exactly one per record sent. */
export type RecordResult =
  | { key: string; status: 'ok'; destinationId: string; created: boolean }
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
}

/**
 * The contract every destination implements. A whole-request failure worth retrying throws
 * DestinationTransientError; one that is not (bad credentials, malformed request) throws BackflowError.
 */
export interface Destination {
  readonly limits: DestinationLimits;
  /** Describes the target object: proves credentials and object exist. */
  describe(object: string): Promise<DestinationField[]>;
  upsert(object: string, externalIdField: string, records: readonly DestinationRecord[]): Promise<WriteResult>;
}
