/** Public surface of the Salesforce sandbox emulator (used by `backflow sandbox`, the demo and tests). */
import type { FaultProfile } from '../faults';

/**
 * Faults the sandbox applies to API requests (admin endpoint or `setFaults`): the shared kinds
 * (rateLimited, serverError, unavailable, timeout, connectionReset, tokenExpired, applyThenFail —
 * see src/sandbox/faults/profile.ts) rendered as Salesforce answers them, a write delay, and
 * per-record lock contention.
 */
export type SalesforceFaultProfile = FaultProfile & {
  /** Hold every response to a write (collections upsert) this long AFTER the write was applied. */
  writeResponseDelayMs?: number;
  /**
   * Share of the records of every write (sObject Collections, Bulk API 2.0 job rows) that fail on their
   * own with UNABLE_TO_LOCK_ROW, rolled per record: the rest of the request is written (allOrNone false).
   */
  unableToLockRow?: number;
  /**
   * Records held locked by "another transaction" for their next N writes, named by what the write names
   * them by: the Id of an update or delete, the external id value an upsert matches on (the field in
   * its URL, or a Bulk job's `externalIdFieldName`), and for a create, which has no Id yet, the value of
   * any external id field it sets. Other field values never match. A named record fails with
   * UNABLE_TO_LOCK_ROW and its count goes down by one; at 0 the lock is gone. Deterministic, where
   * `unableToLockRow` is random.
   */
  lockedRecords?: Record<string, number>;
};

/** One API request the sandbox answered (admin endpoints excluded). */
export interface SalesforceRequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/services/data/v62.0/composite/sobjects/Account/External_Id__c`. */
  path: string;
  status: number;
  /** Number of records in a collections request, else 0. */
  records: number;
  /** The injected fault, when one fired (status 0: no answer was sent). */
  fault?: string;
  at: string;
}

export interface SalesforceSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Token clients must send as `Authorization: Bearer …`; generated when omitted. */
  accessToken?: string;
  /** Org-wide daily API request allocation reported in `Sforce-Limit-Info` (default 15000). */
  dailyApiLimit?: number;
  /** How long a closed Bulk API 2.0 ingest job takes to process (default 50 ms). */
  bulkProcessingDelayMs?: number;
  /** Fault profile from the start (see `setFaults`). */
  faults?: SalesforceFaultProfile;
  /** Random source for fault picking (tests pass a fixed sequence); default Math.random. */
  random?: () => number;
  /** The connected app the OAuth token endpoint honours; generated when omitted. */
  oauth?: {
    clientId?: string;
    clientSecret?: string;
    refreshToken?: string;
    /** User a JWT bearer assertion's `sub` must name (default integration@backflow.sandbox). */
    username?: string;
    /** PEM public key or X.509 certificate that verifies JWT bearer assertions (JWT flow off without one). */
    jwtCertificate?: string;
  };
}

export interface SalesforceSandbox {
  /** e.g. `http://127.0.0.1:43121` — pass to jsforce as `instanceUrl`. */
  readonly instanceUrl: string;
  readonly accessToken: string;
  /** OAuth login URL (`POST {loginUrl}/services/oauth2/token`): the same server. */
  readonly loginUrl: string;
  /** The connected app's consumer key and secret, and a refresh token the token endpoint honours. */
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  /** The user JWT bearer assertions must name in `sub`. */
  readonly username: string;
  /** Invalidates every access token issued so far, so the next API request gets 401 INVALID_SESSION_ID. */
  expireSessions(): void;
  /** Sets the certificate (or public key) JWT bearer assertions are verified with. */
  setJwtCertificate(pem: string): void;
  /** How long a closed Bulk API 2.0 job takes to process from now on. */
  setBulkProcessingDelay(ms: number): void;
  /** Live records of an sObject type, in insertion order (copies); deleted ones (queryAll only) are left out. */
  records(sobject: string): Array<Record<string, unknown>>;
  /** API requests answered so far, in order. */
  requests(): SalesforceRequestLogEntry[];
  /** Changes the org's daily API allocation (as reported in Sforce-Limit-Info and enforced with 403). */
  setDailyApiLimit(limit: number): void;
  setFaults(profile: SalesforceFaultProfile): void;
  /** Called after a collections write has been applied to the store, before its response is sent. */
  onWriteApplied(listener: (info: { sobject: string; records: number }) => void): () => void;
  close(): Promise<void>;
}
