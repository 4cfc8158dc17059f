/**
 * The jsforce transport backflow's Salesforce destination sends with, against the Salesforce sandbox:
 * a deadline on every request (OAuth token requests too), and no retries of jsforce's own.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsforce from 'jsforce';
import type { SalesforceConnection } from '../../src/config/schema';
import { openSalesforceConnection } from '../../src/destinations/salesforceAuth';
import { classifySalesforceError } from '../../src/destinations/salesforceErrors';
import { withBackflowTransport } from '../../src/destinations/salesforceTransport';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { rejectionOf } from '../support/rejection';
import { startSilentServer } from '../support/silentServer';

let sandbox: SalesforceSandbox;

beforeEach(async () => {
  // random() = 0 falls in the first kind with a share: a share of 1 always fires.
  sandbox = await startSalesforceSandbox({ random: () => 0 });
});
afterEach(async () => {
  await sandbox.close();
});

const connect = (timeoutMs: number) =>
  withBackflowTransport(new jsforce.Connection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version: '62.0' }), timeoutMs);

/** A connection holding a dead session and a refresh token, refreshed at the login server on `loginPort`. */
function refreshingConnection(loginPort: number, timeoutMs: number) {
  // As the worker holds it: secrets resolved, defaults applied.
  const config: SalesforceConnection = {
    type: 'salesforce',
    instanceUrl: sandbox.instanceUrl,
    accessToken: 'expired-session',
    refreshToken: sandbox.refreshToken,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    loginUrl: `http://127.0.0.1:${loginPort}`,
    apiVersion: '62.0',
    bulkThreshold: 2_000,
    maxDailyApiUsage: 0.8,
    timeoutMs,
  };
  return withBackflowTransport(openSalesforceConnection(config, process.cwd()), timeoutMs);
}

/** A jsforce failure: an API error (errorCode) or a network one (code). */
interface Failure {
  errorCode?: string;
  message?: string;
  code?: string;
}
const failureOf = (promise: PromiseLike<unknown>) => rejectionOf<Failure>(promise);

describe('the Salesforce transport', () => {
  it('aborts a request left unanswered past the deadline, as ETIMEDOUT naming the request', async () => {
    sandbox.setFaults({ timeout: 1 });
    const conn = connect(300);
    const started = Date.now();
    const failure = await failureOf(conn.sobject('Account').describe());
    expect(failure.code).toBe('ETIMEDOUT');
    expect(failure.message).toBe('no answer within 300 ms (GET /services/data/v62.0/sobjects/Account/describe)');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The same connection answers as soon as the destination does.
    sandbox.setFaults({});
    const described = await conn.sobject('Account').describe();
    expect(described.name).toBe('Account');
  });

  it.each([
    ['serverError', 'UNKNOWN_EXCEPTION'],
    ['unavailable', 'SERVER_UNAVAILABLE'],
  ])('sends a GET answered %s once: the failure is Temporal’s to retry, not jsforce’s', async (fault, errorCode) => {
    sandbox.setFaults({ [fault]: 1 });
    const failure = await failureOf(connect(10_000).sobject('Account').describe());
    expect(failure.errorCode).toBe(errorCode);
    expect(sandbox.requests().map((r) => [r.method, r.path, r.status])).toEqual([['GET', '/services/data/v62.0/sobjects/Account/describe', fault === 'serverError' ? 500 : 503]]);
  });

  it('retries a 5xx whose JSON body names no Salesforce errorCode (a proxy or load balancer in front of the org), as ERROR_HTTP_<status>', async () => {
    const answers = [
      { status: 502, body: JSON.stringify({ message: 'Bad Gateway' }) },
      { status: 503, body: JSON.stringify([{ message: 'Service Unavailable' }]) },
      // Not a server failure: still refused for good.
      { status: 400, body: JSON.stringify({ message: 'weird' }) },
    ];
    const org = createServer((request, response) => {
      const answer = answers.shift() ?? { status: 500, body: 'no more answers' };
      request.resume();
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => org.listen(0, '127.0.0.1', resolve));
    try {
      const conn = withBackflowTransport(new jsforce.Connection({ instanceUrl: `http://127.0.0.1:${(org.address() as AddressInfo).port}`, accessToken: 'token', version: '62.0' }), 5_000);
      const failed = () => failureOf(conn.sobject('Account').describe());
      const badGateway = await failed();
      expect(badGateway).toMatchObject({ errorCode: 'ERROR_HTTP_502', message: '{"message":"Bad Gateway"}' });
      expect(classifySalesforceError(badGateway)).toEqual({ retry: true, reason: 'server-error' });
      const unavailable = await failed();
      expect(unavailable.errorCode).toBe('ERROR_HTTP_503');
      expect(classifySalesforceError(unavailable)).toEqual({ retry: true, reason: 'server-error' });
      expect(classifySalesforceError(await failed())).toEqual({ retry: false, reason: 'request-invalid' });
    } finally {
      await new Promise((resolve) => org.close(resolve));
    }
  });

  it('gives a session refresh whose token endpoint never answers the same deadline', async () => {
    // The org answers (401 to a dead session); its login server, where the refresh goes, does not.
    const login = await startSilentServer();
    try {
      const conn = refreshingConnection(login.port, 300);
      const started = Date.now();
      const failure = await failureOf(conn.sobject('Account').describe());
      // jsforce wraps the refresh's failure; the classifier reads it as the network's, so it is retried.
      expect(failure.message).toBe('Unable to refresh session due to: no answer within 300 ms (POST /services/oauth2/token)');
      expect(classifySalesforceError(failure)).toEqual({ retry: true, reason: 'network' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await login.close();
    }
  });

  it('retries a refresh its login server failed (503, unknown_error, a 502 without an OAuth error), and stops on one it refused (invalid_grant)', async () => {
    const answers = [
      { status: 503, type: 'text/html', body: 'Service Unavailable' },
      { status: 500, type: 'application/json', body: JSON.stringify({ error: 'unknown_error', error_description: 'retry your request' }) },
      // A proxy in front of the login server: JSON, but no OAuth `error` in it.
      { status: 502, type: 'application/json', body: JSON.stringify({ message: 'Bad Gateway' }) },
      { status: 400, type: 'application/json', body: JSON.stringify({ error: 'invalid_grant', error_description: 'expired access/refresh token' }) },
    ];
    const login = createServer((request, response) => {
      const answer = answers.shift() ?? { status: 500, type: 'text/plain', body: 'no more answers' };
      request.resume();
      response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    });
    await new Promise<void>((resolve) => login.listen(0, '127.0.0.1', resolve));
    try {
      const conn = refreshingConnection((login.address() as AddressInfo).port, 5_000);
      const classified = async () => classifySalesforceError(await failureOf(conn.sobject('Account').describe()));
      expect(await classified()).toEqual({ retry: true, reason: 'server-error' });
      expect(await classified()).toEqual({ retry: true, reason: 'server-error' });
      expect(await classified()).toEqual({ retry: true, reason: 'server-error' });
      expect(await classified()).toEqual({ retry: false, reason: 'auth' });
    } finally {
      await new Promise((resolve) => login.close(resolve));
    }
  });
});
