/**
 * The SalesforceDestination through the real jsforce client against the Salesforce sandbox, keyed by
 * a Number external id field (`Erp_Number__c`): insert and update look the keys up by SOQL, where a
 * number is compared unquoted. No Temporal: the destination is driven directly, as an activity would.
 */
import type { DestinationRecord } from '../../src/destinations/destination';
import { useSalesforceDestination } from '../support/salesforceDestination';

const salesforce = useSalesforceDestination('numeric-key');
const { sandbox, context } = salesforce;
const destination = () => salesforce.destination({ externalIdField: 'Erp_Number__c' });

const records = (keys: readonly string[], name: (key: string) => string): DestinationRecord[] =>
  keys.map((key) => ({ key, fields: { Name: name(key) }, destinationId: null }));
const statuses = (results: ReadonlyArray<{ status: string }>) => results.map((r) => r.status);

describe('a Number external id field as the key', () => {
  it.each([
    ['collections', 3],
    ['Bulk API', 250],
  ])('update updates and insert skips the records upsert wrote (%s)', async (_path, n) => {
    const keys = Array.from({ length: n }, (_, i) => String(1000 + i));
    const seeded = await destination().write('upsert', records(keys, (k) => `Seed ${k}`), context());
    expect(statuses(seeded.results)).toEqual(keys.map(() => 'ok'));

    const updated = await destination().write('update', records(keys, (k) => `Updated ${k}`), context());
    expect(statuses(updated.results)).toEqual(keys.map(() => 'ok'));
    expect(sandbox().records('Account').every((a) => a.Name === `Updated ${String(a.Erp_Number__c)}`)).toBe(true);

    const inserted = await destination().write('insert', records(keys, (k) => `Again ${k}`), context());
    expect(statuses(inserted.results)).toEqual(keys.map(() => 'skipped'));
    expect(inserted.results[0]).toMatchObject({ reason: expect.stringContaining(`already has Erp_Number__c = ${keys[0]}`) });
    expect(sandbox().records('Account')).toHaveLength(n);
  });

  it('a key written another way (`042`, `42.0`) finds the record holding 42; a key that is no number is rejected alone', async () => {
    const seeded = await destination().write('upsert', records(['42', '43'], (k) => `Seed ${k}`), context());
    expect(statuses(seeded.results)).toEqual(['ok', 'ok']);
    const ids = seeded.results.map((r) => (r.status === 'ok' ? r.destinationId : ''));

    const updated = await destination().write('update', records(['042', '43.0', 'ERP-7'], (k) => `Updated ${k}`), context());
    expect(updated.results).toEqual([
      { key: '042', status: 'ok', destinationId: ids[0], created: false },
      { key: '43.0', status: 'ok', destinationId: ids[1], created: false },
      {
        key: 'ERP-7',
        status: 'rejected',
        error: {
          code: 'INVALID_FIELD_VALUE',
          message: "Erp_Number__c: 'ERP-7' is not a number (Account.Erp_Number__c is a Number field), so no record can have it as its key",
          fields: ['Erp_Number__c'],
        },
      },
    ]);
    expect(sandbox().records('Account').map((a) => [a.Erp_Number__c, a.Name])).toEqual([
      [42, 'Updated 042'],
      [43, 'Updated 43.0'],
    ]);
  });
});
