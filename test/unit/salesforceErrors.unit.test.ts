import { classifySalesforceError, REQUEST_LIMIT_WAIT_MS, toDestinationError } from '../../src/destinations/salesforceErrors';
import { BackflowError, DestinationBatchRejected, DestinationBudgetExhausted, DestinationTransientError } from '../../src/errors';

function httpError(errorCode: string, message = 'x'): Error {
  return Object.assign(new Error(message), { errorCode, name: errorCode });
}

describe('classifySalesforceError', () => {
  it.each([
    ['INVALID_SESSION_ID', { retry: false, reason: 'auth' }],
    ['REQUEST_LIMIT_EXCEEDED', { retry: true, reason: 'api-limit', waitMs: REQUEST_LIMIT_WAIT_MS }],
    ['SERVER_UNAVAILABLE', { retry: true, reason: 'server-error' }],
    ['ERROR_HTTP_503', { retry: true, reason: 'server-error' }],
    // Salesforce's 500 body: "An unexpected error occurred" — a server fault, so retried.
    ['UNKNOWN_EXCEPTION', { retry: true, reason: 'server-error' }],
    ['JSON_PARSER_ERROR', { retry: false, reason: 'request-invalid' }],
    ['EXCEEDED_ID_LIMIT', { retry: false, reason: 'request-invalid' }],
    // Over the API's body size: the engine halves the batch (toDestinationError: DestinationBatchRejected).
    ['REQUEST_ENTITY_TOO_LARGE', { retry: false, reason: 'too-large' }],
  ])('%s', (code, expected) => {
    expect(classifySalesforceError(httpError(code))).toEqual(expected);
  });

  it('makes UNKNOWN_EXCEPTION (a 500) transient, so the activity retries it', () => {
    expect(toDestinationError(httpError('UNKNOWN_EXCEPTION', 'An unexpected error occurred.'), 'upsert Account')).toBeInstanceOf(
      DestinationTransientError,
    );
  });

  it('stops on a spent daily allocation instead of waiting, but waits out a concurrency limit', () => {
    expect(classifySalesforceError(httpError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'))).toEqual({ retry: false, reason: 'api-budget' });
    expect(classifySalesforceError(httpError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'))).toEqual({
      retry: true,
      reason: 'api-limit',
      waitMs: REQUEST_LIMIT_WAIT_MS,
    });
  });

  it("reads Salesforce's code from an error body jsforce could not parse (a Bulk result download answered with JSON)", () => {
    const body = (errorCode: string, message: string) => ({ name: 'ERROR_HTTP_403', errorCode: 'ERROR_HTTP_403', message: JSON.stringify([{ message, errorCode }]) });
    expect(classifySalesforceError(body('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'))).toEqual({ retry: true, reason: 'api-limit', waitMs: 60_000 });
    expect(classifySalesforceError(body('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'))).toEqual({ retry: false, reason: 'api-budget' });
    expect(classifySalesforceError({ errorCode: 'ERROR_HTTP_401', message: '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]' })).toMatchObject({ reason: 'auth' });
    expect(classifySalesforceError({ errorCode: 'ERROR_HTTP_400', message: 'not json' })).toMatchObject({ retry: false, reason: 'request-invalid' });
  });

  it('retries network failures', () => {
    expect(classifySalesforceError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({
      retry: true,
      reason: 'network',
    });
    expect(classifySalesforceError(new TypeError('fetch failed'))).toMatchObject({ retry: true });
  });

  it('retries a failed name lookup, as the other destinations do', () => {
    // As jsforce's fetch throws it for a host that does not resolve.
    const lookup = Object.assign(new Error('request to https://acme.my.salesforce.com/services/data/v62.0/composite/sobjects/Account/Ext__c failed, reason: getaddrinfo ENOTFOUND acme.my.salesforce.com'), { name: 'FetchError', code: 'ENOTFOUND' });
    expect(classifySalesforceError(lookup)).toEqual({ retry: true, reason: 'network' });
    const refresh = new Error('Unable to refresh session due to: request to https://login.salesforce.com/services/oauth2/token failed, reason: getaddrinfo ENOTFOUND login.salesforce.com');
    expect(classifySalesforceError(refresh)).toEqual({ retry: true, reason: 'network' });
  });

  // jsforce wraps a failed session refresh, keeping only the cause's message.
  it('stops on a refresh the login server refused, but retries one it never answered', () => {
    const refresh = (cause: string) => new Error(`Unable to refresh session due to: ${cause}`);
    expect(classifySalesforceError(refresh('expired access/refresh token'))).toEqual({ retry: false, reason: 'auth' });
    expect(classifySalesforceError(refresh('authentication failure'))).toEqual({ retry: false, reason: 'auth' });
    // The token endpoint's code, kept by salesforceAuth.ts: a login server down for a moment is retried.
    expect(classifySalesforceError(refresh('invalid_grant: expired access/refresh token'))).toEqual({ retry: false, reason: 'auth' });
    expect(classifySalesforceError(refresh('ERROR_HTTP_503: Service Unavailable'))).toEqual({ retry: true, reason: 'server-error' });
    expect(classifySalesforceError(refresh('unknown_error: retry your request'))).toEqual({ retry: true, reason: 'server-error' });
    expect(classifySalesforceError(refresh('no answer within 300 ms (POST /services/oauth2/token)'))).toEqual({ retry: true, reason: 'network' });
    expect(classifySalesforceError(refresh('request to https://login.salesforce.com/services/oauth2/token failed, reason: connect ECONNREFUSED 10.0.0.1:443'))).toEqual({
      retry: true,
      reason: 'network',
    });
  });
});

describe('toDestinationError', () => {
  it('makes retryable failures transient (with the wait) and others final, with a typed code', () => {
    const limited = toDestinationError(httpError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'), 'upsert Account');
    expect(limited).toBeInstanceOf(DestinationTransientError);
    expect((limited as DestinationTransientError).retryAfterMs).toBe(REQUEST_LIMIT_WAIT_MS);
    const spent = toDestinationError(httpError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), 'upsert Account');
    expect(spent).toBeInstanceOf(DestinationBudgetExhausted);
    expect((spent as BackflowError).code).toBe('DESTINATION_BUDGET_EXHAUSTED');
    const auth = toDestinationError(httpError('INVALID_SESSION_ID', 'Session expired or invalid'), 'upsert Account');
    expect(auth).toBeInstanceOf(BackflowError);
    expect((auth as BackflowError).code).toBe('DESTINATION_AUTH_FAILED');
    expect(auth.message).toBe('Salesforce upsert Account failed: INVALID_SESSION_ID: Session expired or invalid');
    const tooLarge = toDestinationError(httpError('REQUEST_ENTITY_TOO_LARGE', 'request entity too large'), 'upsert Account');
    expect(tooLarge).toBeInstanceOf(DestinationBatchRejected);
    expect((tooLarge as DestinationBatchRejected).destinationCode).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it("never quotes a token an HTTP client refused as a header (node-fetch's message holds the whole value)", () => {
    const refused = new TypeError('Bearer sekrit-TOKEN\u2019 is not a legal HTTP header value');
    const error = toDestinationError(refused, 'describe Account');
    expect(error.message).toBe('Salesforce describe Account failed: UNKNOWN: Bearer *** is not a legal HTTP header value');
  });
});
