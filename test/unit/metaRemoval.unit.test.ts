import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationRecord, RecordResult } from '../../src/destinations/destination';
import { MetaRequestTooLarge, toMetaError } from '../../src/destinations/metaErrors';
import { hashValue, memberId } from '../../src/destinations/metaHashing';
import { BackflowError, DestinationTransientError } from '../../src/errors';
import { contextOf, destinationAt, useMetaSandbox } from '../support/metaFixture';
import { rejectionOf } from '../support/rejection';

const idOf = (result: RecordResult | undefined): string | null => (result?.status === 'ok' ? result.destinationId : null);
const people = (n: number, email: (i: number) => string): DestinationRecord[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, fields: { EMAIL: email(i), PHONE: `+1 555 ${String(i).padStart(7, '0')}` }, destinationId: null }));

describe('Meta removals of a whole batch (10,000 rows)', () => {
  const fx = useMetaSandbox();

  it('mirror-removes 10,000 members: the payload goes in the DELETE body, not the URL', async () => {
    const records = people(10_000, (i) => `user${i}@example.com`);
    const added = await fx.destination.write('upsert', records, contextOf());
    expect(fx.sandbox.members(fx.sandbox.audienceId)).toHaveLength(10_000);

    const leaving = records.map((r, i) => ({ key: r.key, fields: {}, destinationId: idOf(added.results[i]) }));
    const removed = await fx.destination.write('delete', leaving, contextOf());
    expect(removed.apiCalls).toBe(1);
    expect(removed.results.every((r) => r.status === 'ok')).toBe(true);
    expect(fx.sandbox.members(fx.sandbox.audienceId)).toEqual([]);
    expect(fx.sandbox.requests().map((r) => `${r.method} ${r.status} ${r.rows}`)).toEqual(['POST 200 10000', 'DELETE 200 10000']);
  });

  it('removes the old members of 10,000 rows whose emails all changed (upsert), then adds the new ones', async () => {
    const records = people(10_000, (i) => `old${i}@example.com`);
    const added = await fx.destination.write('upsert', records, contextOf());
    const changed = people(10_000, (i) => `new${i}@example.com`).map((r, i) => ({ ...r, destinationId: idOf(added.results[i]) }));
    const result = await fx.destination.write('upsert', changed, contextOf());
    expect(result.results.filter((r) => r.status === 'ok')).toHaveLength(10_000);
    const members = fx.sandbox.members(fx.sandbox.audienceId);
    expect(members).toHaveLength(10_000);
    expect(new Set(members.map((m) => m['EMAIL']))).toEqual(new Set(changed.map((r) => hashValue('EMAIL', r.fields['EMAIL']))));
  });
});

describe('Meta: a refusal that is not JSON', () => {
  /** A front end refusing every request the way Graph's refuses an oversized one: a status and an HTML page. */
  let server: Server;
  let graphUrl: string;
  let status = 414;
  beforeEach(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!DOCTYPE html><html lang="en" id="facebook"><head><title>Facebook | Error</title></head><body>Sorry, something went wrong.</body></html>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    graphUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const leaving: DestinationRecord[] = [{ key: 'k1', fields: {}, destinationId: memberId({ EMAIL: 'a'.repeat(64) }) }];

  it.each([413, 414, 431])('classes a %i with an HTML body as a final "request too large" error, not a network failure', async (code) => {
    status = code;
    const error = await rejectionOf<Error>(destinationAt(graphUrl, '1', 'EAABtest').write('delete', leaving, contextOf()));
    expect(error).toBeInstanceOf(MetaRequestTooLarge);
    expect(error).toBeInstanceOf(BackflowError);
    expect(error).not.toBeInstanceOf(DestinationTransientError);
    expect(error).toMatchObject({ code: 'DESTINATION_REQUEST_INVALID', status: code });
    expect(error.message).toContain(`HTTP ${code}`);
  });

  it('classes another non-JSON 4xx as invalid (final) and a non-JSON 5xx as transient', async () => {
    status = 400;
    const invalid = await rejectionOf<Error>(destinationAt(graphUrl, '1', 'EAABtest').write('delete', leaving, contextOf()));
    expect(invalid).toMatchObject({ code: 'DESTINATION_REQUEST_INVALID' });
    expect(invalid).not.toBeInstanceOf(DestinationTransientError);
    status = 502;
    const bad = await rejectionOf<Error>(destinationAt(graphUrl, '1', 'EAABtest').write('delete', leaving, contextOf()));
    expect(bad).toBeInstanceOf(DestinationTransientError);
    expect(bad).toMatchObject({ reason: 'server-error' });
  });

  it('toMetaError: a status with an unreadable body is not a network failure', () => {
    expect(toMetaError({ status: 431, response: null, rawBody: 'Request Header Fields Too Large' }, 'remove 1 audience members')).toBeInstanceOf(MetaRequestTooLarge);
    expect(toMetaError({ status: null, response: null, message: 'socket hang up' }, 'x')).toMatchObject({ reason: 'network' });
  });

  it("toMetaError: says Meta's code once, and Meta's explanation for people when it gives one", () => {
    const refused = toMetaError(
      {
        status: 400,
        response: { code: 2650, message: '(#2650) Failed to update the custom audience', error_user_title: 'Replace In Progress', error_user_msg: 'A replace operation is in progress.' },
      },
      'add 1 audience members',
    );
    expect(refused.message).toBe('Meta add 1 audience members failed: (#2650) Failed to update the custom audience — Replace In Progress: A replace operation is in progress.');
    expect(toMetaError({ status: 400, response: { code: 100, message: 'Invalid parameter' } }, 'x').message).toBe('Meta x failed: (#100) Invalid parameter');
  });
});

describe('Meta: a synced row whose identifiers all become empty (opt-out)', () => {
  const fx = useMetaSandbox();

  it('removes its old member and syncs the row as having no member, so it is not re-sent and rejected every run', async () => {
    const [first] = (await fx.destination.write('upsert', [{ key: 'acme', fields: { EMAIL: 'ops@acme.example', PHONE: null }, destinationId: null }], contextOf())).results;
    expect(fx.sandbox.members(fx.sandbox.audienceId)).toHaveLength(1);

    const emptied = { key: 'acme', fields: { EMAIL: '  ', PHONE: null }, destinationId: idOf(first) };
    const { results, apiCalls } = await fx.destination.write('upsert', [emptied], contextOf());
    expect(results).toEqual([{ key: 'acme', status: 'ok', destinationId: '{}', created: false }]);
    expect(apiCalls).toBe(1);
    expect(fx.sandbox.members(fx.sandbox.audienceId)).toEqual([]);

    // Later: still empty (stored id "no member") → nothing to send; an email again → added, nothing removed.
    expect(await fx.destination.write('upsert', [{ ...emptied, destinationId: '{}' }], contextOf())).toEqual({ results: [{ key: 'acme', status: 'ok', destinationId: '{}', created: false }], apiCalls: 0 });
    const back = await fx.destination.write('upsert', [{ key: 'acme', fields: { EMAIL: 'new@acme.example', PHONE: null }, destinationId: '{}' }], contextOf());
    expect(back.apiCalls).toBe(1);
    expect(fx.sandbox.members(fx.sandbox.audienceId)).toHaveLength(1);
    // A mirror delete of a row with no member sends nothing.
    expect(await fx.destination.write('delete', [{ key: 'acme', fields: {}, destinationId: '{}' }], contextOf())).toMatchObject({ apiCalls: 0 });
  });

  it('still rejects a row never synced that has no identifier', async () => {
    const { results, apiCalls } = await fx.destination.write('upsert', [{ key: 'x', fields: { EMAIL: '' }, destinationId: null }], contextOf());
    expect(results).toEqual([{ key: 'x', status: 'rejected', error: { code: 'NO_IDENTIFIERS', message: 'every identifier is empty after normalisation (EMAIL)', fields: ['EMAIL'] } }]);
    expect(apiCalls).toBe(0);
  });
});
