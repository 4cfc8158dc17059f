/**
 * The shared fault kinds on the Salesforce sandbox, seen through jsforce: each is answered the way
 * Salesforce answers it (403 REQUEST_LIMIT_EXCEEDED for its rate limit, 500 UNKNOWN_EXCEPTION,
 * 503 SERVER_UNAVAILABLE, 401 INVALID_SESSION_ID, no answer, a reset connection), and
 * apply-then-fail commits the write before answering 500.
 */
import jsforce, { type Connection } from 'jsforce';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { rejectionOf } from '../support/rejection';

const VERSION = '62.0';
const EXT = 'External_Id__c';

let sandbox: SalesforceSandbox;
let conn: Connection;

beforeEach(async () => {
  // random() = 0 falls in the first kind with a share: a share of 1 always fires.
  sandbox = await startSalesforceSandbox({ random: () => 0 });
  conn = new jsforce.Connection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version: VERSION });
});
afterEach(async () => {
  await sandbox.close();
});

/** A jsforce failure: an API error (errorCode) or a network one (code). */
interface Failure {
  errorCode?: string;
  message?: string;
  code?: string;
}
const failureOf = (promise: PromiseLike<unknown>) => rejectionOf<Failure>(promise);

const upsertOne = (key: string) => conn.sobject('Account').upsert([{ Name: `Account ${key}`, [EXT]: key }], EXT, { allOrNone: false });

describe('Salesforce sandbox fault profile', () => {
  it.each([
    ['rateLimited', 403, 'REQUEST_LIMIT_EXCEEDED', /ConcurrentPerOrgLongTxn Limit exceeded/],
    ['serverError', 500, 'UNKNOWN_EXCEPTION', /unexpected error/],
    ['unavailable', 503, 'SERVER_UNAVAILABLE', /Server Unavailable/],
    ['tokenExpired', 401, 'INVALID_SESSION_ID', /Session expired or invalid/],
  ] as const)('%s: answered %i with Salesforce error body %s, nothing written', async (kind, status, errorCode, message) => {
    sandbox.setFaults({ [kind]: 1 });
    const err = await failureOf(upsertOne('f-1'));
    expect(err.errorCode).toBe(errorCode);
    expect(err.message).toMatch(message);
    expect(sandbox.records('Account')).toHaveLength(0);
    expect(sandbox.requests().at(-1)).toMatchObject({ status, fault: kind });

    // The raw body is the documented shape: a JSON array of {message, errorCode}, plus Sforce-Limit-Info.
    const raw = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/sobjects/Account/describe`, {
      headers: { authorization: `Bearer ${sandbox.accessToken}` },
    });
    expect(raw.status).toBe(status);
    expect(raw.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/\d+$/);
    expect(await raw.json()).toEqual([{ message: expect.stringMatching(message) as unknown, errorCode }]);
  });

  it('applyThenFail: the records are stored, the client hears 500 UNKNOWN_EXCEPTION; a retry upserts, never duplicates', async () => {
    sandbox.setFaults({ applyThenFail: 1 });
    const err = await failureOf(upsertOne('atf-1'));
    expect(err.errorCode).toBe('UNKNOWN_EXCEPTION');
    expect(sandbox.records('Account').map((a) => a[EXT])).toEqual(['atf-1']);
    // A read is not a write: apply-then-fail leaves it alone.
    await expect(conn.query('SELECT Id FROM Account')).resolves.toMatchObject({ totalSize: 1 });

    sandbox.setFaults({});
    const [again] = (await upsertOne('atf-1')) as unknown as Array<{ success: boolean; created: boolean }>;
    expect(again).toMatchObject({ success: true, created: false });
    expect(sandbox.records('Account')).toHaveLength(1);
  });

  it('connectionReset: the socket is destroyed without an answer', async () => {
    sandbox.setFaults({ connectionReset: 1 });
    const err = await failureOf(upsertOne('r-1'));
    expect(`${err.code ?? ''} ${err.message ?? ''}`).toMatch(/ECONNRESET|socket hang up/i);
    expect(sandbox.requests().at(-1)).toMatchObject({ status: 0, fault: 'connectionReset' });
  });

  it('timeout: the request is never answered (the client gives up) and close() does not wait for it', async () => {
    sandbox.setFaults({ timeout: 1 });
    const started = fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/sobjects/Account/describe`, {
      headers: { authorization: `Bearer ${sandbox.accessToken}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(started).rejects.toThrow(/abort|timeout/i);
    expect(sandbox.requests().at(-1)).toMatchObject({ status: 0, fault: 'timeout' });
  });

  it('takes the profile through PUT /__sandbox/faults, rejects unknown kinds and shares above 1, and starts with options.faults', async () => {
    const put = await fetch(`${sandbox.instanceUrl}/__sandbox/faults`, {
      method: 'PUT',
      body: JSON.stringify({ unavailable: 1, writeResponseDelayMs: 5 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ unavailable: 1, writeResponseDelayMs: 5 });
    expect((await failureOf(upsertOne('a-1'))).errorCode).toBe('SERVER_UNAVAILABLE');

    for (const body of [{ tooMuch: 0.5 }, { serverError: 0.8, unavailable: 0.8 }, { writeResponseDelayMs: -1 }]) {
      const bad = await fetch(`${sandbox.instanceUrl}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify(body) });
      expect(bad.status).toBe(400);
    }

    const preset = await startSalesforceSandbox({ faults: { rateLimited: 1 }, random: () => 0 });
    try {
      const other = new jsforce.Connection({ instanceUrl: preset.instanceUrl, accessToken: preset.accessToken, version: VERSION });
      expect((await failureOf(other.query('SELECT Id FROM Account'))).errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    } finally {
      await preset.close();
    }
  });

  it('a share below 1 fires only for the rolls that fall in it', async () => {
    const rolls = [0.05, 0.5, 0.95];
    const seeded = await startSalesforceSandbox({ faults: { serverError: 0.1 }, random: () => rolls.shift() ?? 0.99 });
    try {
      const other = new jsforce.Connection({ instanceUrl: seeded.instanceUrl, accessToken: seeded.accessToken, version: VERSION });
      // Upserts (PATCH): jsforce retries GETs on 5xx by itself, which would hide the roll order.
      const upsert = (key: string) => other.sobject('Account').upsert([{ Name: key, [EXT]: key }], EXT, { allOrNone: false });
      await expect(upsert('s-1')).rejects.toMatchObject({ errorCode: 'UNKNOWN_EXCEPTION' });
      await expect(upsert('s-2')).resolves.toHaveLength(1);
      await expect(upsert('s-3')).resolves.toHaveLength(1);
      expect(seeded.requests().map((r) => r.fault ?? null)).toEqual(['serverError', null, null]);
    } finally {
      await seeded.close();
    }
  });
});

describe('Salesforce sandbox lock contention (UNABLE_TO_LOCK_ROW per record)', () => {
  interface SaveResult {
    id?: string | null;
    success: boolean;
    created?: boolean;
    errors: Array<{ statusCode: string; message: string; fields: string[] }>;
  }
  const upsert = (keys: string[], allOrNone = false) =>
    conn.sobject('Account').upsert(
      keys.map((key) => ({ Name: `Account ${key}`, [EXT]: key })),
      EXT,
      { allOrNone },
    ) as unknown as Promise<SaveResult[]>;
  const LOCKED = { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record', fields: [] };

  it('lockedRecords: the named record fails on its own for its next N writes, unsaved, while the rest of the request is written', async () => {
    sandbox.setFaults({ lockedRecords: { 'lk-1': 2 } });
    const first = await upsert(['lk-1', 'free-1']);
    expect(first[0]).toEqual({ success: false, errors: [LOCKED] });
    expect(first[1]).toMatchObject({ success: true, created: true });
    expect(sandbox.records('Account').map((a) => a[EXT])).toEqual(['free-1']);
    // The request itself succeeded: 200, the failure is in the record's result.
    expect(sandbox.requests().at(-1)).toMatchObject({ method: 'PATCH', status: 200, records: 2 });

    expect((await upsert(['lk-1']))[0]).toEqual({ success: false, errors: [LOCKED] });
    // The lock's count went down with each failure (GET /__sandbox/faults shows what is left).
    const left = await fetch(`${sandbox.instanceUrl}/__sandbox/faults`);
    expect(await left.json()).toEqual({ lockedRecords: { 'lk-1': 0 } });
    // Released: created once, never twice.
    expect((await upsert(['lk-1']))[0]).toMatchObject({ success: true, created: true });
    expect(sandbox.records('Account').map((a) => a[EXT])).toEqual(['free-1', 'lk-1']);
  });

  it('lockedRecords names a record by its Id or the key the write names it by, never by its other values', async () => {
    // Record 1's Health_Score__c is 2: only record 2, whose key is 2, is locked.
    sandbox.setFaults({ lockedRecords: { '2': 1 } });
    const upserted = (await conn.sobject('Account').upsert(
      [
        { [EXT]: '1', Name: 'One', Health_Score__c: 2 },
        { [EXT]: '2', Name: 'Two' },
      ],
      EXT,
      { allOrNone: false },
    )) as unknown as SaveResult[];
    expect(upserted.map((r) => r.success)).toEqual([true, false]);

    // A create names no key field: its external id fields are its keys, its Name is not.
    sandbox.setFaults({ lockedRecords: { 'c-1': 1, 'Name c-2': 1 } });
    const created = (await conn.sobject('Account').create(
      [
        { [EXT]: 'c-1', Name: 'Name c-1' },
        { [EXT]: 'c-2', Name: 'Name c-2' },
      ],
      { allOrNone: false },
    )) as unknown as SaveResult[];
    expect(created.map((r) => r.success)).toEqual([false, true]);

    // An update by Id is named by its Id, not by the external id it carries.
    const id = upserted[0]?.id as string;
    sandbox.setFaults({ lockedRecords: { '1': 1 } });
    const updated = (await conn.sobject('Account').update([{ Id: id, [EXT]: '1', Name: 'Uno' }], { allOrNone: false })) as unknown as SaveResult[];
    expect(updated).toEqual([expect.objectContaining({ success: true })]);
    expect(await (await fetch(`${sandbox.instanceUrl}/__sandbox/faults`)).json()).toEqual({ lockedRecords: { '1': 1 } });

    // A Bulk upsert: its job's externalIdFieldName is the key; a row whose Name is the locked text passes.
    conn.bulk2.pollInterval = 20;
    sandbox.setFaults({ lockedRecords: { 'bk-2': 1 } });
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: EXT,
      input: [
        { [EXT]: 'bk-1', Name: 'bk-2' },
        { [EXT]: 'bk-2', Name: 'Two' },
      ],
    });
    expect((results.failedResults as unknown as Array<Record<string, string>>).map((r) => r[EXT])).toEqual(['bk-2']);
  });

  it('names the locked Id in the message of an update or delete by Id, and leaves the record as it was', async () => {
    const [created] = await upsert(['by-id']);
    const id = created?.id as string;
    sandbox.setFaults({ lockedRecords: { [id]: 2 } });
    const named = { ...LOCKED, message: `unable to obtain exclusive access to this record or 1 records: ${id}` };
    const updated = (await conn.sobject('Account').update([{ Id: id, Name: 'Renamed' }], { allOrNone: false })) as unknown as SaveResult[];
    expect(updated).toEqual([{ success: false, errors: [named] }]);
    const destroyed = (await conn.sobject('Account').destroy([id], { allOrNone: false })) as unknown as SaveResult[];
    expect(destroyed).toEqual([{ success: false, errors: [named] }]);
    expect(sandbox.records('Account')).toEqual([expect.objectContaining({ Id: id, Name: 'Account by-id' })]);
  });

  it('the raw collections body is Salesforce\'s: 200 with {success: false, errors: [{statusCode, message, fields}]}', async () => {
    sandbox.setFaults({ unableToLockRow: 1 });
    const raw = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/composite/sobjects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allOrNone: false, records: [{ attributes: { type: 'Account' }, Name: 'Raw' }] }),
    });
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual([{ success: false, errors: [LOCKED] }]);
    expect(sandbox.records('Account')).toHaveLength(0);
  });

  it('unableToLockRow: a share of records rolled per record; with allOrNone the request rolls back', async () => {
    const rolls = [0.1, 0.9, 0.9];
    const seeded = await startSalesforceSandbox({ faults: { unableToLockRow: 0.5 }, random: () => rolls.shift() ?? 0.99 });
    try {
      const other = new jsforce.Connection({ instanceUrl: seeded.instanceUrl, accessToken: seeded.accessToken, version: VERSION });
      const answers = (await other.sobject('Account').upsert(
        ['s-1', 's-2'].map((key) => ({ Name: key, [EXT]: key })),
        EXT,
        { allOrNone: false },
      )) as unknown as SaveResult[];
      expect(answers.map((a) => a.success)).toEqual([false, true]);
      expect(answers[0]?.errors).toEqual([LOCKED]);
      expect(seeded.records('Account').map((a) => a[EXT])).toEqual(['s-2']);

      seeded.setFaults({ unableToLockRow: 1 });
      const rolledBack = (await other.sobject('Account').upsert([{ Name: 's-3', [EXT]: 's-3' }], EXT, { allOrNone: true })) as unknown as SaveResult[];
      expect(rolledBack).toEqual([{ success: false, errors: [LOCKED] }]);
    } finally {
      await seeded.close();
    }
  });

  it('a Bulk API 2.0 job reports the locked rows in failedResults as STATUS_CODE:message:fields --', async () => {
    conn.bulk2.pollInterval = 20;
    sandbox.setFaults({ lockedRecords: { 'bk-2': 1 } });
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: EXT,
      input: [
        { [EXT]: 'bk-1', Name: 'One' },
        { [EXT]: 'bk-2', Name: 'Two' },
      ],
    });
    const rows = (list: unknown) => list as Array<Record<string, string>>;
    expect(rows(results.successfulResults).map((r) => r[EXT])).toEqual(['bk-1']);
    expect(rows(results.failedResults).map((r) => [r[EXT], r.sf__Error])).toEqual([['bk-2', 'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record: --']]);
  });

  it('refuses a share outside [0, 1] and a lock count that is not a whole number', async () => {
    for (const body of [{ unableToLockRow: 2 }, { lockedRecords: { a: -1 } }, { lockedRecords: { a: 1.5 } }, { lockedRecords: ['a'] }]) {
      const bad = await fetch(`${sandbox.instanceUrl}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify(body) });
      expect(bad.status).toBe(400);
    }
  });
});
