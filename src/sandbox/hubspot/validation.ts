/**
 * Property value validation, as HubSpot's CRM object APIs do it: every value is checked against the
 * property's definition and normalised to the string HubSpot stores. Failures carry the `error`
 * codes HubSpot reports inside "Property values were not valid: [...]" (PROPERTY_DOESNT_EXIST,
 * READ_ONLY_VALUE, INVALID_OPTION, INVALID_EMAIL, INVALID_INTEGER, ...). VALUE_TOO_LONG, for a text
 * value over HubSpot's documented 65,536 characters, is the sandbox's own name: HubSpot does not
 * document the code it answers then.
 */

import type { ErrorDetail } from './errors';
import type { PropertyDef } from './properties';

export interface PropertyError {
  name: string;
  error: string;
  message: string;
  /** The offending value, when the value (not the property) is the problem. */
  propertyValue?: string;
}

export type ValueResult = { ok: true; value: string } | { ok: false; error: PropertyError };

// Plain decimal notation only: HubSpot rejects exponents ("1.4e-14 was not a valid number.").
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)$/;
// The shape HubSpot accepts: local part, '@', a dotted domain with a 2+ letter TLD.
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)*\.[A-Za-z]{2,}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/**
 * Longest text value HubSpot stores through its CRM APIs ("When the value is added through the CRM,
 * the character limit is 65,536 characters": knowledge.hubspot.com, Property field types in HubSpot).
 * Counted in UTF-16 code units, as Java's String.length() counts.
 */
export const MAX_TEXT_LENGTH = 65_536;

/**
 * Whitespace, and the invisible characters HubSpot counts with it (no-break and zero-width spaces, a
 * byte order mark), at either end of a value. Since April 2025 HubSpot refuses such a value on every
 * property that is not a string ("Breaking Change: Enhanced Validations for Non-String Properties in
 * HubSpot's CRMObject APIs", developers.hubspot.com changelog): each part of a multi-select too.
 */
const EDGE_WHITESPACE = /^[\s\u200b-\u200d\u2060\ufeff]|[\s\u200b-\u200d\u2060\ufeff]$/;

/** HubSpot's rendering of an option list in INVALID_OPTION messages (protobuf text format). */
function optionList(def: PropertyDef): string {
  const parts = def.options.map(
    (o) =>
      `label: ${JSON.stringify(o.label)}\nvalue: ${JSON.stringify(o.value)}\ndisplay_order: ${o.displayOrder}\nhidden: ${o.hidden}\nread_only: false\n`,
  );
  return `[${parts.join(', ')}]`;
}

function invalid(def: PropertyDef, error: string, message: string, value: string): ValueResult {
  return { ok: false, error: { name: def.name, error, message, propertyValue: value } };
}

/** The raw JSON value as the string HubSpot would read; null clears the value like "". */
function asText(raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return JSON.stringify(raw);
}

function epochMillis(text: string): number | undefined {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (ISO_DATETIME.test(text) || ISO_DATE.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Validates one value of a writable property; returns the stored form. */
export function validateValue(def: PropertyDef, raw: unknown): ValueResult {
  const text = asText(raw);
  // An empty string clears the property, whatever its type.
  if (text === '') return { ok: true, value: '' };
  const parts = def.fieldType === 'checkbox' ? text.split(';') : [text];
  if (def.type !== 'string' && parts.some((part) => EDGE_WHITESPACE.test(part))) {
    // The changelog's example: no propertyValue beside the message, which quotes the value.
    return { ok: false, error: { name: def.name, error: 'LEADING_TRAILING_WHITESPACE', message: `"${text}" includes leading or trailing whitespace.` } };
  }
  switch (def.type) {
    case 'number': {
      if (!NUMBER.test(text)) return invalid(def, 'INVALID_INTEGER', `${text} was not a valid number.`, text);
      return { ok: true, value: text };
    }
    case 'enumeration': {
      const allowed = new Set(def.options.map((o) => o.value));
      // Multi-select (checkbox) values are `;`-separated.
      const picked = def.fieldType === 'checkbox' ? text.split(';') : [text];
      const bad = picked.find((v) => !allowed.has(v));
      if (bad !== undefined) {
        return invalid(def, 'INVALID_OPTION', `${bad} was not one of the allowed options: ${optionList(def)}`, text);
      }
      return { ok: true, value: text };
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (lower !== 'true' && lower !== 'false') return invalid(def, 'INVALID_BOOLEAN', `${text} was not a valid boolean.`, text);
      return { ok: true, value: lower };
    }
    case 'datetime': {
      const ms = epochMillis(text);
      if (ms === undefined) return invalid(def, 'INVALID_LONG', `${text} was not a valid long.`, text);
      return { ok: true, value: new Date(ms).toISOString() };
    }
    case 'date': {
      const ms = epochMillis(text);
      if (ms === undefined) return invalid(def, 'INVALID_LONG', `${text} was not a valid long.`, text);
      if (ms % 86_400_000 !== 0) {
        return invalid(def, 'INVALID_DATE', `${text} is not a valid date: date values must be midnight UTC.`, text);
      }
      return { ok: true, value: new Date(ms).toISOString().slice(0, 10) };
    }
    case 'string': {
      if (text.length > MAX_TEXT_LENGTH) {
        // The value is not echoed back: the message would carry it whole.
        const message = `Property "${def.name}" value is ${text.length} characters long; the limit is ${MAX_TEXT_LENGTH} characters.`;
        return { ok: false, error: { name: def.name, error: 'VALUE_TOO_LONG', message } };
      }
      if (def.name === 'email') {
        if (!EMAIL.test(text)) return invalid(def, 'INVALID_EMAIL', `Email address ${text} is invalid`, text);
        // HubSpot stores (and matches) email addresses in lower case.
        return { ok: true, value: text.toLowerCase() };
      }
      return { ok: true, value: text };
    }
  }
}

export interface PropertiesResult {
  values: Record<string, string>;
  errors: PropertyError[];
}

/** Validates a whole `properties` object against an object type's definitions. */
export function validateProperties(defs: ReadonlyMap<string, PropertyDef>, input: Record<string, unknown>): PropertiesResult {
  const values: Record<string, string> = {};
  const errors: PropertyError[] = [];
  for (const [name, raw] of Object.entries(input)) {
    const def = defs.get(name);
    if (def === undefined) {
      errors.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (def.calculated) {
      errors.push({ name, error: 'READ_ONLY_VALUE', message: `"${name}" is a calculated property; its value cannot be set.` });
      continue;
    }
    if (def.readOnlyValue) {
      errors.push({ name, error: 'READ_ONLY_VALUE', message: `"${name}" is a read only property; its value cannot be set.` });
      continue;
    }
    const result = validateValue(def, raw);
    if (result.ok) values[name] = result.value;
    else errors.push(result.error);
  }
  return { values, errors };
}

/** "Property values were not valid: [...]" — the JSON list HubSpot embeds in the message. */
export function propertyErrorsMessage(errors: PropertyError[], portalId: number): string {
  const items = errors.map((e) => ({
    isValid: false,
    message: e.message,
    error: e.error,
    name: e.name,
    localizedErrorMessage: e.message,
    ...(e.propertyValue !== undefined ? { propertyValue: e.propertyValue } : {}),
    portalId,
  }));
  return `Property values were not valid: ${JSON.stringify(items)}`;
}

/** The structured `errors[]` next to that message. */
export function propertyErrorDetails(errors: PropertyError[]): ErrorDetail[] {
  return errors.map((e) => ({ message: e.message, code: e.error, context: { propertyName: [e.name] } }));
}
