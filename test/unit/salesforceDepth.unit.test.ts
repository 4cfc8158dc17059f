import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Connection as JsforceConnection, type Connection } from 'jsforce';
import type { SalesforceConnection } from '../../src/config/schema';
import { SalesforceDestination } from '../../src/destinations/salesforce';
import { ApiBudget } from '../../src/destinations/salesforceBudget';
import { BulkIngest, parseBulkError, parseCheckpoint, toCsv, uploadParts } from '../../src/destinations/salesforceBulk';
import { coerceRecord, coerceValue, type SalesforceField } from '../../src/destinations/salesforceFields';
import { soqlInChunks, soqlInList } from '../../src/destinations/soql';
import type { SalesforceTarget } from '../../src/destinations/targets';
import type { RecordResult, WriteContext } from '../../src/destinations/destination';
import { memoryWriteContext } from '../support/writeContext';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';
import { sandboxConnection } from '../support/salesforceConnection';

const field = (type: string, extra: Partial<SalesforceField> = {}): SalesforceField => ({
  name: 'F__c', type, createable: true, updateable: true, externalId: false, caseSensitive: false, filterable: true, calculated: false,
  length: 255, picklistValues: [], restrictedPicklist: false, relationshipName: null, referenceTo: [], ...extra,
});

describe('value coercion per field type', () => {
  it('converts what it can and says why it cannot', () => {
    expect(coerceValue(field('double'), '12.5')).toEqual({ ok: true, value: 12.5 });
    expect(coerceValue(field('int'), 2.5)).toMatchObject({ ok: false, reason: '2.5 is not a whole number' });
    // Number() reads these as 16, 5 and 15: text in a number field must be decimal.
    for (const text of ['0x10', '0b101', '0o17']) expect(coerceValue(field('double'), text)).toEqual({ ok: false, reason: `'${text}' is not a number` });
    expect(coerceValue(field('double'), ' -1.5e3 ')).toEqual({ ok: true, value: -1500 });
    expect(coerceValue(field('int'), '+7')).toEqual({ ok: true, value: 7 });
    expect(coerceValue(field('double'), '+9007199254740993')).toMatchObject({ ok: false, reason: expect.stringContaining('cannot be sent exactly') as unknown });
    expect(coerceValue(field('double'), '9007199254740993e0')).toMatchObject({ ok: false, reason: expect.stringContaining('cannot be sent exactly') as unknown });
    expect(coerceValue(field('double'), '1.5E3')).toEqual({ ok: true, value: 1500 });
    // Written out in full it was a billion digits (RangeError thrown, not a rejected record).
    expect(coerceValue(field('double'), '1e-999999999')).toMatchObject({ ok: false, reason: expect.stringContaining('cannot be sent exactly') as unknown });
    expect(coerceValue(field('boolean'), 'TRUE')).toEqual({ ok: true, value: true });
    expect(coerceValue(field('boolean'), 'yes')).toMatchObject({ ok: false });
    expect(coerceValue(field('date'), '2026-11-20T09:00:00')).toEqual({ ok: true, value: '2026-11-20' });
    expect(coerceValue(field('datetime'), '2026-11-20 09:00:00Z')).toEqual({ ok: true, value: '2026-11-20T09:00:00.000Z' });
    expect(coerceValue(field('datetime'), 'soon')).toMatchObject({ ok: false });
    expect(coerceValue(field('string'), 42)).toEqual({ ok: true, value: '42' });
    expect(coerceValue(field('picklist', { picklistValues: ['a'], restrictedPicklist: true }), 'b')).toMatchObject({ ok: false });
    expect(coerceValue(field('picklist', { picklistValues: ['a'] }), 'b')).toEqual({ ok: true, value: 'b' });
    expect(coerceValue(field('multipicklist'), ['a', 'b'])).toEqual({ ok: true, value: 'a;b' });
  });

  it("checks each value of a restricted multi-select written as Salesforce's own `Red;Blue` text, as of one given as a list", () => {
    const colors = field('multipicklist', { picklistValues: ['Red', 'Blue', 'Green'], restrictedPicklist: true });
    expect(coerceValue(colors, 'Red;Blue')).toEqual({ ok: true, value: 'Red;Blue' });
    expect(coerceValue(colors, ['Red', 'Green;Blue'])).toEqual({ ok: true, value: 'Red;Green;Blue' });
    expect(coerceValue(colors, 'Red;Purple')).toEqual({ ok: false, reason: "'Purple' is not a value of the restricted picklist (Red, Blue, Green)" });
    // A single-select's value is one value, `;` and all.
    expect(coerceValue(field('picklist', { picklistValues: ['Red', 'Blue'], restrictedPicklist: true }), 'Red;Blue')).toMatchObject({ ok: false });
  });

  it('sends a date-time without a zone (a warehouse DATETIME) as UTC, whatever the worker\'s time zone', () => {
    // A worker of its own in Paris: Jest's sandbox does not pass a changed TZ on to V8.
    const script = `
      const { coerceValue } = require('./src/destinations/salesforceFields.ts');
      const field = { name: 'When__c', type: 'datetime', picklistValues: [], restrictedPicklist: false };
      const values = ['2026-11-20T09:00:00.500000', '2026-11-20 09:00:00', '2026-11-20T09:00:00+01:00', '2026-11-20T09:00:00-0500'];
      console.log(JSON.stringify(values.map((value) => coerceValue(field, value))));`;
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, TZ: 'Europe/Paris', NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([
      { ok: true, value: '2026-11-20T09:00:00.500Z' },
      { ok: true, value: '2026-11-20T09:00:00.000Z' },
      // An offset given is kept.
      { ok: true, value: '2026-11-20T08:00:00.000Z' },
      { ok: true, value: '2026-11-20T14:00:00.000Z' },
    ]);
  });

  it("writes a time as Salesforce's HH:mm:ss.SSSZ, refusing what is no time of day or more precise than a millisecond", () => {
    expect(coerceValue(field('time'), '09:30:05.250000')).toEqual({ ok: true, value: '09:30:05.250Z' });
    expect(coerceValue(field('time'), '23:59')).toEqual({ ok: true, value: '23:59:00.000Z' });
    expect(coerceValue(field('time'), '07:00:00.000Z')).toEqual({ ok: true, value: '07:00:00.000Z' });
    expect(coerceValue(field('time'), '24:00:00.000000')).toMatchObject({ ok: false, reason: "'24:00:00.000000' is not a time of day Salesforce takes (00:00:00 to 23:59:59.999)" });
    expect(coerceValue(field('time'), '09:30:05.250001')).toMatchObject({ ok: false, reason: "'09:30:05.250001' cannot be sent exactly (a time field keeps milliseconds)" });
    expect(coerceValue(field('time'), 'noon')).toMatchObject({ ok: false, reason: "'noon' is not a time of day (HH:mm:ss)" });
  });

  it('refuses a number it cannot send exactly instead of sending it rounded (sources keep such values as exact text)', () => {
    expect(coerceValue(field('double'), '9007199254740993')).toEqual({
      ok: false,
      reason: "'9007199254740993' cannot be sent exactly (a number over 15-16 significant digits would be rounded to 9007199254740992)",
    });
    expect(coerceValue(field('currency'), '1234567890123456.78')).toMatchObject({ ok: false });
    expect(coerceValue(field('double'), '123456789012345678')).toMatchObject({ ok: false });
    // Also where JavaScript writes the double in exponent form.
    expect(coerceValue(field('double'), '123456789012345678901234567')).toMatchObject({ ok: false, reason: expect.stringContaining('rounded to 1.2345678901234568e+26') });
    expect(coerceValue(field('double'), '0.00000012345678901234567')).toMatchObject({ ok: false });
    expect(coerceValue(field('double'), '10000000000000000000000')).toEqual({ ok: true, value: 1e22 });
    // Zeros that change nothing, and what a double holds exactly, go as numbers.
    expect(coerceValue(field('currency'), '12.50')).toEqual({ ok: true, value: 12.5 });
    expect(coerceValue(field('double'), '-0012.50')).toEqual({ ok: true, value: -12.5 });
    expect(coerceValue(field('double'), '9007199254740992')).toEqual({ ok: true, value: 9007199254740992 });
    expect(coerceValue(field('double'), '0.1')).toEqual({ ok: true, value: 0.1 });
  });

  it('refuses a date or date-time that names no real day or time instead of rolling it over', () => {
    // Date.parse('2026-02-30T10:00:00Z') is March 2: that day must not be sent.
    expect(coerceValue(field('datetime'), '2026-02-30T10:00:00Z')).toEqual({
      ok: false,
      reason: "'2026-02-30T10:00:00Z' is not a real date-time: 2026-02 has no day 30",
    });
    expect(coerceValue(field('date'), '2026-02-30')).toEqual({ ok: false, reason: "'2026-02-30' is not a real date: 2026-02 has no day 30" });
    expect(coerceValue(field('date'), '2026-02-30T10:00:00Z')).toMatchObject({ ok: false, reason: "'2026-02-30T10:00:00Z' is not a real date: 2026-02 has no day 30" });
    expect(coerceValue(field('datetime'), '2026-02-30')).toMatchObject({ ok: false });
    expect(coerceValue(field('datetime'), '2025-02-29T00:00:00Z')).toMatchObject({ ok: false, reason: "'2025-02-29T00:00:00Z' is not a real date-time: 2025-02 has no day 29" });
    expect(coerceValue(field('datetime'), '2026-04-31T00:00:00.000Z')).toMatchObject({ ok: false });
    expect(coerceValue(field('datetime'), '2026-13-01T00:00:00Z')).toMatchObject({ ok: false, reason: "'2026-13-01T00:00:00Z' is not a real date-time: there is no month 13" });
    expect(coerceValue(field('datetime'), '2026-02-28T24:00:00Z')).toMatchObject({ ok: false, reason: "'2026-02-28T24:00:00Z' is not a real date-time: there is no time 24:00:00" });
    expect(coerceValue(field('datetime'), '2026-02-28T23:59:60Z')).toMatchObject({ ok: false });
    // Real days still go through, leap days and offsets included (the offset may move the UTC day).
    expect(coerceValue(field('datetime'), '2024-02-29T10:00:00Z')).toEqual({ ok: true, value: '2024-02-29T10:00:00.000Z' });
    expect(coerceValue(field('datetime'), '2026-02-28T23:30:00-01:00')).toEqual({ ok: true, value: '2026-03-01T00:30:00.000Z' });
    expect(coerceValue(field('datetime'), '2026-02-28')).toEqual({ ok: true, value: '2026-02-28T00:00:00.000Z' });
    expect(coerceValue(field('date'), '2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
  });

  it('rejects only the record with an impossible date, naming the field and the value', () => {
    const fields = new Map([['close__c', { ...field('datetime'), name: 'Close__c' }]]);
    expect(coerceRecord(fields, { close__c: '2026-02-30T10:00:00Z' })).toEqual({
      ok: false,
      error: { code: 'INVALID_FIELD_VALUE', message: "Close__c: '2026-02-30T10:00:00Z' is not a real date-time: 2026-02 has no day 30", fields: ['Close__c'] },
    });
    expect(coerceRecord(fields, { close__c: '2026-02-28T10:00:00Z' })).toEqual({ ok: true, fields: { Close__c: '2026-02-28T10:00:00.000Z' } });
  });

  it('rejects a record by its first bad value, naming the field', () => {
    const fields = new Map([['f__c', field('double')]]);
    expect(coerceRecord(fields, { f__c: 'x', Other: 1 })).toEqual({
      ok: false,
      error: { code: 'INVALID_FIELD_VALUE', message: "F__c: 'x' is not a number", fields: ['F__c'] },
    });
  });
});

describe('Bulk API 2.0 helpers', () => {
  it('writes CSV with #N/A for null, empty for absent, quotes where needed', () => {
    expect(toCsv([{ key: '1', cells: { Name: 'A, "B"', X: null } }, { key: '2', cells: { Name: 'C', Y: 2 } }])).toBe(
      'Name,X,Y\n"A, ""B""",#N/A,\nC,,2\n',
    );
  });

  it('writes an empty string as #N/A: an empty cell would leave the old value on update, where REST stores null', () => {
    expect(toCsv([{ key: '1', cells: { Name: 'A', Website: '' } }])).toBe('Name,Website\nA,#N/A\n');
  });

  it('reads sf__Error as code, message and fields', () => {
    expect(parseBulkError('INVALID_TYPE_ON_FIELD_IN_RECORD:Health Score: value not of required type: lots:Health_Score__c --')).toEqual({
      code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
      message: 'Health Score: value not of required type: lots',
      fields: ['Health_Score__c'],
    });
    expect(parseBulkError('DUPLICATE_VALUE:Duplicate external id specified: x: --')).toMatchObject({ code: 'DUPLICATE_VALUE', fields: [] });
  });

  it('reads a checkpoint it wrote and ignores anything else', () => {
    expect(parseCheckpoint('{"jobs":["750a"]}')).toEqual({ jobs: ['750a'] });
    expect(parseCheckpoint('job-1')).toEqual({ jobs: [] });
    expect(parseCheckpoint(null)).toEqual({ jobs: [] });
  });

  it('cuts IN lists by count and by length', () => {
    expect(soqlInChunks(['a', 'b', 'c'], 2).map((c) => c.length)).toEqual([2, 1]);
    expect(soqlInChunks(['x'.repeat(50), 'y'.repeat(50)], 200, 60).map((c) => c.length)).toEqual([1, 1]);
  });

  it('cuts IN lists by their size in the URL, percent-encoded: 200 Japanese names do not fit one query', () => {
    const names = Array.from({ length: 200 }, (_, n) => `株式会社サンプル商事東京本社営業部第${n}課`);
    const chunks = soqlInChunks(names);
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.flat()).toEqual(names);
    // Each query's URL stays well inside Salesforce's 16,384 bytes for the URI and headers together.
    for (const chunk of chunks) expect(encodeURIComponent(`SELECT Id, Name FROM Account WHERE Name IN ${soqlInList(chunk)}`).length).toBeLessThan(8_200);
  });
});

describe('API budget', () => {
  it('blocks the request that would cross the reserve, and trusts no stale reading', () => {
    let now = 0;
    const budget = new ApiBudget('https://unit.test', 0.5, () => now);
    budget.record(4, 10);
    expect(() => budget.beforeRequest()).not.toThrow();
    budget.record(5, 10);
    expect(() => budget.beforeRequest()).toThrow(/usage is 5\/10 today; backflow stops at 5/);
    // A new run reads usage afresh with its first request (the allocation may have been raised).
    budget.run = 'next-run';
    expect(() => budget.beforeRequest()).not.toThrow();
    budget.record(5, 10);
    expect(() => budget.beforeRequest()).toThrow(/usage is 5\/10/);
    now = 6 * 60_000;
    expect(() => budget.beforeRequest()).not.toThrow();
  });

  it('holds two runs to one org on one worker to the reserve, whichever of them read usage last', () => {
    const a = new ApiBudget('https://two-runs.unit.test', 0.8);
    const b = new ApiBudget('https://two-runs.unit.test', 0.8);
    a.run = 'sync-a:run-1';
    b.run = 'sync-b:run-1';
    let used = 76;
    const sent: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      for (const [name, budget] of [['A', a], ['B', b]] as const) {
        try {
          budget.beforeRequest();
          used += 1;
          budget.record(used, 100);
          sent.push(`${name}${used}`);
        } catch {
          sent.push(`${name} stopped`);
        }
      }
    }
    expect(sent).toEqual(['A77', 'B78', 'A79', 'B80', 'A stopped', 'B stopped', 'A stopped', 'B stopped', 'A stopped', 'B stopped']);
    // A run starting later sends one request to read usage afresh, then stops if it is still past the reserve.
    const c = new ApiBudget('https://two-runs.unit.test', 0.8);
    c.run = 'sync-c:run-1';
    expect(() => c.beforeRequest()).not.toThrow();
    c.record(81, 100);
    expect(() => c.beforeRequest()).toThrow(/usage is 81\/100/);
    // Another batch of run A (a destination of its own) is no new run.
    const a2 = new ApiBudget('https://two-runs.unit.test', 0.8);
    a2.run = 'sync-a:run-1';
    expect(() => a2.beforeRequest()).toThrow(/usage is 81\/100/);
  });

  it("keeps a new run's refresh until a response has read usage, and never records an old reading over a newer one", () => {
    const org = 'https://refresh.unit.test';
    const other = new ApiBudget(org, 0.8);
    other.run = 'sync-a:run-1';
    other.record(85, 100);
    const budget = new ApiBudget(org, 0.8);
    budget.run = 'sync-b:run-1';
    // A cached describe goes through the budget without a request: the run still has its refresh.
    const connection = { limitInfo: {} } as unknown as Connection;
    budget.beforeRequest();
    budget.afterResponse(connection);
    expect(() => budget.beforeRequest()).not.toThrow();
    (connection as { limitInfo: unknown }).limitInfo = { apiUsage: { used: 60, limit: 100 } };
    budget.afterResponse(connection);
    expect(() => budget.beforeRequest()).not.toThrow();
    other.record(86, 100);
    // No response since: the connection's reading of 60 is not recorded again over 86.
    budget.afterResponse(connection);
    expect(() => budget.beforeRequest()).toThrow(/usage is 86\/100/);
  });
});

describe('dry-run cost of a batch', () => {
  const connection = {
    type: 'salesforce',
    instanceUrl: 'https://cost.unit.test',
    accessToken: 'token',
    apiVersion: '62.0',
    bulkThreshold: 2000,
    maxDailyApiUsage: 0.8,
    timeoutMs: 10_000,
  } as unknown as SalesforceConnection;
  const byExternalId = new SalesforceDestination(connection, { connection: 'sf', object: 'Account', externalIdField: 'External_Id__c' } as SalesforceTarget);
  const byMatchOn = new SalesforceDestination(connection, { connection: 'sf', object: 'Account', matchOn: { field: 'Name' } } as SalesforceTarget);

  it('counts a SOQL look-up per 200 keys before a Bulk API job, as before a collections request', () => {
    expect(byExternalId.costOf('upsert', 5_000)).toEqual({ requests: 7 });
    expect(byExternalId.costOf('delete', 5_000)).toEqual({ requests: 7 });
    expect(byExternalId.costOf('insert', 5_000)).toEqual({ requests: 7 + 25 });
    expect(byExternalId.costOf('update', 201)).toEqual({ requests: 7 + 2 });
    expect(byMatchOn.costOf('upsert', 10_000)).toEqual({ requests: 7 + 50 });
    expect(byExternalId.costOf('upsert', 200)).toEqual({ requests: 1 });
    expect(byExternalId.costOf('insert', 200)).toEqual({ requests: 2 });
    expect(byMatchOn.costOf('upsert', 1)).toEqual({ requests: 2 });
  });
});

/** The Salesforce sandbox for one test, closed after it, with a connection setting to it. */
async function withSandbox(
  work: (sandbox: SalesforceSandbox, connection: (settings?: Partial<SalesforceConnection>) => SalesforceConnection) => Promise<void>,
): Promise<void> {
  const sandbox = await startSalesforceSandbox();
  const connection = (settings: Partial<SalesforceConnection> = {}) => sandboxConnection(sandbox, settings);
  try {
    await work(sandbox, connection);
  } finally {
    await sandbox.close();
  }
}

/** The Bulk API job ids a batch's checkpoint holds. */
const savedJobs = (context: WriteContext): string[] => (JSON.parse(context.checkpoint ?? '{}') as { jobs?: string[] }).jobs ?? [];

describe('matchOn checked against the object', () => {
  it('refuses a number (or date, boolean) field: keys are looked up as quoted text, which Salesforce refuses for it', () =>
    withSandbox(async (_sandbox, connection) => {
      const check = (field: string) =>
        new SalesforceDestination(connection(), { connection: 'sf', object: 'Account', matchOn: { field } } as SalesforceTarget).check({ mode: 'upsert', mappings: [{ from: 'segment', to: 'Segment__c' }] });
      expect(await check('Health_Score__c')).toEqual([
        { path: 'destination.matchOn.field', message: 'Account.Health_Score__c is a double field; matchOn needs a text field (string, email, phone, url, picklist, id…): keys are looked up as text' },
      ]);
      expect(await check('Name')).toEqual([]);
    }));
});

describe('the text #N/A in a Bulk API batch', () => {
  it('is stored as text (through collections), not cleared as Bulk CSV would; the rest of the batch goes by Bulk', () =>
    withSandbox(async (sandbox, connection) => {
      const destination = new SalesforceDestination(connection({ bulkThreshold: 200, maxDailyApiUsage: 1 }), { connection: 'sf', object: 'Account', externalIdField: 'External_Id__c' } as SalesforceTarget);
      const context = memoryWriteContext('s', 'r');
      const records = Array.from({ length: 250 }, (_, n) => ({ key: `k${n}`, fields: { Name: `Account ${n}`, Website: n === 3 ? '#N/A' : `https://${n}.example` }, destinationId: null }));
      const written = await destination.write('upsert', records, context);
      expect(written.results.filter((r) => r.status !== 'ok')).toEqual([]);
      const stored = new Map(sandbox.records('Account').map((account) => [account['External_Id__c'], account['Website']]));
      expect([stored.get('k3'), stored.get('k4'), stored.size]).toEqual(['#N/A', 'https://4.example', 250]);
      expect(savedJobs(context)).toEqual([expect.any(String)]);
    }));
});

describe('Bulk API 2.0 upload size', () => {
  it('cuts a batch into jobs whose CSV stays under the upload limit, header included, every row once', () => {
    const rows = Array.from({ length: 1_000 }, (_, n) => ({ key: `k${n}`, cells: { External_Id__c: `k${n}`, Description: 'x'.repeat(n % 7 === 0 ? 900 : 90) } }));
    const parts = uploadParts(rows, 20_000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flat()).toEqual(rows);
    for (const part of parts) expect(Buffer.byteLength(toCsv(part))).toBeLessThanOrEqual(20_000);
    expect(uploadParts(rows)).toEqual([rows]);
  });

  it('runs a batch past the limit as several jobs, one after another, each in the checkpoint', () =>
    withSandbox(async (sandbox) => {
      const connection = new JsforceConnection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version: '62.0' });
      const context = memoryWriteContext('s', 'r');
      const ingest = new BulkIngest(connection, '62.0', context, (_what, request) => Promise.resolve(request()), async () => {}, 20_000);
      const rows = Array.from({ length: 300 }, (_, n) => ({ key: `k${n}`, cells: { External_Id__c: `k${n}`, Name: `Account ${n}`, Website: `https://${'x'.repeat(180)}.example` } }));
      const results = new Map<string, RecordResult>();
      await ingest.run({ operation: 'upsert', object: 'Account', externalIdFieldName: 'External_Id__c', keyColumn: 'External_Id__c', rows }, results);
      expect([...results.values()].filter((r) => r.status !== 'ok')).toEqual([]);
      expect(results.size).toBe(300);
      expect(sandbox.records('Account')).toHaveLength(300);
      expect(savedJobs(context).length).toBeGreaterThan(2);
    }));
});
