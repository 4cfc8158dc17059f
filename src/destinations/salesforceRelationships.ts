import type { Value } from '../sources/source';
import type { RecordError } from './destination';
import { coerceValue, type FieldMap, type SalesforceField } from './salesforceFields';

/**
 * A mapping onto a lookup by the parent's external id: `to: Account.External_Id__c` sets a Contact's
 * AccountId to the Account whose External_Id__c holds the value — Salesforce resolves it in the same
 * write (REST: `"Account": {"External_Id__c": "…"}`; Bulk API 2.0: a `Account.External_Id__c` column).
 */
export interface Relationship {
  /** The lookup field it sets (`AccountId`, `Parent__c`). */
  idField: string;
  /** Its relationship name, as the API spells it (`Account`, `Parent__r`). */
  relationshipName: string;
  /** The parent object (`Account`). */
  parent: string;
  /** The parent's external id (or idLookup) field, as the API spells it. */
  keyField: string;
}

/** `Account.External_Id__c` → relationship `Account`, field `External_Id__c`; undefined for a plain field. */
export function splitRelationship(to: string): { relationship: string; field: string } | undefined {
  const dot = to.indexOf('.');
  if (dot <= 0 || dot === to.length - 1 || to.indexOf('.', dot + 1) !== -1) return undefined;
  return { relationship: to.slice(0, dot), field: to.slice(dot + 1) };
}

/** The lookup field whose relationship name is `relationship` (names ignore case). */
function lookupNamed(fields: FieldMap, relationship: string): SalesforceField | undefined {
  const wanted = relationship.toLowerCase();
  return [...fields.values()].find((field) => field.relationshipName?.toLowerCase() === wanted);
}

/** The one object the relationship `to` names points at, when it names a lookup of `fields` (for its describe). */
export function parentOf(fields: FieldMap, to: string): string | undefined {
  const named = splitRelationship(to);
  const lookup = named === undefined ? undefined : lookupNamed(fields, named.relationship);
  return lookup?.referenceTo.length === 1 ? lookup.referenceTo[0] : undefined;
}

/**
 * The relationship a mapping's `to` names on `object` (its describe `fields`), with the parent's key
 * field from the parent's describe (`parentFields`), or why it cannot be one.
 */
export function resolveRelationship(
  object: string,
  to: string,
  fields: FieldMap,
  parentFields: (parent: string) => FieldMap | undefined,
): { ok: true; relationship: Relationship } | { ok: false; message: string } {
  const named = splitRelationship(to);
  if (named === undefined) return { ok: false, message: `${to} is not Relationship.Field` };
  const lookup = lookupNamed(fields, named.relationship);
  if (lookup === undefined || lookup.relationshipName === null) return { ok: false, message: `${object} has no relationship ${named.relationship} (a lookup's relationship name, e.g. Account for AccountId)` };
  const parent = lookup.referenceTo[0];
  if (parent === undefined || lookup.referenceTo.length > 1) {
    return { ok: false, message: `${object}.${lookup.name} may point at ${lookup.referenceTo.join(', ') || 'no object'}; backflow sets lookups to one object only` };
  }
  const parentDescribe = parentFields(parent);
  const key = parentDescribe?.get(named.field.toLowerCase());
  if (key === undefined) return { ok: false, message: `${parent} has no field ${named.field}` };
  if (!key.externalId && key.name !== 'Id') return { ok: false, message: `${parent}.${key.name} is not an external id field, so ${named.relationship} cannot be set by it` };
  return { ok: true, relationship: { idField: lookup.name, relationshipName: lookup.relationshipName, parent, keyField: key.name } };
}

/** The key a relationship's value is carried under in a prepared record (a Bulk API column name too). */
export function relationshipKey(relationship: Relationship): string {
  return `${relationship.relationshipName}.${relationship.keyField}`;
}

/**
 * A relationship's value as a prepared record carries it: the parent's key under `Account.External_Id__c`,
 * coerced to that field's type, or the lookup itself cleared (`AccountId: null`) for a NULL — a
 * relationship cannot be set to nothing.
 */
export function relationshipValue(
  relationship: Relationship,
  parentFields: FieldMap,
  value: Value,
): { ok: true; fields: Record<string, Value> } | { ok: false; error: RecordError } {
  if (value === null) return { ok: true, fields: { [relationship.idField]: null } };
  const key = parentFields.get(relationship.keyField.toLowerCase());
  const coerced = key === undefined ? { ok: true as const, value } : coerceValue(key, value);
  const path = relationshipKey(relationship);
  if (!coerced.ok) return { ok: false, error: { code: 'INVALID_FIELD_VALUE', message: `${path}: ${coerced.reason}`, fields: [path] } };
  return { ok: true, fields: { [path]: coerced.value } };
}

/**
 * A prepared record as sObject Collections take it: each `Account.External_Id__c` value nested as
 * `"Account": {"attributes": {"type": "Account"}, "External_Id__c": …}`.
 */
export function nestRelationships(fields: Record<string, Value>, relationships: ReadonlyMap<string, Relationship>): Record<string, unknown> {
  if (relationships.size === 0) return fields;
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const relationship = relationships.get(name);
    if (relationship === undefined) body[name] = value;
    else body[relationship.relationshipName] = { attributes: { type: relationship.parent }, [relationship.keyField]: value };
  }
  return body;
}
