import path from 'node:path';
import { DuckDBBlobValue, DuckDBInstance, DuckDBTypeId, JsonDuckDBValueConverter, type DuckDBConnection, type DuckDBType, type DuckDBValueConverter, type Json } from '@duckdb/node-api';
import type { DuckdbConnection } from '../config/schema';
import { BackflowError } from '../errors';
import { NormalizeError, normalizeValue, readNormalized, readValue, shortestFloat32, textOf, type ValueKind } from './normalize';
import { UnreadableValue, type Column, type Source, type SourceRow, type Value } from './source';
import { SourceUnavailable } from './sourceErrors';
import { endedInError } from './duckdbStreamEnd';
import { asSubquery } from './subquery';

/** Resolves a DuckDB path from config against the project directory (`:memory:` stays as is). */
export function duckdbPath(config: DuckdbConnection, projectDir: string): string {
  return config.path === ':memory:' ? config.path : path.resolve(projectDir, config.path);
}

/** The canonical kind of a DuckDB column type (see normalize.ts). */
export function duckdbKind(type: DuckDBType): ValueKind {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return 'integer';
    case DuckDBTypeId.DECIMAL:
      return 'decimal';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'float';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return 'time';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'datetime';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamp';
    case DuckDBTypeId.INTERVAL:
      return 'interval';
    case DuckDBTypeId.BLOB:
      return 'bytes';
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return 'json';
    default:
      // VARCHAR (JSON is a VARCHAR alias: it stays text), UUID, ENUM, …; a UNION reads as its member (duckdbReader).
      return type.alias === 'JSON' ? 'json' : 'string';
  }
}

/**
 * Reads one value of a column from DuckDB's JSON form into its canonical form. A UNION is the
 * value of the member it holds, read by that member's type (its tag says which): a CRM field wants
 * the 2 or "x", not the tag. A LIST, ARRAY, STRUCT or MAP has every value inside it read as the
 * same type would be at top level (a nested DECIMAL 1.10 is "1.1" too); one unreadable value
 * inside makes the whole column value unreadable, so the row is reported invalid.
 */
export function duckdbReader(type: DuckDBType): (raw: unknown) => Value | UnreadableValue {
  if (type.typeId === DuckDBTypeId.UNION) {
    const members = new Map(type.memberTags.map((tag, i) => [tag, duckdbReader(type.memberTypes[i] ?? type)]));
    return (raw) => {
      if (raw === null || raw === undefined) return null;
      const member = typeof raw === 'object' && 'tag' in raw && 'value' in raw ? members.get(String(raw.tag)) : undefined;
      return member && typeof raw === 'object' && 'value' in raw ? member(raw.value) : readValue('string', raw);
    };
  }
  const kind = duckdbKind(type);
  if (type.typeId === DuckDBTypeId.FLOAT) return (raw) => readValue(kind, float32Of(raw));
  if (!NESTED.has(type.typeId)) return (raw) => readValue(kind, raw);
  const normalize = duckdbNormalizer(type);
  return (raw) => readNormalized(kind, raw, normalize);
}

/** A FLOAT as the 4-byte float it is (see shortestFloat32); NaN and infinities come as text. */
const float32Of = (raw: unknown) => (typeof raw === 'number' ? shortestFloat32(raw) : raw);

const NESTED = new Set([DuckDBTypeId.LIST, DuckDBTypeId.ARRAY, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP]);

const isRecord = (raw: unknown): raw is Record<string, unknown> => typeof raw === 'object' && raw !== null && !Array.isArray(raw);

/**
 * The canonical form of one value of a type, nested types read element by element with their own
 * types, to any depth; throws NormalizeError where a value cannot be read.
 */
function duckdbNormalizer(type: DuckDBType): (raw: unknown) => Value {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const element = duckdbNormalizer(type.valueType);
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (!Array.isArray(raw)) throw new NormalizeError(`not a list: ${textOf(raw)}`);
        return raw.map(element);
      };
    }
    case DuckDBTypeId.STRUCT: {
      const entries = type.entryNames.map((name, i) => [name, normalizerOf(type.entryTypes[i])] as const);
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (!isRecord(raw)) throw new NormalizeError(`not a struct: ${textOf(raw)}`);
        // fromEntries: an entry named __proto__ stays an entry.
        return Object.fromEntries(entries.map(([name, read]) => [name, read(raw[name])]));
      };
    }
    case DuckDBTypeId.MAP: {
      // DuckDB's JSON form of a MAP, kept: a list of {key, value} (keys need not be text).
      const readKey = duckdbNormalizer(type.keyType);
      const readValueOf = duckdbNormalizer(type.valueType);
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (!Array.isArray(raw)) throw new NormalizeError(`not a map: ${textOf(raw)}`);
        return raw.map((entry: unknown) => {
          if (!isRecord(entry)) throw new NormalizeError(`not a map entry: ${textOf(entry)}`);
          return { key: readKey(entry['key']), value: readValueOf(entry['value']) };
        });
      };
    }
    case DuckDBTypeId.UNION: {
      const members = new Map(type.memberTags.map((tag, i) => [tag, normalizerOf(type.memberTypes[i])]));
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        const member = isRecord(raw) && 'value' in raw ? members.get(String(raw['tag'])) : undefined;
        return member && isRecord(raw) ? member(raw['value']) : normalizeValue('string', raw);
      };
    }
    case DuckDBTypeId.FLOAT:
      return (raw) => normalizeValue('float', float32Of(raw));
    default: {
      const kind = duckdbKind(type);
      return (raw) => normalizeValue(kind, raw);
    }
  }
}

/** A member or entry type's normaliser; text for one DuckDB did not describe (never seen). */
const normalizerOf = (type: DuckDBType | undefined) => (type ? duckdbNormalizer(type) : (raw: unknown) => normalizeValue('string', raw));

const asText = (raw: unknown) => readValue('string', raw);

/**
 * DuckDB's JSON form of each value, but a BLOB (at any depth) as its bytes in base64: its text form
 * escapes bytes outside printable ASCII as `\xNN` and leaves a backslash as it is, so the text
 * `\x41` could be one byte or four.
 */
const jsonWithBlobBytes: DuckDBValueConverter<Json> = (value, type, converter) =>
  type.typeId === DuckDBTypeId.BLOB && value instanceof DuckDBBlobValue
    ? Buffer.from(value.bytes).toString('base64')
    : JsonDuckDBValueConverter(value, type, converter);

/**
 * The embedded warehouse. Opened read-only so a sync never holds the write lock that the
 * modelling process (dbt, the demo's seeding) needs.
 */
export class DuckdbSource implements Source {
  private instance: DuckDBInstance | undefined;
  private connection: DuckDBConnection | undefined;

  constructor(private readonly file: string) {}

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    try {
      const options: Record<string, string> = this.file === ':memory:' ? {} : { access_mode: 'READ_ONLY' };
      this.instance = await DuckDBInstance.create(this.file, options);
      const connection = await this.instance.connect();
      // DuckDB starts in the process's time zone: a model's ::DATE, date_trunc or TIMESTAMP →
      // TIMESTAMPTZ would give each worker its own values (and re-send rows). UTC, as PostgreSQL's session.
      await connection.run(`SET TimeZone = 'UTC'`);
      this.connection = connection;
      return connection;
    } catch (err) {
      const message = (err as Error).message;
      // Another process writes to the file right now (dbt, a write-back): it lets go, so the
      // activity is retried (an untyped error) rather than the run failed for good.
      if (/Could not set lock on file/i.test(message)) {
        throw new SourceUnavailable(`DuckDB database ${this.file} is locked by another process (dbt, a write-back?); retried: ${message}`, 'SOURCE_LOCKED');
      }
      throw new BackflowError('SOURCE_QUERY_FAILED', `cannot open DuckDB database ${this.file}: ${message}`);
    }
  }

  async check(): Promise<void> {
    const connection = await this.connect();
    await connection.run('SELECT 1');
  }

  async describe(sql: string): Promise<Column[]> {
    const connection = await this.connect();
    try {
      const statement = await connection.prepare(sql);
      const columns: Column[] = [];
      for (let i = 0; i < statement.columnCount; i++) {
        columns.push({ name: statement.columnName(i), type: statement.columnType(i).toString() });
      }
      return columns;
    } catch (err) {
      throw new BackflowError('SOURCE_QUERY_FAILED', `DuckDB: ${(err as Error).message}`);
    }
  }

  async *stream(sql: string): AsyncIterable<SourceRow[]> {
    const connection = await this.connect();
    let result;
    try {
      result = await connection.stream(sql);
    } catch (err) {
      throw new BackflowError('SOURCE_QUERY_FAILED', `DuckDB: ${(err as Error).message}`);
    }
    const names = result.columnNames();
    const readers = result.columnTypes().map(duckdbReader);
    // The JSON form keeps BIGINT/DECIMAL exact as strings; the readers make every kind canonical.
    // By position: row objects rename a second column of one name (`name:1`).
    for await (const page of result.yieldConvertedRows(jsonWithBlobBytes)) {
      yield page.map((raw) => {
        const row: SourceRow = {};
        names.forEach((name, i) => (row[name] = (readers[i] ?? asText)(raw[i] ?? null)));
        return row;
      });
    }
    if (endedInError(result)) throw await this.failurePartWay(connection, sql);
  }

  /**
   * The error of a query that stopped part-way (endedInError), which DuckDB does not hand over: the
   * model run again with every value of every row computed (hashed, so memory stays flat) fails with
   * it. One that then runs to its end failed for a passing reason, and is retried.
   */
  private async failurePartWay(connection: DuckDBConnection, sql: string): Promise<Error> {
    try {
      await connection.run(`SELECT count(hash(backflow_model)) FROM ${asSubquery(sql)} AS backflow_model`);
    } catch (err) {
      return new BackflowError('SOURCE_QUERY_FAILED', `DuckDB: ${(err as Error).message}`);
    }
    return new SourceUnavailable('DuckDB: the query stopped part-way with an error DuckDB did not name, and ran to its end when run again; retried', 'SOURCE_UNAVAILABLE');
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }
}
