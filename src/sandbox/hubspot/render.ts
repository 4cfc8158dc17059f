/** How records appear in API answers (SimplePublicObject and friends) and the shared request helpers. */

import { z } from 'zod';

import { invalidJson, validationError } from './errors';
import type { ObjectTypeDef } from './schema';
import type { HubspotRecord } from './types';

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** The request changed the store (for the apply-then-fail fault and write listeners). */
  wrote?: boolean;
}

/** A record projected on `names` (unset ones as null), plus the properties HubSpot always returns. */
export function renderRecord(def: ObjectTypeDef, record: HubspotRecord, names: readonly string[] | undefined): Record<string, unknown> {
  const wanted = new Set(names === undefined || names.length === 0 ? def.defaultReturned : names);
  wanted.add('hs_object_id');
  wanted.add(def.createdProperty);
  wanted.add(def.modifiedProperty);
  const properties: Record<string, string | null> = {};
  for (const name of [...wanted].sort()) {
    // Unknown names are silently skipped on reads, as HubSpot does.
    if (!def.properties.has(name)) continue;
    properties[name] = record.properties[name] ?? null;
  }
  return {
    id: record.id,
    properties,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: record.archived,
    ...(record.archivedAt !== undefined ? { archivedAt: record.archivedAt } : {}),
  };
}

/** `archived=true` asks for archived records only; otherwise reads see live ones only. */
export function archivedParam(query: URLSearchParams): boolean {
  return query.get('archived') === 'true';
}

/** A written record: the properties the input set, plus the always-returned ones. */
export function renderWritten(def: ObjectTypeDef, record: HubspotRecord, written: readonly string[]): Record<string, unknown> {
  return renderRecord(def, record, [...def.defaultReturned, ...written]);
}

/** Parses a JSON body; a syntax error is HubSpot's "Invalid input JSON" 400. */
export function parseJson(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') throw validationError('Invalid input JSON: the request body is empty');
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw invalidJson(raw, err instanceof Error ? err.message : String(err));
  }
}

/** Validates a parsed body against its zod schema; a mismatch is a 400 VALIDATION_ERROR. */
export function parseBody<T>(schema: z.ZodType<T>, raw: string | undefined): T {
  const parsed = schema.safeParse(parseJson(raw));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  throw validationError(`Invalid input JSON: ${where}${issue?.message ?? 'unexpected body'}`);
}

/** Record ids and id-property values arrive as strings, but numbers are accepted too. */
export const idValue = z.union([z.string(), z.number()]).transform((v) => String(v));

/** Comma-separated list query parameter (`properties=a,b`), repeated or not. */
export function listParam(query: URLSearchParams, name: string): string[] | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
