import { createHmac } from 'node:crypto';
import { errorMessageOf, idempotencyKey, retryAfterMs, signature } from '../../src/destinations/webhookDelivery';
import { verifySignature } from '../../src/sandbox/webhook';

describe('webhook deliveries', () => {
  it('signs the raw body with HMAC-SHA256 as sha256=<hex>, which the receiver verifies', () => {
    const body = '{"event":"upserted","key":"1"}';
    const header = signature('s3cret', body);
    expect(header).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
    expect(verifySignature('s3cret', Buffer.from(body), header)).toBe(true);
    expect(verifySignature('other', Buffer.from(body), header)).toBe(false);
  });

  it('gives the same idempotency key for the same sync, run, key and fingerprint only', () => {
    const run1 = { sync: 'accounts', runId: 'run-1' };
    const key = idempotencyKey(run1, '1', 'fp1');
    expect(idempotencyKey({ sync: 'accounts', runId: 'run-1' }, '1', 'fp1')).toBe(key);
    expect(idempotencyKey(run1, '1', 'fp2')).not.toBe(key);
    expect(idempotencyKey(run1, '2', 'fp1')).not.toBe(key);
    expect(idempotencyKey({ sync: 'contacts', runId: 'run-1' }, '1', 'fp1')).not.toBe(key);
    expect(idempotencyKey(run1, '1', undefined)).not.toBe(key);
    // The same change delivered again by a later run (A→B→A, or a second delete) is a new delivery.
    expect(idempotencyKey({ sync: 'accounts', runId: 'run-2' }, '1', 'fp1')).not.toBe(key);
    expect(idempotencyKey({ sync: 'accounts', runId: 'run-2' }, '1', undefined)).not.toBe(idempotencyKey(run1, '1', undefined));
  });

  it('honours Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it("takes a 4xx body's message from JSON or text", () => {
    expect(errorMessageOf('{"message":"email is invalid"}')).toBe('email is invalid');
    expect(errorMessageOf('{"error":{"message":"bad key"}}')).toBe('bad key');
    expect(errorMessageOf('nope')).toBe('nope');
  });
});
