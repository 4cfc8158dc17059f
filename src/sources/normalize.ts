import { isSafeNumber, parse as parseJson } from 'lossless-json';
import { calendarFault } from '../diff/calendar';
import { UnreadableValue, type Value } from './source';

/**
 * The kinds of value every source reduces its types to. Whatever the warehouse or driver, a value
 * of a kind has one canonical form, so an unchanged row fingerprints the same after a change of
 * driver, page size or source.
 */
export type ValueKind =
  | 'integer' // number when exact in a double, else an exact decimal string
  | 'decimal' // exact decimal string without trailing fractional zeros
  | 'float' // number; NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"
  | 'boolean'
  | 'string'
  | 'date' // YYYY-MM-DD
  | 'time' // HH:MM:SS.ffffff
  | 'datetime' // YYYY-MM-DDTHH:MM:SS.ffffff (no zone)
  | 'timestamp' // YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC)
  | 'interval' // ISO-8601 duration as PostgreSQL's iso_8601 style writes it: P1Y2M3DT4H5M6.5S, PT-1.5S
  | 'json' // structured value (canonical JSON once stringified with sorted keys)
  | 'bytes'; // base64

const INTEGER = /^[+-]?\d+$/;
const SHORT_INTEGER = /^[+-]?\d{1,15}$/;
const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export class NormalizeError extends Error {
  constructor(
    message: string,
    /** Why the value cannot be read, when its text alone does not show it (a JSON key given twice). */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** lossless-json's refusal of an object naming one key twice with different values (its key, verbatim). */
const DUPLICATE_JSON_KEY = /^Duplicate key '(.*)' encountered at position \d+$/s;

export function normalizeInteger(raw: string | number | bigint): number | string {
  // Fast paths (every row of every integer column comes through here): a safe JS integer, or up to 15
  // digits, which a double always holds exactly. `+ 0` turns -0 into 0, as the BigInt path does.
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw + 0;
  const text = typeof raw === 'string' ? raw.trim() : raw.toString();
  if (SHORT_INTEGER.test(text)) return Number(text) + 0;
  if (!INTEGER.test(text)) throw new NormalizeError(`not an integer: ${text}`);
  const big = BigInt(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

/** Exact decimal text: no exponent, no leading zeros, no trailing fractional zeros, no "-0". */
export function normalizeDecimal(raw: string | number): string {
  const text = String(raw).trim();
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new NormalizeError(`not a decimal: ${text}`);
  const sign = match[1] === '-' ? '-' : '';
  let digits = `${match[2] ?? ''}${match[3] ?? ''}`;
  let point = (match[2] ?? '').length + Number(match[4] ?? 0);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits + '0'.repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+/, '') || '0';
  const fraction = digits.slice(point).replace(/0+$/, '');
  const result = fraction ? `${whole}.${fraction}` : whole;
  return result === '0' ? '0' : `${sign}${result}`;
}

export function normalizeFloat(raw: string | number): number | string {
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim().replace(/^\+?inf(inity)?$/i, 'Infinity').replace(/^-inf(inity)?$/i, '-Infinity'));
  if (Number.isNaN(value)) {
    if (/^nan$/i.test(String(raw).trim())) return 'NaN';
    throw new NormalizeError(`not a number: ${String(raw)}`);
  }
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return Object.is(value, -0) ? 0 : value;
}

/**
 * A 4-byte float (DuckDB FLOAT) widened to a double reads 0.10000000149011612; PostgreSQL `real` and
 * BigQuery write the shortest decimal that reads back as the same float, 0.1. That one, so the value
 * (and the fingerprint) is the same from every source.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits += 1) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

export function normalizeBoolean(raw: string | number | boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (['true', 't', '1', 'yes'].includes(text)) return true;
  if (['false', 'f', '0', 'no'].includes(text)) return false;
  throw new NormalizeError(`not a boolean: ${String(raw)}`);
}

const pad = (n: bigint | number, width: number) => n.toString().padStart(width, '0');

interface Instant {
  /** Microseconds since the epoch, in the value's own zone (or UTC when it had an offset). */
  micros: bigint;
  zoned: boolean;
}

function parseInstant(text: string): Instant {
  const m = DATE_TIME.exec(text.trim());
  if (!m) throw new NormalizeError(`not a date/time: ${text}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m;
  // setUTCFullYear below would roll a day that does not exist (Feb 30) into the next month.
  const fault = calendarFault({ year: Number(y), month: Number(mo), day: Number(d) });
  if (fault !== undefined) throw new NormalizeError(`not a date/time: ${text} (${fault})`);
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s));
  const millis = date.getTime();
  let micros = BigInt(millis) * 1000n + BigInt((fraction + '000000').slice(0, 6));
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const hours = BigInt(digits.slice(0, 2));
    const minutes = BigInt(digits.slice(2, 4) || '0');
    micros -= sign * (hours * 3_600_000_000n + minutes * 60_000_000n);
  }
  return { micros, zoned: zone !== undefined };
}

function formatMicros(micros: bigint): { date: string; time: string } {
  const millis = micros >= 0n ? micros / 1000n : (micros - 999n) / 1000n;
  const date = new Date(Number(millis));
  const sub = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return {
    date: `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`,
    time: `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(sub, 6)}`,
  };
}

/** An instant as UTC ISO-8601 with microseconds: from text with or without offset, a Date, or epoch µs. */
export function normalizeTimestamp(raw: string | Date | bigint): string {
  const micros = raw instanceof Date ? BigInt(raw.getTime()) * 1000n : typeof raw === 'bigint' ? raw : parseInstant(raw).micros;
  const { date, time } = formatMicros(micros);
  return `${date}T${time}Z`;
}

export function normalizeDatetime(raw: string): string {
  const { date, time } = formatMicros(parseInstant(raw).micros);
  return `${date}T${time}`;
}

export function normalizeDate(raw: string | Date): string {
  return raw instanceof Date ? formatMicros(BigInt(raw.getTime()) * 1000n).date : formatMicros(parseInstant(raw).micros).date;
}

const DAY_MICROS = 86_400_000_000n;

export function normalizeTime(raw: string): string {
  const { micros } = parseInstant(`1970-01-01 ${raw.trim()}`);
  // PostgreSQL and DuckDB TIME take 24:00:00, the end of the day: not the midnight it would roll to.
  if (micros === DAY_MICROS) return '24:00:00.000000';
  return formatMicros(micros).time;
}

interface IntervalParts {
  months: number;
  days: number;
  micros: string | number | bigint;
}

function isIntervalParts(raw: unknown): raw is IntervalParts {
  if (typeof raw !== 'object' || raw === null) return false;
  const { months, days, micros } = raw as Record<string, unknown>;
  return (
    Number.isInteger(months) &&
    Number.isInteger(days) &&
    (typeof micros === 'bigint' || (typeof micros === 'number' && Number.isInteger(micros)) || (typeof micros === 'string' && INTEGER.test(micros)))
  );
}

/**
 * An interval (months, days, microseconds, each with its own sign, as DuckDB and PostgreSQL keep
 * them) as an ISO-8601 duration. Months and days are not folded into hours: a month or a day has
 * no fixed length, and 36 hours stays PT36H.
 */
export function normalizeInterval(raw: unknown): string {
  if (!isIntervalParts(raw)) throw new NormalizeError(`not an interval: ${textOf(raw)}`);
  const micros = BigInt(raw.micros);
  const years = Math.trunc(raw.months / 12);
  const months = raw.months % 12;
  const hours = micros / 3_600_000_000n;
  const minutes = (micros % 3_600_000_000n) / 60_000_000n;
  const secondMicros = micros % 60_000_000n;
  const absolute = secondMicros < 0n ? -secondMicros : secondMicros;
  const fraction = pad(absolute % 1_000_000n, 6).replace(/0+$/, '');
  const seconds = `${secondMicros < 0n ? '-' : ''}${absolute / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
  const datePart = `${years ? `${years}Y` : ''}${months ? `${months}M` : ''}${raw.days ? `${raw.days}D` : ''}`;
  const timePart = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${secondMicros ? `${seconds}S` : ''}`;
  if (!datePart && !timePart) return 'PT0S';
  return `P${datePart}${timePart ? `T${timePart}` : ''}`;
}

/** Structured JSON with every nested number kept as a number and keys left for the fingerprint to sort. */
export function normalizeJson(raw: Value | object): Value {
  if (typeof raw === 'string') {
    try {
      // lossless-json: JSON.parse would round a number a double cannot hold (an integer past 2^53, an
      // id; a decimal of 17+ digits; 1e400 became null): it stays its exact text, as top-level
      // integers and decimals do.
      return parseJson(raw, undefined, (text) => (isSafeNumber(text) ? parseFloat(text) : text)) as Value;
    } catch (err) {
      // Valid JSON text, but which of the key's two values is meant is unknown: say which key, as a
      // user looking at a long value would not see it (`{"a":1,"a":1}`, the same value twice, is read).
      const duplicate = err instanceof Error ? DUPLICATE_JSON_KEY.exec(err.message) : null;
      if (duplicate) throw new NormalizeError(`not JSON: ${raw.slice(0, 40)}`, `key ${JSON.stringify(duplicate[1])} appears twice with different values`);
      throw new NormalizeError(`not JSON: ${raw.slice(0, 40)}`);
    }
  }
  return JSON.parse(JSON.stringify(raw)) as Value;
}

export function normalizeBytes(raw: Uint8Array | string, encoding: 'base64' | 'hex'): string {
  if (typeof raw !== 'string') return Buffer.from(raw).toString('base64');
  if (encoding === 'base64') return Buffer.from(raw, 'base64').toString('base64');
  // Node's hex decoder stops at the first character that is not hex, silently: refuse such text.
  const hex = raw.replace(/^\\x/, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new NormalizeError(`not hex bytes: ${raw.slice(0, 40)}`);
  return Buffer.from(hex, 'hex').toString('base64');
}

/** One value of a kind in its canonical form; NULL stays null (never confused with ""). */
export function normalizeValue(kind: ValueKind, raw: unknown, bytesEncoding: 'base64' | 'hex' = 'base64'): Value {
  if (raw === null || raw === undefined) return null;
  switch (kind) {
    case 'integer':
      return normalizeInteger(raw as string | number | bigint);
    case 'decimal':
      return normalizeDecimal(raw as string | number);
    case 'float':
      return normalizeFloat(raw as string | number);
    case 'boolean':
      return normalizeBoolean(raw as string | boolean);
    case 'date':
      return normalizeDate(raw as string | Date);
    case 'time':
      return normalizeTime(String(raw));
    case 'datetime':
      return normalizeDatetime(String(raw));
    case 'timestamp':
      return normalizeTimestamp(raw as string | Date | bigint);
    case 'interval':
      return normalizeInterval(raw);
    case 'json':
      return normalizeJson(raw as Value);
    case 'bytes':
      return normalizeBytes(raw as Uint8Array | string, bytesEncoding);
    case 'string':
      // An object here is a type read as text by mistake: never send "[object Object]".
      if (typeof raw === 'object') throw new NormalizeError(`not text: ${textOf(raw)}`);
      return typeof raw === 'string' ? raw : String(raw);
  }
}

/**
 * normalizeValue for a source's stream: a value that cannot be read becomes an UnreadableValue, so
 * its row is reported invalid instead of the whole extract failing (and being retried) over it.
 */
export function readValue(kind: ValueKind, raw: unknown, bytesEncoding: 'base64' | 'hex' = 'base64'): Value | UnreadableValue {
  try {
    return normalizeValue(kind, raw, bytesEncoding);
  } catch (err) {
    return unreadable(kind, raw, err);
  }
}

/**
 * readValue with a source's own normaliser (one that reads a nested value element by element): a
 * value it cannot read at any depth makes the whole value an UnreadableValue of `kind`, as at top level.
 */
export function readNormalized(kind: ValueKind, raw: unknown, normalize: (raw: unknown) => Value): Value | UnreadableValue {
  try {
    return normalize(raw);
  } catch (err) {
    return unreadable(kind, raw, err);
  }
}

function unreadable(kind: ValueKind, raw: unknown, err: unknown): UnreadableValue {
  if (!(err instanceof NormalizeError)) throw err;
  return new UnreadableValue(kind, textOf(raw), err.reason);
}

/** A raw value as text, for an UnreadableValue or an error message. */
export function textOf(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'bigint') return raw.toString();
  return JSON.stringify(raw, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) ?? String(raw);
}
