import { BackflowError } from '../../src/errors';
import { isBigqueryUnavailable, isPostgresUnavailable, SourceUnavailable, sourceFailure } from '../../src/sources/sourceErrors';

describe('which warehouse failures are waited out', () => {
  it('PostgreSQL: the network, a dropped connection and the server\'s "not now" states; not a refused login or a bad query', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      // A hot standby cancelling a query for a conflict with recovery, a deadlock, a database dropped in recovery.
      Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' }),
      Object.assign(new Error('deadlock detected'), { code: '40P01' }),
      Object.assign(new Error('database dropped'), { code: '57P04' }),
    ]) {
      expect([err.message, isPostgresUnavailable(err)]).toEqual([err.message, true]);
    }
    for (const err of [
      Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' }),
      Object.assign(new Error('database "nope" does not exist'), { code: '3D000' }),
      Object.assign(new Error('relation "acounts" does not exist'), { code: '42P01' }),
    ]) {
      expect([err.message, isPostgresUnavailable(err)]).toEqual([err.message, false]);
    }
  });

  it('BigQuery: HTTP 429 and 5xx, the retryable reasons and the network; not a query BigQuery refused', () => {
    expect(isBigqueryUnavailable({ code: 503, message: 'Service Unavailable' })).toBe(true);
    expect(isBigqueryUnavailable({ code: 429, message: 'Too Many Requests' })).toBe(true);
    expect(isBigqueryUnavailable({ message: 'job failed', errors: [{ reason: 'backendError' }] })).toBe(true);
    expect(isBigqueryUnavailable({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).toBe(true);
    expect(isBigqueryUnavailable({ code: 400, errors: [{ reason: 'invalidQuery' }] })).toBe(false);
    expect(isBigqueryUnavailable({ code: 404, errors: [{ reason: 'notFound' }] })).toBe(false);
  });

  it('an unavailable warehouse gives an untyped error (Temporal retries it), a refused query a final SOURCE_QUERY_FAILED', () => {
    const retried = sourceFailure('PostgreSQL: connect ECONNREFUSED', true);
    expect(retried).toBeInstanceOf(SourceUnavailable);
    expect(retried).not.toBeInstanceOf(BackflowError);
    expect(retried).toMatchObject({ code: 'SOURCE_UNAVAILABLE', message: 'PostgreSQL: connect ECONNREFUSED (the warehouse is unavailable; retried)' });
    expect(sourceFailure('PostgreSQL: syntax error', false)).toMatchObject({ code: 'SOURCE_QUERY_FAILED' });
    expect(sourceFailure('PostgreSQL: syntax error', false)).toBeInstanceOf(BackflowError);
  });
});
