import { createHash, createHmac } from 'node:crypto';

/** Header carrying `sha256=<hex>`: HMAC-SHA256 of the raw body with the connection's secret. */
export const SIGNATURE_HEADER = 'X-Backflow-Signature';

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * `Idempotency-Key` of one delivery of a change: sync, run, key and payload fingerprint ("deleted"
 * for a delete). The run is in it because a row may come back to an earlier state (A→B→A, or
 * deleted, re-added, deleted): without it that later change would reuse the earlier key and a
 * receiver de-duplicating by key would drop it. Within a run the key is stable, so a retried or
 * re-sent request carries the same key; a change re-sent by a later run (the run that sent it
 * failed) carries a new one.
 */
export function idempotencyKey(delivery: { sync: string; runId: string }, key: string, fingerprint: string | undefined): string {
  return createHash('sha256').update(`${delivery.sync}\u0000${delivery.runId}\u0000${key}\u0000${fingerprint ?? 'deleted'}`, 'utf8').digest('hex');
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The message of an error answer: a JSON body's `message` / `error` / `error.message`, else its text (first 500 characters). */
export function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const { message, error } = body as { message?: unknown; error?: unknown };
      if (typeof message === 'string') return message;
      if (typeof error === 'string') return error;
      if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
        return (error as { message: string }).message;
      }
    }
  } catch {
    // not JSON: the text is the message
  }
  return text.trim().slice(0, 500) || 'no message';
}
