import type { Connection } from 'jsforce';
import { startsWithDate, utcMillisOf, writtenCalendarFault } from '../diff/calendar';
import { normalizeDecimal } from '../sources/normalize';
import type { Value } from '../sources/source';
import type { RecordError } from './destination';

/** What backflow needs to know about one field of an sObject (from its describe). */
export interface SalesforceField {
  name: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  externalId: boolean;
  /** Set on a field made "Unique, case sensitive": upserts and SOQL then match its text in its exact case. */
  caseSensitive: boolean;
  filterable: boolean;
  calculated: boolean;
  length: number;
  /** Active picklist values; only enforced when the picklist is restricted. */
  picklistValues: string[];
  restrictedPicklist: boolean;
  /** A lookup's relationship (`Account` for AccountId) and the objects it may point at; null / [] otherwise. */
  relationshipName: string | null;
  referenceTo: string[];
}

export type FieldMap = ReadonlyMap<string, SalesforceField>;

interface CachedDescribe {
  fields: FieldMap;
  /** The first 3 characters of every Id of the object's records (`001` for Account). */
  keyPrefix: string | null;
  at: number;
}

/**
 * Describes fetched in this worker, per org + API version + object. Every batch opens its own
 * destination, and a describe per batch would double the API calls of a small sync.
 */
const describes = new Map<string, CachedDescribe>();
const DESCRIBE_TTL_MS = 10 * 60_000;

interface RawField {
  name: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  externalId: boolean;
  caseSensitive?: boolean;
  filterable?: boolean;
  calculated?: boolean;
  length?: number;
  restrictedPicklist?: boolean;
  picklistValues?: Array<{ value: string; active: boolean }> | null;
  relationshipName?: string | null;
  referenceTo?: string[] | null;
}

/** The object's fields by lower-cased API name (Salesforce field names are case-insensitive). */
export async function describeFields(connection: Connection, object: string, version: string, now = Date.now()): Promise<FieldMap> {
  return (await describeObject(connection, object, version, now)).fields;
}

/** The object's Id prefix (`001` for Account), from the same cached describe; null when it has none. */
export async function describeKeyPrefix(connection: Connection, object: string, version: string, now = Date.now()): Promise<string | null> {
  return (await describeObject(connection, object, version, now)).keyPrefix;
}

async function describeObject(connection: Connection, object: string, version: string, now: number): Promise<CachedDescribe> {
  const key = `${connection.instanceUrl}|${version}|${object.toLowerCase()}`;
  const cached = describes.get(key);
  if (cached !== undefined && now - cached.at < DESCRIBE_TTL_MS) return cached;
  const description = await connection.sobject(object).describe();
  const fields = new Map<string, SalesforceField>();
  for (const raw of description.fields as unknown as RawField[]) {
    fields.set(raw.name.toLowerCase(), {
      name: raw.name,
      type: raw.type,
      createable: raw.createable,
      updateable: raw.updateable,
      externalId: raw.externalId,
      caseSensitive: raw.caseSensitive ?? false,
      filterable: raw.filterable ?? true,
      calculated: raw.calculated ?? false,
      length: raw.length ?? 0,
      restrictedPicklist: raw.restrictedPicklist ?? false,
      picklistValues: (raw.picklistValues ?? []).filter((v) => v.active).map((v) => v.value),
      relationshipName: raw.relationshipName ?? null,
      referenceTo: raw.referenceTo ?? [],
    });
  }
  const keyPrefix = typeof description.keyPrefix === 'string' && description.keyPrefix !== '' ? description.keyPrefix : null;
  const described = { fields, keyPrefix, at: now };
  describes.set(key, described);
  return described;
}

const NUMBER_TYPES = new Set(['double', 'currency', 'percent', 'int', 'long']);
/** Whether SOQL compares the field's values as numbers (unquoted literals). */
export function isNumberType(type: string): boolean {
  return NUMBER_TYPES.has(type);
}
const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'id', 'reference', 'combobox', 'encryptedstring']);
/** Types whose SOQL literals are quoted text: the only ones a key can be matched on as written (matchOn). */
export const QUOTED_SOQL_TYPES = new Set([...TEXT_TYPES, 'picklist']);
/** Types backflow can write; anything else (address, location, base64, …) is reported by check(). */
export const WRITABLE_TYPES = new Set([...NUMBER_TYPES, ...TEXT_TYPES, 'boolean', 'date', 'datetime', 'time', 'picklist', 'multipicklist']);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

type Coerced = { ok: true; value: Value } | { ok: false; reason: string };

function show(value: Value): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** Past any double's exponent (about 1e±308, 5e-324 at the least): such text is never sent exactly. */
const MAX_EXPONENT = 400;

/** A number written in decimal (an exponent allowed). Number() also reads `0x10`, `0b101` and `0o17`: 16, 5 and 15 reported synced. */
const NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

function coerceNumber(field: SalesforceField, value: Value): Coerced {
  let n: number;
  let written: RegExpExecArray | null;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && (written = NUMBER_TEXT.exec(value)) !== null && Number.isFinite(Number(value))) {
    n = Number(value);
    // Sources keep integers past 2^53 and long decimals exact, as text; as a JSON number they would
    // reach Salesforce rounded (9007199254740993 → …992), and be reported synced.
    // Compared digit for digit with the double, both written out in full (either may use an exponent;
    // one past a double's range, 1e-999999999, would be written out as a billion digits).
    if (Math.abs(Number(written[2]?.slice(1) ?? 0)) > MAX_EXPONENT || normalizeDecimal(String(n)) !== normalizeDecimal(value)) {
      return { ok: false, reason: `${show(value)} cannot be sent exactly (a number over 15-16 significant digits would be rounded to ${String(n)})` };
    }
  } else return { ok: false, reason: `${show(value)} is not a number` };
  if (!Number.isFinite(n)) return { ok: false, reason: `${show(value)} is not a finite number` };
  if ((field.type === 'int' || field.type === 'long') && !Number.isInteger(n)) return { ok: false, reason: `${show(value)} is not a whole number` };
  return { ok: true, value: n };
}

function coerceBoolean(value: Value): Coerced {
  if (typeof value === 'boolean') return { ok: true, value };
  const text = typeof value === 'string' ? value.trim().toLowerCase() : typeof value === 'number' ? String(value) : null;
  if (text === 'true' || text === '1') return { ok: true, value: true };
  if (text === 'false' || text === '0') return { ok: true, value: false };
  return { ok: false, reason: `${show(value)} is not a boolean` };
}

function coerceDate(value: Value): Coerced {
  if (typeof value === 'string' && startsWithDate(value)) {
    // Date.parse rolls 2026-02-30 over into March; a day that does not exist is refused, not moved.
    const fault = writtenCalendarFault(value);
    if (fault !== undefined) return { ok: false, reason: `${show(value)} is not a real date: ${fault}` };
    if (DATE.test(value) && !Number.isNaN(Date.parse(value))) return { ok: true, value };
    // A timestamp sent to a date field keeps its calendar day as written.
    if (!Number.isNaN(Date.parse(value))) return { ok: true, value: value.slice(0, 10) };
  }
  return { ok: false, reason: `${show(value)} is not a date (YYYY-MM-DD)` };
}

function coerceDateTime(value: Value): Coerced {
  if (typeof value === 'string' && startsWithDate(value)) {
    const fault = writtenCalendarFault(value);
    if (fault !== undefined) return { ok: false, reason: `${show(value)} is not a real date-time: ${fault}` };
    // Without a zone (a warehouse DATETIME) it is UTC, whatever the worker's own time zone.
    const ms = utcMillisOf(value);
    if (ms !== undefined) return { ok: true, value: new Date(ms).toISOString() };
  }
  return { ok: false, reason: `${show(value)} is not a date-time (ISO 8601)` };
}

function coercePicklist(field: SalesforceField, value: Value): Coerced {
  const multi = field.type === 'multipicklist';
  const values = multi && Array.isArray(value) ? value : [value];
  const texts: string[] = [];
  for (const item of values) {
    if (typeof item === 'object' && item !== null) return { ok: false, reason: `${show(value)} is not a picklist value` };
    // A multi-select's values travel as one text joined by `;` (`Red;Blue`), as a warehouse often
    // holds them too: each is a value of its own, checked on its own.
    for (const text of multi ? String(item).split(';') : [String(item)]) {
      // Unrestricted picklists take any value, as Salesforce does; restricted ones only their own.
      if (field.restrictedPicklist && !field.picklistValues.includes(text)) {
        return { ok: false, reason: `${show(text)} is not a value of the restricted picklist (${field.picklistValues.join(', ')})` };
      }
      texts.push(text);
    }
  }
  return { ok: true, value: texts.join(';') };
}

/** One value converted to what the field takes, or why it can't be. */
const TIME_OF_DAY = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?Z?$/;

/**
 * A time field takes `HH:mm:ss.SSSZ` (Salesforce: not localized, no time zone); the sources give TIME
 * as `HH:MM:SS.ffffff`. Refused: what is not a time of day (`24:00:00`, which a TIME can hold) and
 * digits past the millisecond, which Salesforce would drop.
 */
function coerceTime(value: Value): Coerced {
  const match = typeof value === 'string' ? TIME_OF_DAY.exec(value.trim()) : null;
  if (!match) return { ok: false, reason: `${show(value)} is not a time of day (HH:mm:ss)` };
  const [, hours = '', minutes = '', seconds = '00', fraction = ''] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return { ok: false, reason: `${show(value)} is not a time of day Salesforce takes (00:00:00 to 23:59:59.999)` };
  if (/[1-9]/.test(fraction.slice(3))) return { ok: false, reason: `${show(value)} cannot be sent exactly (a time field keeps milliseconds)` };
  return { ok: true, value: `${hours}:${minutes}:${seconds}.${fraction.slice(0, 3).padEnd(3, '0')}Z` };
}

export function coerceValue(field: SalesforceField, value: Value): Coerced {
  if (value === null) return { ok: true, value: null };
  if (NUMBER_TYPES.has(field.type)) return coerceNumber(field, value);
  if (field.type === 'boolean') return coerceBoolean(value);
  if (field.type === 'date') return coerceDate(value);
  if (field.type === 'datetime') return coerceDateTime(value);
  if (field.type === 'time') return coerceTime(value);
  if (field.type === 'picklist' || field.type === 'multipicklist') return coercePicklist(field, value);
  if (TEXT_TYPES.has(field.type)) {
    if (typeof value === 'object') return { ok: false, reason: `${show(value)} is a list or object, not text` };
    return { ok: true, value: String(value) };
  }
  return { ok: true, value };
}

/**
 * A record's payload with every value coerced per its field's type; the first value that can't be
 * rejects the record (INVALID_FIELD_VALUE, naming the field). Unknown fields pass through: Salesforce
 * rejects them per record, and check() reports them up front.
 */
export function coerceRecord(
  fields: FieldMap,
  payload: Record<string, Value>,
): { ok: true; fields: Record<string, Value> } | { ok: false; error: RecordError } {
  const out: Record<string, Value> = {};
  for (const [name, value] of Object.entries(payload)) {
    const field = fields.get(name.toLowerCase());
    if (field === undefined) {
      out[name] = value;
      continue;
    }
    const coerced = coerceValue(field, value);
    if (!coerced.ok) {
      return { ok: false, error: { code: 'INVALID_FIELD_VALUE', message: `${field.name}: ${coerced.reason}`, fields: [field.name] } };
    }
    out[field.name] = coerced.value;
  }
  return { ok: true, fields: out };
}
