/**
 * `POST /crm/v3/objects/{type}/search`: filter groups (OR of ANDed filters), one sort, a text
 * `query`, `properties`, and offset paging through `after`, with the limits HubSpot documents for
 * the CRM search endpoints (https://developers.hubspot.com/docs/api/crm/search):
 * - up to 200 records a page (default 10);
 * - at most 10,000 results per query: paging past them is a 400;
 * - at most five filterGroups, six filters in a group and 18 filters in all (400 VALIDATION_ERROR).
 */

import { z } from 'zod';

import { validationError } from './errors';
import type { PropertyDef } from './properties';
import { parseBody, renderRecord, type ApiResponse } from './render';
import type { ObjectTypeDef } from './schema';
import type { RecordStore } from './store';
import type { HubspotRecord } from './types';

export const SEARCH_DEFAULT_LIMIT = 10;
export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_MAX_RESULTS = 10_000;
export const MAX_FILTER_GROUPS = 5;
export const MAX_FILTERS_PER_GROUP = 6;
export const MAX_FILTERS = 18;

const OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;

// Values arrive as strings from the client, but raw JSON numbers and booleans are taken too.
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const filterSchema = z.object({
  propertyName: z.string(),
  operator: z.enum(OPERATORS),
  value: scalar.optional(),
  highValue: scalar.optional(),
  values: z.array(scalar).optional(),
});
type Filter = z.infer<typeof filterSchema>;

// The client types sorts as strings (a property name, ascending); the docs show objects.
const sortSchema = z.union([
  z.string().transform((propertyName) => ({ propertyName, direction: 'ASCENDING' as const })),
  z.object({ propertyName: z.string(), direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING') }),
]);

const searchBody = z.object({
  filterGroups: z.array(z.object({ filters: z.array(filterSchema) })).optional(),
  sorts: z.array(sortSchema).optional(),
  query: z.string().optional(),
  properties: z.array(z.string()).optional(),
  limit: z.number().int().optional(),
  after: z.union([z.string(), z.number()]).optional(),
});

/** Properties the free-text `query` looks in (HubSpot's default searchable properties). */
const QUERY_PROPERTIES: Record<ObjectTypeDef['kind'], string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'company'],
  companies: ['name', 'domain', 'website', 'phone'],
  custom: [],
};

export interface SearchContext {
  store: RecordStore;
}

function checkLimits(groups: Array<{ filters: Filter[] }>, limit: number): void {
  if (limit < 1 || limit > SEARCH_MAX_LIMIT) {
    throw validationError(`limit must be between 1 and ${SEARCH_MAX_LIMIT}, got ${limit}`);
  }
  if (groups.length > MAX_FILTER_GROUPS) {
    throw validationError(`Too many filter groups: ${groups.length}. The maximum is ${MAX_FILTER_GROUPS}.`);
  }
  const crowded = groups.find((g) => g.filters.length > MAX_FILTERS_PER_GROUP);
  if (crowded !== undefined) {
    throw validationError(`Too many filters in a filter group: ${crowded.filters.length}. The maximum is ${MAX_FILTERS_PER_GROUP}.`);
  }
  const total = groups.reduce((n, g) => n + g.filters.length, 0);
  if (total > MAX_FILTERS) throw validationError(`Too many filters: ${total}. The maximum is ${MAX_FILTERS}.`);
}

/** A stored value as something comparable for its property type (epoch ms, number, lower-case text). */
function comparable(def: PropertyDef | undefined, raw: string): number | string {
  if (def?.type === 'number') {
    const n = Number(raw);
    return Number.isNaN(n) ? raw.toLowerCase() : n;
  }
  if (def?.type === 'datetime' || def?.type === 'date') {
    // Filters give dates as epoch milliseconds or ISO strings; both compare as instants.
    const ms = /^-?\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    return Number.isNaN(ms) ? raw.toLowerCase() : ms;
  }
  return raw.toLowerCase();
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** CONTAINS_TOKEN: the whole value or one of its words equals the token; `*` is a wildcard. */
function tokenMatches(text: string, token: string): boolean {
  const parts = token.toLowerCase().split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`^${parts.join('.*')}$`);
  const value = text.toLowerCase();
  return pattern.test(value) || value.split(/[^\p{L}\p{N}]+/u).some((word) => pattern.test(word));
}

function matchesFilter(def: ObjectTypeDef, record: HubspotRecord, filter: Filter): boolean {
  const property = def.properties.get(filter.propertyName);
  const stored = filter.propertyName === 'hs_object_id' ? record.id : record.properties[filter.propertyName];
  const has = stored !== undefined && stored !== null && stored !== '';
  const value = has ? comparable(property, stored) : undefined;
  const operand = (text: string | undefined): number | string | undefined => (text === undefined ? undefined : comparable(property, text));
  const target = operand(filter.value);
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return value !== undefined && target !== undefined && compare(value, target) === 0;
    case 'NEQ':
      return value === undefined || target === undefined || compare(value, target) !== 0;
    case 'LT':
      return value !== undefined && target !== undefined && compare(value, target) < 0;
    case 'LTE':
      return value !== undefined && target !== undefined && compare(value, target) <= 0;
    case 'GT':
      return value !== undefined && target !== undefined && compare(value, target) > 0;
    case 'GTE':
      return value !== undefined && target !== undefined && compare(value, target) >= 0;
    case 'BETWEEN': {
      const high = operand(filter.highValue);
      return value !== undefined && target !== undefined && high !== undefined && compare(value, target) >= 0 && compare(value, high) <= 0;
    }
    case 'IN':
    case 'NOT_IN': {
      // Multi-select values are `;`-separated: any selected option counts.
      const options = !has ? [] : property?.fieldType === 'checkbox' ? stored.split(';') : [stored];
      const mine = options.map((v) => comparable(property, v));
      const listed = (filter.values ?? []).map((v) => comparable(property, v));
      const hit = mine.some((m) => listed.some((l) => compare(m, l) === 0));
      return filter.operator === 'IN' ? hit : !hit;
    }
    case 'CONTAINS_TOKEN':
      return has && filter.value !== undefined && tokenMatches(stored, filter.value);
    case 'NOT_CONTAINS_TOKEN':
      return !has || filter.value === undefined || !tokenMatches(stored, filter.value);
  }
}

function matchesQuery(def: ObjectTypeDef, record: HubspotRecord, query: string): boolean {
  const wanted = query.trim().toLowerCase();
  if (wanted === '') return true;
  return QUERY_PROPERTIES[def.kind].some((name) => (record.properties[name] ?? '').toLowerCase().includes(wanted));
}

function parseAfter(after: string | number | undefined): number {
  if (after === undefined || after === '') return 0;
  const offset = Number(after);
  if (!Number.isInteger(offset) || offset < 0) throw validationError(`after must be a paging cursor, got ${String(after)}`);
  return offset;
}

export function searchRecords(ctx: SearchContext, def: ObjectTypeDef, rawBody: string | undefined): ApiResponse {
  const body = parseBody(searchBody, rawBody);
  const groups = body.filterGroups ?? [];
  const limit = body.limit ?? SEARCH_DEFAULT_LIMIT;
  checkLimits(groups, limit);
  const offset = parseAfter(body.after);
  // The documented cap: no query pages past its 10,000th result.
  if (offset >= SEARCH_MAX_RESULTS) {
    throw validationError(`Cannot page past ${SEARCH_MAX_RESULTS} results. Narrow the search with filters to see the rest.`);
  }

  let matched = ctx.store.all(def).filter((record) => {
    if (body.query !== undefined && !matchesQuery(def, record, body.query)) return false;
    return groups.length === 0 || groups.some((g) => g.filters.every((f) => matchesFilter(def, record, f)));
  });
  const sort = body.sorts?.[0];
  if (sort !== undefined) {
    const property = def.properties.get(sort.propertyName);
    const key = (r: HubspotRecord): number | string | undefined => {
      const raw = sort.propertyName === 'hs_object_id' ? r.id : r.properties[sort.propertyName];
      return raw === undefined || raw === null || raw === '' ? undefined : comparable(property, raw);
    };
    const sign = sort.direction === 'DESCENDING' ? -1 : 1;
    // Records without the value go last either way; ties keep id order.
    matched = [...matched].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === undefined || kb === undefined) return ka === kb ? 0 : ka === undefined ? 1 : -1;
      return sign * compare(ka, kb);
    });
  }

  const reachable = Math.min(matched.length, SEARCH_MAX_RESULTS);
  const end = Math.min(offset + limit, reachable);
  const page = matched.slice(offset, end);
  const answer: Record<string, unknown> = {
    total: matched.length,
    results: page.map((record) => renderRecord(def, record, body.properties)),
  };
  if (end < reachable) answer['paging'] = { next: { after: String(end) } };
  return { status: 200, body: answer };
}
