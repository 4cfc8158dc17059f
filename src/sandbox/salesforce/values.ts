/**
 * Turns JSON values from a DML body into stored field values, producing the per-field
 * errors Salesforce reports (messages name the field label, `fields` the API name).
 */

import { recordError, type RecordError } from './errors';
import { normalizeId, keyPrefixOf } from './ids';
import type { FieldDef, OrgSchema } from './schema';
import type { FieldValue } from './store';

export type Coerced = { ok: true; value: FieldValue } | { ok: false; error: RecordError };

// Deliberately loose, like the platform's check: something@something.tld without spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Salesforce's wire format for datetimes, e.g. `2026-11-25T06:30:00.000+0000`. */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'START_ARRAY';
  if (typeof value === 'object' && value !== null) return 'START_OBJECT';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  if (typeof value === 'number') return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
  return 'VALUE_STRING';
}

function cannotDeserialize(field: FieldDef, raw: unknown): RecordError {
  const target = field.type === 'double' || field.type === 'currency' || field.type === 'percent' ? 'double' : field.type;
  return recordError(
    'JSON_PARSER_ERROR',
    `Cannot deserialize instance of ${target} from ${jsonKind(raw)} value ${JSON.stringify(raw)}`,
    [field.name],
  );
}

function notOfRequiredType(field: FieldDef, raw: unknown): RecordError {
  return recordError(
    'INVALID_TYPE_ON_FIELD_IN_RECORD',
    `${field.label}: value not of required type: ${typeof raw === 'string' ? raw : JSON.stringify(raw)}`,
    [field.name],
  );
}

function coerceText(field: FieldDef, raw: unknown): Coerced {
  if (typeof raw === 'object') return { ok: false, error: cannotDeserialize(field, raw) };
  const text = String(raw);
  // The platform stores empty text as null.
  if (text === '') return { ok: true, value: null };
  const max = field.length ?? 255;
  if (text.length > max) {
    return {
      ok: false,
      error: recordError('STRING_TOO_LONG', `${field.label}: data value too large: ${text} (max length=${max})`, [field.name]),
    };
  }
  if (field.type === 'email' && !EMAIL.test(text)) {
    return {
      ok: false,
      error: recordError('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${text}`, [field.name]),
    };
  }
  if (field.type === 'picklist' && field.restrictedPicklist === true) {
    const allowed = (field.picklistValues ?? []).some((p) => p.active && p.value === text);
    if (!allowed) {
      return {
        ok: false,
        error: recordError(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${text}`,
          [field.name],
        ),
      };
    }
  }
  return { ok: true, value: text };
}

function coerceNumber(field: FieldDef, raw: unknown): Coerced {
  let n: number;
  if (typeof raw === 'number') {
    n = raw;
  } else if (typeof raw === 'string') {
    // Numeric strings deserialize into number fields; anything else is a type error.
    if (raw.trim() === '') return { ok: true, value: null };
    n = Number(raw);
    if (!Number.isFinite(n)) return { ok: false, error: notOfRequiredType(field, raw) };
  } else {
    return { ok: false, error: typeof raw === 'boolean' ? notOfRequiredType(field, raw) : cannotDeserialize(field, raw) };
  }
  if (!Number.isFinite(n)) return { ok: false, error: notOfRequiredType(field, raw) };
  const scale = field.type === 'int' ? 0 : (field.scale ?? 0);
  const precision = field.precision ?? 18;
  // Stored values are rounded to the field's scale (half-up, as the platform does).
  const factor = 10 ** scale;
  const rounded = Math.sign(n) * Math.round(Math.abs(n) * factor) / factor;
  if (Math.abs(rounded) >= 10 ** (precision - scale)) {
    return {
      ok: false,
      error: recordError(
        'NUMBER_OUTSIDE_VALID_RANGE',
        `${field.label}: value outside of valid range on numeric field: ${String(raw)}`,
        [field.name],
      ),
    };
  }
  return { ok: true, value: Object.is(rounded, -0) ? 0 : rounded };
}

function coerceReference(field: FieldDef, raw: unknown, schema: OrgSchema): Coerced {
  if (typeof raw !== 'string') return { ok: false, error: cannotDeserialize(field, raw) };
  if (raw === '') return { ok: true, value: null };
  const id = normalizeId(raw);
  const targets = field.referenceTo ?? [];
  const target = id === null ? undefined : schema.sobjectByKeyPrefix(keyPrefixOf(id));
  if (id === null || target === undefined || !targets.includes(target.name)) {
    return {
      ok: false,
      error: recordError('MALFORMED_ID', `${field.label}: id value of incorrect type: ${raw}`, [field.name]),
    };
  }
  return { ok: true, value: id };
}

/** Validates and converts one incoming value for `field`. */
export function coerceFieldValue(field: FieldDef, raw: unknown, schema: OrgSchema): Coerced {
  if (raw === null || raw === undefined) return { ok: true, value: null };
  switch (field.type) {
    case 'string':
    case 'textarea':
    case 'email':
    case 'url':
    case 'phone':
    case 'picklist':
      return coerceText(field, raw);
    case 'double':
    case 'currency':
    case 'percent':
    case 'int':
      return coerceNumber(field, raw);
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return { ok: false, error: notOfRequiredType(field, raw) };
    case 'date':
      if (typeof raw === 'string' && DATE.test(raw) && !Number.isNaN(Date.parse(raw))) return { ok: true, value: raw };
      return { ok: false, error: notOfRequiredType(field, raw) };
    case 'datetime':
      if (typeof raw === 'string' && DATETIME.test(raw) && !Number.isNaN(Date.parse(raw))) {
        return { ok: true, value: formatDateTime(new Date(raw)) };
      }
      return { ok: false, error: notOfRequiredType(field, raw) };
    case 'id':
    case 'reference':
      return coerceReference(field, raw, schema);
  }
}
