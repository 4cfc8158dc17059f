import type { SalesforceField } from '../../src/destinations/salesforceFields';
import { nestRelationships, relationshipValue, resolveRelationship, splitRelationship } from '../../src/destinations/salesforceRelationships';

const field = (name: string, type: string, extra: Partial<SalesforceField> = {}): SalesforceField => ({
  name, type, createable: true, updateable: true, externalId: false, caseSensitive: false, filterable: true, calculated: false,
  length: 255, picklistValues: [], restrictedPicklist: false, relationshipName: null, referenceTo: [], ...extra,
});
const byName = (...fields: SalesforceField[]) => new Map(fields.map((f) => [f.name.toLowerCase(), f]));

const contact = byName(field('LastName', 'string'), field('AccountId', 'reference', { relationshipName: 'Account', referenceTo: ['Account'] }), field('WhoId', 'reference', { relationshipName: 'Who', referenceTo: ['Contact', 'Lead'] }));
const account = byName(field('Name', 'string'), field('External_Id__c', 'string', { externalId: true }), field('Number__c', 'double', { externalId: true }));
const parents = (object: string) => (object === 'Account' ? account : undefined);

describe('Salesforce relationship mappings', () => {
  it('reads Relationship.Field, nothing else', () => {
    expect(splitRelationship('Account.External_Id__c')).toEqual({ relationship: 'Account', field: 'External_Id__c' });
    for (const plain of ['Name', '.x', 'x.', 'a.b.c']) expect(splitRelationship(plain)).toBeUndefined();
  });

  it('resolves a lookup by its relationship name and an external id of its one parent, in any letter case', () => {
    expect(resolveRelationship('Contact', 'account.external_id__c', contact, parents)).toEqual({
      ok: true,
      relationship: { idField: 'AccountId', relationshipName: 'Account', parent: 'Account', keyField: 'External_Id__c' },
    });
    expect(resolveRelationship('Contact', 'Account.Name', contact, parents)).toMatchObject({ ok: false, message: 'Account.Name is not an external id field, so Account cannot be set by it' });
    expect(resolveRelationship('Contact', 'Who.Email', contact, parents)).toMatchObject({ ok: false, message: expect.stringContaining('may point at Contact, Lead') as unknown });
    expect(resolveRelationship('Contact', 'Owner.Email', contact, parents)).toMatchObject({ ok: false, message: expect.stringContaining('has no relationship Owner') as unknown });
  });

  it('carries a value as the parent key (coerced to its type), a NULL as the lookup cleared', () => {
    const resolved = resolveRelationship('Contact', 'Account.Number__c', contact, parents);
    if (!resolved.ok) throw new Error(resolved.message);
    expect(relationshipValue(resolved.relationship, account, '42')).toEqual({ ok: true, fields: { 'Account.Number__c': 42 } });
    expect(relationshipValue(resolved.relationship, account, null)).toEqual({ ok: true, fields: { AccountId: null } });
    expect(relationshipValue(resolved.relationship, account, 'forty')).toMatchObject({ ok: false, error: { code: 'INVALID_FIELD_VALUE', fields: ['Account.Number__c'] } });
    const nested = nestRelationships({ LastName: 'Ann', 'Account.Number__c': 42 }, new Map([['Account.Number__c', resolved.relationship]]));
    expect(nested).toEqual({ LastName: 'Ann', Account: { attributes: { type: 'Account' }, Number__c: 42 } });
  });
});
