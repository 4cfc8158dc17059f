import type { Value } from '../sources/source';
import type { Mapping } from '../config/schema';
import type { SyncMode, WriteOperation } from './modes';

/** One record as a destination receives it. */
export interface DestinationRecord {
  /** The warehouse primary key (also the external id value). */
  key: string;
  /** The mapped payload; empty for a delete. */
  fields: Record<string, Value>;
  /** The destination's id for this key from an earlier run, when known. */
  destinationId: string | null;
  /**
   * The destinationId was committed while the sync found records by another key field (its
   * `externalIdField` edited since): the record holds its key in the old field, so it is written by
   * that id, with the key set in the new field, instead of being matched (and duplicated) by the new one.
   */
  rekeyed?: true;
  /**
   * The object the destinationId was committed for, when the sync wrote another object of the same
   * connection then (its `object` edited since). Where ids do not name their object (HubSpot's are
   * numbers per object type), that id is no record of the object written now.
   */
  idObject?: string;
}

export interface RecordError {
  code: string;
  message: string;
  fields: string[];
}

/**
 * The destination's verdict on one record: exactly one per record sent.
 * `skipped`: the mode said not to write it (update: no such record; insert: it exists already).
 * `filtered`: the sync's own filter (a Slack `when:`) left the row out this time: never committed,
 * whatever the mode, so the row is considered again next run — it may qualify by then.
 * `nothingToDelete`: a delete with nothing of this sync's to delete (see nothingToDelete).
 */
export type RecordResult =
  | { key: string; status: 'ok'; destinationId: string; created: boolean }
  | { key: string; status: 'skipped'; reason: string; destinationId?: string; filtered?: true; nothingToDelete?: true }
  | { key: string; status: 'rejected'; error: RecordError };

/**
 * A mirror delete of a row whose record this sync never wrote (no destination id stored), or whose
 * stored id names nothing to delete (a Meta row synced with no member): nothing of its own to delete,
 * so none is counted deleted. The commit drops the key all the same (see commitBatch).
 */
export function nothingToDelete(key: string, reason = 'this sync never wrote a record for this row (no destination id stored)'): RecordResult {
  return { key, status: 'skipped', reason: `nothing to delete: ${reason}`, nothingToDelete: true };
}

/** A delete of a row with no destination id stored: a destination deleting by id has nothing to delete (nothingToDelete). */
export function deletesNothing(operation: WriteOperation, record: Pick<DestinationRecord, 'destinationId'>): boolean {
  return operation === 'delete' && !record.destinationId;
}

export interface WriteResult {
  results: RecordResult[];
  /** HTTP requests made to the destination. */
  apiCalls: number;
}

/** A staged record as the dry run reads it: its key, mapped payload and stored destination id. */
export type PlannedRecord = Pick<DestinationRecord, 'key' | 'fields' | 'destinationId'>;

/**
 * How a destination tells keys apart. `ignoreCase` (most Salesforce external ids, HubSpot emails):
 * `acme-1` and `ACME-1` are one record. `asNumbers` (a Salesforce Number external id): `042`, `42.0`
 * and `4.2e1` are the record holding 42. Two spellings of one record's key are refused as duplicate
 * keys, and mirror mode must not delete a key that comes back spelt the other way.
 */
export interface KeyMatching {
  ignoreCase: boolean;
  asNumbers: boolean;
}

/** What one batch costs at the destination (see Destination.costOf). */
export interface BatchCost {
  requests: number;
  seconds?: number;
}

/** What a destination can take; the engine batches and paces to these. */
export interface DestinationLimits {
  /** Records per request. */
  maxBatchSize: number;
  /** Requests in flight at once, per sync run. */
  concurrency: number;
  /**
   * The destination's request budget per second, when it has one; every worker's requests to one
   * connection are paced to it together (engine/pacing.ts), adapting down on 429s.
   */
  requestsPerSecond?: number;
}

export interface TargetCheckInput {
  mappings: readonly Mapping[];
  mode: SyncMode;
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
 * Where a batch write stands, kept by the engine across retries of the same batch: a destination that
 * starts a long job (a bulk ingest job) saves its id before waiting on it, and a retry after a
 * crash finds it again instead of submitting the batch twice.
 */
export interface WriteContext {
  /** The sync the batch belongs to, and the run. */
  syncName: string;
  runId: string;
  /** Stable for one batch of one run across attempts, e.g. to label a job. */
  batchId: string;
  /** What the last attempt saved, or null on the first attempt. */
  checkpoint: string | null;
  saveCheckpoint(value: string): Promise<void>;
  /**
   * True once the run is cancelled. A destination that waits its turn itself (HubSpot's app-wide
   * pacer) asks after the wait, before the batch's first request, and throws WriteNotStarted.
   */
  stopRequested?: () => boolean;
  /**
   * True once the run is cancelled, whether or not this batch has sent anything yet (stopRequested
   * turns false once it has). A destination that waits to send records again (Salesforce records that
   * met a lock) stops waiting and reports them as they stand.
   */
  cancelled?: () => boolean;
}

/** A write that sent nothing because its run was cancelled while it waited its turn (WriteContext.stopRequested). */
export class WriteNotStarted extends Error {
  constructor() {
    super('cancelled before the batch was sent');
    this.name = 'WriteNotStarted';
  }
}

/** A problem with a sync's target found by asking the destination; `path` is inside the sync file. */
export interface TargetIssue {
  path: string;
  message: string;
}

/**
 * The contract every destination implements, bound at creation to a connection and the sync's target
 * (destinations/targets.ts): a few batch verbs; the sync mode decides which verb a change takes
 * (modes.ts). A whole-request failure worth retrying throws DestinationTransientError;
 * one that is not (bad credentials, malformed request) throws BackflowError.
 */
export interface Destination {
  readonly limits: DestinationLimits;
  /**
   * How the destination tells records' keys apart (see KeyMatching). Asked by the run's extract;
   * `offline` (a dry run, which calls no destination): the usual answer, without asking the
   * destination. Absent: keys are text, matched exactly.
   */
  keyMatching?(asked: { runId: string; offline: boolean }): Promise<KeyMatching>;
  /** The verbs this destination implements; a sync whose mode needs another is refused up front. */
  readonly operations: readonly WriteOperation[];
  /**
   * Asks the destination about the sync's target (`backflow validate`): credentials work, the object
   * exists, the mapped fields exist and take writes. Throws for a failed request.
   */
  check(sync: TargetCheckInput): Promise<TargetIssue[]>;
  /**
   * What can be checked of the sync's target without asking the destination (a message template's
   * variables, customer-file keys). Every check of a sync runs it — `validate --offline`, a run's
   * start, a dry run — so such a mistake refuses the run instead of rejecting every record.
   */
  checkOffline?(sync: TargetCheckInput): TargetIssue[];
  /**
   * Records one batch may hold for a verb when a run sends `records` of them; default
   * `limits.maxBatchSize`. A destination with a bulk API answers more above its threshold.
   */
  maxBatchSize?(operation: WriteOperation, records: number): number;
  /**
   * What one batch of `records` records with this verb costs, for the dry-run estimate: the requests
   * it makes (default 1), and `seconds` when the destination paces those requests itself rather than
   * by `limits.requestsPerSecond` (Slack: a message a second per channel). `planned`: the records
   * themselves, when the dry run read them (for a destination that asks about rows: filters,
   * sendsNothingFor, lookupsFor), less those left out.
   */
  costOf?(operation: WriteOperation, records: number, planned?: readonly PlannedRecord[]): BatchCost;
  /**
   * Whether the sync's own filter (a Slack `when:`) leaves this row out of a write with this verb:
   * the write answers it `skipped`, `filtered`, without a request. Asked by the dry run, so its
   * counts and requests are the run's.
   */
  filters?(operation: WriteOperation, record: Pick<DestinationRecord, 'key' | 'fields'>): boolean;
  /**
   * Whether a write with this verb answers this record without a request whatever the destination
   * holds, by its stored id alone (a delete with none: nothingToDelete; a Slack edit with no message).
   * Asked by the dry run, which counts the row skipped and its batch's requests without it, as the run does.
   */
  sendsNothingFor?(operation: WriteOperation, record: PlannedRecord): boolean;
  /**
   * The look-ups a batch of these records makes besides its writes whose answers the worker then keeps
   * for later batches (HubSpot's property describe for date text), by name: none this process holds
   * already. Asked by the dry run, which counts each name once per run.
   */
  lookupsFor?(operation: WriteOperation, records: readonly PlannedRecord[]): readonly string[];
  /**
   * Writes one batch with one verb, answering one result per record:
   * upsert = create or update by external id; update = only existing records (others skipped);
   * insert = only new records (existing skipped); delete = remove records backflow synced before
   * (by their stored destination id; already gone counts as ok).
   */
  write(operation: WriteOperation, records: readonly DestinationRecord[], context: WriteContext): Promise<WriteResult>;
}
