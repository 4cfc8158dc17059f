import { z } from 'zod';
import { startsWithDate, utcMillisOf } from '../diff/calendar';
import { normalizeDecimal } from '../sources/normalize';
import type { Value } from '../sources/source';
import type { DestinationRecord, RecordError, RecordResult } from './destination';

/**
 * Pure pieces of the HubSpot destination: property values as HubSpot takes them, the idProperty
 * value HubSpot matches on, duplicates inside one batch, and per-record answers mapped back to
 * warehouse keys (HubSpot answers batches unordered, so never by position).
 */

/**
 * HubSpot stores every property value as a string; null clears the property. Numbers go in plain
 * decimal notation: HubSpot refuses an exponent ("1.4210854715202004e-14 was not a valid number."),
 * which String() writes below 1e-6 and from 1e21 on. A list of plain values (a warehouse LIST or
 * array) goes as HubSpot writes a multiple checkbox's options, `;`-separated; anything else
 * structured as JSON.
 */
export function toHubspotValue(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return /e/i.test(String(value)) ? normalizeDecimal(String(value)) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => item !== null && typeof item !== 'object')) return value.map(toHubspotValue).join(';');
  return JSON.stringify(value);
}

/** Property types whose values backflow writes in HubSpot's own form (see withDateForms). */
export type DatePropertyType = 'date' | 'datetime';

/** Whether a value is text starting with a date: what withDateForms may rewrite. */
export function looksLikeDate(value: Value): boolean {
  return typeof value === 'string' && startsWithDate(value);
}

/**
 * Date values as HubSpot documents them, for the properties of those types: a `datetime` takes ISO
 * 8601 in UTC with milliseconds (warehouse timestamps carry microseconds; a DATETIME without a zone is
 * UTC), a `date` takes YYYY-MM-DD (a timestamp keeps its calendar day as written, as HubSpot stores a
 * date as that day's midnight UTC). Text that names no real time is sent as it is, for HubSpot to
 * answer per record; other properties are untouched.
 */
export function withDateForms(fields: Record<string, Value>, types: ReadonlyMap<string, DatePropertyType>): Record<string, Value> {
  const out: Record<string, Value> = { ...fields };
  for (const [name, value] of Object.entries(fields)) {
    const type = types.get(name);
    if (type === undefined || typeof value !== 'string') continue;
    const ms = utcMillisOf(value);
    if (ms === undefined) continue;
    out[name] = type === 'datetime' ? new Date(ms).toISOString() : value.slice(0, 10);
  }
  return out;
}

export function toHubspotProperties(fields: Record<string, Value>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, toHubspotValue(value)]));
}

/** The form HubSpot matches an idProperty value in: it stores and matches emails in lower case. */
export function matchKey(idProperty: string, value: string): string {
  return idProperty === 'email' ? value.trim().toLowerCase() : value;
}

export const DUPLICATE_ID_PROPERTY = 'DUPLICATE_ID_PROPERTY';

/**
 * Splits a batch so no two records name the same HubSpot record (HubSpot refuses the whole batch
 * otherwise): the first keeps its place, every later one is rejected as DUPLICATE_ID_PROPERTY and
 * stays uncommitted, so the next run sends it on its own.
 */
export function splitDuplicates(
  idProperty: string,
  records: readonly DestinationRecord[],
): { sendable: DestinationRecord[]; duplicates: RecordResult[] } {
  const firstByMatch = new Map<string, string>();
  const sendable: DestinationRecord[] = [];
  const duplicates: RecordResult[] = [];
  for (const record of records) {
    const match = matchKey(idProperty, record.key);
    const first = firstByMatch.get(match);
    if (first === undefined) {
      firstByMatch.set(match, record.key);
      sendable.push(record);
      continue;
    }
    duplicates.push({
      key: record.key,
      status: 'rejected',
      error: {
        code: DUPLICATE_ID_PROPERTY,
        message: `${idProperty} ${JSON.stringify(record.key)} names the same HubSpot record as key ${JSON.stringify(first)} in this batch (HubSpot refuses a batch naming one record twice); it is sent again next run`,
        fields: [idProperty],
      },
    });
  }
  return { sendable, duplicates };
}

/** One written record as the client deserialises it (only what we read). */
export interface WrittenObject {
  id: string;
  properties?: Record<string, string | null> | undefined;
  objectWriteTraceId?: string | undefined;
  /** batch upsert: created rather than updated (the client renames `new` to `_new`). */
  _new?: boolean | undefined;
}

/** One entry of a 207's `errors` as the client deserialises it. */
export interface BatchErrorEntry {
  category: string;
  message: string;
  context?: Record<string, string[]> | undefined;
  errors?: Array<{ message: string; code?: string | undefined; context?: Record<string, string[]> | undefined }> | undefined;
}

const INVALID_PROPERTIES_PREFIX = 'Property values were not valid: ';

/** The list HubSpot writes into an invalid-properties message (only what we read). */
const invalidPropertiesList = z.array(z.object({ message: z.string(), error: z.string().optional(), name: z.string().optional() }));

/**
 * The details of a "Property values were not valid: [...]" message, for an entry without `errors`:
 * HubSpot has answered so, the code and property only inside the message's JSON list.
 */
function detailsInMessage(message: string): NonNullable<BatchErrorEntry['errors']> {
  if (!message.startsWith(INVALID_PROPERTIES_PREFIX)) return [];
  let list: unknown;
  try {
    list = JSON.parse(message.slice(INVALID_PROPERTIES_PREFIX.length));
  } catch {
    return [];
  }
  const parsed = invalidPropertiesList.safeParse(list);
  if (!parsed.success) return [];
  return parsed.data.map((item) => ({
    message: item.message,
    ...(item.error !== undefined ? { code: item.error } : {}),
    ...(item.name !== undefined ? { context: { propertyName: [item.name] } } : {}),
  }));
}

/** A per-record error in HubSpot's terms: the detail code (else the category), category + messages, the properties named. */
export function recordErrorOf(entry: BatchErrorEntry): RecordError {
  const details = entry.errors !== undefined && entry.errors.length > 0 ? entry.errors : detailsInMessage(entry.message);
  const code = details.find((d) => d.code !== undefined)?.code ?? entry.category;
  const messages = details.length > 0 ? details.map((d) => d.message) : [entry.message];
  const fields = [...new Set(details.flatMap((d) => d.context?.['propertyName'] ?? []))];
  return { code, message: `${entry.category}: ${messages.join('; ')}`, fields };
}

/**
 * Maps a batch write's answer back to the records sent: by objectWriteTraceId (the warehouse key),
 * else by the idProperty value in the returned properties. A record with neither a result nor an
 * error (HubSpot said nothing about it) is rejected so the next run sends it again.
 */
export function mapWriteAnswer(options: {
  idProperty: string;
  sent: readonly DestinationRecord[];
  results: readonly WrittenObject[];
  errors: readonly BatchErrorEntry[];
  created: (result: WrittenObject) => boolean;
}): Map<string, RecordResult> {
  const { idProperty, sent, results, errors, created } = options;
  const byMatch = new Map(sent.map((record) => [matchKey(idProperty, record.key), record.key]));
  const keys = new Set(sent.map((record) => record.key));
  const answers = new Map<string, RecordResult>();
  const keyOf = (trace: string | undefined, properties?: Record<string, string | null>): string | undefined => {
    if (trace !== undefined && keys.has(trace)) return trace;
    const value = properties?.[idProperty];
    return typeof value === 'string' ? byMatch.get(matchKey(idProperty, value)) : undefined;
  };
  for (const result of results) {
    const key = keyOf(result.objectWriteTraceId, result.properties ?? undefined);
    if (key !== undefined) answers.set(key, { key, status: 'ok', destinationId: result.id, created: created(result) });
  }
  // Errors naming no record of the batch: what HubSpot said is all a record it left unanswered can show.
  const unnamed: string[] = [];
  for (const entry of errors) {
    const error = recordErrorOf(entry);
    const named = (entry.context?.['objectWriteTraceId'] ?? []).flatMap((trace) => keyOf(trace) ?? []);
    for (const key of named) answers.set(key, { key, status: 'rejected', error });
    if (named.length === 0) unnamed.push(error.message);
  }
  const said = unnamed.length === 0 ? '' : ` (its errors naming no record: ${unnamed.join(' | ')})`;
  for (const record of sent) {
    if (!answers.has(record.key)) {
      answers.set(record.key, {
        key: record.key,
        status: 'rejected',
        error: { code: 'NO_RESULT', message: `HubSpot answered the batch without a result or error for this record${said}; it is sent again next run`, fields: [] },
      });
    }
  }
  return answers;
}
