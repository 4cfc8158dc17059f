/**
 * The jsforce transport backflow's Salesforce destination sends with, against the Salesforce sandbox:
 * a deadline on every request, and no retries of jsforce's own.
 */
import jsforce from 'jsforce';
import { withBackflowTransport } from '../../src/destinations/salesforceTransport';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { rejectionOf } from '../support/rejection';

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
});
