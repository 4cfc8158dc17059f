/**
 * Reads: `batch/read` (missing ids reported in one OBJECT_NOT_FOUND entry of a 207), single-record
 * GET (by id or `idProperty`), the paged list, and the Properties API. Each reads live records, or
 * only archived ones with `archived=true`.
 */

import { z } from 'zod';

import { batchObjectsNotFound, nonUniqueIdProperty, objectNotFound, resourceNotFound, tooManyHistoryInputs, tooManyInputs, validationError } from './errors';
import { renderProperty } from './properties';
import { archivedParam, idValue, listParam, parseBody, renderRecord, type ApiResponse } from './render';
import type { ObjectTypeDef } from './schema';
import type { RecordStore } from './store';
import { MAX_BATCH_INPUTS } from './writes';

export interface ReadContext {
  store: RecordStore;
  portalId: number;
  now: () => Date;
}

const readBody = z.object({
  inputs: z.array(z.object({ id: idValue })),
  properties: z.array(z.string()).optional(),
  propertiesWithHistory: z.array(z.string()).optional(),
  idProperty: z.string().optional(),
});

/** Batch reads with `propertiesWithHistory` take fewer inputs than plain ones. */
const MAX_HISTORY_INPUTS = 50;
const DEFAULT_PAGE = 10;
const MAX_PAGE = 100;

function lookupProperty(ctx: ReadContext, def: ObjectTypeDef, idProperty: string | undefined): string {
  if (idProperty === undefined || idProperty === '' || idProperty === 'hs_object_id') return 'hs_object_id';
  if (!def.idProperties.has(idProperty)) throw nonUniqueIdProperty(def.objectTypeId, idProperty, ctx.portalId);
  return idProperty;
}

export function batchRead(ctx: ReadContext, def: ObjectTypeDef, rawBody: string | undefined, query: URLSearchParams): ApiResponse {
  const startedAt = ctx.now().toISOString();
  const body = parseBody(readBody, rawBody);
  if (body.inputs.length > MAX_BATCH_INPUTS) throw tooManyInputs(MAX_BATCH_INPUTS);
  const withHistory = body.propertiesWithHistory !== undefined && body.propertiesWithHistory.length > 0;
  if (withHistory && body.inputs.length > MAX_HISTORY_INPUTS) throw tooManyHistoryInputs(MAX_HISTORY_INPUTS);
  const by = lookupProperty(ctx, def, body.idProperty);
  const archived = archivedParam(query);
  const results: Array<Record<string, unknown>> = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const { id } of body.inputs) {
    const record = ctx.store.findBy(def, by, id, archived);
    if (record === undefined) {
      if (!missing.includes(id)) missing.push(id);
      continue;
    }
    // The same record asked for twice comes back once.
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    results.push(renderRecord(def, record, body.properties));
  }
  const answer: Record<string, unknown> = { status: 'COMPLETE', results };
  if (missing.length > 0) {
    answer['numErrors'] = 1;
    answer['errors'] = [batchObjectsNotFound(def.messageLabel, missing)];
  }
  answer['startedAt'] = startedAt;
  answer['completedAt'] = ctx.now().toISOString();
  return { status: missing.length > 0 ? 207 : 200, body: answer };
}

export function getRecord(ctx: ReadContext, def: ObjectTypeDef, id: string, query: URLSearchParams): ApiResponse {
  const by = lookupProperty(ctx, def, query.get('idProperty') ?? undefined);
  const record = ctx.store.findBy(def, by, id, archivedParam(query));
  if (record === undefined) throw objectNotFound(id);
  return { status: 200, body: renderRecord(def, record, listParam(query, 'properties')) };
}

/** `GET /crm/v3/objects/{type}`: pages in id order; `after` is the last id of the previous page. */
export function listRecords(ctx: ReadContext, def: ObjectTypeDef, query: URLSearchParams, basePath: string): ApiResponse {
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw validationError(`limit must be a positive integer, got ${limitText ?? ''}`);
  const pageSize = Math.min(limit, MAX_PAGE);
  const afterText = query.get('after');
  const after = afterText === null || afterText === '' ? 0 : Number(afterText);
  if (!Number.isFinite(after)) throw validationError(`after must be a paging cursor, got ${afterText ?? ''}`);
  const remaining = ctx.store.all(def, archivedParam(query)).filter((r) => Number(r.id) > after);
  const page = remaining.slice(0, pageSize);
  const properties = listParam(query, 'properties');
  const body: Record<string, unknown> = { results: page.map((r) => renderRecord(def, r, properties)) };
  const last = page[page.length - 1];
  if (remaining.length > pageSize && last !== undefined) {
    const next = new URLSearchParams(query);
    next.set('after', last.id);
    body['paging'] = { next: { after: last.id, link: `${basePath}/crm/v3/objects/${def.name}?${next.toString()}` } };
  }
  return { status: 200, body };
}

export function listProperties(def: ObjectTypeDef): ApiResponse {
  return { status: 200, body: { results: [...def.properties.values()].map(renderProperty) } };
}

export function getProperty(def: ObjectTypeDef, name: string): ApiResponse {
  const property = def.properties.get(name);
  if (property === undefined) throw resourceNotFound();
  return { status: 200, body: renderProperty(property) };
}
