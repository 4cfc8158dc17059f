import { keyFieldChanged, keyFieldOf, objectChangedFrom } from '../../src/engine/rekeyed';

const sf = (extra: Record<string, unknown>) => ({ connection: 'salesforce', object: 'Account', ...extra });

describe('keyFieldChanged: a stored destination id written under another key field', () => {
  it('is true when the external id field changed on the same connection and object', () => {
    expect(keyFieldChanged(sf({ externalIdField: 'Warehouse_Id__c' }), sf({ externalIdField: 'External_Id__c' }))).toBe(true);
  });

  it('is true when an upsert by external id follows SOQL matching (matchOn) on another field', () => {
    expect(keyFieldChanged(sf({ externalIdField: 'External_Id__c' }), sf({ matchOn: { field: 'Website' } }))).toBe(true);
  });

  it('is false for a change of letter case only, which names the same field', () => {
    expect(keyFieldChanged(sf({ externalIdField: 'external_id__c' }), sf({ externalIdField: 'External_Id__c' }))).toBe(false);
    expect(keyFieldChanged(sf({ object: 'account', externalIdField: 'Warehouse_Id__c' }), sf({ externalIdField: 'External_Id__c' }))).toBe(true);
  });

  it('is false when the object or the connection changed: the stored id is another record type or org', () => {
    expect(keyFieldChanged(sf({ object: 'Contact', externalIdField: 'Warehouse_Id__c' }), sf({ externalIdField: 'External_Id__c' }))).toBe(false);
    expect(keyFieldChanged(sf({ connection: 'sandbox_org', externalIdField: 'Warehouse_Id__c' }), sf({ externalIdField: 'External_Id__c' }))).toBe(false);
  });

  it('is false when the sync now matches by SOQL (it writes by stored ids already) or keys records otherwise', () => {
    expect(keyFieldChanged(sf({ matchOn: { field: 'Website' } }), sf({ externalIdField: 'External_Id__c' }))).toBe(false);
    expect(keyFieldChanged({ connection: 'slack', channel: '#a' }, { connection: 'slack', channel: '#b' })).toBe(false);
    expect(keyFieldOf({ connection: 'slack', channel: '#a' })).toBeUndefined();
  });
});

describe('objectChangedFrom: a stored destination id written for another object', () => {
  const hs = (object: string) => ({ connection: 'hubspot', object, externalIdField: 'email' });

  it('names the object it was written for when the object changed on the same connection', () => {
    expect(objectChangedFrom(hs('companies'), hs('contacts'))).toBe('contacts');
    expect(objectChangedFrom(hs('0-1'), hs('contacts'))).toBe('contacts');
  });

  it('is undefined for the same object (ignoring case), another connection, or a destination without objects', () => {
    expect(objectChangedFrom(hs('Contacts'), hs('contacts'))).toBeUndefined();
    expect(objectChangedFrom({ ...hs('companies'), connection: 'other_portal' }, hs('contacts'))).toBeUndefined();
    expect(objectChangedFrom({ connection: 'slack', channel: '#a' }, { connection: 'slack', channel: '#b' })).toBeUndefined();
  });
});
