/**
 * The Salesforce sandbox driven over HTTP by the official client (jsforce), so the emulator is
 * checked against what a real client sends and how it interprets answers.
 */
import jsforce, { type Connection } from 'jsforce';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { rejectionOf } from '../support/rejection';

interface UpsertAnswer {
  id?: string | null;
  success: boolean;
  created?: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
}

interface ApiErrorLike {
  errorCode?: string;
  message?: string;
}

const VERSION = '62.0';
const EXT = 'External_Id__c';

let sandbox: SalesforceSandbox;
let conn: Connection;

function connect(sb: SalesforceSandbox, accessToken = sb.accessToken): Connection {
  return new jsforce.Connection({ instanceUrl: sb.instanceUrl, accessToken, version: VERSION });
}

async function upsert(records: Array<Record<string, unknown>>, allOrNone = false): Promise<UpsertAnswer[]> {
  const result = await conn.sobject('Account').upsert(records, EXT, { allOrNone });
  return result as unknown as UpsertAnswer[];
}

/** Raw collections upsert, for bodies jsforce would refuse to build. */
async function rawUpsert(body: unknown): Promise<UpsertAnswer[]> {
  return conn.request<UpsertAnswer[]>({
    method: 'PATCH',
    url: `/services/data/v${VERSION}/composite/sobjects/Account/${EXT}`,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

const rejection = (promise: PromiseLike<unknown>) => rejectionOf<ApiErrorLike>(promise);

function accounts(): Array<Record<string, unknown>> {
  return sandbox.records('Account');
}

beforeEach(async () => {
  sandbox = await startSalesforceSandbox();
  conn = connect(sandbox);
});

afterEach(async () => {
  await sandbox.close();
});

describe('sObject Collections upsert', () => {
  it('creates, then updates by external id (case-insensitively) without duplicating', async () => {
    const first = await upsert([
      { Name: 'Acme', [EXT]: 'acme-1', Health_Score__c: 72, Segment__c: 'healthy' },
      { Name: 'Globex', [EXT]: 'globex-1', MRR__c: 1200.5 },
    ]);
    expect(first.map((r) => [r.success, r.created])).toEqual([
      [true, true],
      [true, true],
    ]);
    for (const r of first) expect(r.id).toMatch(/^001[0-9A-Za-z]{15}$/);

    const second = await upsert([
      { Name: 'Acme Corp', [EXT]: 'ACME-1', Segment__c: null },
      { Name: 'Globex', [EXT]: 'globex-1', MRR__c: 1300 },
    ]);
    expect(second.map((r) => [r.success, r.created])).toEqual([
      [true, false],
      [true, false],
    ]);
    expect(second.map((r) => r.id)).toEqual(first.map((r) => r.id));

    const stored = accounts();
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ Id: first[0]?.id, Name: 'Acme Corp', Health_Score__c: 72, Segment__c: null });
    expect(stored[1]).toMatchObject({ Name: 'Globex', MRR__c: 1300 });
    // Audit fields in Salesforce's datetime format, bumped on update.
    expect(stored[0]?.['CreatedDate']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    expect(String(stored[0]?.['LastModifiedDate']) >= String(stored[0]?.['CreatedDate'])).toBe(true);
  });

  it('matches a unique case-sensitive external id in its exact case, in upserts and in SOQL', async () => {
    const KEY = 'Case_Sensitive_Key__c';
    const described = (await conn.sobject('Account').describe()).fields.find((f) => f.name === KEY);
    expect(described).toMatchObject({ externalId: true, unique: true, caseSensitive: true });

    const sobject = conn.sobject('Account');
    const first = (await sobject.upsert([{ Name: 'Lower', [KEY]: 'ab-1' }, { Name: 'Upper', [KEY]: 'AB-1' }], KEY, { allOrNone: false })) as unknown as UpsertAnswer[];
    // Two keys, two records: not one record named twice in a request (DUPLICATE_EXTERNAL_ID).
    expect(first.map((r) => [r.success, r.created])).toEqual([
      [true, true],
      [true, true],
    ]);
    const again = (await sobject.upsert([{ Name: 'Upper again', [KEY]: 'AB-1' }], KEY, { allOrNone: false })) as unknown as UpsertAnswer[];
    expect(again.map((r) => [r.success, r.created, r.id])).toEqual([[true, false, first[1]?.id]]);

    const exact = await conn.query<{ Name: string }>(`SELECT Name FROM Account WHERE ${KEY} IN ('ab-1')`);
    expect(exact.records.map((r) => r.Name)).toEqual(['Lower']);
    const equals = await conn.query<{ Name: string }>(`SELECT Name FROM Account WHERE ${KEY} = 'AB-1'`);
    expect(equals.records.map((r) => r.Name)).toEqual(['Upper again']);
    // Any other text field still compares ignoring case.
    const byName = await conn.query<{ Name: string }>("SELECT Name FROM Account WHERE Name = 'LOWER'");
    expect(byName.records.map((r) => r.Name)).toEqual(['Lower']);
  });

  it('reports per-record errors while the other records succeed', async () => {
    const results = await upsert([
      { Name: 'Good One', [EXT]: 'g-1' },
      { [EXT]: 'no-name' },
      { Name: 'x'.repeat(256), [EXT]: 'too-long' },
      { Name: 'Unknown Field', [EXT]: 'bogus', Bogus__c: 1 },
      { Name: 'Not a number', [EXT]: 'nan', Health_Score__c: 'very healthy' },
      { Name: 'Read only', [EXT]: 'ro', CreatedDate: '2020-01-01T00:00:00Z' },
      { Name: 'Good Two', [EXT]: 'g-2' },
    ]);
    expect(results.map((r) => r.success)).toEqual([true, false, false, false, false, false, true]);
    expect(results[1]).toEqual({
      success: false,
      errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Name]', fields: ['Name'] }],
    });
    expect(results[2]?.errors).toEqual([
      { statusCode: 'STRING_TOO_LONG', message: `Account Name: data value too large: ${'x'.repeat(256)} (max length=255)`, fields: ['Name'] },
    ]);
    expect(results[3]?.errors[0]).toMatchObject({ statusCode: 'INVALID_FIELD', message: "No such column 'Bogus__c' on sobject of type Account" });
    expect(results[4]?.errors[0]).toMatchObject({ statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', fields: ['Health_Score__c'] });
    expect(results[5]?.errors[0]).toMatchObject({ statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['CreatedDate'] });
    expect(accounts().map((a) => a['Name'])).toEqual(['Good One', 'Good Two']);
  });

  it('rejects every record sharing an external id within one request, and records without one', async () => {
    const results = await rawUpsert({
      allOrNone: false,
      records: [
        { attributes: { type: 'Account' }, Name: 'A', [EXT]: 'dup' },
        { attributes: { type: 'Account' }, Name: 'B', [EXT]: 'DUP' },
        { attributes: { type: 'Account' }, Name: 'C' },
        { attributes: { type: 'Account' }, Name: 'D', [EXT]: 'unique' },
      ],
    });
    expect(results.map((r) => r.errors[0]?.statusCode ?? 'ok')).toEqual(['DUPLICATE_VALUE', 'DUPLICATE_VALUE', 'MISSING_ARGUMENT', 'ok']);
    expect(results[0]?.errors[0]?.message).toBe('Duplicate external id specified: dup');
    expect(accounts().map((a) => a[EXT])).toEqual(['unique']);
  });

  it('answers a rolled-back create collection without ids, as Salesforce documents it', async () => {
    const results = (await conn.sobject('Account').create([{ Name: 'ok' }, { Website: 'no name' }], { allOrNone: true })) as Array<{ id?: string; success: boolean; errors: Array<{ statusCode: string }> }>;
    expect(results.map((r) => [r.id, r.success, r.errors[0]?.statusCode])).toEqual([
      [undefined, false, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
      [undefined, false, 'REQUIRED_FIELD_MISSING'],
    ]);
    expect(accounts()).toHaveLength(0);
  });

  it('rolls everything back with allOrNone when any record fails', async () => {
    const [existing] = await upsert([{ Name: 'Before', [EXT]: 'keep' }]);
    const results = await upsert(
      [
        { Name: 'After', [EXT]: 'keep' },
        { Name: 'New', [EXT]: 'new' },
        { [EXT]: 'broken' },
      ],
      true,
    );
    expect(results.map((r) => r.success)).toEqual([false, false, false]);
    const rolledBack = {
      statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
      fields: [],
    };
    expect(results[0]).toEqual({ id: existing?.id, success: false, errors: [rolledBack] });
    // The record it created was rolled back: no id that names nothing.
    expect(results[1]).toEqual({ success: false, errors: [rolledBack] });
    expect(results[2]?.errors[0]?.statusCode).toBe('REQUIRED_FIELD_MISSING');
    expect(accounts()).toHaveLength(1);
    expect(accounts()[0]?.['Name']).toBe('Before');
  });

  it('accepts 200 records and rejects 201 with EXCEEDED_ID_LIMIT', async () => {
    const batch = (n: number, prefix: string): Array<Record<string, unknown>> =>
      Array.from({ length: n }, (_, i) => ({ Name: `Co ${i}`, [EXT]: `${prefix}-${i}` }));
    expect((await upsert(batch(200, 'ok'))).every((r) => r.success)).toBe(true);
    const err = await rejection(upsert(batch(201, 'big')));
    expect(err.errorCode).toBe('EXCEEDED_ID_LIMIT');
    expect(err.message).toBe('record limit reached. cannot submit more than 200 records into this call');
    expect(accounts()).toHaveLength(200);
  });

  it('checks the external id field and the records type', async () => {
    const unknown = await rejection(conn.sobject('Account').upsert([{ Name: 'x', Nope__c: 'a' }], 'Nope__c'));
    expect(unknown.errorCode).toBe('NOT_FOUND');
    const notExternal = await rejection(conn.sobject('Account').upsert([{ Name: 'x', Website: 'a' }], 'Website'));
    expect(notExternal.errorCode).toBe('INVALID_FIELD');
    const wrongType = await rejection(rawUpsert({ records: [{ attributes: { type: 'Contact' }, LastName: 'x', [EXT]: 'c' }] }));
    expect(wrongType.errorCode).toBe('INVALID_TYPE');
    const unknownObject = await rejection(conn.sobject('Widget__c').upsert([{ [EXT]: 'w' }], EXT));
    expect(unknownObject.errorCode).toBe('NOT_FOUND');
    expect(accounts()).toHaveLength(0);
  });

  it('answers malformed JSON with JSON_PARSER_ERROR', async () => {
    const res = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/composite/sobjects/Account/${EXT}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${sandbox.accessToken}`, 'Content-Type': 'application/json' },
      body: '{"records": [',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Array<{ errorCode: string }>;
    expect(body[0]?.errorCode).toBe('JSON_PARSER_ERROR');
  });

  it('resolves parent references given by external id', async () => {
    const [acme] = await upsert([{ Name: 'Acme', [EXT]: 'acme' }]);
    const results = (await conn
      .sobject('Contact')
      .upsert(
        [
          { LastName: 'Doe', [EXT]: 'c-1', Email: 'jane@example.com', Account: { [EXT]: 'ACME' } },
          { LastName: 'Roe', [EXT]: 'c-2', Account: { [EXT]: 'missing' } },
          { LastName: 'Poe', [EXT]: 'c-3', Email: 'not an email' },
        ],
        EXT,
        { allOrNone: false },
      )) as unknown as UpsertAnswer[];
    expect(results.map((r) => r.success)).toEqual([true, false, false]);
    expect(results[1]?.errors[0]?.message).toBe('Foreign key external ID: missing not found for field External_Id__c in entity Account');
    expect(results[2]?.errors[0]?.statusCode).toBe('INVALID_EMAIL_ADDRESS');
    expect(sandbox.records('Contact')[0]?.['AccountId']).toBe(acme?.id);
  });
});

describe('session and API allocation', () => {
  it('rejects a bad token with 401 INVALID_SESSION_ID, surfaced by jsforce', async () => {
    const err = await rejection(connect(sandbox, 'wrong-token').query('SELECT Id FROM Account'));
    expect(err.errorCode).toBe('INVALID_SESSION_ID');
    expect(err.message).toBe('Session expired or invalid');
    expect(sandbox.requests().map((r) => r.status)).toEqual([401]);

    const noAuth = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/sobjects`);
    expect(noAuth.status).toBe(401);
    // OAuth is accepted as an alternative scheme.
    const oauth = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/sobjects`, {
      headers: { Authorization: `OAuth ${sandbox.accessToken}` },
    });
    expect(oauth.status).toBe(200);
  });

  it('reports api usage in Sforce-Limit-Info and counts every API call', async () => {
    await conn.query('SELECT Id FROM Account');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 15000 });
    await conn.sobject('Account').describe();
    await upsert([{ Name: 'A', [EXT]: 'a' }]);
    expect(conn.limitInfo.apiUsage).toEqual({ used: 3, limit: 15000 });
    const res = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/limits`, {
      headers: { Authorization: `Bearer ${sandbox.accessToken}` },
    });
    expect(res.headers.get('sforce-limit-info')).toBe('api-usage=4/15000');
    const listed = (await res.json()) as Record<string, { Max: number; Remaining: number }>;
    expect(listed['DailyApiRequests']).toEqual({ Max: 15000, Remaining: 14996 });
    // The org's other allocations, as /limits lists them (a sync checking its Bulk API allowance reads these).
    expect(listed['DailyBulkApiBatches']).toEqual({ Max: 15000, Remaining: 15000 });
    expect(Object.keys(listed)).toEqual(expect.arrayContaining(['DailyBulkV2QueryJobs', 'DataStorageMB', 'SingleEmail']));
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED once the daily allocation is used up', async () => {
    const limited = await startSalesforceSandbox({ dailyApiLimit: 3, accessToken: 'limited-token' });
    try {
      const c = connect(limited);
      expect(limited.accessToken).toBe('limited-token');
      for (let i = 0; i < 3; i += 1) await c.query('SELECT COUNT() FROM Account');
      // Admin endpoints are not API calls.
      expect((await fetch(`${limited.instanceUrl}/__sandbox/requests`)).status).toBe(200);
      const err = await rejection(c.query('SELECT COUNT() FROM Account'));
      expect(err.errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
      expect(err.message).toBe('TotalRequests Limit exceeded.');
      expect(c.limitInfo.apiUsage).toEqual({ used: 3, limit: 3 });
      expect(limited.requests().map((r) => r.status)).toEqual([200, 200, 200, 403]);
    } finally {
      await limited.close();
    }
  });
});

describe('describe', () => {
  it('describes Account fields the way Salesforce does', async () => {
    const d = await conn.sobject('Account').describe();
    expect(d).toMatchObject({ name: 'Account', keyPrefix: '001', createable: true, updateable: true, queryable: true, custom: false });
    const field = (name: string): Record<string, unknown> | undefined =>
      d.fields.find((f) => f.name === name) as unknown as Record<string, unknown> | undefined;
    expect(field('Id')).toMatchObject({ type: 'id', length: 18, createable: false, idLookup: true });
    expect(field('Name')).toMatchObject({ type: 'string', length: 255, nillable: false, createable: true, defaultedOnCreate: false });
    expect(field(EXT)).toMatchObject({ type: 'string', externalId: true, unique: true, idLookup: true, custom: true });
    expect(field('Health_Score__c')).toMatchObject({ type: 'double', precision: 18, scale: 0 });
    expect(field('MRR__c')).toMatchObject({ type: 'currency' });
    expect((field('Segment__c')?.['picklistValues'] as Array<{ value: string }>).map((p) => p.value)).toEqual(['at-risk', 'neutral', 'healthy']);
    expect(field('CreatedDate')).toMatchObject({ type: 'datetime', createable: false, updateable: false });

    const global = await conn.describeGlobal();
    expect(global.maxBatchSize).toBe(200);
    expect(global.sobjects.map((s) => [s.name, s.keyPrefix])).toEqual([
      ['Account', '001'],
      ['Contact', '003'],
    ]);
    const missing = await rejection(conn.sobject('Nope').describe());
    expect(missing.errorCode).toBe('NOT_FOUND');
    expect(missing.message).toBe('The requested resource does not exist');
  });
});

describe('SOQL', () => {
  it('runs IN queries, COUNT() and reports query errors', async () => {
    await upsert([
      { Name: 'Acme', [EXT]: 'a-1', Health_Score__c: 10 },
      { Name: 'Globex', [EXT]: 'a-2', Health_Score__c: 20 },
      { Name: 'Initech', [EXT]: 'a-3', Health_Score__c: 30 },
    ]);
    const res = await conn.query<{ Name: string }>(
      "SELECT Name, External_Id__c FROM Account WHERE External_Id__c IN ('A-1', 'a-3') ORDER BY Health_Score__c DESC",
    );
    expect(res.totalSize).toBe(2);
    expect(res.done).toBe(true);
    expect(res.records).toEqual([
      { attributes: { type: 'Account', url: expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/Account\/001/) }, Name: 'Initech', External_Id__c: 'a-3' },
      { attributes: { type: 'Account', url: expect.any(String) }, Name: 'Acme', External_Id__c: 'a-1' },
    ]);
    const count = await conn.query('SELECT COUNT() FROM Account WHERE Health_Score__c >= 20');
    expect(count.totalSize).toBe(2);

    expect((await rejection(conn.query('SELECT Id FROM Account WHERE'))).errorCode).toBe('MALFORMED_QUERY');
    const badField = await rejection(conn.query('SELECT Nope FROM Account'));
    expect(badField.errorCode).toBe('INVALID_FIELD');
    expect(badField.message).toContain("No such column 'Nope' on entity 'Account'");
  });

  it('pages results above 2000 rows through nextRecordsUrl', async () => {
    const records = Array.from({ length: 2300 }, (_, i) => ({ Name: `Co ${i}`, [EXT]: `p-${i}` }));
    await conn.sobject('Account').upsert(records, EXT, { allOrNone: false, allowRecursive: true });
    // Raw request: jsforce rewrites nextRecordsUrl into an absolute URL of its own.
    const first = await conn.request<{ totalSize: number; done: boolean; nextRecordsUrl?: string; records: unknown[] }>(
      `/services/data/v${VERSION}/query?q=${encodeURIComponent('SELECT Id FROM Account')}`,
    );
    expect(first.totalSize).toBe(2300);
    expect(first.done).toBe(false);
    expect(first.records).toHaveLength(2000);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[0-9A-Za-z]{15}-2000$/);
    const second = await conn.request<{ totalSize: number; done: boolean; nextRecordsUrl?: string; records: unknown[] }>(first.nextRecordsUrl ?? '');
    expect(second).toMatchObject({ totalSize: 2300, done: true });
    expect(second.records).toHaveLength(300);
    expect(second.nextRecordsUrl).toBeUndefined();
    const all = await conn.query('SELECT Id FROM Account').run({ autoFetch: true, maxFetch: 10000 });
    expect(all.records).toHaveLength(2300);
    expect(new Set(all.records.map((r) => r.Id)).size).toBe(2300);
  });
});

describe('delete and single-record resources', () => {
  it('deletes through sObject Collections and reports unknown ids per record', async () => {
    const created = await upsert([
      { Name: 'A', [EXT]: 'd-1' },
      { Name: 'B', [EXT]: 'd-2' },
    ]);
    const ids = created.map((r) => r.id ?? '');
    const deleted = (await conn.sobject('Account').destroy(ids)) as unknown as UpsertAnswer[];
    expect(deleted).toEqual(ids.map((id) => ({ id, success: true, errors: [] })));
    expect(accounts()).toHaveLength(0);

    const again = (await conn.sobject('Account').destroy([ids[0] ?? '', '001000000000999', 'garbage'])) as unknown as UpsertAnswer[];
    expect(again.map((r) => r.errors[0]?.statusCode)).toEqual(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'MALFORMED_ID']);
    expect(again[2]?.errors[0]?.message).toBe('malformed id garbage');
  });

  it('supports create, retrieve, update, upsert and delete of one record', async () => {
    const created = await conn.sobject('Account').create({ Name: 'Solo', Website: 'https://solo.example' });
    expect(created).toMatchObject({ success: true, errors: [] });
    const id = created.id ?? '';
    const fetched = await conn.sobject('Account').retrieve(id);
    expect(fetched).toMatchObject({ attributes: { type: 'Account' }, Id: id, Name: 'Solo', Website: 'https://solo.example', Health_Score__c: null });

    await conn.sobject('Account').update({ Id: id, Name: 'Solo 2' });
    expect(accounts()[0]?.['Name']).toBe('Solo 2');

    const badCreate = await rejection(conn.sobject('Account').create({ Website: 'x' }));
    expect(badCreate.errorCode).toBe('REQUIRED_FIELD_MISSING');

    // A single (non-array) upsert goes to /sobjects/Account/External_Id__c/{value}.
    const up1 = (await conn.sobject('Account').upsert({ Name: 'Ext', [EXT]: 'single' }, EXT)) as unknown as UpsertAnswer;
    expect(up1).toMatchObject({ success: true, created: true });
    const up2 = (await conn.sobject('Account').upsert({ Name: 'Ext 2', [EXT]: 'single' }, EXT)) as unknown as UpsertAnswer;
    expect(up2).toEqual({ id: up1.id, success: true, errors: [], created: false });
    // jsforce leaves the key out of the body; a body naming it (or Id) is refused, as documented.
    for (const field of [EXT, 'external_id__c', 'Id']) {
      const named = await rejection(
        conn.request({ method: 'PATCH', url: `/services/data/v${VERSION}/sobjects/Account/${EXT}/single`, body: JSON.stringify({ Name: 'Ext 3', [field]: 'other' }), headers: { 'Content-Type': 'application/json' } }),
      );
      expect(named).toMatchObject({ errorCode: 'INVALID_FIELD', message: `The ${field} field should not be specified in the sobject data.` });
    }
    expect(accounts().find((a) => a['Id'] === up1.id)).toMatchObject({ Name: 'Ext 2', [EXT]: 'single' });

    await conn.sobject('Account').destroy(id);
    const gone = await rejection(conn.sobject('Account').retrieve(id));
    expect(gone.errorCode).toBe('ENTITY_IS_DELETED');
    expect(accounts().map((a) => a['Name'])).toEqual(['Ext 2']);
  });
});

describe('deleted records: the recycle bin and queryAll', () => {
  interface Row {
    Id: string;
    Name: string;
    IsDeleted: boolean;
  }
  const names = (records: Row[]) => records.map((r) => [r.Name, r.IsDeleted]);

  it('keeps a deleted record for queryAll only, with IsDeleted = true; query, retrieve and upsert skip it', async () => {
    const created = await upsert([
      { Name: 'Acme', [EXT]: 'q-1' },
      { Name: 'Globex', [EXT]: 'q-2' },
      { Name: 'Initech', [EXT]: 'q-3' },
    ]);
    const [acmeId = '', globexId = ''] = created.map((r) => r.id ?? '');
    await conn.sobject('Account').destroy([acmeId]);
    const soql = 'SELECT Id, Name, IsDeleted FROM Account';

    expect(names((await conn.query<Row>(soql)).records)).toEqual([
      ['Globex', false],
      ['Initech', false],
    ]);
    // jsforce's scanAll sends the request to /queryAll.
    expect(names((await conn.query<Row>(soql, { scanAll: true })).records)).toEqual([
      ['Acme', true],
      ['Globex', false],
      ['Initech', false],
    ]);
    expect(sandbox.requests().at(-1)?.path).toBe(`/services/data/v${VERSION}/queryAll`);
    expect((await conn.query<Row>(`${soql} WHERE IsDeleted = TRUE`, { scanAll: true })).records.map((r) => r.Id)).toEqual([acmeId]);
    expect((await conn.query<Row>(`${soql} WHERE IsDeleted = TRUE`)).records).toEqual([]);
    expect((await conn.query('SELECT COUNT() FROM Account', { scanAll: true })).totalSize).toBe(3);
    expect((await conn.query('SELECT COUNT() FROM Account')).totalSize).toBe(2);

    // Every other read treats it as gone.
    expect((await rejection(conn.sobject('Account').retrieve(acmeId))).errorCode).toBe('ENTITY_IS_DELETED');
    expect((await rejection(conn.request(`/services/data/v${VERSION}/sobjects/Account/${EXT}/q-1`))).errorCode).toBe('NOT_FOUND');
    const many = (await conn.sobject('Account').retrieve([acmeId, globexId], { fields: ['Name'] })) as unknown as Array<{ Name: string } | null>;
    expect(many.map((r) => r?.Name ?? null)).toEqual([null, 'Globex']);
    expect(accounts().map((a) => a['Name'])).toEqual(['Globex', 'Initech']);
    expect((await rejection(conn.sobject('Account').update({ Id: acmeId, Name: 'Acme 2' }))).errorCode).toBe('ENTITY_IS_DELETED');

    // A deleted record no longer holds its external id: the upsert creates a new one beside it.
    const [again] = await upsert([{ Name: 'Acme again', [EXT]: 'Q-1' }]);
    expect(again).toMatchObject({ success: true, created: true });
    expect(again?.id).not.toBe(acmeId);
    const both = await conn.query<Row>(`${soql} WHERE ${EXT} = 'q-1'`, { scanAll: true });
    expect(both.records.map((r) => [r.Id, r.IsDeleted])).toEqual([
      [acmeId, true],
      [again?.id, false],
    ]);
    const contact = (await conn
      .sobject('Contact')
      .upsert({ LastName: 'Doe', [EXT]: 'c-1', Account: { [EXT]: 'q-1' } }, EXT)) as unknown as UpsertAnswer;
    expect(contact.success).toBe(true);
    expect(sandbox.records('Contact')[0]?.['AccountId']).toBe(again?.id);
  });

  it('lists IsDeleted in describe as a read-only, filterable boolean the client cannot set', async () => {
    const d = await conn.sobject('Account').describe();
    const field = d.fields.find((f) => f.name === 'IsDeleted') as unknown as Record<string, unknown> | undefined;
    expect(field).toMatchObject({
      type: 'boolean',
      soapType: 'xsd:boolean',
      label: 'Deleted',
      nillable: false,
      createable: false,
      updateable: false,
      defaultedOnCreate: true,
      filterable: true,
    });
    const [result] = await upsert([{ Name: 'Sneaky', [EXT]: 's-1', IsDeleted: true }]);
    expect(result?.errors[0]).toMatchObject({ statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['IsDeleted'] });
    const created = await conn.sobject('Account').create({ Name: 'Plain' });
    expect(await conn.sobject('Account').retrieve(created.id ?? '', { fields: ['IsDeleted'] })).toMatchObject({ IsDeleted: false });
  });

  it('undoes a delete rolled back by allOrNone: the record is live again, not in the recycle bin', async () => {
    const [kept] = await upsert([{ Name: 'Kept', [EXT]: 'k-1' }]);
    const res = (await conn.sobject('Account').destroy([kept?.id ?? '', '001000000000999'], { allOrNone: true })) as unknown as UpsertAnswer[];
    expect(res.map((r) => r.success)).toEqual([false, false]);
    const all = await conn.query<Row>('SELECT Name, IsDeleted FROM Account', { scanAll: true });
    expect(names(all.records)).toEqual([['Kept', false]]);
    const [same] = await upsert([{ Name: 'Kept 2', [EXT]: 'k-1' }]);
    expect(same).toMatchObject({ id: kept?.id, created: false });
  });

  it('pages a queryAll through its locator, deleted records included, on either More Results path', async () => {
    const records = Array.from({ length: 2100 }, (_, i) => ({ Name: `Co ${i}`, [EXT]: `qa-${i}` }));
    const created = (await conn.sobject('Account').upsert(records, EXT, { allOrNone: false, allowRecursive: true })) as unknown as UpsertAnswer[];
    // The last 200 go to the recycle bin, so queryAll's second page holds only deleted records.
    await conn.sobject('Account').destroy(created.slice(1900).map((r) => r.id ?? ''));
    type Page = { totalSize: number; done: boolean; nextRecordsUrl?: string; records: Row[] };
    const q = encodeURIComponent('SELECT Id, Name, IsDeleted FROM Account');
    expect((await conn.request<Page>(`/services/data/v${VERSION}/query?q=${q}`)).totalSize).toBe(1900);
    const first = await conn.request<Page>(`/services/data/v${VERSION}/queryAll?q=${q}`);
    expect(first).toMatchObject({ totalSize: 2100, done: false });
    expect(first.records.filter((r) => r.IsDeleted)).toHaveLength(100);
    // Documented: the nextRecordsUrl of a QueryAll says `query`; the queryAll path serves the same locator.
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[0-9A-Za-z]{15}-2000$/);
    const second = await conn.request<Page>((first.nextRecordsUrl ?? '').replace('/query/', '/queryAll/'));
    expect(second).toMatchObject({ totalSize: 2100, done: true });
    expect(second.records.map((r) => r.IsDeleted)).toEqual(Array.from({ length: 100 }, () => true));
    const all = await conn.query<Row>('SELECT Id FROM Account', { scanAll: true }).run({ autoFetch: true, maxFetch: 10000 });
    expect(new Set(all.records.map((r) => r.Id)).size).toBe(2100);
  });
});

describe('faults, listeners and the request log', () => {
  it('calls onWriteApplied after the write is stored and holds the response for writeResponseDelayMs', async () => {
    const events: string[] = [];
    let storedAtNotice = -1;
    let noticedAt = 0;
    const off = sandbox.onWriteApplied((info) => {
      events.push(`applied ${info.sobject} ${info.records}`);
      storedAtNotice = sandbox.records('Account').length;
      noticedAt = Date.now();
    });
    sandbox.setFaults({ writeResponseDelayMs: 1_000 });
    await upsert([
      { Name: 'A', [EXT]: 'w-1' },
      { Name: 'B', [EXT]: 'w-2' },
      { [EXT]: 'w-3' },
    ]);
    const answeredAt = Date.now();
    events.push('response');
    expect(events).toEqual(['applied Account 2', 'response']);
    expect(storedAtNotice).toBe(2);
    expect(answeredAt - noticedAt).toBeGreaterThanOrEqual(950);

    off();
    sandbox.setFaults({});
    const started = Date.now();
    await upsert([{ Name: 'C', [EXT]: 'w-4' }]);
    // Well under the delay, with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(900);
    expect(events).toHaveLength(2);
  });

  it('logs API requests in order, with collection sizes, and excludes admin endpoints', async () => {
    await upsert([
      { Name: 'A', [EXT]: 'l-1' },
      { Name: 'B', [EXT]: 'l-2' },
    ]);
    await conn.query("SELECT Id FROM Account WHERE Name = 'A'");
    await rejection(conn.sobject('Account').upsert(Array.from({ length: 201 }, (_, i) => ({ Name: 'x', [EXT]: `big-${i}` })), EXT));
    await fetch(`${sandbox.instanceUrl}/__sandbox/records/Account`);
    expect(sandbox.requests().map(({ method, path, status, records }) => ({ method, path, status, records }))).toEqual([
      { method: 'PATCH', path: `/services/data/v${VERSION}/composite/sobjects/Account/${EXT}`, status: 200, records: 2 },
      { method: 'GET', path: `/services/data/v${VERSION}/query`, status: 200, records: 0 },
      { method: 'PATCH', path: `/services/data/v${VERSION}/composite/sobjects/Account/${EXT}`, status: 400, records: 201 },
    ]);
    for (const entry of sandbox.requests()) expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
  });

  it('serves the admin endpoints and resets state', async () => {
    await upsert([{ Name: 'A', [EXT]: 'adm-1' }]);
    const records = (await (await fetch(`${sandbox.instanceUrl}/__sandbox/records/Account`)).json()) as Array<Record<string, unknown>>;
    expect(records.map((r) => r['Name'])).toEqual(['A']);
    expect((await fetch(`${sandbox.instanceUrl}/__sandbox/records/Nope`)).status).toBe(404);

    const put = await fetch(`${sandbox.instanceUrl}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ writeResponseDelayMs: 5 }) });
    expect(put.status).toBe(200);
    const bad = await fetch(`${sandbox.instanceUrl}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ writeResponseDelayMs: -1 }) });
    expect(bad.status).toBe(400);
    const log = (await (await fetch(`${sandbox.instanceUrl}/__sandbox/requests`)).json()) as unknown[];
    expect(log).toHaveLength(1);

    expect((await fetch(`${sandbox.instanceUrl}/__sandbox/reset`, { method: 'POST' })).status).toBe(204);
    expect(accounts()).toHaveLength(0);
    expect(sandbox.requests()).toHaveLength(0);
    await conn.query('SELECT Id FROM Account');
    expect(conn.limitInfo.apiUsage?.used).toBe(1);
  });

  it('lists API versions without a session and 404s unknown resources', async () => {
    const versions = (await (await fetch(`${sandbox.instanceUrl}/services/data`)).json()) as Array<{ version: string; url: string; label: string }>;
    expect(versions).toContainEqual({ label: "Winter '25", url: '/services/data/v62.0', version: '62.0' });
    const missing = await rejection(conn.request(`/services/data/v${VERSION}/no/such/thing`));
    expect(missing.errorCode).toBe('NOT_FOUND');
  });

  it('serves only the versions it lists: 404 NOT_FOUND past the latest, 410 GONE for a retired one (30.0 and older)', async () => {
    const versions = (await (await fetch(`${sandbox.instanceUrl}/services/data`)).json()) as Array<{ version: string }>;
    const latest = versions.at(-1)?.version ?? '';
    const at = (version: string) => new jsforce.Connection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version });
    expect((await at(latest).sobject('Account').describe()).name).toBe('Account');

    const next = `${Number(latest) + 1}.0`;
    const unreleased = await rejectionOf<ApiErrorLike & { name?: string }>(at(next).sobject('Account').describe());
    expect(unreleased).toMatchObject({ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
    const res = await fetch(`${sandbox.instanceUrl}/services/data/v${next}/sobjects`, { headers: { Authorization: `Bearer ${sandbox.accessToken}` } });
    expect(res.status).toBe(404);

    const retired = await fetch(`${sandbox.instanceUrl}/services/data/v30.0/sobjects`, { headers: { Authorization: `Bearer ${sandbox.accessToken}` } });
    expect(retired.status).toBe(410);
    expect(await retired.json()).toEqual([{ errorCode: 'GONE', message: 'API version 30.0 is retired and no longer available' }]);
    expect(sandbox.requests().map((r) => r.status)).toEqual([200, 200, 404, 404, 410]);
  });
});
