/**
 * REST resources under /services/data/vXX.X: pure handlers from a parsed request to a
 * status + body. HTTP plumbing (auth, limits, logging, faults) lives in server.ts.
 */

import { QueryCursors } from './cursors';
import {
  createOne,
  deleteOne,
  duplicateKeys,
  isDuplicateKey,
  isJsonObject,
  lockByExternalIds,
  lockById,
  lockByKeyField,
  readField,
  runCollection,
  updateOne,
  upsertOne,
  type DmlContext,
  type JsonObject,
  type SaveResult,
} from './dml';
import {
  RESOURCE_NOT_FOUND,
  SalesforceApiError,
  exceededIdLimit,
  methodNotAllowed,
  notFound,
  recordErrorsToApiErrors,
} from './errors';
import { keyPrefixOf, normalizeId } from './ids';
import { describeGlobalEntry, describeSObject, type FieldDef, type OrgSchema, type SObjectDef } from './schema';
import { SoqlError, bindQuery, executeQuery, parseSoql } from './soql';
import type { RecordStore, StoredRecord } from './store';

/** Collections accept at most 200 records (ids for delete) per call. */
export const MAX_COLLECTION_RECORDS = 200;
/** Collections retrieve accepts up to 2,000 ids. */
const MAX_RETRIEVE_IDS = 2000;
const DEFAULT_QUERY_BATCH = 2000;
const MIN_QUERY_BATCH = 200;

export interface ApiContext {
  dml: DmlContext;
  schema: OrgSchema;
  store: RecordStore;
  cursors: QueryCursors;
  apiUsage: () => { used: number; max: number };
}

export interface ApiRequest {
  method: string;
  /** Path segments after `/services/data/vXX.X`, URI-decoded. */
  segments: string[];
  query: URLSearchParams;
  rawBody: string | undefined;
  header: (name: string) => string | undefined;
  /** e.g. `62.0` */
  version: string;
  versionNumber: number;
}

/** A collections write that reached the store (fed to onWriteApplied listeners). */
export interface WriteNotice {
  sobject: string;
  records: number;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  writes?: WriteNotice[];
}

type Handler = (ctx: ApiContext, req: ApiRequest, params: string[]) => ApiResponse;

interface Route {
  pattern: string[];
  methods: Partial<Record<string, Handler>>;
}

// ---------------------------------------------------------------------------------------
// helpers

function json(status: number, body: unknown, headers?: Record<string, string>): ApiResponse {
  return headers === undefined ? { status, body } : { status, body, headers };
}

function jsonParserError(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'JSON_PARSER_ERROR', message);
}

/** JSON.parse with Salesforce-style JSON_PARSER_ERROR messages (line/column of the problem). */
export function parseJsonBody(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') {
    throw jsonParserError('The HTTP entity body is required, but this request has no entity body.');
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(text);
    const pos = at?.[1] === undefined ? raw.length : Number(at[1]);
    const before = raw.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - (before.lastIndexOf('\n') + 1) + 1;
    if (pos >= raw.length) throw jsonParserError(`Unexpected end-of-input at [line:${line}, column:${column}]`);
    const ch = raw.charAt(pos);
    throw jsonParserError(`Unexpected character ('${ch}' (code ${ch.charCodeAt(0)})) at [line:${line}, column:${column}]`);
  }
}

function requireSObject(ctx: ApiContext, name: string): SObjectDef {
  const def = ctx.schema.sobject(name);
  if (def === undefined) throw notFound();
  return def;
}

function recordUrl(version: string, def: SObjectDef, id: string): string {
  return `/services/data/v${version}/sobjects/${def.name}/${id}`;
}

function projectRecord(version: string, def: SObjectDef, record: StoredRecord, fields: FieldDef[]): Record<string, unknown> {
  const id = String(record['Id']);
  const out: Record<string, unknown> = { attributes: { type: def.name, url: recordUrl(version, def, id) } };
  for (const field of fields) out[field.name] = record[field.name] ?? null;
  return out;
}

function noSuchColumnOnEntity(field: string, def: SObjectDef): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INVALID_FIELD',
    `No such column '${field}' on entity '${def.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

function fieldList(def: SObjectDef, ctx: ApiContext, names: string[] | null): FieldDef[] {
  if (names === null) return def.fields;
  return names.map((name) => {
    const field = ctx.schema.field(def, name.trim());
    if (field === undefined) throw noSuchColumnOnEntity(name.trim(), def);
    return field;
  });
}

/** Field usable as an upsert / lookup key in a URL: Id, or an external-id / idLookup field. */
function lookupField(ctx: ApiContext, def: SObjectDef, name: string): FieldDef {
  const field = ctx.schema.field(def, name);
  if (field === undefined) throw notFound(`Provided external ID field does not exist or is not accessible: ${name}`);
  if (field.name !== 'Id' && field.externalId !== true && field.idLookup !== true) {
    throw new SalesforceApiError(
      400,
      'INVALID_FIELD',
      `Field name provided, ${field.name} is not an External ID or indexed field for ${def.name}`,
    );
  }
  return field;
}

function singleRecordFailure(result: SaveResult): ApiResponse {
  return json(400, recordErrorsToApiErrors(result.errors));
}

function bodyObject(req: ApiRequest, def: SObjectDef): JsonObject {
  const body = parseJsonBody(req.rawBody);
  if (!isJsonObject(body)) {
    throw jsonParserError(`Cannot deserialize instance of ${def.name} from ${Array.isArray(body) ? 'START_ARRAY' : 'VALUE_STRING'} value`);
  }
  return body;
}

/** Single-record id in a URL: `{id}` resolves, or a Salesforce-style 404. */
function findById(ctx: ApiContext, def: SObjectDef, rawId: string): string {
  const id = normalizeId(rawId);
  if (id === null) throw notFound(`Provided external ID field does not exist or is not accessible: ${rawId}`);
  if (keyPrefixOf(id) !== def.keyPrefix) throw notFound();
  if (ctx.store.get(def, id) !== undefined) return id;
  if (ctx.store.isDeleted(id)) throw new SalesforceApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
  throw notFound();
}

/** Records matching an external id in a URL; 300 Multiple Choices when ambiguous. */
function findByExternal(ctx: ApiContext, req: ApiRequest, def: SObjectDef, field: FieldDef, value: string): string[] {
  if (field.name === 'Id') {
    const id = normalizeId(value);
    return id !== null && ctx.store.get(def, id) !== undefined ? [id] : [];
  }
  const matches = ctx.store.findBy(def, field, value);
  if (matches.length > 1) {
    throw new MultipleChoices(matches.map((id) => recordUrl(req.version, def, id)));
  }
  return matches;
}

/** The documented 300 answer: the URLs of every matching record. */
export class MultipleChoices extends Error {
  constructor(readonly urls: string[]) {
    super('Multiple records found');
  }
}

// ---------------------------------------------------------------------------------------
// collections helpers

interface CollectionBody {
  allOrNone: boolean;
  records: JsonObject[];
}

function parseCollectionBody(req: ApiRequest): CollectionBody {
  const body = parseJsonBody(req.rawBody);
  if (!isJsonObject(body)) throw jsonParserError('Cannot deserialize instance of SObjectCollection from START_ARRAY value');
  const { allOrNone, records } = body;
  if (allOrNone !== undefined && allOrNone !== null && typeof allOrNone !== 'boolean') {
    throw jsonParserError(`Cannot deserialize instance of boolean from VALUE_STRING value ${JSON.stringify(allOrNone)}`);
  }
  if (!Array.isArray(records)) throw jsonParserError('The records field is required and must be an array of sObjects');
  if (records.length > MAX_COLLECTION_RECORDS) throw exceededIdLimit();
  const objects: JsonObject[] = [];
  for (const record of records) {
    if (!isJsonObject(record)) throw jsonParserError('Cannot deserialize instance of SObject from a non-object value');
    objects.push(record);
  }
  return { allOrNone: allOrNone === true, records: objects };
}

/** Each collections record names its sObject in `attributes.type`. */
function recordType(ctx: ApiContext, record: JsonObject, index: number): SObjectDef {
  const attributes = record['attributes'];
  const type = isJsonObject(attributes) ? attributes['type'] : undefined;
  if (typeof type !== 'string' || type === '') {
    throw jsonParserError(`Each record must have an attributes map with a type (records[${index}])`);
  }
  const def = ctx.schema.sobject(type);
  if (def === undefined) {
    throw new SalesforceApiError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
  }
  return def;
}

function writesFor(defs: SObjectDef[], results: SaveResult[]): WriteNotice[] {
  const counts = new Map<string, number>();
  defs.forEach((def, i) => {
    const ok = results[i]?.success === true ? 1 : 0;
    counts.set(def.name, (counts.get(def.name) ?? 0) + ok);
  });
  return [...counts].map(([sobject, records]) => ({ sobject, records }));
}

function requireCollectionsVersion(req: ApiRequest, min: number): void {
  // sObject Collections exist from API 42.0 (upsert from 46.0); older versions have no such resource.
  if (req.versionNumber < min) throw notFound();
}

// ---------------------------------------------------------------------------------------
// handlers

const resources: Handler = (_ctx, req) => {
  const base = `/services/data/v${req.version}`;
  return json(200, {
    limits: `${base}/limits`,
    sobjects: `${base}/sobjects`,
    query: `${base}/query`,
    queryAll: `${base}/queryAll`,
    composite: `${base}/composite`,
  });
};

/**
 * The org's other allocations `/limits` lists, at a Developer Edition's figures ("Salesforce Developer
 * Limits and Allocations Quick Reference"); only the daily API requests are counted, these stay full.
 */
const OTHER_LIMITS: Readonly<Record<string, number>> = {
  DailyAsyncApexExecutions: 250_000,
  DailyBulkApiBatches: 15_000,
  DailyBulkV2QueryFileStorageMB: 976_562,
  DailyBulkV2QueryJobs: 10_000,
  DataStorageMB: 5,
  FileStorageMB: 20,
  MassEmail: 10,
  SingleEmail: 15,
};

const limits: Handler = (ctx) => {
  const { used, max } = ctx.apiUsage();
  const others = Object.fromEntries(Object.entries(OTHER_LIMITS).map(([name, value]) => [name, { Max: value, Remaining: value }]));
  return json(200, { DailyApiRequests: { Max: max, Remaining: Math.max(0, max - used) }, ...others });
};

const describeGlobal: Handler = (ctx, req) =>
  json(200, {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: ctx.schema.sobjects.map((def) => describeGlobalEntry(def, req.version)),
  });

const sobjectInfo: Handler = (ctx, req, [name = '']) => {
  const def = requireSObject(ctx, name);
  return json(200, { objectDescribe: describeGlobalEntry(def, req.version), recentItems: [] });
};

const describe: Handler = (ctx, req, [name = '']) => json(200, describeSObject(requireSObject(ctx, name), ctx.schema, req.version));

const createSingle: Handler = (ctx, req, [name = '']) => {
  const def = requireSObject(ctx, name);
  const result = createOne(ctx.dml, def, bodyObject(req, def));
  if (!result.success || result.id === undefined) return singleRecordFailure(result);
  return json(201, { id: result.id, success: true, errors: [] }, { Location: recordUrl(req.version, def, result.id) });
};

const retrieveSingle: Handler = (ctx, req, [name = '', rawId = '']) => {
  const def = requireSObject(ctx, name);
  const fieldsParam = req.query.get('fields');
  const fields = fieldList(def, ctx, fieldsParam === null || fieldsParam === '' ? null : fieldsParam.split(','));
  const id = findById(ctx, def, rawId);
  const record = ctx.store.get(def, id);
  if (record === undefined) throw notFound();
  return json(200, projectRecord(req.version, def, record, fields));
};

const updateSingle: Handler = (ctx, req, [name = '', rawId = '']) => {
  const def = requireSObject(ctx, name);
  const id = findById(ctx, def, rawId);
  const result = updateOne(ctx.dml, def, id, bodyObject(req, def));
  if (!result.success) return singleRecordFailure(result);
  return { status: 204 };
};

const deleteSingle: Handler = (ctx, _req, [name = '', rawId = '']) => {
  const def = requireSObject(ctx, name);
  const id = findById(ctx, def, rawId);
  const result = deleteOne(ctx.dml, id);
  if (!result.success) return singleRecordFailure(result);
  return { status: 204 };
};

/** POST /sobjects/{SObject}/Id: create, with Id as the (null) external id — API 37.0+. */
const createViaIdField: Handler = (ctx, req, params) => {
  const [name = '', fieldName = ''] = params;
  const def = requireSObject(ctx, name);
  if (fieldName.toLowerCase() !== 'id') throw methodNotAllowed('POST', ['GET', 'PATCH', 'DELETE']);
  return createSingle(ctx, req, [def.name]);
};

const retrieveByExternal: Handler = (ctx, req, [name = '', fieldName = '', value = '']) => {
  const def = requireSObject(ctx, name);
  const field = lookupField(ctx, def, fieldName);
  const [id] = findByExternal(ctx, req, def, field, value);
  const record = id === undefined ? undefined : ctx.store.get(def, id);
  if (record === undefined) throw notFound();
  const fieldsParam = req.query.get('fields');
  const fields = fieldList(def, ctx, fieldsParam === null || fieldsParam === '' ? null : fieldsParam.split(','));
  return json(200, projectRecord(req.version, def, record, fields));
};

const upsertSingle: Handler = (ctx, req, [name = '', fieldName = '', value = '']) => {
  const def = requireSObject(ctx, name);
  const field = lookupField(ctx, def, fieldName);
  const body = bodyObject(req, def);
  // "Do not specify Id or an external ID field in the request body or an error is generated."
  const named = Object.keys(body).find((key) => key.toLowerCase() === field.name.toLowerCase() || key.toLowerCase() === 'id');
  if (named !== undefined) throw new SalesforceApiError(400, 'INVALID_FIELD', `The ${named} field should not be specified in the sobject data.`);
  const existing = findByExternal(ctx, req, def, field, value);
  if (existing.length === 0 && req.query.get('updateOnly') === 'true') throw notFound();
  const result = upsertOne(ctx.dml, def, { field }, body, value, false);
  if (!result.success || result.id === undefined) return singleRecordFailure(result);
  if (result.created === true) {
    return json(201, { id: result.id, success: true, errors: [], created: true }, { Location: recordUrl(req.version, def, result.id) });
  }
  // API 46.0 added the body (and 200) for updates; older versions answer 204.
  if (req.versionNumber < 46) return { status: 204 };
  return json(200, { id: result.id, success: true, errors: [], created: false });
};

const deleteByExternal: Handler = (ctx, req, [name = '', fieldName = '', value = '']) => {
  const def = requireSObject(ctx, name);
  const field = lookupField(ctx, def, fieldName);
  const [id] = findByExternal(ctx, req, def, field, value);
  if (id === undefined) throw notFound();
  const result = deleteOne(ctx.dml, id);
  if (!result.success) return singleRecordFailure(result);
  return { status: 204 };
};

function batchSize(req: ApiRequest): number {
  const options = req.header('sforce-query-options') ?? '';
  const match = /batchSize\s*=\s*(\d+)/i.exec(options);
  if (match?.[1] === undefined) return DEFAULT_QUERY_BATCH;
  // Salesforce treats batchSize as a hint between 200 and 2,000.
  return Math.min(DEFAULT_QUERY_BATCH, Math.max(MIN_QUERY_BATCH, Number(match[1])));
}

/**
 * Query filters deleted records out; QueryAll also returns those in the recycle bin ("records
 * that are soft deleted due to a merge or delete", resources_queryall), IsDeleted = true.
 */
function runQuery(ctx: ApiContext, req: ApiRequest, includeDeleted: boolean): ApiResponse {
  const q = req.query.get('q');
  if (q === null || q.trim() === '') {
    throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  }
  let rows: StoredRecord[];
  let bound;
  try {
    bound = bindQuery(parseSoql(q), ctx.schema);
    rows = executeQuery(bound, includeDeleted ? ctx.store.allWithDeleted(bound.sobject) : ctx.store.all(bound.sobject));
  } catch (err) {
    if (err instanceof SoqlError) throw new SalesforceApiError(400, err.errorCode, err.message);
    throw err;
  }
  if (bound.count) return json(200, { totalSize: rows.length, done: true, records: [] });
  const def = bound.sobject;
  const projected = rows.map((r) => projectRecord(req.version, def, r, bound.fields));
  // The locator snapshots the rows, so a QueryAll's later pages keep its deleted records; its
  // nextRecordsUrl says `query` all the same, and both paths serve it (QueryAll More Results).
  return json(200, ctx.cursors.open(projected, batchSize(req), req.version));
}

const query: Handler = (ctx, req) => runQuery(ctx, req, false);

const queryAll: Handler = (ctx, req) => runQuery(ctx, req, true);

const queryMore: Handler = (ctx, req, [locator = '']) => {
  const page = ctx.cursors.next(locator, req.version);
  if (page === null) throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  return json(200, page);
};

const collectionsCreate: Handler = (ctx, req) => {
  requireCollectionsVersion(req, 42);
  const { allOrNone, records } = parseCollectionBody(req);
  const defs = records.map((r, i) => recordType(ctx, r, i));
  const defOf = (i: number): SObjectDef => {
    const def = defs[i];
    if (def === undefined) throw new Error('record without type');
    return def;
  };
  const results = runCollection(
    ctx.dml,
    records,
    allOrNone,
    (record, i) => lockByExternalIds(defOf(i), record),
    (record, i) => createOne(ctx.dml, defOf(i), record),
    true,
  );
  return { status: 200, body: results, writes: writesFor(defs, results) };
};

const collectionsUpdate: Handler = (ctx, req) => {
  requireCollectionsVersion(req, 42);
  const { allOrNone, records } = parseCollectionBody(req);
  const defs = records.map((r, i) => recordType(ctx, r, i));
  const idOf = (record: JsonObject) => readField(record, 'id').value;
  const results = runCollection(ctx.dml, records, allOrNone, (record) => lockById(idOf(record)), (record, i) => {
    const def = defs[i];
    if (def === undefined) throw new Error('record without type');
    return updateOne(ctx.dml, def, idOf(record), record);
  });
  return { status: 200, body: results, writes: writesFor(defs, results) };
};

const collectionsDelete: Handler = (ctx, req) => {
  requireCollectionsVersion(req, 42);
  const idsParam = req.query.get('ids');
  if (idsParam === null || idsParam.trim() === '') {
    throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
  }
  const ids = idsParam.split(',').map((s) => s.trim());
  if (ids.length > MAX_COLLECTION_RECORDS) throw exceededIdLimit();
  const allOrNone = req.query.get('allOrNone') === 'true';
  const results = runCollection(ctx.dml, ids, allOrNone, lockById, (id) => deleteOne(ctx.dml, id));
  // Types of the ids that were recognised, for the listener notice.
  const typed = ids.map((id) => {
    const norm = normalizeId(id);
    return norm === null ? undefined : ctx.schema.sobjectByKeyPrefix(keyPrefixOf(norm));
  });
  const known = typed.flatMap((def, i) => (def === undefined ? [] : [{ def, result: results[i] }]));
  const writes = writesFor(
    known.map((k) => k.def),
    known.map((k) => k.result ?? { success: false, errors: [] }),
  );
  return { status: 200, body: results, writes };
};

function retrieveMany(ctx: ApiContext, req: ApiRequest, def: SObjectDef, ids: unknown, fields: unknown): ApiResponse {
  requireCollectionsVersion(req, 42);
  if (!Array.isArray(ids) || ids.length === 0) throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
  if (!Array.isArray(fields) || fields.length === 0) throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'fields parameter is required');
  if (ids.length > MAX_RETRIEVE_IDS) throw exceededIdLimit();
  const fieldDefs = fieldList(def, ctx, fields.map(String));
  const records = ids.map((raw) => {
    // Invalid or inaccessible ids come back as null in their slot.
    const id = typeof raw === 'string' ? normalizeId(raw) : null;
    const record = id === null ? undefined : ctx.store.get(def, id);
    return record === undefined ? null : projectRecord(req.version, def, record, fieldDefs);
  });
  return json(200, records);
}

const collectionsRetrieveGet: Handler = (ctx, req, [name = '']) => {
  const def = requireSObject(ctx, name);
  const split = (v: string | null): string[] => (v === null || v === '' ? [] : v.split(','));
  return retrieveMany(ctx, req, def, split(req.query.get('ids')), split(req.query.get('fields')));
};

const collectionsRetrievePost: Handler = (ctx, req, [name = '']) => {
  const def = requireSObject(ctx, name);
  const body = parseJsonBody(req.rawBody);
  if (!isJsonObject(body)) throw jsonParserError('Cannot deserialize instance of request from START_ARRAY value');
  return retrieveMany(ctx, req, def, body['ids'], body['fields']);
};

const collectionsUpsert: Handler = (ctx, req, [name = '', fieldName = '']) => {
  requireCollectionsVersion(req, 46);
  const def = requireSObject(ctx, name);
  const field = lookupField(ctx, def, fieldName);
  const { allOrNone, records } = parseCollectionBody(req);
  records.forEach((record, i) => {
    const type = recordType(ctx, record, i);
    // "The list can contain objects only of the type indicated in the request URI."
    if (type.name !== def.name) {
      throw new SalesforceApiError(
        400,
        'INVALID_TYPE',
        `records[${i}] is of type ${type.name}; this request only accepts ${def.name} records`,
      );
    }
  });
  const keys = records.map((record) => readField(record, field.name).value);
  const duplicates = field.name === 'Id' ? new Set<string>() : duplicateKeys(field, keys);
  const results = runCollection(
    ctx.dml,
    records,
    allOrNone,
    (record) => lockByKeyField(record, field),
    (record, i) => {
      const value = keys[i];
      return upsertOne(ctx.dml, def, { field }, record, value, isDuplicateKey(field, value, duplicates));
    },
  );
  return {
    status: 200,
    body: results,
    writes: writesFor(
      records.map(() => def),
      results,
    ),
  };
};

// ---------------------------------------------------------------------------------------
// routing

const ROUTES: Route[] = [
  { pattern: [], methods: { GET: resources } },
  { pattern: ['limits'], methods: { GET: limits } },
  { pattern: ['sobjects'], methods: { GET: describeGlobal } },
  { pattern: ['sobjects', ':s'], methods: { GET: sobjectInfo, POST: createSingle } },
  { pattern: ['sobjects', ':s', 'describe'], methods: { GET: describe } },
  {
    pattern: ['sobjects', ':s', ':id'],
    methods: { GET: retrieveSingle, PATCH: updateSingle, DELETE: deleteSingle, POST: createViaIdField },
  },
  {
    pattern: ['sobjects', ':s', ':field', ':value'],
    methods: { GET: retrieveByExternal, PATCH: upsertSingle, DELETE: deleteByExternal },
  },
  { pattern: ['query'], methods: { GET: query } },
  { pattern: ['queryAll'], methods: { GET: queryAll } },
  { pattern: ['query', ':locator'], methods: { GET: queryMore } },
  { pattern: ['queryAll', ':locator'], methods: { GET: queryMore } },
  { pattern: ['composite', 'sobjects'], methods: { POST: collectionsCreate, PATCH: collectionsUpdate, DELETE: collectionsDelete } },
  { pattern: ['composite', 'sobjects', ':s'], methods: { GET: collectionsRetrieveGet, POST: collectionsRetrievePost } },
  { pattern: ['composite', 'sobjects', ':s', ':field'], methods: { PATCH: collectionsUpsert } },
];

function matchRoute(segments: string[]): { route: Route; params: string[] } | null {
  let best: { route: Route; params: string[]; literals: number } | null = null;
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    let literals = 0;
    let ok = true;
    route.pattern.forEach((part, i) => {
      const segment = segments[i] ?? '';
      if (part.startsWith(':')) params.push(segment);
      else if (part === segment) literals += 1;
      else ok = false;
    });
    if (ok && (best === null || literals > best.literals)) best = { route, params, literals };
  }
  return best === null ? null : { route: best.route, params: best.params };
}

/** Dispatches one authenticated API request; errors become Salesforce error bodies. */
export function handleApiRequest(ctx: ApiContext, req: ApiRequest): ApiResponse {
  try {
    const match = matchRoute(req.segments);
    if (match === null) throw notFound(RESOURCE_NOT_FOUND);
    const handler = match.route.methods[req.method];
    if (handler === undefined) throw methodNotAllowed(req.method, Object.keys(match.route.methods));
    return handler(ctx, req, match.params);
  } catch (err) {
    if (err instanceof SalesforceApiError) return json(err.status, err.body());
    if (err instanceof MultipleChoices) return json(300, err.urls);
    throw err;
  }
}

/** Number of records a collections request carries (for the request log), else 0. */
export function collectionRecordCount(req: ApiRequest): number {
  if (req.segments[0] !== 'composite' || req.segments[1] !== 'sobjects') return 0;
  if (req.method === 'DELETE' || req.method === 'GET') {
    const ids = req.query.get('ids');
    return ids === null || ids === '' ? 0 : ids.split(',').length;
  }
  try {
    const body = JSON.parse(req.rawBody ?? '') as unknown;
    if (!isJsonObject(body)) return 0;
    const list = Array.isArray(body['records']) ? body['records'] : body['ids'];
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return 0;
  }
}
