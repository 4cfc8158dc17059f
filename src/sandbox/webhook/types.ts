/** Public surface of the webhook receiver sandbox (used by `backflow sandbox`, tests and users' CI). */
import type { FaultKind, FaultProfile } from '../faults';

export interface WebhookSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * Shared secret: when set, every request must carry `X-Backflow-Signature: sha256=<hex>`, the
   * HMAC-SHA256 of the raw body with this secret, or it is answered 401.
   */
  secret?: string;
  faults?: FaultProfile;
  /** Random source for fault picking (default Math.random); inject one to make faults reproducible. */
  random?: () => number;
}

/** What the receiver answers on a path (instead of the default 200 `{"ok":true}`). */
export interface WebhookResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request the receiver saw (admin endpoints excluded). */
export interface ReceivedWebhook {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  idempotencyKey: string | undefined;
  /** The `X-Backflow-Signature` header as sent. */
  signature: string | undefined;
  /** Whether the signature matched; undefined when no secret is configured. */
  signatureValid: boolean | undefined;
  /** Parsed JSON when the body is JSON, else the raw text (undefined when empty). */
  body: unknown;
  rawBody: string;
  /** Status answered (0 when the request was left hanging or its connection reset). */
  status: number;
  /** The injected fault, if one was applied. */
  fault: FaultKind | undefined;
  /** True when the receiver accepted the delivery (2xx, or applied before an injected failure). */
  accepted: boolean;
  at: string;
}

export interface WebhookSandbox {
  /** Base URL, e.g. `http://127.0.0.1:43121`; any path under it is a receiving endpoint. */
  readonly url: string;
  /** Requests received so far, in order (copies). */
  received(): ReceivedWebhook[];
  setFaults(profile: FaultProfile): void;
  /** Answer requests to `path` with this response; `undefined` restores the default 200. */
  respondWith(path: string, response: WebhookResponse | undefined): void;
  /** Forgets received requests, per-path responses and faults. */
  reset(): void;
  close(): Promise<void>;
}
