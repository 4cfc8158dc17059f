/**
 * The Meta Custom Audiences sandbox driven by the official facebook-nodejs-business-sdk: its
 * `FacebookAdsApi.call(method, pathParts, params, files, false, urlOverride)` swaps graph.facebook.com
 * for the sandbox URL and sends exactly what the SDK's CustomAudience users edge sends (POST: JSON body
 * with `payload` as an object, access_token in the query string; DELETE: everything in the query string,
 * which a URL limit refuses beyond ~8 KiB). Plain `fetch` is used only for form bodies (Meta's documented
 * `curl -X DELETE -F payload=…` among them) and the admin endpoints, which the SDK never sends.
 */
import { createHash } from 'node:crypto';

import { startMetaSandbox, type MetaSandbox, type MetaSandboxOptions } from '../../src/sandbox/meta';
import { rejectionOf } from '../support/rejection';

interface GraphErrorBody {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  fbtrace_id: string;
}
interface SdkError extends Error {
  status: number | null;
  response: GraphErrorBody | null;
  headers: Record<string, string> | null;
}
interface FacebookAdsApiLike {
  call(method: string, path: string[], params?: object, files?: object, multipart?: boolean, urlOverride?: string): Promise<Record<string, unknown>>;
}
// The SDK ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require('facebook-nodejs-business-sdk') as { FacebookAdsApi: (new (token: string) => FacebookAdsApiLike) & { VERSION: string } };

const sha = (value: string): string => createHash('sha256').update(value.trim().toLowerCase()).digest('hex');

let sandbox: MetaSandbox;
let api: FacebookAdsApiLike;
let now = Date.UTC(2026, 0, 15, 9, 0, 0);

async function start(options: MetaSandboxOptions = {}): Promise<void> {
  sandbox = await startMetaSandbox({ clock: () => now, ...options });
  api = new sdk.FacebookAdsApi(sandbox.accessToken);
}

function users(method: 'POST' | 'DELETE', payload: unknown, audienceId = sandbox.audienceId, client = api): Promise<Record<string, unknown>> {
  return client.call(method, [audienceId, 'users'], { payload }, {}, false, sandbox.graphUrl);
}

const sdkError = (promise: Promise<unknown>) => rejectionOf<SdkError>(promise);

interface Session {
  session_id: number;
  batch_seq?: number;
  last_batch_flag?: boolean;
  estimated_num_total?: number;
}

/** POST /{audience}/usersreplace as the SDK sends it (CustomAudience.createUsersReplace's edge). */
function replace(payload: unknown, session?: Session, audienceId = sandbox.audienceId): Promise<Record<string, unknown>> {
  const params = session === undefined ? { payload } : { payload, session };
  return api.call('POST', [audienceId, 'usersreplace'], params, {}, false, sandbox.graphUrl);
}

afterEach(async () => {
  await sandbox.close();
});

describe('adding and removing users', () => {
  beforeEach(() => start());

  it('adds hashed emails, idempotently, and removes them exactly', async () => {
    const emails = ['a@acme.com', 'b@globex.com', 'c@initech.com'].map(sha);
    const added = await users('POST', { schema: 'EMAIL_SHA256', data: emails.map((e) => [e]) });
    expect(added).toMatchObject({ audience_id: sandbox.audienceId, num_received: 3, num_invalid_entries: 0, invalid_entry_samples: {} });
    // Meta's session ids are 64-bit: answered as a numeric string.
    expect(added['session_id']).toMatch(/^\d+$/);
    await users('POST', { schema: 'EMAIL_SHA256', data: emails.map((e) => [e]) });
    expect(sandbox.members(sandbox.audienceId)).toEqual(emails.map((e) => ({ EMAIL: e })));

    const removed = await users('DELETE', { schema: 'EMAIL_SHA256', data: [[emails[1]]] });
    expect(removed).toMatchObject({ num_received: 1, num_invalid_entries: 0 });
    await users('DELETE', { schema: 'EMAIL_SHA256', data: [[emails[1]]] });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: emails[0] }, { EMAIL: emails[2] }]);
  });

  it('takes multi-key rows in schema order with "" for unknown, EXTERN_ID unhashed, and echoes the session', async () => {
    const schema = ['EXTERN_ID', 'EMAIL', 'PHONE', 'FN', 'COUNTRY'];
    const data = [
      ['acme-1', sha('jane@acme.com'), sha('15551234567'), sha('jane'), sha('us')],
      ['globex-7', sha('bob@globex.com'), '', '', ''],
    ];
    const session = { session_id: 9876543210, batch_seq: 1, last_batch_flag: true, estimated_num_total: 2 };
    const res = await users('POST', { schema, data, session });
    expect(res).toMatchObject({ session_id: '9876543210', num_received: 2, num_invalid_entries: 0 });
    expect(sandbox.members(sandbox.audienceId)).toEqual([
      { EXTERN_ID: 'acme-1', EMAIL: sha('jane@acme.com'), PHONE: sha('15551234567'), FN: sha('jane'), COUNTRY: sha('us') },
      { EXTERN_ID: 'globex-7', EMAIL: sha('bob@globex.com') },
    ]);
    // Removing by one identifier finds the member uploaded with several.
    await users('DELETE', { schema: ['EMAIL'], data: [[sha('jane@acme.com')]] });
    expect(sandbox.members(sandbox.audienceId).map((m) => m['EXTERN_ID'])).toEqual(['globex-7']);
  });

  it('counts and samples invalid rows (a raw email is not a hash) and applies the valid ones', async () => {
    const res = await users('POST', {
      schema: ['EMAIL', 'FN'],
      data: [
        [sha('ok@acme.com'), sha('ok')],
        ['raw@acme.com', sha('raw')],
        [sha('x@acme.com').toUpperCase(), ''],
        ['', ''],
      ],
    });
    expect(res).toMatchObject({ num_received: 4, num_invalid_entries: 3 });
    expect(Object.keys(res['invalid_entry_samples'] as object)).toContain('raw@acme.com');
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: sha('ok@acme.com'), FN: sha('ok') }]);
  });

  it('answers a payload with no valid row, a bad schema and more than 10,000 rows with (#100) errors', async () => {
    const allInvalid = await sdkError(users('POST', { schema: 'EMAIL_SHA256', data: [['raw@acme.com']] }));
    expect([allInvalid.status, allInvalid.response?.code, allInvalid.response?.type]).toEqual([400, 100, 'OAuthException']);
    expect((await sdkError(users('POST', { schema: ['EMAIL', 'SHOE_SIZE'], data: [['', '']] }))).response?.message).toMatch(/^\(#100\) Invalid schema/);
    const big = Array.from({ length: 10_001 }, (_, i) => [sha(`u${i}@x.com`)]);
    const tooMany = await sdkError(users('POST', { schema: 'EMAIL_SHA256', data: big }));
    expect([tooMany.status, tooMany.response?.code]).toEqual([400, 100]);
    await users('POST', { schema: 'EMAIL_SHA256', data: big.slice(0, 10_000) });
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(10_000);
  });

  it('accepts a form-encoded body with access_token and a JSON-string payload (fetch: the SDK never sends forms)', async () => {
    const body = new URLSearchParams({ access_token: sandbox.accessToken, payload: JSON.stringify({ schema: 'EMAIL_SHA256', data: [[sha('f@x.com')]] }) });
    const res = await fetch(`${sandbox.graphUrl}/v24.0/${sandbox.audienceId}/users`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: sha('f@x.com') }]);
  });

  it('keeps a 64-bit session_id exact (a numeric string back) and refuses one that is no integer', async () => {
    const post = (session: string) =>
      fetch(`${sandbox.graphUrl}/v24.0/${sandbox.audienceId}/users`, {
        method: 'POST',
        body: new URLSearchParams({ access_token: sandbox.accessToken, payload: JSON.stringify({ schema: 'EMAIL_SHA256', data: [[sha('f@x.com')]] }), session }),
      });
    const exact = await post('{"session_id": 9007199254740993, "batch_seq": 1, "last_batch_flag": true}');
    expect(await exact.json()).toMatchObject({ session_id: '9007199254740993' });
    for (const id of ['"abc"', '"12abc"', '1.5']) {
      const refused = await post(`{"session_id": ${id}, "batch_seq": 1, "last_batch_flag": true}`);
      expect([id, refused.status, ((await refused.json()) as { error: GraphErrorBody }).error.code]).toEqual([id, 400, 100]);
    }
  });

  it('takes Limited Data Use columns as Meta documents them, unhashed, and keeps the latest options on the member', async () => {
    const schema = ['EMAIL', 'DATA_PROCESSING_OPTIONS', 'DATA_PROCESSING_OPTIONS_COUNTRY', 'DATA_PROCESSING_OPTIONS_STATE'];
    const res = await users('POST', {
      schema,
      data: [
        [sha('ca@acme.com'), ['LDU'], 1, 1000],
        [sha('geo@acme.com'), ['LDU'], 0, 0],
        [sha('none@acme.com'), [], '', ''],
        [sha('bad@acme.com'), ['GDPR'], 1, 1000],
        [sha('bad2@acme.com'), ['LDU'], 44, 1000],
      ],
    });
    expect(res).toMatchObject({ num_received: 5, num_invalid_entries: 2 });
    expect(Object.values(res['invalid_entry_samples'] as object)).toEqual([expect.stringMatching(/DATA_PROCESSING_OPTIONS/), expect.stringMatching(/DATA_PROCESSING_OPTIONS_COUNTRY/)]);
    expect(sandbox.members(sandbox.audienceId)).toEqual([
      { EMAIL: sha('ca@acme.com'), DATA_PROCESSING_OPTIONS: 'LDU', DATA_PROCESSING_OPTIONS_COUNTRY: '1', DATA_PROCESSING_OPTIONS_STATE: '1000' },
      { EMAIL: sha('geo@acme.com'), DATA_PROCESSING_OPTIONS: 'LDU', DATA_PROCESSING_OPTIONS_COUNTRY: '0', DATA_PROCESSING_OPTIONS_STATE: '0' },
      { EMAIL: sha('none@acme.com') },
    ]);
    // The same person uploaded again without LDU is still one member, now without it; LDU alone identifies nobody.
    await users('POST', { schema, data: [[sha('ca@acme.com'), [], '', '']] });
    expect(sandbox.members(sandbox.audienceId)[0]).toEqual({ EMAIL: sha('ca@acme.com') });
    const onlyOptions = await sdkError(users('POST', { schema: ['EMAIL', 'DATA_PROCESSING_OPTIONS'], data: [['', ['LDU']]] }));
    expect(onlyOptions.response?.code).toBe(100);
    await users('DELETE', { schema: 'EMAIL_SHA256', data: [[sha('geo@acme.com')]] });
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(2);
  });

  it('takes MOBILE_ADVERTISER_ID as a single-key schema, unhashed, as MADID', async () => {
    const maid = '6d92078a-8246-4ba4-ae5b-76104861e7dc';
    await users('POST', { schema: 'MOBILE_ADVERTISER_ID', data: [[maid]] });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ MADID: maid }]);
    // Both names of one key in a schema: a duplicate.
    const both = await sdkError(users('POST', { schema: ['MADID', 'MOBILE_ADVERTISER_ID'], data: [[maid, maid]] }));
    expect(both.response?.message).toBe('(#100) Duplicate keys in schema');
  });
});

describe('removing users the documented way (DELETE with a form body) and URL limits', () => {
  beforeEach(() => start());
  const url = () => `${sandbox.graphUrl}/v24.0/${sandbox.audienceId}/users`;
  const emails = (n: number) => Array.from({ length: n }, (_, i) => sha(`u${i}@x.com`));

  it('removes 10,000 rows sent as curl -X DELETE -F payload=… does (multipart form body)', async () => {
    const all = emails(10_000);
    await users('POST', { schema: 'EMAIL_SHA256', data: all.map((e) => [e]) });
    const form = new FormData();
    form.set('payload', JSON.stringify({ schema: 'EMAIL_SHA256', data: all.map((e) => [e]) }));
    form.set('access_token', sandbox.accessToken);
    const res = await fetch(url(), { method: 'DELETE', body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ num_received: 10_000, num_invalid_entries: 0 });
    expect(sandbox.members(sandbox.audienceId)).toEqual([]);
  });

  it('takes a form-encoded DELETE body too, with the token in the query string', async () => {
    const some = emails(3);
    await users('POST', { schema: 'EMAIL_SHA256', data: some.map((e) => [e]) });
    const body = new URLSearchParams({ payload: JSON.stringify({ schema: ['EMAIL'], data: [[some[0]]] }) });
    const res = await fetch(`${url()}?access_token=${sandbox.accessToken}`, { method: 'DELETE', body });
    expect(res.status).toBe(200);
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: some[1] }, { EMAIL: some[2] }]);
  });

  it("refuses a URL over 8 KiB with 414 and an HTML page, as the SDK's DELETE of 150 hashed emails in the query string gets", async () => {
    const some = emails(150);
    await users('POST', { schema: 'EMAIL_SHA256', data: some.map((e) => [e]) });
    // The SDK cannot read the page: its error is not a Graph error at all.
    const refused = await sdkError(users('DELETE', { schema: 'EMAIL_SHA256', data: some.map((e) => [e]) }));
    expect(refused.response).toBeUndefined();
    const query = new URLSearchParams({ access_token: sandbox.accessToken, payload: JSON.stringify({ schema: 'EMAIL_SHA256', data: some.map((e) => [e]) }) });
    const res = await fetch(`${url()}?${query.toString()}`, { method: 'DELETE' });
    expect([res.status, res.headers.get('content-type')]).toEqual([414, 'text/html; charset=utf-8']);
    expect(await res.text()).toContain('<!DOCTYPE html>');
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(150);
    expect(sandbox.requests().slice(-2).map((r) => [r.method, r.status])).toEqual([
      ['DELETE', 414],
      ['DELETE', 414],
    ]);
    // Below the limit the SDK's DELETE works as before.
    await users('DELETE', { schema: 'EMAIL_SHA256', data: some.slice(0, 50).map((e) => [e]) });
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(100);
  });
});

describe('replacing the audience (usersreplace)', () => {
  beforeEach(() => start());
  const emails = (...names: string[]) => names.map((n) => sha(`${n}@x.com`));
  const rowsOf = (hashes: string[]) => hashes.map((h) => [h]);
  const count = () => api.call('GET', [sandbox.audienceId], { fields: 'approximate_count_lower_bound' }, {}, false, sandbox.graphUrl);

  it("builds a new member set over a session's batches and swaps it in with the last one", async () => {
    const [a = '', b = '', c = '', d = '', e = ''] = emails('a', 'b', 'c', 'd', 'e');
    await users('POST', { schema: 'EMAIL_SHA256', data: rowsOf([a, b, c]) });

    const first = await replace({ schema: 'EMAIL_SHA256', data: rowsOf([b, d]) }, { session_id: 111, batch_seq: 1, last_batch_flag: false, estimated_num_total: 4 });
    expect(first).toEqual({ audience_id: sandbox.audienceId, session_id: '111', num_received: 2, num_invalid_entries: 0, invalid_entry_samples: {} });
    // Until the last batch the audience keeps its members.
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: a }, { EMAIL: b }, { EMAIL: c }]);
    expect(await count()).toMatchObject({ approximate_count_lower_bound: 3 });

    // Rows are validated and hashed as for /users: a raw email is counted, sampled and dropped.
    const last = await replace({ schema: 'EMAIL_SHA256', data: [[e], ['raw@x.com'], [d]] }, { session_id: 111, batch_seq: 2, last_batch_flag: true, estimated_num_total: 4 });
    expect(last).toMatchObject({ session_id: '111', num_received: 3, num_invalid_entries: 1, invalid_entry_samples: { 'raw@x.com': expect.any(String) } });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: b }, { EMAIL: d }, { EMAIL: e }]);
    expect(await count()).toMatchObject({ approximate_count_lower_bound: 3 });

    // The session is over: adds and removals work again.
    await users('DELETE', { schema: 'EMAIL_SHA256', data: rowsOf([d]) });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: b }, { EMAIL: e }]);
  });

  it('replaces with multi-key rows, and without a session in one request', async () => {
    await users('POST', { schema: ['EMAIL', 'PHONE'], data: [[sha('old@x.com'), sha('15550000001')]] });
    const res = await replace({ schema: ['EXTERN_ID', 'EMAIL', 'PHONE'], data: [['acme-1', sha('jane@acme.com'), ''], ['acme-2', '', sha('15550000002')]] });
    expect(res).toMatchObject({ audience_id: sandbox.audienceId, num_received: 2, num_invalid_entries: 0 });
    expect(res['session_id']).toMatch(/^\d+$/);
    expect(sandbox.members(sandbox.audienceId)).toEqual([
      { EXTERN_ID: 'acme-1', EMAIL: sha('jane@acme.com') },
      { EXTERN_ID: 'acme-2', PHONE: sha('15550000002') },
    ]);
  });

  it('refuses adds, removals and other sessions while a replace runs, and a session that does not open with batch_seq 1', async () => {
    const [a = '', b = ''] = emails('a', 'b');
    const other = sandbox.createAudience('other');
    await users('POST', { schema: 'EMAIL_SHA256', data: rowsOf([a]) });
    // A session opening on a later batch: Meta never saw its first one.
    const late = await sdkError(replace({ schema: 'EMAIL_SHA256', data: rowsOf([b]) }, { session_id: 7, batch_seq: 2 }));
    expect([late.status, late.response?.code, late.response?.error_subcode, late.response?.error_user_title]).toEqual([400, 2650, 1870147, 'Invalid Upload Batch for Replace']);
    // A first batch refused for its payload starts nothing.
    expect((await sdkError(replace({ schema: ['EMAIL', 'SHOE_SIZE'], data: [['', '']] }, { session_id: 8, batch_seq: 1 }))).response?.code).toBe(100);
    expect((await sdkError(replace({ schema: 'EMAIL_SHA256', data: [['raw@x.com']] }, { session_id: 8, batch_seq: 1 }))).response?.code).toBe(100);

    await replace({ schema: 'EMAIL_SHA256', data: rowsOf([b]) }, { session_id: 9, batch_seq: 1, last_batch_flag: false });
    const inProgress = (promise: Promise<unknown>) => sdkError(promise).then((err) => [err.status, err.response?.code, err.response?.error_user_title]);
    const refused = [400, 2650, 'Replace In Progress'];
    expect(await inProgress(users('POST', { schema: 'EMAIL_SHA256', data: rowsOf([b]) }))).toEqual(refused);
    expect(await inProgress(users('DELETE', { schema: 'EMAIL_SHA256', data: rowsOf([a]) }))).toEqual(refused);
    expect(await inProgress(replace({ schema: 'EMAIL_SHA256', data: rowsOf([b]) }, { session_id: 10, batch_seq: 1 }))).toEqual(refused);
    expect(await inProgress(replace({ schema: 'EMAIL_SHA256', data: rowsOf([b]) }))).toEqual(refused);
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: a }]);
    // Other audiences are not held up.
    await users('POST', { schema: 'EMAIL_SHA256', data: rowsOf([a]) }, other);
    expect(sandbox.members(other)).toEqual([{ EMAIL: a }]);
    // Only POST is an operation of the edge.
    const del = await sdkError(api.call('DELETE', [sandbox.audienceId, 'usersreplace'], { payload: { schema: 'EMAIL_SHA256', data: rowsOf([a]) } }, {}, false, sandbox.graphUrl));
    expect([del.response?.code, del.response?.error_subcode]).toEqual([100, 33]);

    // reset() drops the unfinished session with the members.
    sandbox.reset();
    await users('POST', { schema: 'EMAIL_SHA256', data: rowsOf([b]) });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: b }]);
  });
});

describe('membership is a set of people', () => {
  beforeEach(() => start());

  it('removing a row removes the person it matches by any of its identifiers, with every row that person was uploaded as', async () => {
    const shared = sha('ops@acme.example');
    // Two CRM rows, one person: the same email, different phones.
    await users('POST', { schema: ['EMAIL', 'PHONE', 'COUNTRY'], data: [[shared, sha('16505550101'), sha('us')], [shared, sha('15125550199'), sha('us')]] });
    // Someone else in the same country: a weak identifier does not make them the same person.
    await users('POST', { schema: ['EMAIL', 'COUNTRY'], data: [[sha('bob@globex.example'), sha('us')]] });
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(3);
    const count = () => api.call('GET', [sandbox.audienceId], { fields: 'approximate_count_lower_bound' }, {}, false, sandbox.graphUrl);
    expect(await count()).toMatchObject({ approximate_count_lower_bound: 2 });

    // Removing the first row's identifiers takes the person out: both of its rows go.
    await users('DELETE', { schema: ['EMAIL', 'PHONE', 'COUNTRY'], data: [[shared, sha('16505550101'), sha('us')]] });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: sha('bob@globex.example'), COUNTRY: sha('us') }]);
    expect(await count()).toMatchObject({ approximate_count_lower_bound: 1 });
  });

  it('receives a row with none of the main identifiers (a country, a birth year, an EXTERN_ID) but adds no one: it names nobody', async () => {
    const answer = await users('POST', { schema: ['EXTERN_ID', 'COUNTRY', 'DOBY'], data: [['7', sha('us'), sha('1990')], ['8', sha('gb'), '']] });
    expect(answer).toMatchObject({ num_received: 2, num_invalid_entries: 0 });
    await users('POST', { schema: ['LN', 'ZIP'], data: [[sha('gibbons'), sha('78701')]] });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ LN: sha('gibbons'), ZIP: sha('78701') }]);
    const count = await api.call('GET', [sandbox.audienceId], { fields: 'approximate_count_lower_bound' }, {}, false, sandbox.graphUrl);
    expect(count).toMatchObject({ approximate_count_lower_bound: 1 });
  });

  it('matches a removal by a phone alone, and links rows through shared identifiers transitively', async () => {
    await users('POST', {
      schema: ['EMAIL', 'PHONE'],
      data: [
        [sha('a@x.com'), sha('15550000001')],
        [sha('b@x.com'), sha('15550000001')],
        [sha('b@x.com'), sha('15550000002')],
        [sha('c@x.com'), sha('15550000003')],
      ],
    });
    await users('DELETE', { schema: ['PHONE'], data: [[sha('15550000002')]] });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: sha('c@x.com'), PHONE: sha('15550000003') }]);
  });
});

describe('reading the audience', () => {
  beforeEach(() => start());

  it('returns requested fields including the approximate count', async () => {
    await users('POST', { schema: 'EMAIL_SHA256', data: [[sha('a@x.com')], [sha('b@x.com')]] });
    const audience = await api.call('GET', [sandbox.audienceId], { fields: 'id,name,approximate_count_lower_bound,approximate_count_upper_bound' }, {}, false, sandbox.graphUrl);
    expect(audience).toMatchObject({ id: sandbox.audienceId, approximate_count_lower_bound: 2, approximate_count_upper_bound: 2 });
    const more = await api.call('GET', [sandbox.audienceId], { fields: 'time_content_updated,is_value_based,data_source' }, {}, false, sandbox.graphUrl);
    expect(more).toMatchObject({ time_content_updated: expect.any(Number) as unknown, is_value_based: false, data_source: { type: 'FILE_IMPORTED', sub_type: 'HASHES' } });
    const bad = await sdkError(api.call('GET', [sandbox.audienceId], { fields: 'shoe_size' }, {}, false, sandbox.graphUrl));
    expect(bad.response?.message).toBe('(#100) Tried accessing nonexisting field (shoe_size) on node type (CustomAudience)');
  });
});

describe('Graph errors', () => {
  beforeEach(() => start());

  it('answers a wrong token with 190 and an unknown audience with 100 / subcode 33', async () => {
    const wrong = await sdkError(users('POST', { schema: 'EMAIL_SHA256', data: [[sha('a@x.com')]] }, sandbox.audienceId, new sdk.FacebookAdsApi('EAAwrong')));
    expect([wrong.status, wrong.response?.code, wrong.response?.type]).toEqual([400, 190, 'OAuthException']);
    expect(wrong.response?.fbtrace_id).toEqual(expect.any(String));
    const unknown = await sdkError(users('POST', { schema: 'EMAIL_SHA256', data: [[sha('a@x.com')]] }, '999'));
    expect([unknown.response?.code, unknown.response?.error_subcode]).toEqual([100, 33]);
    expect(sandbox.members(sandbox.audienceId)).toEqual([]);
  });

  it('refuses a throttling code it cannot answer with at start, as setLimits does, instead of a 500 later', async () => {
    // Plain JavaScript callers are not stopped by the types.
    const limits = { maxCallsPerWindow: 1, errorCode: 80000 } as unknown as NonNullable<MetaSandboxOptions['limits']>;
    // A sandbox that starts anyway is closed again, so a failure here does not hold jest open.
    const refusal = await startMetaSandbox({ limits }).then(
      async (started) => started.close(),
      (err: unknown) => err,
    );
    expect(String(refusal)).toMatch(/errorCode/);
  });

  it('throttles audience calls as the custom_audience business use case by default: 80003 and its usage header', async () => {
    sandbox.setLimits({ maxCallsPerWindow: 1 });
    const row = { schema: 'EMAIL_SHA256', data: [[sha('a@x.com')]] };
    await users('POST', row);
    const limited = await sdkError(users('POST', row));
    expect([limited.status, limited.response?.code, limited.response?.error_subcode]).toEqual([400, 80003, 2446079]);
    expect(limited.response?.message).toMatch(/^\(#80003\) .*rate-limiting#custom-audience\.$/);
    const usage = JSON.parse(limited.headers?.['x-business-use-case-usage'] ?? '{}') as Record<string, Array<{ type: string }>>;
    expect(Object.values(usage)[0]?.[0]?.type).toBe('custom_audience');
  });

  it('throttles per window with the configured code and x-business-use-case-usage', async () => {
    sandbox.setLimits({ maxCallsPerWindow: 2, windowSeconds: 600, errorCode: 80004 });
    const row = { schema: 'EMAIL_SHA256', data: [[sha('a@x.com')]] };
    await users('POST', row);
    await users('POST', row);
    const limited = await sdkError(users('POST', row));
    expect([limited.status, limited.response?.code, limited.response?.error_subcode]).toEqual([400, 80004, 2446079]);
    const usage = JSON.parse(limited.headers?.['x-business-use-case-usage'] ?? '{}') as Record<string, Array<{ estimated_time_to_regain_access: number; call_count: number }>>;
    expect(Object.values(usage)[0]?.[0]).toMatchObject({ call_count: 100, estimated_time_to_regain_access: 10 });

    sandbox.setLimits({ maxCallsPerWindow: 1, errorCode: 17 });
    await users('POST', row);
    expect((await sdkError(users('POST', row))).response).toMatchObject({ code: 17, error_subcode: 2446079 });
    sandbox.setLimits({ errorCode: 613 });
    await users('POST', row);
    expect((await sdkError(users('POST', row))).response).toMatchObject({ code: 613, error_subcode: 1487742 });
    now += 600_000;
    await users('POST', row);
  });
});

describe('fault profile', () => {
  beforeEach(() => start());
  const row = (): unknown => ({ schema: 'EMAIL_SHA256', data: [[sha('a@x.com')]] });

  it('injects throttling, 500, 503 and an expired token in Graph shape', async () => {
    sandbox.setFaults({ rateLimited: 1, retryAfterSeconds: 300 });
    const limited = await sdkError(users('POST', row()));
    expect(limited.response?.code).toBe(80003);
    expect(limited.headers?.['x-business-use-case-usage']).toContain('"estimated_time_to_regain_access":5');
    sandbox.setFaults({ serverError: 1 });
    expect((await sdkError(users('POST', row()))).status).toBe(500);
    sandbox.setFaults({ unavailable: 1 });
    expect((await sdkError(users('POST', row()))).status).toBe(503);
    sandbox.setFaults({ tokenExpired: 1 });
    const expired = await sdkError(users('POST', row()));
    // Graph answers OAuth errors 400, saying why in WWW-Authenticate.
    expect([expired.status, expired.response?.code, expired.response?.error_subcode]).toEqual([400, 190, 463]);
    expect(sandbox.members(sandbox.audienceId)).toEqual([]);
  });

  it('applies then fails, and a retry of the add stays idempotent', async () => {
    sandbox.setFaults({ applyThenFail: 1 });
    expect((await sdkError(users('POST', row()))).status).toBe(500);
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(1);
    sandbox.setFaults({});
    await users('POST', row());
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(1);
  });

  it('resets the connection; the admin endpoints set faults, list members and reset', async () => {
    sandbox.setFaults({ connectionReset: 1 });
    expect((await sdkError(users('POST', row()))).status).toBeNull();
    const set = await fetch(`${sandbox.graphUrl}/__sandbox/faults`, { method: 'POST', body: '{}' });
    expect(await set.json()).toEqual({});
    await users('POST', row());
    const members = (await (await fetch(`${sandbox.graphUrl}/__sandbox/members/${sandbox.audienceId}`)).json()) as unknown[];
    expect(members).toHaveLength(1);
    expect(sandbox.requests().map((r) => [r.fault, r.status])).toEqual([
      ['connectionReset', 0],
      [undefined, 200],
    ]);
    expect((await fetch(`${sandbox.graphUrl}/__sandbox/reset`, { method: 'POST' })).status).toBe(204);
    expect(sandbox.members(sandbox.audienceId)).toEqual([]);
  });
});
