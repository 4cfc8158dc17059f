import type { WebhookConnection } from '../../src/config/schema';
import { WebhookDestination } from '../../src/destinations/webhook';
import { classifyHubspotError } from '../../src/destinations/hubspotErrors';
import { classifySalesforceError } from '../../src/destinations/salesforceErrors';
import { interruptionOf } from '../../src/engine/rangeInterruption';
import { isRateLimitWait } from '../../src/engine/rateLimitWait';
import { DestinationTransientError } from '../../src/errors';
import { startWebhookSandbox, type WebhookSandbox } from '../../src/sandbox/webhook';
import { memoryWriteContext } from '../support/writeContext';
import { rejectionOf } from '../support/rejection';

let receiver: WebhookSandbox;
beforeEach(async () => {
  receiver = await startWebhookSandbox();
});
afterEach(async () => {
  await receiver.close();
});

/** What the webhook destination throws for one answer of the receiver's. */
async function failureFor(status: number, headers: Record<string, string> = {}): Promise<DestinationTransientError> {
  receiver.respondWith('/hooks/accounts', { status, headers });
  const config: WebhookConnection = { type: 'webhook', url: receiver.url, method: 'POST', timeoutMs: 5_000 };
  const hook = new WebhookDestination(config, { connection: 'hook', path: '/hooks/accounts', delivery: 'record' });
  const record = { key: '1', fields: { name: 'Acme' }, destinationId: null };
  return rejectionOf<DestinationTransientError>(hook.write('upsert', [record], memoryWriteContext('accounts_to_webhook', 'run-1')));
}

describe('backflow_rate_limit_waits_total counts rate limits, by reason', () => {
  it('a 429 without Retry-After is a rate-limit wait; a 503 with one is not (it was the other way round)', async () => {
    const limited = await failureFor(429);
    expect([limited.reason, limited.retryAfterMs]).toEqual(['rate-limit', undefined]);
    expect(isRateLimitWait(limited)).toBe(true);
    const unavailable = await failureFor(503, { 'retry-after': '5' });
    expect([unavailable.reason, unavailable.retryAfterMs]).toEqual(['server-error', 5_000]);
    expect(isRateLimitWait(unavailable)).toBe(false);
    // Handed back after other batches were sent: the same answer, from the range's interruption.
    expect(isRateLimitWait(interruptionOf(limited))).toBe(true);
    expect(isRateLimitWait(interruptionOf(unavailable))).toBe(false);
  });

  it("Salesforce's concurrent request limit is one; HubSpot's 423 (a record lock) is not", () => {
    const salesforce = classifySalesforceError({ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'ConcurrentPerOrgLongTxn Limit exceeded.' });
    expect(salesforce.reason).toBe('api-limit');
    expect(isRateLimitWait(new DestinationTransientError('limit', salesforce.reason, salesforce.waitMs))).toBe(true);
    const hubspot = classifyHubspotError({ code: 423, body: { message: 'locked' } });
    expect(hubspot.reason).toBe('locked');
    expect(isRateLimitWait(new DestinationTransientError('locked', hubspot.reason, hubspot.waitMs))).toBe(false);
    expect(isRateLimitWait(undefined)).toBe(false);
  });
});
