import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationRecord, RecordResult } from '../../src/destinations/destination';
import { writeBisecting } from '../../src/engine/bisect';
import { startMetaSandbox, type MetaSandbox } from '../../src/sandbox/meta';
import { contextOf, destinationAt } from '../support/metaFixture';

const TOKEN = 'EAABtest';

// An email too: EXTERN_ID alone identifies nobody (MAIN_KEYS).
const row = (externId: string): DestinationRecord => ({ key: externId, fields: { EXTERN_ID: externId, EMAIL: `${externId}@example.com` }, destinationId: null });
const statuses = (results: readonly RecordResult[]) => Object.fromEntries(results.map((r) => [r.key, r.status]));

describe('Meta destination: EXTERN_ID values named like Object members', () => {
  let sandbox: MetaSandbox;
  beforeEach(async () => {
    sandbox = await startMetaSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('adds `constructor`, `toString` and `__proto__` as members (Meta named no invalid entry)', async () => {
    const destination = destinationAt(sandbox.graphUrl, sandbox.audienceId, sandbox.accessToken);
    const records = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].map(row);
    const { results } = await destination.write('upsert', records, contextOf());
    expect(results.map((r) => [r.key, r.status, r.status === 'rejected' ? r.error.message : ''])).toEqual(records.map((r) => [r.key, 'ok', '']));
    expect(sandbox.members(sandbox.audienceId)).toEqual(records.map((r) => expect.objectContaining({ EXTERN_ID: r.key })));
  });
});

describe('Meta destination: identifiers its normalisation leaves nothing of', () => {
  let sandbox: MetaSandbox;
  beforeEach(async () => {
    sandbox = await startMetaSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('rejects the row naming each such value, rather than adding the person on fewer identifiers; takes DOB parts from a date', async () => {
    const destination = destinationAt(sandbox.graphUrl, sandbox.audienceId, sandbox.accessToken);
    const records: DestinationRecord[] = [
      { key: '1', fields: { EMAIL: 'ann@example.com', COUNTRY: 'USA', GEN: 'x', DOBY: '1990-05-17' }, destinationId: null },
      { key: '2', fields: { EMAIL: 'bob@example.com', COUNTRY: 'US', GEN: null, DOBY: '1990-05-17' }, destinationId: null },
    ];
    const { results } = await destination.write('upsert', records, contextOf());
    expect(results).toEqual([
      {
        key: '1',
        status: 'rejected',
        error: {
          code: 'INVALID_FIELD_VALUE',
          message: 'GEN: "x" is not m, f, male or female; COUNTRY: "USA" is not a two-letter ISO 3166-1 code (us, gb) (write it in the model, or map NULL to leave it out)',
          fields: ['GEN', 'COUNTRY'],
        },
      },
      expect.objectContaining({ key: '2', status: 'ok' }),
    ]);
    expect(sandbox.members(sandbox.audienceId)).toHaveLength(1);
  });
});

describe('Meta destination: identifiers the warehouse already hashed', () => {
  let sandbox: MetaSandbox;
  beforeEach(async () => {
    sandbox = await startMetaSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('adds the member with the hashes as given, the same member a raw email adds', async () => {
    const destination = destinationAt(sandbox.graphUrl, sandbox.audienceId, sandbox.accessToken);
    const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    const records: DestinationRecord[] = [
      { key: 'hashed', fields: { EMAIL: sha('ann@example.com').toUpperCase(), COUNTRY: sha('us') }, destinationId: null },
      { key: 'raw', fields: { EMAIL: ' Ann@Example.com ', COUNTRY: 'US' }, destinationId: null },
    ];
    const { results } = await destination.write('upsert', records, contextOf());
    expect(statuses(results)).toEqual({ hashed: 'ok', raw: 'ok' });
    expect(sandbox.members(sandbox.audienceId)).toEqual([{ EMAIL: sha('ann@example.com'), COUNTRY: sha('us') }]);
  });
});

describe('Meta destination: Limited Data Use', () => {
  let sandbox: MetaSandbox;
  beforeEach(async () => {
    sandbox = await startMetaSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('sends mapped DATA_PROCESSING_OPTIONS, _COUNTRY and _STATE unhashed, keeps them out of the member id, and rejects values Meta does not take', async () => {
    const destination = destinationAt(sandbox.graphUrl, sandbox.audienceId, sandbox.accessToken);
    const mappings = ['EMAIL', 'DATA_PROCESSING_OPTIONS', 'DATA_PROCESSING_OPTIONS_COUNTRY', 'DATA_PROCESSING_OPTIONS_STATE'].map((to) => ({ from: to.toLowerCase(), to }));
    expect(destination.checkOffline({ mode: 'mirror', mappings })).toEqual([]);
    const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    const records: DestinationRecord[] = [
      { key: 'ca', fields: { EMAIL: 'ca@example.com', DATA_PROCESSING_OPTIONS: ['LDU'], DATA_PROCESSING_OPTIONS_COUNTRY: 1, DATA_PROCESSING_OPTIONS_STATE: 1000 }, destinationId: null },
      { key: 'geo', fields: { EMAIL: 'geo@example.com', DATA_PROCESSING_OPTIONS: 'LDU', DATA_PROCESSING_OPTIONS_COUNTRY: null, DATA_PROCESSING_OPTIONS_STATE: null }, destinationId: null },
      { key: 'none', fields: { EMAIL: 'none@example.com', DATA_PROCESSING_OPTIONS: null, DATA_PROCESSING_OPTIONS_COUNTRY: null, DATA_PROCESSING_OPTIONS_STATE: null }, destinationId: null },
      { key: 'bad', fields: { EMAIL: 'bad@example.com', DATA_PROCESSING_OPTIONS: 'GDPR', DATA_PROCESSING_OPTIONS_COUNTRY: 'US', DATA_PROCESSING_OPTIONS_STATE: 0 }, destinationId: null },
    ];
    const { results } = await destination.write('upsert', records, contextOf());
    expect(results[0]).toEqual({ key: 'ca', status: 'ok', destinationId: JSON.stringify({ EMAIL: sha('ca@example.com') }), created: true });
    expect(statuses(results)).toEqual({ ca: 'ok', geo: 'ok', none: 'ok', bad: 'rejected' });
    expect(results[3]).toMatchObject({ error: { code: 'INVALID_FIELD_VALUE', fields: ['DATA_PROCESSING_OPTIONS', 'DATA_PROCESSING_OPTIONS_COUNTRY'] } });
    expect(sandbox.members(sandbox.audienceId)).toEqual([
      { EMAIL: sha('ca@example.com'), DATA_PROCESSING_OPTIONS: 'LDU', DATA_PROCESSING_OPTIONS_COUNTRY: '1', DATA_PROCESSING_OPTIONS_STATE: '1000' },
      { EMAIL: sha('geo@example.com'), DATA_PROCESSING_OPTIONS: 'LDU', DATA_PROCESSING_OPTIONS_COUNTRY: '0', DATA_PROCESSING_OPTIONS_STATE: '0' },
      { EMAIL: sha('none@example.com'), DATA_PROCESSING_OPTIONS_COUNTRY: '0', DATA_PROCESSING_OPTIONS_STATE: '0' },
    ]);
  });
});

describe('Meta destination: more invalid entries than samples', () => {
  /** A Graph endpoint that counts every EXTERN_ID starting with "bad" invalid but samples at most `samples` of them. */
  let server: Server;
  let graphUrl: string;
  let samples = 1;
  const posts: string[][] = [];

  beforeEach(async () => {
    posts.length = 0;
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const { payload } = JSON.parse(text) as { payload: { schema: string[]; data: string[][] } };
        const at = payload.schema.indexOf('EXTERN_ID');
        const ids = payload.data.map((cells) => cells[at] ?? '');
        posts.push(ids);
        const bad = ids.filter((id) => id.startsWith('bad'));
        const named = Object.fromEntries(bad.slice(0, samples).map((id) => [id, 'Invalid EXTERN_ID']));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ audience_id: '1', session_id: 7, num_received: ids.length, num_invalid_entries: bad.length, invalid_entry_samples: named }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    graphUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('finds the rows Meta counted but did not sample by splitting the batch, so no invalid row is reported ok', async () => {
    samples = 1;
    const destination = destinationAt(graphUrl, '1', TOKEN);
    const context = contextOf();
    const records = ['ok-1', 'bad-1', 'ok-2', 'ok-3', 'bad-2', 'ok-4', 'bad-3', 'ok-5'].map(row);
    const { results } = await writeBisecting((part) => destination.write('upsert', part, context), records);
    expect(statuses(results)).toEqual({ 'ok-1': 'ok', 'bad-1': 'rejected', 'ok-2': 'ok', 'ok-3': 'ok', 'bad-2': 'rejected', 'ok-4': 'ok', 'bad-3': 'rejected', 'ok-5': 'ok' });
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [[r.key, r.error.code, r.error.message]] : []));
    expect(errors).toEqual([
      ['bad-1', 'META_INVALID_ENTRY', 'Meta: Invalid EXTERN_ID'],
      ['bad-2', 'META_INVALID_ENTRY', 'Meta: Invalid EXTERN_ID'],
      ['bad-3', 'META_INVALID_ENTRY', 'Meta: Invalid EXTERN_ID'],
    ]);
    // Split only where the count outran the samples: the whole batch, then its second half.
    expect(posts).toEqual([
      records.map((r) => r.key),
      ['ok-1', 'bad-1', 'ok-2', 'ok-3'],
      ['bad-2', 'ok-4', 'bad-3', 'ok-5'],
      ['bad-2', 'ok-4'],
      ['bad-3', 'ok-5'],
    ]);
  });

  it('rejects without splitting when the count says every unnamed row is invalid', async () => {
    samples = 1;
    const destination = destinationAt(graphUrl, '1', TOKEN);
    const { results } = await destination.write('upsert', ['bad-1', 'bad-2', 'bad-3'].map(row), contextOf());
    expect(statuses(results)).toEqual({ 'bad-1': 'rejected', 'bad-2': 'rejected', 'bad-3': 'rejected' });
    expect(results[1]).toMatchObject({ error: { code: 'META_INVALID_ENTRY', message: 'Meta counted 3 of 3 rows invalid (num_invalid_entries) without samples naming them all; this row is one of them' } });
    expect(posts).toHaveLength(1);
  });

  it('rejects a lone row Meta counted invalid with no sample', async () => {
    samples = 0;
    const { results } = await destinationAt(graphUrl, '1', TOKEN).write('upsert', [row('bad-1')], contextOf());
    expect(results).toEqual([{ key: 'bad-1', status: 'rejected', error: { code: 'META_INVALID_ENTRY', message: 'Meta counted this row invalid (num_invalid_entries) without a sample saying why', fields: [] } }]);
  });
});

describe('Meta destination: offline check', () => {
  const check = (...to: string[]) => destinationAt('http://127.0.0.1:9', '1', TOKEN).checkOffline({ mode: 'mirror', mappings: to.map((key, index) => ({ from: `c${index}`, to: key })) });

  it('asks for a main identifier: a sync of EXTERN_ID and a country would reject every row', () => {
    expect(check('EXTERN_ID', 'COUNTRY')).toEqual([
      { path: 'mappings', message: "map one of Meta's main identifiers (EMAIL, PHONE, MADID, FN, LN, FI): EXTERN_ID, COUNTRY alone identify nobody, so every row would be rejected" },
    ]);
    expect(check('EXTERN_ID', 'LN', 'ZIP')).toEqual([]);
  });
});
