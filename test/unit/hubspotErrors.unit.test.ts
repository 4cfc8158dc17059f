import { classifyHubspotError, toHubspotDestinationError } from '../../src/destinations/hubspotErrors';
import { BackflowError, DestinationBudgetExhausted, DestinationTransientError } from '../../src/errors';

/** Shaped like @hubspot/api-client's ApiException: status code, deserialised body, response headers. */
function apiException(code: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers });
}

const TEN_SECONDLY = { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', correlationId: 'c' };
const DAILY = { status: 'error', message: 'You have reached your daily limit.', correlationId: 'c' };

describe('classifyHubspotError', () => {
  it('waits the window the headers name on a 10-second 429 (the client drops policyName; the message says which limit)', () => {
    expect(classifyHubspotError(apiException(429, TEN_SECONDLY, { 'x-hubspot-ratelimit-interval-milliseconds': '10000' }))).toEqual({
      retry: true,
      reason: 'rate-limit',
      waitMs: 10_000,
    });
    expect(classifyHubspotError(apiException(429, TEN_SECONDLY, { 'X-HubSpot-RateLimit-Interval-Milliseconds': '1500' })).waitMs).toBe(1_500);
    // No interval header: HubSpot's standard 10-second window.
    expect(classifyHubspotError(apiException(429, TEN_SECONDLY)).waitMs).toBe(10_000);
  });

  it('treats a DAILY 429 as a spent budget, by its message, its policyName or a zero daily remainder', () => {
    expect(classifyHubspotError(apiException(429, DAILY))).toEqual({ retry: false, reason: 'daily-limit' });
    expect(classifyHubspotError(apiException(429, { message: 'limited', policyName: 'DAILY' })).reason).toBe('daily-limit');
    expect(classifyHubspotError(apiException(429, { message: 'limited' }, { 'x-hubspot-ratelimit-daily-remaining': '0' })).reason).toBe('daily-limit');
    // The window limit with daily budget left is only a wait.
    expect(classifyHubspotError(apiException(429, TEN_SECONDLY, { 'x-hubspot-ratelimit-daily-remaining': '0' })).reason).toBe('rate-limit');
  });

  it('waits a second on the search API’s secondly limit', () => {
    expect(classifyHubspotError(apiException(429, { message: 'You have reached your secondly limit.' }))).toEqual({ retry: true, reason: 'rate-limit', waitMs: 1_000 });
  });

  it('retries 5xx, 423 and network failures; never auth or request errors', () => {
    expect(classifyHubspotError(apiException(500, { message: 'internal error' }))).toEqual({ retry: true, reason: 'server-error' });
    expect(classifyHubspotError(apiException(503, { message: 'Service Unavailable' })).retry).toBe(true);
    expect(classifyHubspotError(apiException(423, { message: 'locked' }))).toMatchObject({ retry: true, reason: 'locked' });
    expect(classifyHubspotError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }))).toEqual({ retry: true, reason: 'network' });
    expect(classifyHubspotError(apiException(401, { category: 'INVALID_AUTHENTICATION', message: 'Authentication credentials not found.' }))).toEqual({ retry: false, reason: 'auth' });
    expect(classifyHubspotError(apiException(403, { category: 'MISSING_SCOPES', message: 'missing scopes' })).reason).toBe('auth');
    expect(classifyHubspotError(apiException(400, { category: 'VALIDATION_ERROR', message: 'Duplicate IDs found in batch input' }))).toEqual({ retry: false, reason: 'request-invalid' });
    expect(classifyHubspotError(new Error('something else'))).toEqual({ retry: false, reason: 'request-invalid' });
  });
});

describe('toHubspotDestinationError', () => {
  it('gives the engine its typed errors, with HubSpot’s status, category and message', () => {
    const wait = toHubspotDestinationError(apiException(429, TEN_SECONDLY, { 'x-hubspot-ratelimit-interval-milliseconds': '10000' }), 'upsert companies');
    expect(wait).toBeInstanceOf(DestinationTransientError);
    expect(wait).toMatchObject({ reason: 'rate-limit', retryAfterMs: 10_000, message: 'HubSpot upsert companies failed: 429: You have reached your ten_secondly_rolling limit.' });

    expect(toHubspotDestinationError(apiException(429, DAILY), 'upsert companies')).toBeInstanceOf(DestinationBudgetExhausted);
    const auth = toHubspotDestinationError(apiException(401, { category: 'INVALID_AUTHENTICATION', message: 'no token' }), 'upsert companies');
    expect(auth).toMatchObject({ code: 'DESTINATION_AUTH_FAILED', message: 'HubSpot upsert companies failed: 401 INVALID_AUTHENTICATION: no token' });
    const invalid = toHubspotDestinationError(apiException(400, { category: 'VALIDATION_ERROR', message: 'bad' }), 'upsert companies');
    expect(invalid).toBeInstanceOf(BackflowError);
    expect(invalid).not.toBeInstanceOf(DestinationTransientError);
    expect(invalid).toMatchObject({ code: 'DESTINATION_REQUEST_INVALID' });
  });
});
