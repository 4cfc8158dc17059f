/**
 * Bulk API 2.0 ingest jobs of the Salesforce sandbox, driven by jsforce's own bulk2 client (the
 * official client's paths, bodies and CSV parsing), plus raw requests for what jsforce wraps.
 */
import jsforce, { type Connection } from 'jsforce';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';

const VERSION = '62.0';
let sandbox: SalesforceSandbox;
let conn: Connection;

interface JobInfo {
  id: string;
  state: string;
  operation: string;
  object: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  errorMessage?: string;
  contentUrl?: string;
}

beforeEach(async () => {
  sandbox = await startSalesforceSandbox({ bulkProcessingDelayMs: 20 });
  conn = new jsforce.Connection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version: VERSION });
  conn.bulk2.pollInterval = 20;
});

afterEach(async () => {
  await sandbox.close();
});

const accounts = () => sandbox.records('Account');
/** jsforce types result rows by the job's schema; these tests read them as the CSV's plain columns. */
const rows = (list: unknown) => list as Array<Record<string, string>>;

describe('Bulk API 2.0 ingest through jsforce bulk2', () => {
  it('upserts by external id: creates, updates, and reports per-record failures in failedResults', async () => {
    await conn.sobject('Account').create({ Name: 'Old Acme', External_Id__c: 'a-1' });
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      input: [
        { External_Id__c: 'a-1', Name: 'Acme', Health_Score__c: 38 },
        { External_Id__c: 'a-2', Name: 'Globex', Health_Score__c: 82 },
        { External_Id__c: 'a-3', Name: 'Bad', Health_Score__c: 'lots' },
        { External_Id__c: 'a-4', Name: null },
      ],
    });
    const ok = rows(results.successfulResults).map((r) => [r['External_Id__c'], r.sf__Created, typeof r.sf__Id]);
    expect(ok.sort()).toEqual([
      ['a-1', 'false', 'string'],
      ['a-2', 'true', 'string'],
    ]);
    const failed = rows(results.failedResults).map((r) => [r['External_Id__c'], r.sf__Error]);
    expect(failed.sort()).toEqual([
      ['a-3', 'INVALID_TYPE_ON_FIELD_IN_RECORD:Health Score: value not of required type: lots:Health_Score__c --'],
      // jsforce writes null as #N/A, which Bulk API reads as "set to null": Name is required.
      ['a-4', 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --'],
    ]);
    expect(results.unprocessedRecords).toEqual([]);
    expect(accounts().map((a) => [a.External_Id__c, a.Name, a.Health_Score__c])).toEqual([
      ['a-1', 'Acme', 38],
      ['a-2', 'Globex', 82],
    ]);
  });

  it('sets a lookup by the parent\'s external id from a Relationship.Field column, and fails the row whose parent is not there', async () => {
    const acme = await conn.sobject('Account').create({ Name: 'Acme', External_Id__c: 'a-1' });
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      input: [
        { External_Id__c: 'c-1', LastName: 'Ann', 'Account.External_Id__c': 'a-1' },
        { External_Id__c: 'c-2', LastName: 'Bob', 'Account.External_Id__c': 'a-404' },
      ],
    });
    expect(rows(results.successfulResults).map((r) => r['External_Id__c'])).toEqual(['c-1']);
    expect(rows(results.failedResults).map((r) => [r['External_Id__c'], r.sf__Error])).toEqual([
      ['c-2', 'INVALID_FIELD:Foreign key external ID: a-404 not found for field External_Id__c in entity Account: --'],
    ]);
    expect(sandbox.records('Contact').map((c) => [c['External_Id__c'], c['AccountId']])).toEqual([['c-1', acme.id]]);
  });

  it('rejects a key repeated within one job as Salesforce does, writing neither row', async () => {
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      input: [
        { External_Id__c: 'dup', Name: 'One' },
        { External_Id__c: 'DUP', Name: 'Two' },
      ],
    });
    expect(results.successfulResults).toEqual([]);
    expect(results.failedResults.map((r) => String(r.sf__Error).split(':')[0])).toEqual(['DUPLICATE_VALUE', 'DUPLICATE_VALUE']);
    expect(accounts()).toEqual([]);
  });

  it('inserts, updates by Id and deletes by Id, each job reporting sf__Id', async () => {
    const inserted = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'insert',
      input: [{ Name: 'One' }, { Name: 'Two' }],
    });
    expect(inserted.successfulResults.map((r) => r.sf__Created)).toEqual(['true', 'true']);
    const ids = rows(inserted.successfulResults).map((r) => r.sf__Id ?? '');
    const updated = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'update',
      input: [
        { Id: ids[0] ?? '', Name: 'Uno' },
        { Id: '001000000000000AAA', Name: 'Nobody' },
      ],
    });
    expect(rows(updated.successfulResults).map((r) => [r.sf__Id, r.Name])).toEqual([[ids[0], 'Uno']]);
    expect(updated.failedResults.map((r) => String(r.sf__Error).split(':')[0])).toEqual(['INVALID_CROSS_REFERENCE_KEY']);
    const deleted = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'delete', input: [{ Id: ids[1] ?? '' }] });
    expect(deleted.successfulResults.map((r) => r.sf__Id)).toEqual([ids[1]]);
    expect(accounts().map((a) => a.Name)).toEqual(['Uno']);
  });

  it('delete moves records to the recycle bin (queryAll still sees them); hardDelete bypasses it', async () => {
    const made = await conn.sobject('Account').create([{ Name: 'Soft' }, { Name: 'Hard' }, { Name: 'Live' }]);
    const [soft = '', hard = ''] = made.map((r) => r.id ?? '');
    const soql = 'SELECT Name, IsDeleted FROM Account';
    const soft1 = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'delete', input: [{ Id: soft }] });
    const hard1 = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'hardDelete', input: [{ Id: hard }] });
    expect([soft1.successfulResults.map((r) => r.sf__Id), hard1.successfulResults.map((r) => r.sf__Id)]).toEqual([[soft], [hard]]);
    expect((await conn.query<{ Name: string }>(soql)).records.map((r) => r.Name)).toEqual(['Live']);
    expect((await conn.query<{ Name: string; IsDeleted: boolean }>(soql, { scanAll: true })).records.map((r) => [r.Name, r.IsDeleted])).toEqual([
      ['Soft', true],
      ['Live', false],
    ]);
    // Either way the id now names a deleted record.
    const again = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'hardDelete', input: [{ Id: soft }, { Id: hard }] });
    expect(again.failedResults.map((r) => String(r.sf__Error).split(':')[0])).toEqual(['ENTITY_IS_DELETED', 'ENTITY_IS_DELETED']);
  });

  it('walks the job lifecycle: Open, UploadComplete, JobComplete with counts; list; delete', async () => {
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert', lineEnding: 'LF' });
    const opened = (await job.open()) as unknown as JobInfo;
    expect(opened).toMatchObject({ state: 'Open', operation: 'insert', object: 'Account', contentUrl: `services/data/v${VERSION}/jobs/ingest/${opened.id}/batches` });
    expect(opened.id).toMatch(/^750[A-Za-z0-9]{15}$/);
    await job.uploadData('Name\nAlpha\n"Beta, Inc."\n');
    await job.close();
    await job.poll(20, 5_000);
    const info = (await job.check()) as unknown as JobInfo;
    expect(info).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 2, numberRecordsFailed: 0 });
    expect(accounts().map((a) => a.Name)).toEqual(['Alpha', 'Beta, Inc.']);

    const list = await conn.request<{ done: boolean; records: JobInfo[] }>(`/services/data/v${VERSION}/jobs/ingest`);
    expect(list.done).toBe(true);
    expect(list.records.map((r) => r.id)).toEqual([opened.id]);
    await job.delete();
    const after = await conn.request<{ records: JobInfo[] }>(`/services/data/v${VERSION}/jobs/ingest`);
    expect(after.records).toEqual([]);
    const paths = sandbox.requests().map((r) => `${r.method} ${r.path.replace(opened.id, ':id')}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        `POST /services/data/v${VERSION}/jobs/ingest`,
        `PUT /services/data/v${VERSION}/jobs/ingest/:id/batches`,
        `PATCH /services/data/v${VERSION}/jobs/ingest/:id`,
        `GET /services/data/v${VERSION}/jobs/ingest/:id`,
        `DELETE /services/data/v${VERSION}/jobs/ingest/:id`,
      ]),
    );
  });

  it('an aborted job processes nothing and hands its rows back as unprocessed records', async () => {
    sandbox.setBulkProcessingDelay(10_000);
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.uploadData([{ Name: 'Never' }]);
    await job.close();
    await job.abort();
    const info = (await job.check()) as unknown as JobInfo;
    expect(info.state).toBe('Aborted');
    expect(await job.getUnprocessedRecords()).toEqual([{ Name: 'Never' }]);
    expect(accounts()).toEqual([]);
  });

  it('takes a job upload of up to 100 MB of CSV, as Salesforce documents, and refuses more with 413', async () => {
    const upload = async (bytes: number) => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await job.open();
      const row = 'x'.repeat(99);
      const csv = `Name\n${`${row}\n`.repeat(Math.floor(bytes / 100))}`;
      const answer = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/jobs/ingest/${job.id}/batches`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${sandbox.accessToken}`, 'Content-Type': 'text/csv' },
        body: csv,
      });
      await job.abort();
      return { status: answer.status, body: await answer.text() };
    };
    expect((await upload(60 * 1024 * 1024)).status).toBe(201);
    const tooLarge = await upload(101 * 1024 * 1024);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toEqual([expect.objectContaining({ errorCode: 'REQUEST_ENTITY_TOO_LARGE' })]);
  });

  it('a job naming an unknown column fails whole, with an errorMessage and every row unprocessed', async () => {
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.uploadData('Name,Nope__c\nX,1\n');
    await job.close();
    await expect(job.poll(20, 5_000)).rejects.toThrow(/Field name not found : Nope__c/);
    const info = (await job.check()) as unknown as JobInfo;
    expect(info).toMatchObject({ state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Nope__c' });
    expect(await job.getUnprocessedRecords()).toEqual([{ Name: 'X', Nope__c: '1' }]);
  });

  it('refuses an upload once the job is closed, and an upsert job without an external id field', async () => {
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.uploadData('Name\nA\n');
    await job.close();
    const late = conn.request({
      method: 'PUT',
      url: `/services/data/v${VERSION}/jobs/ingest/${job.id}/batches`,
      body: 'Name\nB\n',
      headers: { 'Content-Type': 'text/csv' },
    });
    await expect(late).rejects.toMatchObject({ errorCode: 'INVALIDJOBSTATE' });
    const noKey = conn.bulk2.createJob({ object: 'Account', operation: 'upsert' });
    await expect(noKey.open()).rejects.toMatchObject({ errorCode: 'INVALIDJOB' });
  });

  it('takes a second PUT to one job, then refuses its close with 400 INVALIDJOB; the job stays Open', async () => {
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.uploadData('Name\nFirst\n');
    // jsforce refuses a second upload itself; other clients send it.
    await conn.request({
      method: 'PUT',
      url: `/services/data/v${VERSION}/jobs/ingest/${job.id}/batches`,
      body: 'Name\nSecond\n',
      headers: { 'Content-Type': 'text/csv' },
    });
    const close = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/jobs/ingest/${job.id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${sandbox.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'UploadComplete' }),
    });
    expect(close.status).toBe(400);
    expect(await close.json()).toEqual([
      {
        errorCode: 'INVALIDJOB',
        message: `Found multipe contents for job: <${job.id.slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      },
    ]);
    await expect(job.close()).rejects.toMatchObject({ errorCode: 'INVALIDJOB' });
    expect(((await job.check()) as unknown as JobInfo).state).toBe('Open');
    await job.abort();
    expect(accounts()).toEqual([]);
  });

  it("fails a job whose data's line endings are not the job's lineEnding; a quoted line break is data", async () => {
    const load = async (lineEnding: 'LF' | 'CRLF', csv: string) => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert', lineEnding });
      await job.open();
      await job.uploadData(csv);
      await job.close();
      await job.poll(20, 5_000).catch(() => undefined);
      return (await job.check()) as unknown as JobInfo;
    };
    expect(await load('LF', 'Name\r\nWindows\r\n')).toMatchObject({
      state: 'Failed',
      errorMessage: 'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF',
    });
    expect(await load('CRLF', 'Name\nUnix\n')).toMatchObject({
      state: 'Failed',
      errorMessage: 'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF',
    });
    expect(accounts()).toEqual([]);
    expect(await load('CRLF', 'Name\r\n"Acme\nWest"\r\nGlobex\r\n')).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 2 });
    expect(accounts().map((a) => a.Name)).toEqual(['Acme\nWest', 'Globex']);
  });

  it('counts every bulk request against the daily allocation and reports it in Sforce-Limit-Info', async () => {
    await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', input: [{ Name: 'A' }] });
    const used = sandbox.requests().filter((r) => r.path.includes('/jobs/ingest')).length;
    const probe = await fetch(`${sandbox.instanceUrl}/services/data/v${VERSION}/limits`, {
      headers: { Authorization: `Bearer ${sandbox.accessToken}` },
    });
    expect(probe.headers.get('sforce-limit-info')).toBe(`api-usage=${used + 1}/15000`);
  });
});
