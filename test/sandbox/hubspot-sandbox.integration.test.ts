/**
 * The HubSpot sandbox driven over HTTP by the official client (@hubspot/api-client), so the emulator
 * is checked against what a real client sends and how it interprets answers (200 vs 201 vs 207,
 * ApiException for the rest). Raw fetch is used only where the client hides the wire (the 429 body's
 * policyName, a missing Authorization header, a request that never gets an answer).
 */
import { Client } from '@hubspot/api-client';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties';

import { startHubspotSandbox, type HubspotSandbox } from '../../src/sandbox/hubspot';
import { createUniqueProperty } from '../support/hubspotFixture';
import { rejectionOf } from '../support/rejection';

interface ApiExceptionLike {
  code?: number;
  body?: { message?: string; category?: string; context?: Record<string, string[]>; errors?: Array<{ code?: string }> };
  headers?: Record<string, string>;
  message?: string;
}

interface BatchErrorLike {
  status: string;
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors?: Array<{ code?: string; message: string; context?: Record<string, string[]> }>;
}

interface BatchAnswer {
  status: string;
  results: Array<{ id: string; properties: Record<string, string | null>; _new?: boolean; createdAt: Date; updatedAt: Date }>;
  numErrors?: number;
  errors?: BatchErrorLike[];
}

const CUSTOM = { objectTypeId: '2-1234567', name: 'accounts' };

let sandbox: HubspotSandbox;
let client: Client;

function connect(sb: HubspotSandbox, accessToken = sb.accessToken): Client {
  return new Client({ accessToken, basePath: sb.basePath, numberOfApiCallRetries: 0 });
}

const rejection = (promise: PromiseLike<unknown>) => rejectionOf<ApiExceptionLike>(promise);

async function upsertContacts(inputs: Array<{ id: string; properties: Record<string, string>; objectWriteTraceId?: string }>): Promise<BatchAnswer> {
  const answer = await client.crm.contacts.batchApi.upsert({ inputs: inputs.map((i) => ({ idProperty: 'email', ...i })) });
  return answer as unknown as BatchAnswer;
}

/** `token: null` sends no Authorization header. */
function rawPost(path: string, body: unknown, token: string | null = sandbox.accessToken): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  return fetch(`${sandbox.basePath}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

beforeEach(async () => {
  sandbox = await startHubspotSandbox({
    properties: {
      companies: [
        { name: 'health_score', type: 'number' },
        { name: 'segment', type: 'enumeration', options: ['at-risk', 'neutral', 'healthy'] },
        { name: 'mrr', type: 'number' },
        { name: 'external_id', type: 'string', hasUniqueValue: true },
      ],
    },
    customObjects: [
      {
        ...CUSTOM,
        labels: { singular: 'Account', plural: 'Accounts' },
        primaryDisplayProperty: 'account_name',
        properties: [
          { name: 'account_name', type: 'string' },
          { name: 'external_id', type: 'string', hasUniqueValue: true },
          { name: 'health_score', type: 'number' },
        ],
      },
    ],
  });
  client = connect(sandbox);
});

afterEach(async () => {
  await sandbox.close();
});

describe('batch upsert', () => {
  it('creates, then updates by email (case-insensitively) without duplicating', async () => {
    const first = await upsertContacts([
      { id: 'Ada@Example.com', properties: { firstname: 'Ada', lifecyclestage: 'lead' } },
      { id: 'grace@example.com', properties: { firstname: 'Grace' } },
    ]);
    expect(first.status).toBe('COMPLETE');
    expect(first.results.map((r) => r._new)).toEqual([true, true]);
    for (const r of first.results) expect(r.id).toMatch(/^\d+$/);
    expect(first.results[0]?.properties).toMatchObject({ email: 'ada@example.com', firstname: 'Ada', hs_object_id: first.results[0]?.id });

    const second = await upsertContacts([{ id: 'ada@example.com', properties: { firstname: 'Ada L.' } }]);
    expect(second.results.map((r) => [r.id, r._new])).toEqual([[first.results[0]?.id, false]]);
    expect(second.results[0]?.updatedAt.getTime()).toBeGreaterThan(first.results[0]?.updatedAt.getTime() ?? Infinity);

    const stored = sandbox.records('contacts');
    expect(stored).toHaveLength(2);
    expect(stored[0]?.properties).toMatchObject({ email: 'ada@example.com', firstname: 'Ada L.', lifecyclestage: 'lead' });
  });

  it('upserts by a hasUniqueValue property, on companies and on a custom object by id or fully qualified name', async () => {
    const created = (await client.crm.objects.batchApi.upsert('companies', {
      inputs: [{ idProperty: 'external_id', id: 'acme-1', properties: { name: 'Acme', health_score: '38', segment: 'at-risk' } }],
    })) as unknown as BatchAnswer;
    const updated = (await client.crm.companies.batchApi.upsert({
      inputs: [{ idProperty: 'external_id', id: 'acme-1', properties: { health_score: '30' } }],
    })) as unknown as BatchAnswer;
    expect(updated.results[0]).toMatchObject({ id: created.results[0]?.id, _new: false });
    expect(sandbox.records('companies').map((c) => c.properties)).toEqual([
      expect.objectContaining({ name: 'Acme', external_id: 'acme-1', health_score: '30', segment: 'at-risk' }),
    ]);

    const a = (await client.crm.objects.batchApi.upsert(CUSTOM.objectTypeId, {
      inputs: [{ idProperty: 'external_id', id: 'g-1', properties: { account_name: 'Globex' } }],
    })) as unknown as BatchAnswer;
    const b = (await client.crm.objects.batchApi.upsert('p_accounts', {
      inputs: [{ idProperty: 'external_id', id: 'g-1', properties: { health_score: '82' } }],
    })) as unknown as BatchAnswer;
    expect(b.results[0]).toMatchObject({ id: a.results[0]?.id, _new: false });
    expect(sandbox.records(`p${sandbox.portalId}_accounts`)[0]?.properties).toMatchObject({ account_name: 'Globex', health_score: '82' });
  });

  it('answers 207 with per-record VALIDATION_ERRORs and stores the valid inputs when every input has an objectWriteTraceId', async () => {
    const answer = await upsertContacts([
      { id: 'good1@example.com', properties: { firstname: 'One' }, objectWriteTraceId: 't-good1' },
      { id: 'unknown@example.com', properties: { favourite_colour: 'blue' }, objectWriteTraceId: 't-unknown' },
      { id: 'option@example.com', properties: { lifecyclestage: 'champion' }, objectWriteTraceId: 't-option' },
      { id: 'not-an-email', properties: { firstname: 'Bad' }, objectWriteTraceId: 't-email' },
      { id: 'readonly@example.com', properties: { hs_object_id: '42' }, objectWriteTraceId: 't-readonly' },
      { id: 'good2@example.com', properties: { firstname: 'Two' }, objectWriteTraceId: 't-good2' },
    ]);
    expect(answer.numErrors).toBe(4);
    expect(answer.results.map((r) => r.properties['email'])).toEqual(['good1@example.com', 'good2@example.com']);
    const byTrace = new Map((answer.errors ?? []).map((e) => [e.context['objectWriteTraceId']?.[0], e]));
    for (const e of answer.errors ?? []) expect(e).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });

    expect(byTrace.get('t-unknown')?.message).toBe(
      'Property values were not valid: [{"isValid":false,"message":"Property \\"favourite_colour\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"favourite_colour","localizedErrorMessage":"Property \\"favourite_colour\\" does not exist","portalId":12345678}]',
    );
    expect(byTrace.get('t-unknown')?.errors).toEqual([
      { code: 'PROPERTY_DOESNT_EXIST', message: 'Property "favourite_colour" does not exist', context: { propertyName: ['favourite_colour'] } },
    ]);
    expect(byTrace.get('t-option')?.errors?.[0]?.code).toBe('INVALID_OPTION');
    expect(byTrace.get('t-option')?.errors?.[0]?.message).toMatch(/^champion was not one of the allowed options: \[label: "Subscriber"\nvalue: "subscriber"/);
    expect(byTrace.get('t-email')?.errors?.[0]).toMatchObject({ code: 'INVALID_EMAIL', message: 'Email address not-an-email is invalid' });
    expect(byTrace.get('t-readonly')?.errors?.[0]?.code).toBe('READ_ONLY_VALUE');

    expect(sandbox.records('contacts').map((c) => c.properties['email'])).toEqual(['good1@example.com', 'good2@example.com']);
  });

  it('rejects a number property given a non-number, per record', async () => {
    const answer = (await client.crm.companies.batchApi.upsert({
      inputs: [
        { idProperty: 'external_id', id: 'ok', properties: { mrr: '900.50' }, objectWriteTraceId: 'a' },
        { idProperty: 'external_id', id: 'nan', properties: { mrr: 'lots' }, objectWriteTraceId: 'b' },
      ],
    })) as unknown as BatchAnswer;
    expect(answer.results).toHaveLength(1);
    expect(answer.errors?.[0]?.errors?.[0]).toMatchObject({ code: 'INVALID_INTEGER', message: 'lots was not a valid number.' });
  });

  it('rejects a non-string value with leading or trailing whitespace per record (LEADING_TRAILING_WHITESPACE), as HubSpot has since April 2025', async () => {
    const answer = (await client.crm.companies.batchApi.upsert({
      inputs: [
        { idProperty: 'external_id', id: 'ok', properties: { segment: 'healthy', mrr: '900' }, objectWriteTraceId: 'a' },
        { idProperty: 'external_id', id: 'spaced', properties: { segment: 'healthy ' }, objectWriteTraceId: 'b' },
        { idProperty: 'external_id', id: 'nbsp', properties: { mrr: '\u00a0900' }, objectWriteTraceId: 'c' },
      ],
    })) as unknown as BatchAnswer;
    expect(answer.results.map((r) => r.properties['external_id'])).toEqual(['ok']);
    const byTrace = new Map((answer.errors ?? []).map((e) => [e.context['objectWriteTraceId']?.[0], e]));
    expect(byTrace.get('b')).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect(byTrace.get('b')?.message).toBe(
      'Property values were not valid: [{"isValid":false,"message":"\\"healthy \\" includes leading or trailing whitespace.","error":"LEADING_TRAILING_WHITESPACE","name":"segment","localizedErrorMessage":"\\"healthy \\" includes leading or trailing whitespace.","portalId":12345678}]',
    );
    expect(byTrace.get('c')?.errors).toEqual([
      { code: 'LEADING_TRAILING_WHITESPACE', message: '"\u00a0900" includes leading or trailing whitespace.', context: { propertyName: ['mrr'] } },
    ]);
  });

  it('refuses a text value over 65,536 characters per record (VALIDATION_ERROR) and stores one of exactly 65,536', async () => {
    const longest = 'x'.repeat(65_536);
    const answer = await upsertContacts([
      { id: 'longest@example.com', properties: { firstname: longest }, objectWriteTraceId: 't-longest' },
      { id: 'toolong@example.com', properties: { firstname: `${longest}y` }, objectWriteTraceId: 't-toolong' },
    ]);
    expect(answer.numErrors).toBe(1);
    expect(answer.errors?.[0]).toMatchObject({ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['t-toolong'] } });
    expect(answer.errors?.[0]?.errors).toEqual([
      {
        code: 'VALUE_TOO_LONG',
        message: 'Property "firstname" value is 65537 characters long; the limit is 65536 characters.',
        context: { propertyName: ['firstname'] },
      },
    ]);
    expect(sandbox.records('contacts').map((c) => [c.properties['email'], c.properties['firstname']?.length])).toEqual([['longest@example.com', 65_536]]);
  });

  it('fails the whole request (400, nothing written) on one invalid input when the inputs carry no trace ids', async () => {
    const error = await rejection(
      upsertContacts([
        { id: 'fine@example.com', properties: { firstname: 'Fine' } },
        { id: 'bad@example.com', properties: { lifecyclestage: 'champion' } },
      ]),
    );
    expect(error.code).toBe(400);
    expect(error.body?.category).toBe('VALIDATION_ERROR');
    expect(error.body?.message).toMatch(/^Property values were not valid: \[\{"isValid":false,"message":"champion was not one of the allowed options/);
    expect(error.body?.errors?.[0]?.code).toBe('INVALID_OPTION');
    expect(sandbox.records('contacts')).toEqual([]);
  });

  it('rejects the whole batch when two inputs name the same record, even with trace ids', async () => {
    const error = await rejection(
      upsertContacts([
        { id: 'twice@example.com', properties: { firstname: 'A' }, objectWriteTraceId: '1' },
        { id: 'other@example.com', properties: { firstname: 'B' }, objectWriteTraceId: '2' },
        { id: 'TWICE@example.com', properties: { firstname: 'C' }, objectWriteTraceId: '3' },
      ]),
    );
    expect(error.code).toBe(400);
    expect(error.body).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: 'Duplicate IDs found in batch input: [TWICE@example.com]. IDs must be unique',
      context: { ids: ['TWICE@example.com'] },
    });
    expect(sandbox.records('contacts')).toEqual([]);
  });

  it('takes 100 inputs and refuses 101', async () => {
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `c${i}@example.com`, properties: { firstname: `C${i}` } }));
    const error = await rejection(upsertContacts(inputs(101)));
    expect(error.code).toBe(400);
    expect(error.body?.category).toBe('VALIDATION_ERROR');
    expect(error.body?.message).toContain('100');
    expect(sandbox.records('contacts')).toEqual([]);

    const ok = await upsertContacts(inputs(100));
    expect(ok.results).toHaveLength(100);
  });

  it('refuses an idProperty that is not unique', async () => {
    const error = await rejection(
      client.crm.companies.batchApi.upsert({ inputs: [{ idProperty: 'name', id: 'Acme', properties: { domain: 'acme.com' } }] }),
    );
    expect(error.code).toBe(400);
    expect(error.body?.message).toBe('Unable to perform update/upsert by non-unique 0-2 property name in portal ID 12345678');
  });
  it('refuses batch update by a contact\'s email or by hs_object_id as idProperty (upsert and read take email; update only ids and unique properties)', async () => {
    await upsertContacts([{ id: 'a@example.com', properties: { firstname: 'A' } }]);
    const byEmail = await rejection(client.crm.contacts.batchApi.update({ inputs: [{ idProperty: 'email', id: 'a@example.com', properties: { firstname: 'B' } }] }));
    expect([byEmail.code, byEmail.body?.message]).toEqual([400, 'Unable to perform update/upsert by non-unique 0-1 property email in portal ID 12345678']);
    const id = sandbox.records('contacts')[0]?.id ?? '';
    const byObjectId = await rejection(client.crm.contacts.batchApi.update({ inputs: [{ idProperty: 'hs_object_id', id, properties: { firstname: 'B' } }] }));
    expect([byObjectId.code, byObjectId.body?.message]).toEqual([400, 'Unable to perform update/upsert by non-unique 0-1 property hs_object_id in portal ID 12345678']);
    expect(sandbox.records('contacts')[0]?.properties['firstname']).toBe('A');
  });
});

describe('batch create, update, read and archive', () => {
  it('creates (201 → results), updates by record id and by idProperty, and reports unknown ids as OBJECT_NOT_FOUND', async () => {
    const created = (await client.crm.objects.batchApi.create('companies', {
      inputs: [
        { properties: { name: 'Acme', external_id: 'acme' }, associations: [] },
        { properties: { name: 'Initech', external_id: 'initech' }, associations: [] },
      ],
    })) as unknown as BatchAnswer;
    expect(created.results.map((r) => r.properties['name'])).toEqual(['Acme', 'Initech']);
    const [acme, initech] = created.results;

    const byId = (await client.crm.companies.batchApi.update({ inputs: [{ id: acme?.id ?? '', properties: { segment: 'healthy' } }] })) as unknown as BatchAnswer;
    expect(byId.results[0]).toMatchObject({ id: acme?.id, properties: expect.objectContaining({ segment: 'healthy' }) });

    const byUnique = (await client.crm.companies.batchApi.update({
      inputs: [
        { idProperty: 'external_id', id: 'initech', properties: { mrr: '700' } },
        { idProperty: 'external_id', id: 'umbrella', properties: { mrr: '1200' } },
      ],
    })) as unknown as BatchAnswer;
    expect(byUnique.results.map((r) => r.id)).toEqual([initech?.id]);
    expect(byUnique.errors).toEqual([
      {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: 'Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.',
        context: { ids: ['umbrella'] },
      },
    ]);
    expect(sandbox.records('companies').map((c) => [c.properties['segment'] ?? null, c.properties['mrr'] ?? null])).toEqual([
      ['healthy', null],
      [null, '700'],
    ]);
  });

  it('refuses a create batch that reuses a contact email (409 CONFLICT) without writing any of it', async () => {
    await upsertContacts([{ id: 'taken@example.com', properties: {} }]);
    const error = await rejection(
      client.crm.contacts.batchApi.create({
        inputs: [
          { properties: { email: 'new@example.com' }, associations: [] },
          { properties: { email: 'TAKEN@example.com' }, associations: [] },
        ],
      }),
    );
    expect(error.code).toBe(409);
    expect(error.body).toMatchObject({ category: 'CONFLICT', message: `Contact already exists. Existing ID: ${sandbox.records('contacts')[0]?.id}` });
    expect(sandbox.records('contacts').map((c) => c.properties['email'])).toEqual(['taken@example.com']);
  });

  it('refuses a create batch whose inputs share an email (409 CONFLICT) without writing any of it', async () => {
    const error = await rejection(
      client.crm.contacts.batchApi.create({
        inputs: [
          { properties: { email: 'first@example.com' }, associations: [] },
          { properties: { email: 'dup@example.com', firstname: 'One' }, associations: [] },
          { properties: { email: 'DUP@example.com', firstname: 'Two' }, associations: [] },
        ],
      }),
    );
    expect(error.code).toBe(409);
    expect(error.body).toMatchObject({ category: 'CONFLICT', message: expect.stringContaining('dup@example.com') });
    expect(sandbox.records('contacts')).toEqual([]);
  });

  it('keeps upsert and update all-or-nothing when two inputs would give one unique value to different records', async () => {
    const sb = await startHubspotSandbox({ properties: { contacts: [{ name: 'member_id', type: 'string', hasUniqueValue: true }] } });
    try {
      const hs = connect(sb);
      const upsert = await rejection(
        hs.crm.contacts.batchApi.upsert({
          inputs: [
            { idProperty: 'email', id: 'a@example.com', properties: { member_id: 'M-1' } },
            { idProperty: 'email', id: 'b@example.com', properties: { member_id: 'M-1' } },
          ],
        }),
      );
      expect([upsert.code, upsert.body?.category]).toEqual([409, 'CONFLICT']);
      expect(sb.records('contacts')).toEqual([]);

      await hs.crm.contacts.batchApi.create({
        inputs: [{ properties: { email: 'a@example.com' }, associations: [] }, { properties: { email: 'b@example.com' }, associations: [] }],
      });
      const [a, b] = sb.records('contacts');
      const update = await rejection(
        hs.crm.contacts.batchApi.update({
          inputs: [
            { id: a?.id ?? '', properties: { email: 'new@example.com', firstname: 'A' } },
            { id: b?.id ?? '', properties: { email: 'new@example.com', firstname: 'B' } },
          ],
        }),
      );
      expect(update.code).toBe(409);
      expect(update.body).toMatchObject({ category: 'CONFLICT', message: `Contact already exists. Existing ID: ${a?.id}` });
      expect(sb.records('contacts').map((r) => [r.properties['email'], r.properties['firstname'] ?? null])).toEqual([
        ['a@example.com', null],
        ['b@example.com', null],
      ]);
    } finally {
      await sb.close();
    }
  });

  it('reads found records and reports the missing ones in a 207', async () => {
    await upsertContacts([
      { id: 'a@example.com', properties: { firstname: 'A', lastname: 'Aa' } },
      { id: 'b@example.com', properties: { firstname: 'B' } },
    ]);
    const answer = (await client.crm.contacts.batchApi.read({
      idProperty: 'email',
      inputs: [{ id: 'a@example.com' }, { id: 'nobody@example.com' }, { id: 'B@example.com' }],
      properties: ['firstname', 'phone'],
      propertiesWithHistory: [],
    })) as unknown as BatchAnswer;
    expect(answer.results.map((r) => r.properties)).toEqual([
      expect.objectContaining({ firstname: 'A', phone: null }),
      expect.objectContaining({ firstname: 'B', phone: null }),
    ]);
    expect(answer.results[0]?.properties).not.toHaveProperty('lastname');
    expect(answer.numErrors).toBe(1);
    expect(answer.errors?.[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['nobody@example.com'] } });
  });

  it('takes at most 50 inputs in a batch read that asks for property histories', async () => {
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1) }));
    const read = (n: number, propertiesWithHistory: string[]) =>
      client.crm.contacts.batchApi.read({ inputs: inputs(n), properties: ['email'], propertiesWithHistory });
    const refused = await rejection(read(51, ['email']));
    expect(refused.code).toBe(400);
    expect(refused.body).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: expect.stringContaining('for property histories is 50') as unknown,
    });
    await expect(read(50, ['email'])).resolves.toBeDefined();
    await expect(read(100, [])).resolves.toBeDefined();
  });

  it('archives by record id (204); archived records are gone from reads', async () => {
    const { results } = await upsertContacts([
      { id: 'keep@example.com', properties: {} },
      { id: 'drop@example.com', properties: {} },
    ]);
    const drop = results.find((r) => r.properties['email'] === 'drop@example.com');
    await client.crm.contacts.batchApi.archive({ inputs: [{ id: drop?.id ?? '' }, { id: '999999999' }] });
    expect(sandbox.records('contacts').map((c) => c.properties['email'])).toEqual(['keep@example.com']);
    expect(sandbox.requests().at(-1)).toMatchObject({ path: '/crm/v3/objects/contacts/batch/archive', status: 204, inputs: 2 });

    const missing = await rejection(client.crm.contacts.basicApi.getById(drop?.id ?? ''));
    expect(missing.code).toBe(404);
    expect(missing.body?.category).toBe('OBJECT_NOT_FOUND');
    // The email is free again: upserting it creates a new record.
    const again = await upsertContacts([{ id: 'drop@example.com', properties: {} }]);
    expect(again.results[0]?._new).toBe(true);
  });

  it('keeps archived records for reads with archived=true, which return only those, with archived and archivedAt', async () => {
    const { results } = await upsertContacts([
      { id: 'keep@example.com', properties: { firstname: 'Keep' } },
      { id: 'drop@example.com', properties: { firstname: 'Drop' } },
    ]);
    const keep = results.find((r) => r.properties['email'] === 'keep@example.com');
    const drop = results.find((r) => r.properties['email'] === 'drop@example.com');
    const dropId = drop?.id ?? '';
    await client.crm.contacts.batchApi.archive({ inputs: [{ id: dropId }] });

    const archived = await client.crm.contacts.basicApi.getById(dropId, ['firstname'], undefined, undefined, true);
    expect(archived).toMatchObject({ id: dropId, archived: true, properties: expect.objectContaining({ firstname: 'Drop' }) as unknown });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    // Archiving does not touch the last-modified time.
    expect(archived.updatedAt).toEqual(drop?.updatedAt);
    expect((await rejection(client.crm.contacts.basicApi.getById(keep?.id ?? '', undefined, undefined, undefined, true))).code).toBe(404);

    const archivedPage = await client.crm.contacts.basicApi.getPage(10, undefined, ['email'], undefined, undefined, true);
    expect(archivedPage.results.map((r) => [r.id, r.archived, r.archivedAt instanceof Date])).toEqual([[dropId, true, true]]);
    const livePage = await client.crm.contacts.basicApi.getPage(10, undefined, ['email']);
    expect(livePage.results.map((r) => [r.id, r.archived, r.archivedAt])).toEqual([[keep?.id, false, undefined]]);

    const read = (await client.crm.contacts.batchApi.read({ inputs: [{ id: dropId }, { id: keep?.id ?? '' }], properties: ['email'], propertiesWithHistory: [] }, true)) as unknown as BatchAnswer;
    expect(read.results.map((r) => r.id)).toEqual([dropId]);
    expect(read.errors?.[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: [keep?.id] } });

    // The email is released: a new live record takes it, and the archived one is still found by it with archived=true.
    const again = await upsertContacts([{ id: 'drop@example.com', properties: {} }]);
    expect(again.results[0]?._new).toBe(true);
    const byEmail = await client.crm.contacts.basicApi.getById('drop@example.com', undefined, undefined, undefined, true, 'email');
    expect(byEmail.id).toBe(dropId);
  });

  it('gets one record by id or idProperty and pages through the list', async () => {
    await upsertContacts(Array.from({ length: 5 }, (_, i) => ({ id: `p${i}@example.com`, properties: { firstname: `P${i}` } })));
    const one = await client.crm.contacts.basicApi.getById('p3@example.com', ['firstname'], undefined, undefined, false, 'email');
    expect(one.properties['firstname']).toBe('P3');

    const page1 = await client.crm.contacts.basicApi.getPage(2, undefined, ['firstname']);
    expect(page1.results.map((r) => r.properties['firstname'])).toEqual(['P0', 'P1']);
    const page2 = await client.crm.contacts.basicApi.getPage(2, page1.paging?.next?.after, ['firstname']);
    expect(page2.results.map((r) => r.properties['firstname'])).toEqual(['P2', 'P3']);
    const all = await client.crm.contacts.getAll(2, undefined, ['firstname']);
    expect(all.map((r) => r.properties['firstname'])).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
  });
});

describe('single-record create, update and archive', () => {
  it('creates (201 with the record), refusing a bad value (400) or a taken unique value (409) without writing', async () => {
    const acme = await client.crm.objects.basicApi.create('companies', { properties: { name: 'Acme', external_id: 'acme' }, associations: [] });
    expect(acme).toMatchObject({ archived: false, properties: expect.objectContaining({ name: 'Acme', external_id: 'acme', hs_object_id: acme.id }) as unknown });
    expect(sandbox.requests().at(-1)).toMatchObject({ method: 'POST', path: '/crm/v3/objects/companies', status: 201 });

    const taken = await rejection(client.crm.objects.basicApi.create('companies', { properties: { name: 'Copy', external_id: 'acme' }, associations: [] }));
    expect(taken.code).toBe(409);
    expect(taken.body).toMatchObject({ category: 'CONFLICT', message: `A COMPANY with the unique value of property external_id already exists. Existing ID: ${acme.id}` });
    const invalid = await rejection(client.crm.companies.basicApi.create({ properties: { name: 'Bad', health_score: 'lots' }, associations: [] }));
    expect(invalid.code).toBe(400);
    expect(invalid.body?.category).toBe('VALIDATION_ERROR');
    expect(sandbox.records('companies').map((c) => c.properties['name'])).toEqual(['Acme']);
  });

  it('updates by id or idProperty (a contact by email too) with 200, 404 OBJECT_NOT_FOUND for no record, 409 for a taken value', async () => {
    const acme = await client.crm.objects.basicApi.create('companies', { properties: { name: 'Acme', external_id: 'acme' }, associations: [] });
    const initech = await client.crm.objects.basicApi.create('companies', { properties: { name: 'Initech', external_id: 'initech' }, associations: [] });

    const byId = await client.crm.objects.basicApi.update('companies', acme.id, { properties: { segment: 'healthy' } });
    expect(byId).toMatchObject({ id: acme.id, properties: expect.objectContaining({ segment: 'healthy' }) as unknown });
    const byUnique = await client.crm.companies.basicApi.update('initech', { properties: { mrr: '700' } }, 'external_id');
    expect(byUnique).toMatchObject({ id: initech.id, properties: expect.objectContaining({ mrr: '700' }) as unknown });
    expect(sandbox.requests().at(-1)).toMatchObject({ method: 'PATCH', path: '/crm/v3/objects/companies/initech', status: 200 });

    const jo = await client.crm.contacts.basicApi.create({ properties: { email: 'jo@example.com' }, associations: [] });
    const byEmail = await client.crm.contacts.basicApi.update('JO@example.com', { properties: { firstname: 'Jo' } }, 'email');
    expect(byEmail).toMatchObject({ id: jo.id, properties: expect.objectContaining({ firstname: 'Jo' }) as unknown });

    const missing = await rejection(client.crm.objects.basicApi.update('companies', '999999999', { properties: { name: 'Nobody' } }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { id: ['999999999'] } });
    const taken = await rejection(client.crm.objects.basicApi.update('companies', initech.id, { properties: { external_id: 'acme' } }));
    expect(taken.code).toBe(409);
    expect(taken.body?.category).toBe('CONFLICT');
    expect(sandbox.records('companies').map((c) => [c.properties['external_id'], c.properties['segment'] ?? null, c.properties['mrr'] ?? null])).toEqual([
      ['acme', 'healthy', null],
      ['initech', null, '700'],
    ]);
  });

  it('archives by id with 204 (an unknown id too); the record is then read only with archived=true', async () => {
    const acme = await client.crm.objects.basicApi.create('companies', { properties: { name: 'Acme' }, associations: [] });
    await client.crm.objects.basicApi.archive('companies', acme.id);
    expect(sandbox.requests().at(-1)).toMatchObject({ method: 'DELETE', path: `/crm/v3/objects/companies/${acme.id}`, status: 204 });
    expect(sandbox.records('companies')).toEqual([]);
    expect((await rejection(client.crm.companies.basicApi.getById(acme.id))).code).toBe(404);
    expect(await client.crm.companies.basicApi.getById(acme.id, undefined, undefined, undefined, true)).toMatchObject({ id: acme.id, archived: true });

    await client.crm.companies.basicApi.archive('999999999');
    expect(sandbox.requests().at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
  });
});

describe('properties', () => {
  it('lists default and custom properties with options, uniqueness and read-only flags', async () => {
    const contacts = await client.crm.properties.coreApi.getAll('contacts');
    const byName = new Map(contacts.results.map((p) => [p.name, p]));
    expect(byName.get('lifecyclestage')).toMatchObject({ type: 'enumeration', fieldType: 'radio' });
    expect(byName.get('lifecyclestage')?.options.map((o) => o.value)).toContain('customer');
    expect(byName.get('hs_object_id')).toMatchObject({ calculated: true, modificationMetadata: { readOnlyValue: true } });
    expect(byName.get('email')?.modificationMetadata?.readOnlyValue).toBe(false);
    for (const name of ['email', 'firstname', 'lastname', 'phone', 'company', 'createdate']) expect(byName.has(name)).toBe(true);

    const companies = await client.crm.properties.coreApi.getAll('companies');
    const segment = companies.results.find((p) => p.name === 'segment');
    expect(segment?.options.map((o) => [o.label, o.value])).toEqual([
      ['at-risk', 'at-risk'],
      ['neutral', 'neutral'],
      ['healthy', 'healthy'],
    ]);
    expect(companies.results.find((p) => p.name === 'external_id')).toMatchObject({ hasUniqueValue: true, hubspotDefined: false });
    expect(companies.results.find((p) => p.name === 'health_score')?.type).toBe('number');

    const accounts = await client.crm.properties.coreApi.getAll('p_accounts');
    expect(accounts.results.map((p) => p.name)).toEqual(expect.arrayContaining(['account_name', 'external_id', 'hs_object_id']));
  });

  it('creates a property (201): listed, and usable as idProperty when it has unique values', async () => {
    const created = await createUniqueProperty(client, 'companies', 'warehouse_id', 'Warehouse ID');
    expect(created).toMatchObject({ name: 'warehouse_id', type: 'string', fieldType: 'text', hasUniqueValue: true, hubspotDefined: false });
    expect((await client.crm.properties.coreApi.getAll('companies')).results.map((p) => p.name)).toContain('warehouse_id');
    const inputs = [{ idProperty: 'warehouse_id', id: 'w-1', properties: { name: 'Acme' } }];
    const first = await client.crm.companies.batchApi.upsert({ inputs });
    const again = await client.crm.companies.batchApi.upsert({ inputs });
    expect(again.results[0]?.id).toBe(first.results[0]?.id);
    expect(sandbox.records('companies').map((c) => c.properties['warehouse_id'])).toEqual(['w-1']);
    // A reset forgets it with the records.
    sandbox.reset();
    expect((await client.crm.properties.coreApi.getAll('companies')).results.map((p) => p.name)).not.toContain('warehouse_id');
  });

  it('refuses a property name the object has (409 OBJECT_ALREADY_EXISTS) and a fieldType its type cannot take (400)', async () => {
    const taken = await rejection(
      client.crm.properties.coreApi.create('companies', { name: 'external_id', label: 'Again', type: PropertyCreateTypeEnum.String, fieldType: PropertyCreateFieldTypeEnum.Text, groupName: 'companyinformation' }),
    );
    expect(taken).toMatchObject({ code: 409, body: { category: 'OBJECT_ALREADY_EXISTS', message: "Property named 'external_id' already exists." } });
    const mismatched = await rejection(
      client.crm.properties.coreApi.create('companies', { name: 'score', label: 'Score', type: PropertyCreateTypeEnum.Number, fieldType: PropertyCreateFieldTypeEnum.Text, groupName: 'companyinformation' }),
    );
    expect(mismatched).toMatchObject({ code: 400, body: { category: 'VALIDATION_ERROR' } });
    expect(await rejection(createUniqueProperty(client, 'companies', 'Warehouse ID'))).toMatchObject({ code: 400, body: { category: 'VALIDATION_ERROR' } });
    expect((await client.crm.properties.coreApi.getAll('companies')).results.map((p) => p.name)).not.toContain('score');
  });

  it("keeps what a created property's definition says of itself and its options (order, hidden, description)", async () => {
    const created = await client.crm.properties.coreApi.create('companies', {
      name: 'tier',
      label: 'Tier',
      type: PropertyCreateTypeEnum.Enumeration,
      fieldType: PropertyCreateFieldTypeEnum.Select,
      groupName: 'companyinformation',
      hidden: true,
      formField: false,
      options: [
        { label: 'Gold', value: 'gold', displayOrder: 2, hidden: false, description: 'top' },
        { label: 'Legacy', value: 'legacy', displayOrder: 9, hidden: true },
      ],
    });
    expect(created).toMatchObject({ hidden: true, formField: false });
    expect(created.options.map((o) => [o.value, o.displayOrder, o.hidden, o.description])).toEqual([
      ['gold', 2, false, 'top'],
      ['legacy', 9, true, ''],
    ]);
  });

  it('takes ten unique-value properties per object (external_id and nine more) and refuses the eleventh', async () => {
    for (let i = 1; i <= 9; i++) await createUniqueProperty(client, 'companies', `key_${i}`);
    expect(await rejection(createUniqueProperty(client, 'companies', 'key_10'))).toMatchObject({ code: 400, body: { message: 'companies already has 10 properties with unique values, the most an object can have' } });
  });

  it('answers 400 for an unknown object type', async () => {
    const error = await rejection(client.crm.properties.coreApi.getAll('widgets'));
    expect(error.code).toBe(400);
    expect(error.body?.message).toBe('Unable to infer object type from: widgets');
  });
});

describe('authentication', () => {
  it('answers 401 INVALID_AUTHENTICATION for a wrong or missing token', async () => {
    const wrong = await rejection(connect(sandbox, 'pat-na1-wrong').crm.contacts.basicApi.getPage());
    expect(wrong.code).toBe(401);
    expect(wrong.body?.category).toBe('INVALID_AUTHENTICATION');
    expect(wrong.body?.message).toMatch(/^Authentication credentials not found\./);

    const missing = await rawPost('/crm/v3/objects/contacts/batch/read', { inputs: [] }, null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', correlationId: expect.any(String) });
  });
});

describe('rate limits', () => {
  it('sends the rate-limit headers and answers 429 TEN_SECONDLY_ROLLING past the window, then recovers', async () => {
    sandbox.setLimits({ tenSecondlyLimit: 3, tenSecondlyWindowMs: 1500, dailyLimit: 1000 });
    const first = await rawPost('/crm/v3/objects/contacts/batch/read', { inputs: [] });
    expect(Object.fromEntries([...first.headers].filter(([k]) => k.startsWith('x-hubspot-ratelimit')))).toEqual({
      'x-hubspot-ratelimit-daily': '1000',
      'x-hubspot-ratelimit-daily-remaining': '999',
      'x-hubspot-ratelimit-interval-milliseconds': '1500',
      'x-hubspot-ratelimit-max': '3',
      'x-hubspot-ratelimit-remaining': '2',
      'x-hubspot-ratelimit-secondly': '2',
      'x-hubspot-ratelimit-secondly-remaining': '1',
    });
    await client.crm.contacts.basicApi.getPage();
    await client.crm.contacts.basicApi.getPage();

    const limited = await rejection(client.crm.contacts.basicApi.getPage());
    expect(limited.code).toBe(429);
    expect(limited.body?.message).toBe('You have reached your ten_secondly_rolling limit.');
    expect(limited.headers?.['x-hubspot-ratelimit-remaining']).toBe('0');
    // The client's Error model drops policyName/errorType; the wire carries them.
    const raw = await rawPost('/crm/v3/objects/contacts/batch/read', { inputs: [] });
    expect(raw.status).toBe(429);
    expect(await raw.json()).toMatchObject({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
      correlationId: expect.any(String),
    });

    // Refused requests did not use up budget: after one window, three requests fit again.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    for (let i = 0; i < 3; i += 1) await client.crm.contacts.basicApi.getPage();
    expect((await rejection(client.crm.contacts.basicApi.getPage())).code).toBe(429);
    expect(sandbox.requests().filter((r) => r.status === 429)).toHaveLength(3);
  });

  it('answers 429 DAILY once the daily allowance is spent', async () => {
    sandbox.setLimits({ tenSecondlyLimit: null, dailyLimit: 2 });
    await client.crm.contacts.basicApi.getPage();
    await client.crm.contacts.basicApi.getPage();
    const raw = await rawPost('/crm/v3/objects/contacts/batch/read', { inputs: [] });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('0');
    expect(raw.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    expect(await raw.json()).toMatchObject({ message: 'You have reached your daily limit.', policyName: 'DAILY', errorType: 'RATE_LIMIT' });
  });

  it('changes only the limits setLimits names, and reset() goes back to the start limits', async () => {
    const limitHeaders = async () => {
      const answer = await rawPost('/crm/v3/objects/contacts/batch/read', { inputs: [] });
      return [answer.headers.get('x-hubspot-ratelimit-max'), answer.headers.get('x-hubspot-ratelimit-daily')];
    };
    const started = await startHubspotSandbox({ limits: { tenSecondlyLimit: 5, dailyLimit: 1000 } });
    try {
      const post = (path: string) => fetch(`${started.basePath}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${started.accessToken}` }, body: JSON.stringify({ inputs: [] }) });
      const headersOf = async () => {
        const answer = await post('/crm/v3/objects/contacts/batch/read');
        return [answer.headers.get('x-hubspot-ratelimit-max'), answer.headers.get('x-hubspot-ratelimit-daily')];
      };
      started.setLimits({ searchSecondlyLimit: null });
      expect(await headersOf()).toEqual(['5', '1000']);
      const admin = await fetch(`${started.basePath}/__sandbox/limits`, { method: 'POST', body: JSON.stringify({ dailyLimit: 2000 }) });
      expect(await admin.json()).toEqual({ tenSecondlyLimit: 5, dailyLimit: 2000, tenSecondlyWindowMs: 10_000, searchSecondlyLimit: null });
      started.reset();
      expect(await headersOf()).toEqual(['5', '1000']);
    } finally {
      await started.close();
    }
    // This suite's sandbox started with none: HubSpot's free tier.
    expect(await limitHeaders()).toEqual(['100', '250000']);
  });

  it('takes limits through the admin endpoint and validates them', async () => {
    const bad = await fetch(`${sandbox.basePath}/__sandbox/limits`, { method: 'POST', body: JSON.stringify({ tenSecondlyLimt: 5 }) });
    expect(bad.status).toBe(400);
    const ok = await fetch(`${sandbox.basePath}/__sandbox/limits`, { method: 'POST', body: JSON.stringify({ tenSecondlyLimit: 1 }) });
    expect(await ok.json()).toMatchObject({ tenSecondlyLimit: 1 });
    await client.crm.contacts.basicApi.getPage();
    expect((await rejection(client.crm.contacts.basicApi.getPage())).code).toBe(429);
  });
});

describe('faults', () => {
  it('answers injected 429, 500, 503 and expired-token 401 in HubSpot shapes', async () => {
    const cases = [
      { fault: 'rateLimited', code: 429, message: 'You have reached your ten_secondly_rolling limit.' },
      { fault: 'serverError', code: 500 },
      { fault: 'unavailable', code: 503 },
      { fault: 'tokenExpired', code: 401, category: 'EXPIRED_AUTHENTICATION' },
    ] as const;
    for (const c of cases) {
      sandbox.setFaults({ [c.fault]: 1 });
      const error = await rejection(client.crm.contacts.basicApi.getPage());
      expect([c.fault, error.code]).toEqual([c.fault, c.code]);
      if ('message' in c) expect(error.body?.message).toBe(c.message);
      if ('category' in c) expect(error.body?.category).toBe(c.category);
    }
    expect(sandbox.requests().map((r) => [r.fault, r.status])).toEqual(cases.map((c) => [c.fault, c.code]));
  });

  it('applies a write, then answers 500 (apply-then-fail)', async () => {
    sandbox.setFaults({ applyThenFail: 1 });
    const error = await rejection(upsertContacts([{ id: 'landed@example.com', properties: { firstname: 'L' } }]));
    expect(error.code).toBe(500);
    expect(sandbox.records('contacts').map((c) => c.properties['email'])).toEqual(['landed@example.com']);
  });

  it('resets the connection or never answers', async () => {
    const viaAdmin = await fetch(`${sandbox.basePath}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ connectionReset: 1 }) });
    expect(viaAdmin.status).toBe(200);
    const reset = await rejection(client.crm.contacts.basicApi.getPage());
    // The client's fetch fails without an HTTP status; the cause is the reset socket.
    expect(reset.code).toBeUndefined();
    expect(String((reset as { cause?: { code?: string; message?: string } }).cause?.code ?? (reset as { cause?: { message?: string } }).cause?.message)).toMatch(
      /ECONNRESET|socket hang up|other side closed/,
    );

    sandbox.setFaults({ timeout: 1 });
    const timedOut = await rejection(
      fetch(`${sandbox.basePath}/crm/v3/objects/contacts`, {
        headers: { authorization: `Bearer ${sandbox.accessToken}` },
        signal: AbortSignal.timeout(300),
      }),
    );
    expect(String((timedOut as { name?: string }).name)).toBe('TimeoutError');
    expect(sandbox.requests().map((r) => [r.fault, r.status])).toEqual([
      ['connectionReset', 0],
      ['timeout', 0],
    ]);
  });

  it('rejects an invalid fault profile at the admin endpoint', async () => {
    const bad = await fetch(`${sandbox.basePath}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ serverErorr: 1 }) });
    expect(bad.status).toBe(400);
    expect(() => sandbox.setFaults({ serverError: 2 })).toThrow(/invalid fault profile/);
  });
});

describe('admin endpoints', () => {
  it('lists records and requests, and resets everything', async () => {
    await upsertContacts([{ id: 'x@example.com', properties: { firstname: 'X' } }]);
    const records = (await (await fetch(`${sandbox.basePath}/__sandbox/records/contacts`)).json()) as Array<{ properties: Record<string, string> }>;
    expect(records.map((r) => r.properties['email'])).toEqual(['x@example.com']);
    const requests = (await (await fetch(`${sandbox.basePath}/__sandbox/requests`)).json()) as Array<Record<string, unknown>>;
    expect(requests).toEqual([expect.objectContaining({ method: 'POST', path: '/crm/v3/objects/contacts/batch/upsert', status: 200, inputs: 1 })]);

    const reset = await fetch(`${sandbox.basePath}/__sandbox/reset`, { method: 'POST' });
    expect(reset.status).toBe(204);
    expect(sandbox.records('contacts')).toEqual([]);
    expect(sandbox.requests()).toEqual([]);
  });
});
