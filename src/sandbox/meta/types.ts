/** Public surface of the Meta Custom Audiences sandbox (used by `backflow sandbox`, tests and users' CI). */
import type { FaultKind, FaultProfile } from '../faults';

/** Graph API rate limiting: calls allowed per window, and which throttling error Meta answers with. */
export interface MetaLimits {
  /** Calls per window per ad account (default 1000). */
  maxCallsPerWindow: number;
  /** Window length in seconds (default 3600, like the business use case windows). */
  windowSeconds: number;
  /**
   * 80003 (custom_audience business use case: Meta's answer on audience endpoints, default), 80004
   * (ads_management), 17 (user request limit) or 613 (calls within one hour).
   */
  errorCode: 17 | 613 | 80003 | 80004;
}

export interface MetaSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Token clients must send as `access_token` (query string or body); generated when omitted. */
  accessToken?: string;
  limits?: Partial<MetaLimits>;
  faults?: FaultProfile;
  /** Milliseconds since the epoch; inject one to step rate-limit windows in tests. */
  clock?: () => number;
  /** Random source for fault picking (default Math.random). */
  random?: () => number;
}

/** One row of an audience: the non-empty identifiers it was uploaded with, and its Limited Data Use options (DATA_PROCESSING_OPTIONS: 'LDU', _COUNTRY, _STATE) if any. */
export type AudienceMember = Record<string, string>;

export interface MetaRequestLogEntry {
  method: string;
  path: string;
  status: number;
  /** Graph error code for error answers. */
  errorCode: number | undefined;
  /** Rows in the `payload.data` of a users call, else 0. */
  rows: number;
  fault: FaultKind | undefined;
  at: string;
}

export interface MetaSandbox {
  /** e.g. `http://127.0.0.1:43121` — what replaces `https://graph.facebook.com`. */
  readonly graphUrl: string;
  readonly accessToken: string;
  /** A customer-file custom audience ready to receive users. */
  readonly audienceId: string;
  /** Creates another empty custom audience; returns its id. */
  createAudience(name: string): string;
  /**
   * The rows in an audience as uploaded (copies, in first-added order). Rows sharing an EMAIL, PHONE,
   * MADID or EXTERN_ID are one person: removing a row removes that person, with all of their rows. A
   * row with none of Meta's main identifiers (EMAIL, PHONE, MADID, FN, LN, FI) matches nobody: it is
   * received, not kept.
   */
  members(audienceId: string): AudienceMember[];
  requests(): MetaRequestLogEntry[];
  setFaults(profile: FaultProfile): void;
  setLimits(limits: Partial<MetaLimits>): void;
  reset(): void;
  close(): Promise<void>;
}
