/** Public surface of the Salesforce sandbox emulator (used by `backflow sandbox`, the demo and tests). */

/** A fault the sandbox applies to matching API requests (admin endpoint or `setFaults`). */
export interface SalesforceFaultProfile {
  /** Hold every response to a write (collections upsert) this long AFTER the write was applied. */
  writeResponseDelayMs?: number;
}

/** One API request the sandbox answered (admin endpoints excluded). */
export interface SalesforceRequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/services/data/v62.0/composite/sobjects/Account/External_Id__c`. */
  path: string;
  status: number;
  /** Number of records in a collections request, else 0. */
  records: number;
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
}

export interface SalesforceSandbox {
  /** e.g. `http://127.0.0.1:43121` — pass to jsforce as `instanceUrl`. */
  readonly instanceUrl: string;
  readonly accessToken: string;
  /** All stored records of an sObject type, in insertion order (copies). */
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
