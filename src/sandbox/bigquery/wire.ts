/**
 * DuckDB types and values → BigQuery's schema types and REST wire values.
 *
 * Rows travel as `{f: [{v: …}]}` where every scalar is a string, REPEATED fields are
 * `{v: [{v: …}]}` and RECORDs `{v: {f: […]}}` (tabledata/jobs.getQueryResults). Values are kept
 * in a store as WireCells (strings, nested arrays) and rendered per request, because the
 * TIMESTAMP encoding depends on the request's `formatOptions`:
 * - `useInt64Timestamp` / `timestampOutputFormat: INT64`: microseconds since the epoch, e.g. "1704164645000000";
 * - default (FLOAT64): seconds as a Java double string, e.g. "1.704164645E9" (BigQuery's
 *   historical encoding, see DataFormatOptions: "Output timestamp as usec int64. Default is false");
 * - `ISO8601_STRING`: "2024-01-02T03:04:05.000000Z".
 * FLOAT64 uses the same Java double spelling ("1.5", "1.0E20", "NaN", "Infinity", "-Infinity").
 */

import { shortestFloat32 } from '../../sources/normalize';
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimeNSValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { invalidQuery } from './errors';

export type BigQueryType =
  | 'BOOLEAN'
  | 'INTEGER'
  | 'FLOAT'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'STRING'
  | 'BYTES'
  | 'DATE'
  | 'TIME'
  | 'DATETIME'
  | 'TIMESTAMP'
  | 'INTERVAL'
  | 'JSON'
  | 'RECORD';

/** TableFieldSchema as BigQuery returns it for query results and tables. */
export interface FieldSchema {
  name: string;
  type: BigQueryType;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: FieldSchema[];
}

/** A stored value: a wire string, null, or nested cells (REPEATED elements / RECORD fields). */
export type WireCell = string | null | WireCell[];

export type TimestampFormat = 'INT64' | 'FLOAT64' | 'ISO8601_STRING';

/** One rendered cell: `{v: …}` with a string, null, a list of cells or a nested row. */
export interface RenderedCell {
  v: string | null | RenderedCell[] | RenderedRow;
}
export interface RenderedRow {
  f: RenderedCell[];
}

// ---------------------------------------------------------------------------------------
// schema

function scalarType(type: DuckDBType): BigQueryType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'BOOLEAN';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.INTEGER_LITERAL:
    // BigQuery types an untyped NULL (`SELECT NULL`) as INT64.
    case DuckDBTypeId.SQLNULL:
      return 'INTEGER';
    // Wider than INT64: exact decimal strings (jobs.ts narrows all-INT64 results, see narrowHugeint).
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return 'BIGNUMERIC';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'FLOAT';
    case DuckDBTypeId.DECIMAL:
      // NUMERIC is DECIMAL(38, 9); a larger scale needs BIGNUMERIC (DuckDB stops at 38 digits).
      return type.width <= 38 && type.scale <= 9 ? 'NUMERIC' : 'BIGNUMERIC';
    case DuckDBTypeId.BLOB:
      return 'BYTES';
    case DuckDBTypeId.DATE:
      return 'DATE';
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return 'TIME';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'DATETIME';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'TIMESTAMP';
    case DuckDBTypeId.INTERVAL:
      return 'INTERVAL';
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? 'JSON' : 'STRING';
    default:
      // UUID, ENUM, BIT, TIME WITH TIME ZONE, UNION, …: their text form.
      return 'STRING';
  }
}

/** The result/table field for a DuckDB column; mode REPEATED for lists, NULLABLE otherwise. */
export function fieldFor(name: string, type: DuckDBType): FieldSchema {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const element = fieldFor(name, type.valueType);
      if (element.mode === 'REPEATED') {
        throw invalidQuery(`Cannot construct array with element type ARRAY because nested arrays are not supported (field ${name})`);
      }
      return { ...element, mode: 'REPEATED' };
    }
    case DuckDBTypeId.MAP:
      // BigQuery has no MAP: an array of key/value records is how such data is modelled there.
      return { name, type: 'RECORD', mode: 'REPEATED', fields: [fieldFor('key', type.keyType), fieldFor('value', type.valueType)] };
    case DuckDBTypeId.STRUCT:
      return { name, type: 'RECORD', mode: 'NULLABLE', fields: type.entryNames.map((n, i) => fieldFor(n, type.entryTypes[i] ?? type)) };
    default:
      return { name, type: scalarType(type), mode: 'NULLABLE' };
  }
}

// ---------------------------------------------------------------------------------------
// values

const MICROS_PER_DAY = 86_400_000_000n;

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function fraction(micros: bigint): string {
  return micros === 0n ? '' : `.${pad(micros, 6)}`;
}

/** `HH:MM:SS[.ffffff]` of micros since midnight. */
export function timeOfDay(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}${fraction(micros % 1_000_000n)}`;
}

/** `YYYY-MM-DD` of days since 1970-01-01 (proleptic Gregorian, years 1–9999). */
export function civilDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** BigQuery DATETIME: `YYYY-MM-DDTHH:MM:SS[.ffffff]`. */
export function civilDateTime(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY);
  return `${civilDate(Number(days))}T${timeOfDay(micros - days * MICROS_PER_DAY)}`;
}

/**
 * Java's Double.toString, which BigQuery's REST layer uses for FLOAT64 and float TIMESTAMPs:
 * plain notation in [1e-3, 1e7) with at least one fractional digit, else `d.dddE±n`.
 */
export function javaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa = '0', exponent = '0'] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** NUMERIC/BIGNUMERIC text: exact, without trailing fractional zeros ("1.500" → "1.5"). */
export function canonicalDecimal(text: string): string {
  let out = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  if (/^-0*$/.test(out) || out === '') out = '0';
  return out;
}

/** BigQuery INTERVAL canonical form `Y-M D H:M:S[.F]`, each part carrying its own sign. */
export function intervalText(months: number, days: number, micros: bigint): string {
  const ym = Math.abs(months);
  const sign = months < 0 ? '-' : '';
  const tSign = micros < 0n ? '-' : '';
  const t = micros < 0n ? -micros : micros;
  const seconds = t / 1_000_000n;
  return `${sign}${Math.trunc(ym / 12)}-${ym % 12} ${days} ${tSign}${seconds / 3600n}:${(seconds / 60n) % 60n}:${seconds % 60n}${fraction(t % 1_000_000n)}`;
}

function scalarWire(type: DuckDBType, value: Exclude<DuckDBValue, null>): string {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return value === true ? 'true' : 'false';
    case DuckDBTypeId.FLOAT:
      return typeof value === 'number' ? javaDouble(shortestFloat32(value)) : String(value);
    case DuckDBTypeId.DOUBLE:
      return typeof value === 'number' ? javaDouble(value) : String(value);
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? canonicalDecimal(value.toString()) : String(value);
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue ? Buffer.from(value.bytes).toString('base64') : String(value);
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue && value.isFinite ? civilDate(value.days) : String(value);
    case DuckDBTypeId.TIME:
      return value instanceof DuckDBTimeValue ? timeOfDay(value.micros) : String(value);
    case DuckDBTypeId.TIME_NS:
      return value instanceof DuckDBTimeNSValue ? timeOfDay(value.nanos / 1000n) : String(value);
    case DuckDBTypeId.TIMESTAMP:
      return value instanceof DuckDBTimestampValue && value.isFinite ? civilDateTime(value.micros) : String(value);
    case DuckDBTypeId.TIMESTAMP_S:
      return value instanceof DuckDBTimestampSecondsValue && value.isFinite ? civilDateTime(value.seconds * 1_000_000n) : String(value);
    case DuckDBTypeId.TIMESTAMP_MS:
      return value instanceof DuckDBTimestampMillisecondsValue && value.isFinite ? civilDateTime(value.millis * 1000n) : String(value);
    case DuckDBTypeId.TIMESTAMP_NS:
      return value instanceof DuckDBTimestampNanosecondsValue && value.isFinite ? civilDateTime(floorDiv(value.nanos, 1000n)) : String(value);
    case DuckDBTypeId.TIMESTAMP_TZ:
      // Stored as int64 micros; rendered per request (renderRow).
      return value instanceof DuckDBTimestampTZValue ? value.micros.toString() : String(value);
    case DuckDBTypeId.INTERVAL:
      return value instanceof DuckDBIntervalValue ? intervalText(value.months, value.days, value.micros) : String(value);
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

/** A DuckDB value as a stored cell; `field` names it in BigQuery's array errors. */
export function toWire(type: DuckDBType, value: DuckDBValue, field: string): WireCell {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      // A NULL array comes back as an empty array in BigQuery query results.
      if (value === null) return [];
      const items = value instanceof DuckDBListValue || value instanceof DuckDBArrayValue ? value.items : [];
      return items.map((item) => {
        if (item === null) throw invalidQuery(`Array cannot have a null element; error in writing field ${field}`);
        return toWire(type.valueType, item, field);
      });
    }
    case DuckDBTypeId.MAP: {
      if (value === null) return [];
      const entries = value instanceof DuckDBMapValue ? value.entries : [];
      return entries.map((e) => [toWire(type.keyType, e.key, 'key'), toWire(type.valueType, e.value, 'value')]);
    }
    case DuckDBTypeId.STRUCT: {
      if (value === null) return null;
      const entries = value instanceof DuckDBStructValue ? value.entries : {};
      return type.entryNames.map((n, i) => toWire(type.entryTypes[i] ?? type, entries[n] ?? null, n));
    }
    default:
      return value === null ? null : scalarWire(type, value);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True when an integer cell fits INT64 (DuckDB widens SUM/COUNTIF to HUGEINT; BigQuery returns INT64). */
export function fitsInt64(cell: WireCell): boolean {
  if (cell === null) return true;
  if (typeof cell !== 'string' || !/^-?\d+$/.test(cell)) return false;
  const n = BigInt(cell);
  return n >= INT64_MIN && n <= INT64_MAX;
}

// ---------------------------------------------------------------------------------------
// rendering

/** A stored TIMESTAMP (int64 micros) in the requested encoding. */
export function timestampWire(micros: string, format: TimestampFormat): string {
  if (format === 'INT64' || !/^-?\d+$/.test(micros)) return micros;
  const n = BigInt(micros);
  if (format === 'FLOAT64') return javaDouble(Number(n) / 1e6);
  const days = floorDiv(n, MICROS_PER_DAY);
  const rest = n - days * MICROS_PER_DAY;
  return `${civilDate(Number(days))}T${timeOfDay(rest - (rest % 1_000_000n))}.${pad(rest % 1_000_000n, 6)}Z`;
}

function renderValue(field: FieldSchema, cell: WireCell, format: TimestampFormat): RenderedCell['v'] {
  if (field.mode === 'REPEATED') {
    const element: FieldSchema = { ...field, mode: 'NULLABLE' };
    return (Array.isArray(cell) ? cell : []).map((item) => ({ v: renderValue(element, item, format) }));
  }
  if (cell === null) return null;
  if (field.type === 'RECORD') return renderRow(field.fields ?? [], Array.isArray(cell) ? cell : [], format);
  if (Array.isArray(cell)) return JSON.stringify(cell);
  return field.type === 'TIMESTAMP' ? timestampWire(cell, format) : cell;
}

/** One stored row as `{f: [{v: …}]}`. */
export function renderRow(fields: FieldSchema[], cells: WireCell[], format: TimestampFormat): RenderedRow {
  return { f: fields.map((field, i) => ({ v: renderValue(field, cells[i] ?? null, format) })) };
}
