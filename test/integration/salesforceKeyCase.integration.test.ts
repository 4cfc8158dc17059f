/**
 * The SalesforceDestination through the real jsforce client against the Salesforce sandbox: a key
 * field the YAML spells in another letter case than its API name, and empty strings on the Bulk API
 * path. No Temporal: the destination is driven directly, batch by batch, as an activity would.
 */
import type { DestinationRecord } from '../../src/destinations/destination';
import { useSalesforceDestination } from '../support/salesforceDestination';

const { sandbox, destination, context } = useSalesforceDestination('key-case');

const records = (keys: readonly string[], fields: (key: string) => DestinationRecord['fields']): DestinationRecord[] =>
  keys.map((key) => ({ key, fields: fields(key), destinationId: null }));
const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('a key field spelt in another case than its API name', () => {
  it('matchOn `email` finds the Contact whose Email holds the key instead of creating a duplicate', async () => {
    const seeded = await destination({ object: 'Contact', matchOn: { field: 'Email' } }).write(
      'upsert',
      records(['ann@acme.example'], () => ({ LastName: 'Ann' })),
      context(),
    );
    const id = seeded.results[0]?.status === 'ok' ? seeded.results[0].destinationId : 'none';
    const written = await destination({ object: 'Contact', matchOn: { field: 'email' } }).write(
      'upsert',
      records(['ann@acme.example'], () => ({ LastName: 'Ann B' })),
      context(),
    );
    expect(written.results).toEqual([{ key: 'ann@acme.example', status: 'ok', destinationId: id, created: false }]);
    expect(sandbox().records('Contact').map((c) => [c.Id, c.LastName, c.Email])).toEqual([[id, 'Ann B', 'ann@acme.example']]);
  });

  it.each([
    ['collections', 3],
    ['Bulk API', 250],
  ])('externalIdField `external_id__c` (%s): update updates, insert skips, upsert goes by External_Id__c', async (_path, n) => {
    const keys = range(n, 'k-');
    const seeded = await destination({ externalIdField: 'External_Id__c' }).write('upsert', records(keys, (k) => ({ Name: `Seed ${k}` })), context());
    expect(seeded.results.every((r) => r.status === 'ok')).toBe(true);
    const lower = destination({ externalIdField: 'external_id__c' });

    const updated = await lower.write('update', records(keys, (k) => ({ Name: `Updated ${k}` })), context());
    expect(updated.results.map((r) => r.status)).toEqual(keys.map(() => 'ok'));
    expect(sandbox().records('Account').every((a) => a.Name === `Updated ${String(a.External_Id__c)}`)).toBe(true);

    const inserted = await lower.write('insert', records(keys, (k) => ({ Name: `Again ${k}` })), context());
    expect(inserted.results.map((r) => r.status)).toEqual(keys.map(() => 'skipped'));
    expect(inserted.results[0]).toMatchObject({ reason: expect.stringContaining('already has External_Id__c = k-0') });

    const before = sandbox().requests().length;
    const upserted = await lower.write('upsert', records(keys, (k) => ({ Name: `Upserted ${k}` })), context());
    expect(upserted.results.map((r) => (r.status === 'ok' ? r.created : r.status))).toEqual(keys.map(() => false));
    expect(sandbox().records('Account')).toHaveLength(n);
    if (n <= 200) {
      // The external id goes in the request path by its API name.
      expect(sandbox().requests().slice(before).map((r) => r.path)).toEqual(['/services/data/v62.0/composite/sobjects/Account/External_Id__c']);
    }
  });
});

describe('empty strings on the Bulk API path', () => {
  it.each(['upsert', 'update'] as const)('%s clears the field as the collections path does (Bulk reads an empty cell as "leave it")', async (operation) => {
    const d = destination({ externalIdField: 'External_Id__c' });
    for (const [label, n] of [['c', 5], ['b', 250]] as const) {
      const keys = range(n, `${operation}-${label}`);
      await d.write('upsert', records(keys, (k) => ({ Name: k, Website: 'https://x.example' })), context());
      const cleared = await d.write(operation, records(keys, (k) => ({ Name: k, Website: '' })), context());
      expect(cleared.results.every((r) => r.status === 'ok')).toBe(true);
      const websites = sandbox().records('Account').filter((a) => keys.includes(String(a.External_Id__c))).map((a) => a.Website ?? null);
      expect(websites).toEqual(keys.map(() => null));
    }
  });
});

describe('mapped fields spelt in another case', () => {
  it('validate refuses two mappings to one field, or a mapping to the key field, whatever their case (they overwrote each other)', async () => {
    const issues = await destination({ externalIdField: 'External_Id__c' }).check({
      mode: 'upsert',
      mappings: [
        { from: 'name', to: 'Name' },
        { from: 'segment', to: 'name' },
        { from: 'health', to: 'external_id__c' },
      ],
    });
    expect(issues).toEqual([
      { path: 'mappings[1].to', message: 'Account.Name is set by mappings[0].to already (Salesforce field names ignore letter case)' },
      { path: 'mappings[2].to', message: 'Account.External_Id__c is set by destination.externalIdField already (Salesforce field names ignore letter case)' },
    ]);
  });
});
