import { createHash } from 'node:crypto';
import type { Value } from '../sources/source';
import type { RecordError } from './destination';
import { usStateCode } from './metaUsStates';

/**
 * Meta's customer-file keys and how each is normalised before SHA-256 (Marketing API, "Hashing and
 * Normalizing Data"): EMAIL trimmed + lowercased; PHONE digits only, no leading zeros, with the
 * country code; FN/LN lowercase letters only (no punctuation, spaces or digits; other alphabets
 * kept, UTF-8); FI the first letter; CT lowercase letters only; ST lowercase, no punctuation or
 * spaces (US: the 2-letter code, also from a state's full name); ZIP lowercase without spaces (US:
 * the first 5 digits, leading zeros restored in a row whose COUNTRY is us); COUNTRY the
 * lowercase ISO 3166-1 alpha-2 code; GEN m/f; DOBY YYYY, DOBM MM, DOBD DD (each also taken from a
 * whole date, as a DATE column gives it). EXTERN_ID and MADID are sent as they are (MADID
 * lowercased), unhashed, as Meta specifies; so is a value already hashed (isPreHashed).
 */
export const META_KEYS = ['EXTERN_ID', 'EMAIL', 'PHONE', 'GEN', 'DOBY', 'DOBM', 'DOBD', 'LN', 'FN', 'FI', 'CT', 'ST', 'ZIP', 'MADID', 'COUNTRY'] as const;
export type MetaKey = (typeof META_KEYS)[number];

const UNHASHED: ReadonlySet<MetaKey> = new Set(['EXTERN_ID', 'MADID']);

/**
 * Meta's main identifiers ("How to format a customer list": email, phone, mobile advertiser id, first
 * and last name): a member needs one. The additional ones (city, state, zip, country, birth date,
 * gender) only narrow a match, and EXTERN_ID is the advertiser's own id: alone they identify nobody.
 */
export const MAIN_KEYS: readonly MetaKey[] = ['EMAIL', 'PHONE', 'MADID', 'FN', 'LN', 'FI'];

/** Whether a hashed row holds a main identifier (MAIN_KEYS): without one it is no member. */
export function hasMainIdentifier(row: HashedRow): boolean {
  return MAIN_KEYS.some((key) => row[key] !== undefined);
}

export function isMetaKey(name: string): name is MetaKey {
  return (META_KEYS as readonly string[]).includes(name);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function text(value: Value | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** Letters of any alphabet, lowercased; everything else (punctuation, spaces, digits) dropped. */
function lettersOnly(value: string): string {
  return value.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{M}]/gu, '');
}

function twoDigits(value: string, max: number): string {
  const digits = value.replace(/\D/g, '');
  const n = Number(digits);
  return digits === '' || n < 1 || n > max ? '' : String(n).padStart(2, '0');
}

const US_ZIP = /^(\d{5})(?:-?\d{4})?$/;
/** A whole date (a DATE column's `1990-05-17`, or a date-time): DOBY, DOBM and DOBD each take their part. */
const WHOLE_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;

/**
 * The latest birth year Meta takes: DOBY is "the YYYY format from 1900 to current year" (Hashing and
 * Normalizing Data). A later one is a typo or a placeholder date (2099-12-31), which would only narrow
 * the person's match to nobody. The year is UTC's: a row refused in the hours a new year starts
 * somewhere first is reported, and sent with the next run.
 */
function latestBirthYear(): number {
  return new Date().getUTCFullYear();
}

/** The normalised form of one value ('' when nothing usable is left), before hashing. */
export function normalize(key: MetaKey, value: Value | undefined): string {
  const raw = text(value).trim();
  if (raw === '') return '';
  switch (key) {
    case 'EMAIL':
      return raw.toLowerCase();
    case 'PHONE':
      return raw.replace(/\D/g, '').replace(/^0+/, '');
    case 'FN':
    case 'LN':
    case 'CT':
      return lettersOnly(raw);
    case 'FI':
      return lettersOnly(raw).slice(0, 1);
    case 'ST': {
      // A US state written in full becomes its code: Meta matches US states by code ('ca', not 'california').
      const compact = raw.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
      return usStateCode(compact) ?? compact;
    }
    case 'ZIP': {
      const compact = raw.toLowerCase().replace(/\s+/g, '');
      return US_ZIP.exec(compact)?.[1] ?? compact;
    }
    case 'COUNTRY': {
      const code = raw.toLowerCase().replace(/[^a-z]/g, '');
      return code.length === 2 ? code : '';
    }
    case 'GEN': {
      const g = raw.toLowerCase();
      return g === 'm' || g === 'male' ? 'm' : g === 'f' || g === 'female' ? 'f' : '';
    }
    case 'DOBY': {
      const year = WHOLE_DATE.exec(raw)?.[1] ?? raw.replace(/\D/g, '');
      return /^\d{4}$/.test(year) && Number(year) >= 1900 && Number(year) <= latestBirthYear() ? year : '';
    }
    case 'DOBM':
      return twoDigits(WHOLE_DATE.exec(raw)?.[2] ?? raw, 12);
    case 'DOBD':
      return twoDigits(WHOLE_DATE.exec(raw)?.[3] ?? raw, 31);
    case 'MADID':
      return raw.toLowerCase();
    case 'EXTERN_ID':
      return raw;
  }
}

/** What each key takes, for a value that normalises to nothing. */
const EXPECTED: Record<MetaKey, string> = {
  EXTERN_ID: 'an id',
  EMAIL: 'an email address',
  PHONE: 'a phone number with its country code',
  GEN: 'm, f, male or female',
  get DOBY() {
    return `a year from 1900 to ${latestBirthYear()} (YYYY) or a date`;
  },
  DOBM: 'a month 1-12 or a date',
  DOBD: 'a day 1-31 or a date',
  LN: 'a name with letters',
  FN: 'a name with letters',
  FI: 'a name or initial with letters',
  CT: 'a city with letters',
  ST: 'a state or province',
  ZIP: 'a postal code',
  MADID: 'a mobile advertiser id',
  COUNTRY: 'a two-letter ISO 3166-1 code (us, gb)',
};

/**
 * Whether the model gave a value: NULL, blank text and an empty list or object are unknown (an opt-out
 * may empty a list of emails); anything else (a list holding something too) must normalise to something.
 */
function given(value: Value | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return typeof value !== 'object' || Object.keys(value).length > 0;
}

/** Why one given value is not what its key takes. */
function notExpected(key: MetaKey, value: Value | undefined): string {
  const kind = Array.isArray(value) ? 'a list, ' : typeof value === 'object' && value !== null ? 'an object, ' : '';
  return `${key}: ${JSON.stringify(value)} is ${kind}not ${EXPECTED[key]}`;
}

/**
 * The identifiers of a row that hold a value Meta's normalisation leaves nothing of (a country `USA`,
 * a gender `x`, a list of emails): sent without them, the person would silently match on less than
 * the model says.
 */
export function unusableIdentifiers(fields: Record<string, Value>, schema: readonly MetaKey[]): RecordError | undefined {
  const bad = schema.filter((key) => given(fields[key]) && !isPreHashed(key, fields[key]) && normalize(key, fields[key]) === '');
  if (bad.length === 0) return undefined;
  const what = bad.map((key) => notExpected(key, fields[key])).join('; ');
  return { code: 'INVALID_FIELD_VALUE', message: `${what} (write it in the model, or map NULL to leave it out)`, fields: bad };
}

/** SHA-256 hex, either case: what a warehouse keeping only hashed PII holds. */
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Whether a value for a hashed key is already a SHA-256 hash. Meta takes it as it is; hashed again it
 * would match nobody, and normalised (a hashed country is no 2-letter code) it would be refused. No
 * value of these keys is 64 hex characters otherwise (an email has an @, a name or city letters).
 */
export function isPreHashed(key: MetaKey, value: Value | undefined): boolean {
  return !UNHASHED.has(key) && typeof value === 'string' && SHA256_HEX.test(value.trim());
}

/** What goes on the wire for one value: the SHA-256 hex of its normalised form (as is for EXTERN_ID and MADID, and for a value already hashed). */
export function hashValue(key: MetaKey, value: Value | undefined): string {
  if (isPreHashed(key, value)) return (value as string).trim().toLowerCase();
  const normalized = normalize(key, value);
  if (normalized === '') return '';
  return UNHASHED.has(key) ? normalized : sha256Hex(normalized);
}

/** The schema order of the keys a sync maps (Meta takes any order; a fixed one keeps payloads stable). */
export function schemaOf(keys: Iterable<string>): MetaKey[] {
  const wanted = new Set(keys);
  return META_KEYS.filter((key) => wanted.has(key));
}

/** One row as Meta receives it: hashed identifiers by key ('' = unknown). */
export type HashedRow = Partial<Record<MetaKey, string>>;

/**
 * A US zip a numeric column lost its leading zeros from (02134 kept as 2134, 02134-1234 as 21341234):
 * in a row whose COUNTRY is the US it is padded back, so Meta gets the 5 digits it matches. Without
 * the US as its country a short code may be another country's whole postcode, and stays as it is.
 */
function zipOfRow(fields: Record<string, Value>): Value | undefined {
  const zip = fields['ZIP'];
  if (normalize('COUNTRY', fields['COUNTRY']) !== 'us') return zip;
  const digits = typeof zip === 'number' && Number.isInteger(zip) ? String(zip) : typeof zip === 'string' ? zip.trim() : '';
  if (/^\d{3,4}$/.test(digits)) return digits.padStart(5, '0');
  if (/^\d{7,8}$/.test(digits)) return digits.padStart(9, '0');
  return zip;
}

export function hashRow(fields: Record<string, Value>, schema: readonly MetaKey[]): HashedRow {
  const row: HashedRow = {};
  for (const key of schema) {
    const hashed = hashValue(key, key === 'ZIP' ? zipOfRow(fields) : fields[key]);
    if (hashed !== '') row[key] = hashed;
  }
  return row;
}

/**
 * The destination id of a member: its hashed identifiers, key-sorted JSON. Membership has no id of
 * its own, and a row leaving the model (mirror) must be removed with exactly what was added.
 */
export function memberId(row: HashedRow): string {
  return JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))));
}

export function parseMemberId(id: string | null): HashedRow | null {
  if (id === null || !id.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(id) as Record<string, unknown>;
    const row: HashedRow = {};
    for (const [key, value] of Object.entries(parsed)) if (isMetaKey(key) && typeof value === 'string') row[key] = value;
    return row;
  } catch {
    return null;
  }
}

/** `payload.data` of a users call for rows in `schema` order, '' where a row has no value. */
export function payloadData(rows: readonly HashedRow[], schema: readonly MetaKey[]): string[][] {
  return rows.map((row) => schema.map((key) => row[key] ?? ''));
}
