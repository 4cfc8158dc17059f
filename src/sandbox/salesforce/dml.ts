/**
 * Record writes (create / update / upsert / delete) with Salesforce's validation order,
 * per-record results and allOrNone rollback. Shared by the collections and single-record routes.
 */

import {
  ALL_OR_NONE_ROLLED_BACK,
  noSuchColumnOnSObject,
  recordError,
  requiredFieldsMissing,
  unableToCreateUpdate,
  type RecordError,
} from './errors';
import { keyPrefixOf, normalizeId, type IdGenerator } from './ids';
import { isRequiredOnCreate, type FieldDef, type OrgSchema, type SObjectDef } from './schema';
import { lookupKey, type FieldValue, type RecordStore, type StoredRecord } from './store';
import { coerceFieldValue, formatDateTime } from './values';

export interface DmlContext {
  schema: OrgSchema;
  store: RecordStore;
  ids: IdGenerator;
  now: () => Date;
  /**
   * The lock error a record of a write meets before it is saved (injected contention, see
   * SalesforceFaultProfile.lockedRecords), if any.
   */
  rowLock?: (record: LockTarget) => RecordError | undefined;
}

/**
 * What a write names its record by, as injected lock contention matches it: the Id of an update or
 * delete (or of an upsert by Id), and the key the request matches it on — never its other values.
 */
export interface LockTarget {
  id?: unknown;
  keys: readonly unknown[];
}

/** An update's or a delete's record: its Id. */
export function lockById(id: unknown): LockTarget {
  return { id, keys: [] };
}

/** An upsert's record: the value of the field the request matches on (its external id, or the Id). */
export function lockByKeyField(body: JsonObject, field: FieldDef): LockTarget {
  const value = readField(body, field.name).value;
  return field.name === 'Id' ? lockById(value) : { keys: [value] };
}

/**
 * A create's record, matched on no field: known by the object's external id fields it sets, the keys
 * an integration would name it by (a create has no Id yet).
 */
export function lockByExternalIds(def: SObjectDef, body: JsonObject): LockTarget {
  return { keys: def.fields.filter((field) => field.externalId === true).map((field) => readField(body, field.name).value) };
}

/** SaveResult / UpsertResult / DeleteResult as the REST API serializes them. */
export interface SaveResult {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Prepared = { ok: true; values: StoredRecord } | { ok: false; errors: RecordError[] };

/** Reads `key` from a body with Salesforce's case-insensitive field names. */
export function readField(body: JsonObject, fieldName: string): { present: boolean; value: unknown } {
  const wanted = fieldName.toLowerCase();
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === wanted) return { present: true, value };
  }
  return { present: false, value: undefined };
}

function failure(...errors: RecordError[]): SaveResult {
  return { success: false, errors };
}

function findRelationship(def: SObjectDef, key: string): FieldDef | undefined {
  const wanted = key.toLowerCase();
  return def.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === wanted);
}

/** `"Account": {"External_Id__c": "x"}` → the parent's Id, as the platform resolves it. */
function resolveRelationship(ctx: DmlContext, reference: FieldDef, value: JsonObject): { ok: true; id: string } | { ok: false; error: RecordError } {
  const targetName = reference.referenceTo?.[0] ?? '';
  const target = ctx.schema.sobject(targetName);
  const keys = Object.keys(value).filter((k) => k !== 'attributes');
  const keyName = keys[0];
  if (target === undefined || keys.length !== 1 || keyName === undefined) {
    return {
      ok: false,
      error: recordError('INVALID_FIELD', `A relationship reference must name exactly one external ID field of ${targetName}`),
    };
  }
  const keyField = ctx.schema.field(target, keyName);
  if (keyField === undefined) {
    return { ok: false, error: recordError('INVALID_FIELD', noSuchColumnOnSObject(keyName, target.name)) };
  }
  if (keyField.externalId !== true && keyField.idLookup !== true) {
    return {
      ok: false,
      error: recordError('INVALID_FIELD', `Field name provided, ${keyField.name} is not an External ID or indexed field for ${target.name}`),
    };
  }
  const raw = value[keyName];
  const coerced = coerceFieldValue(keyField, raw, ctx.schema);
  const lookup = coerced.ok ? coerced.value : null;
  const matches = lookup === null ? [] : ctx.store.findBy(target, keyField, keyField.name === 'Id' ? normalizeId(String(lookup)) : lookup);
  const first = matches[0];
  if (first === undefined) {
    return {
      ok: false,
      error: recordError(
        'INVALID_FIELD',
        `Foreign key external ID: ${String(raw)} not found for field ${keyField.name} in entity ${target.name}`,
      ),
    };
  }
  if (matches.length > 1) {
    return {
      ok: false,
      error: recordError(
        'DUPLICATE_EXTERNAL_ID',
        `Foreign key external ID: ${String(raw)} matched more than one record for field ${keyField.name} in entity ${target.name}`,
      ),
    };
  }
  return { ok: true, id: first };
}

/**
 * Validates a body for insert or update. Order follows what the platform reports first:
 * unknown columns (deserialization), non-writable fields, field values, required fields,
 * then unique indexes.
 */
function prepare(
  ctx: DmlContext,
  def: SObjectDef,
  body: JsonObject,
  mode: 'create' | 'update',
  recordId: string | null,
  skip: ReadonlySet<string> = new Set(),
): Prepared {
  const fields: Array<{ field: FieldDef; raw: unknown }> = [];
  const relationships: Array<{ field: FieldDef; raw: JsonObject }> = [];
  for (const [key, raw] of Object.entries(body)) {
    if (key === 'attributes' || skip.has(key.toLowerCase())) continue;
    const field = ctx.schema.field(def, key);
    if (field !== undefined) {
      fields.push({ field, raw });
      continue;
    }
    const relationship = findRelationship(def, key);
    if (relationship !== undefined && isJsonObject(raw)) {
      relationships.push({ field: relationship, raw });
      continue;
    }
    return { ok: false, errors: [recordError('INVALID_FIELD', noSuchColumnOnSObject(key, def.name))] };
  }

  const readOnly = fields
    .filter(({ field }) => (mode === 'create' ? !field.createable : !field.updateable))
    .map(({ field }) => field.name);
  if (readOnly.length > 0) {
    if (mode === 'create' && readOnly.length === 1 && readOnly[0] === 'Id') {
      return { ok: false, errors: [recordError('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id'])] };
    }
    return { ok: false, errors: [unableToCreateUpdate(readOnly)] };
  }

  const values: StoredRecord = {};
  const valueErrors: RecordError[] = [];
  for (const { field, raw } of fields) {
    const coerced = coerceFieldValue(field, raw, ctx.schema);
    if (coerced.ok) values[field.name] = coerced.value;
    else valueErrors.push(coerced.error);
  }
  for (const { field, raw } of relationships) {
    const resolved = resolveRelationship(ctx, field, raw);
    if (resolved.ok) values[field.name] = resolved.id;
    else valueErrors.push(resolved.error);
  }
  if (valueErrors.length > 0) return { ok: false, errors: valueErrors };

  const missing = def.fields
    .filter(isRequiredOnCreate)
    .filter((field) => (mode === 'create' ? (values[field.name] ?? null) === null : field.name in values && values[field.name] === null))
    .map((field) => field.name);
  if (missing.length > 0) return { ok: false, errors: [requiredFieldsMissing(missing)] };

  for (const field of def.fields) {
    if (field.unique !== true) continue;
    const value = values[field.name];
    if (value === undefined || value === null) continue;
    const clash = ctx.store.findBy(def, field, value).find((id) => id !== recordId);
    if (clash !== undefined) {
      return {
        ok: false,
        errors: [recordError('DUPLICATE_VALUE', `duplicate value found: ${field.name} duplicates value on record with id: ${clash}`)],
      };
    }
  }
  return { ok: true, values };
}

function insertRecord(ctx: DmlContext, def: SObjectDef, values: StoredRecord): string {
  const id = ctx.ids.next(def.keyPrefix);
  const stamp = formatDateTime(ctx.now());
  const record: StoredRecord = {};
  for (const field of def.fields) record[field.name] = field.name === 'IsDeleted' ? false : null;
  Object.assign(record, values, { Id: id, CreatedDate: stamp, LastModifiedDate: stamp, SystemModstamp: stamp });
  ctx.store.insert(def, record);
  return id;
}

function updateRecord(ctx: DmlContext, def: SObjectDef, id: string, values: StoredRecord): void {
  const stamp = formatDateTime(ctx.now());
  ctx.store.update(def, id, { ...values, LastModifiedDate: stamp, SystemModstamp: stamp });
}

export function createOne(ctx: DmlContext, def: SObjectDef, body: JsonObject): SaveResult {
  const prepared = prepare(ctx, def, body, 'create', null);
  if (!prepared.ok) return failure(...prepared.errors);
  return { id: insertRecord(ctx, def, prepared.values), success: true, errors: [] };
}

/** Resolves an id given to update/delete: malformed, wrong object, deleted or unknown. */
export function locate(
  ctx: DmlContext,
  rawId: unknown,
  expected: SObjectDef | null,
  malformedMessage: (raw: string) => string,
): { ok: true; def: SObjectDef; id: string } | { ok: false; error: RecordError } {
  const text = typeof rawId === 'string' ? rawId : JSON.stringify(rawId);
  const id = typeof rawId === 'string' ? normalizeId(rawId) : null;
  const def = id === null ? undefined : ctx.schema.sobjectByKeyPrefix(keyPrefixOf(id));
  if (id === null || def === undefined || (expected !== null && def.name !== expected.name)) {
    return { ok: false, error: recordError('MALFORMED_ID', malformedMessage(text), expected === null ? [] : ['Id']) };
  }
  if (ctx.store.get(def, id) !== undefined) return { ok: true, def, id };
  if (ctx.store.isDeleted(id)) return { ok: false, error: recordError('ENTITY_IS_DELETED', 'entity is deleted') };
  return { ok: false, error: recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id') };
}

function idLabel(def: SObjectDef): string {
  return def.fields.find((f) => f.name === 'Id')?.label ?? `${def.label} ID`;
}

export function incorrectIdType(def: SObjectDef, raw: string): string {
  return `${idLabel(def)}: id value of incorrect type: ${raw}`;
}

export function updateOne(ctx: DmlContext, def: SObjectDef, rawId: unknown, body: JsonObject): SaveResult {
  if (rawId === undefined || rawId === null || rawId === '') {
    return failure(recordError('MISSING_ARGUMENT', 'Id not specified in an update call'));
  }
  const found = locate(ctx, rawId, def, (raw) => incorrectIdType(def, raw));
  if (!found.ok) return failure(found.error);
  const prepared = prepare(ctx, def, body, 'update', found.id, new Set(['id']));
  if (!prepared.ok) return failure(...prepared.errors);
  updateRecord(ctx, def, found.id, prepared.values);
  return { id: found.id, success: true, errors: [] };
}

/** Moves a record to the recycle bin; `hard` (Bulk API 2.0 hardDelete) bypasses it. */
export function deleteOne(ctx: DmlContext, rawId: unknown, hard = false): SaveResult {
  const found = locate(ctx, rawId, null, (raw) => `malformed id ${raw}`);
  if (!found.ok) return failure(found.error);
  const stamp = formatDateTime(ctx.now());
  ctx.store.remove(found.def, found.id, { LastModifiedDate: stamp, SystemModstamp: stamp }, hard);
  return { id: found.id, success: true, errors: [] };
}

export interface UpsertKey {
  /** The field named in the URL: an external-id / idLookup field, or `Id`. */
  field: FieldDef;
}

/**
 * Upserts one record by `key`. `value` is the external id taken from the URL (single-record
 * route) or from the body (collections). `duplicate` marks records whose key repeats in the
 * same request.
 */
export function upsertOne(ctx: DmlContext, def: SObjectDef, key: UpsertKey, body: JsonObject, value: unknown, duplicate: boolean): SaveResult {
  const field = key.field;
  if (field.name === 'Id') {
    if (value === undefined || value === null || value === '') {
      const res = createOne(ctx, def, withoutField(body, 'Id'));
      return res.success ? { ...res, created: true } : res;
    }
    const res = updateOne(ctx, def, value, body);
    return res.success ? { ...res, created: false } : res;
  }

  if (value === undefined || value === null || value === '') {
    return failure(recordError('MISSING_ARGUMENT', `${field.name} not specified`));
  }
  if (duplicate) {
    return failure(recordError('DUPLICATE_VALUE', `Duplicate external id specified: ${String(value)}`, [field.name]));
  }
  const coerced = coerceFieldValue(field, value, ctx.schema);
  if (!coerced.ok) return failure(coerced.error);
  const matches = ctx.store.findBy(def, field, coerced.value);
  if (matches.length > 1) {
    return failure(
      recordError('DUPLICATE_EXTERNAL_ID', `More than one record found for external id field: [${matches.join(', ')}]`, [field.name]),
    );
  }
  const existing = matches[0];
  if (existing !== undefined) {
    const prepared = prepare(ctx, def, body, 'update', existing);
    if (!prepared.ok) return failure(...prepared.errors);
    updateRecord(ctx, def, existing, prepared.values);
    return { id: existing, success: true, errors: [], created: false };
  }
  const withKey = readField(body, field.name).present ? body : { ...body, [field.name]: value };
  const prepared = prepare(ctx, def, withKey, 'create', null);
  if (!prepared.ok) return failure(...prepared.errors);
  return { id: insertRecord(ctx, def, prepared.values), success: true, errors: [], created: true };
}

function withoutField(body: JsonObject, fieldName: string): JsonObject {
  const wanted = fieldName.toLowerCase();
  return Object.fromEntries(Object.entries(body).filter(([k]) => k.toLowerCase() !== wanted));
}

/** Keys that occur more than once in one request (compared the way the match is made). */
export function duplicateKeys(field: FieldDef, values: unknown[]): Set<string> {
  const seen = new Map<string, number>();
  for (const value of values) {
    if (value === undefined || value === null || value === '' || typeof value === 'object') continue;
    const k = lookupKey(field, value as FieldValue);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k));
}

export function isDuplicateKey(field: FieldDef, value: unknown, duplicates: Set<string>): boolean {
  if (value === undefined || value === null || value === '' || typeof value === 'object') return false;
  return duplicates.has(lookupKey(field, value as FieldValue));
}

/**
 * Runs one write per item inside an undo scope. With allOrNone, any failure undoes every
 * write; the failing items keep their errors and the others report the rollback: an update's or
 * delete's with the id the caller gave (Salesforce's documented examples), a create's without one,
 * as the record it would name was never kept (the create example: `{"success": false, "errors"}`).
 * `creates`: every write of this call creates its record; an upsert says so per item (`created`).
 */
export function runCollection<T>(
  ctx: DmlContext,
  items: T[],
  allOrNone: boolean,
  lockTarget: (item: T, index: number) => LockTarget,
  write: (item: T, index: number) => SaveResult,
  creates = false,
): SaveResult[] {
  ctx.store.begin();
  let results: SaveResult[];
  try {
    results = items.map((item, index) => {
      const locked = ctx.rowLock?.(lockTarget(item, index));
      return locked === undefined ? write(item, index) : failure(locked);
    });
  } catch (err) {
    ctx.store.rollback();
    throw err;
  }
  if (allOrNone && results.some((r) => !r.success)) {
    ctx.store.rollback();
    return results.map((r) => {
      if (!r.success) return r;
      const rolled: SaveResult =
        r.id === undefined || creates || r.created === true
          ? { success: false, errors: [ALL_OR_NONE_ROLLED_BACK] }
          : { id: r.id, success: false, errors: [ALL_OR_NONE_ROLLED_BACK] };
      return rolled;
    });
  }
  ctx.store.commit();
  return results;
}
