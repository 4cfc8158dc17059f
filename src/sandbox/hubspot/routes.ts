/**
 * CRM v3 resources: a pure dispatch from method + path to the read/write handlers. HTTP plumbing
 * (auth, limits, faults, logging) lives in server.ts.
 */

import { createProperty } from './propertyCreate';
import { methodNotAllowed, resourceNotFound, unknownObjectType } from './errors';
import { batchRead, getProperty, getRecord, listProperties, listRecords } from './reads';
import type { ApiResponse } from './render';
import type { AccountSchema } from './schema';
import { searchRecords } from './search';
import type { RecordStore } from './store';
import { archiveOne, batchArchive, batchCreate, batchUpdate, batchUpsert, createOne, updateOne } from './writes';

export interface ApiContext {
  schema: AccountSchema;
  store: RecordStore;
  now: () => Date;
  basePath: string;
}

export interface ApiRequest {
  method: string;
  /** URI-decoded path segments, e.g. ['crm', 'v3', 'objects', 'contacts', 'batch', 'upsert']. */
  segments: string[];
  query: URLSearchParams;
  rawBody: string | undefined;
}

const BATCH_WRITES = { upsert: batchUpsert, create: batchCreate, update: batchUpdate, archive: batchArchive } as const;

function isBatchWrite(action: string): action is keyof typeof BATCH_WRITES {
  return Object.prototype.hasOwnProperty.call(BATCH_WRITES, action);
}

/** `inputs.length` of a batch body, for the request log (0 when it is not one). */
export function countInputs(rawBody: string | undefined): number {
  if (rawBody === undefined) return 0;
  try {
    const body = JSON.parse(rawBody) as unknown;
    if (typeof body === 'object' && body !== null && 'inputs' in body && Array.isArray(body.inputs)) return body.inputs.length;
  } catch {
    // Malformed bodies are answered by the handler; the log just says 0.
  }
  return 0;
}

/** `POST /crm/v3/objects/{type}/search`: rate limited on its own (rateLimits.ts). */
export function isSearchRequest(method: string, segments: string[]): boolean {
  const [crm, version, resource, objectType, action, ...extra] = segments;
  return method === 'POST' && crm === 'crm' && version === 'v3' && resource === 'objects' && objectType !== undefined && action === 'search' && extra.length === 0;
}

export function handleApiRequest(ctx: ApiContext, req: ApiRequest): ApiResponse {
  const [crm, version, resource, objectType, ...rest] = req.segments;
  if (crm !== 'crm' || version !== 'v3' || objectType === undefined) throw resourceNotFound();
  const def = ctx.schema.resolve(objectType);
  if (def === undefined) throw unknownObjectType(objectType);
  const reads = { store: ctx.store, portalId: ctx.schema.portalId, now: ctx.now };
  const writes = { schema: ctx.schema, store: ctx.store, now: ctx.now };

  if (resource === 'properties') {
    if (rest.length === 0 && req.method === 'POST') return createProperty(def, req.rawBody);
    if (req.method !== 'GET') throw methodNotAllowed(req.method);
    if (rest.length === 0) return listProperties(def);
    if (rest.length === 1 && rest[0] !== undefined) return getProperty(def, rest[0]);
    throw resourceNotFound();
  }
  if (resource !== 'objects') throw resourceNotFound();

  if (rest.length === 0) {
    if (req.method === 'GET') return listRecords(reads, def, req.query, ctx.basePath);
    if (req.method === 'POST') return createOne(writes, def, req.rawBody);
    throw methodNotAllowed(req.method);
  }
  const [first, second] = rest;
  if (first === 'batch' && second !== undefined && rest.length === 2) {
    if (req.method !== 'POST') throw methodNotAllowed(req.method);
    if (second === 'read') return batchRead(reads, def, req.rawBody, req.query);
    if (isBatchWrite(second)) return BATCH_WRITES[second](writes, def, req.rawBody);
    throw resourceNotFound();
  }
  if (rest.length === 1 && first === 'search' && req.method === 'POST') return searchRecords({ store: ctx.store }, def, req.rawBody);
  if (rest.length === 1 && first !== undefined) {
    if (req.method === 'GET') return getRecord(reads, def, first, req.query);
    if (req.method === 'PATCH') return updateOne(writes, def, first, req.query, req.rawBody);
    if (req.method === 'DELETE') return archiveOne(writes, def, first);
    throw methodNotAllowed(req.method);
  }
  throw resourceNotFound();
}
