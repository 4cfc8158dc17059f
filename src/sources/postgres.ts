import { Client, types as pgTypes } from 'pg';
import Cursor from 'pg-cursor';
import type { PostgresConnection } from '../config/schema';
import { NormalizeError, normalizeDecimal, normalizeFloat, normalizeInterval, normalizeValue, readNormalized, readValue, type ValueKind } from './normalize';
import { UnreadableValue, type Column, type Source, type SourceRow, type Value } from './source';
import { isPostgresUnavailable, sourceFailure } from './sourceErrors';
import { pgConnectTimeoutMs } from '../state/stateUrl';
import { asSubquery } from './subquery';

/** Canonical kinds of PostgreSQL's built-in type OIDs (pg_type.oid); the rest read as text. */
const KIND_BY_OID: Record<number, ValueKind> = {
  16: 'boolean',
  20: 'integer',
  21: 'integer',
  23: 'integer',
  26: 'integer',
  700: 'float',
  701: 'float',
  1700: 'decimal',
  1082: 'date',
  1083: 'time',
  1114: 'datetime',
  1184: 'timestamp',
  1186: 'interval',
  114: 'json',
  3802: 'json',
  17: 'bytes',
};

const INTERVAL_OID = 1186;

const asText = { getTypeParser: () => (value: string) => value };

export function postgresKind(oid: number): ValueKind {
  return KIND_BY_OID[oid] ?? (ELEMENT_FROM_TEXT[oid] ? 'json' : 'string');
}

/** A PostgreSQL array literal as nested arrays of element texts (NULL as null), by pg's own parser for text[]. */
const TEXT_ARRAY_OID: number = 1009;
const parseTextArray = pgTypes.getTypeParser(TEXT_ARRAY_OID, 'text') as (raw: string) => unknown;

/** PostgreSQL's default (IntervalStyle postgres) output: `-1 years -2 mons +3 days -04:05:06.789`, `36:00:00`. */
const PG_INTERVAL = /^(?:([+-]?\d+) years?(?: |$))?(?:([+-]?\d+) mons?(?: |$))?(?:([+-]?\d+) days?(?: |$))?(?:([+-])?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;
/** IntervalStyle iso_8601 output: `P-1Y-2M3DT-4H-5M-6.789S`, `PT0S`. */
const ISO_INTERVAL = /^P(?:([+-]?\d+)Y)?(?:([+-]?\d+)M)?(?:([+-]?\d+)D)?(?:T(?:([+-]?\d+)H)?(?:([+-]?\d+)M)?(?:([+-])?(\d+)(?:\.(\d{1,6}))?S)?)?$/;

const MICROS_PER_SECOND = 1_000_000n;

function secondsToMicros(sign: string | undefined, seconds: bigint, fraction: string | undefined): bigint {
  const micros = seconds * MICROS_PER_SECOND + BigInt((fraction ?? '').padEnd(6, '0'));
  return sign === '-' ? -micros : micros;
}

/**
 * PostgreSQL's text of an interval as its months, days and microseconds, each with its own sign as
 * PostgreSQL keeps them. pg's own parser (postgres-interval) reads a form it does not know (`@ 1 year`,
 * an ISO duration) as a zero interval without a word; a form other than these two is refused instead.
 */
function pgIntervalParts(text: string): { months: number; days: number; micros: bigint } {
  const trimmed = text.trim();
  const pg = trimmed === '' ? null : PG_INTERVAL.exec(trimmed);
  if (pg) {
    const [, years = '0', months = '0', days = '0', sign, hours = '0', minutes = '0', seconds = '0', fraction] = pg;
    if (Number(minutes) > 59 || Number(seconds) > 59) throw new NormalizeError(`not an interval: ${text}`);
    const wholeSeconds = (BigInt(hours) * 60n + BigInt(minutes)) * 60n + BigInt(seconds);
    return { months: Number(years) * 12 + Number(months), days: Number(days), micros: secondsToMicros(sign, wholeSeconds, fraction) };
  }
  const iso = trimmed === 'P' || trimmed.endsWith('T') ? null : ISO_INTERVAL.exec(trimmed);
  if (iso) {
    const [, years = '0', months = '0', days = '0', hours = '0', minutes = '0', sign, seconds = '0', fraction] = iso;
    const hoursAndMinutes = (BigInt(hours) * 60n + BigInt(minutes)) * 60n * MICROS_PER_SECOND;
    return { months: Number(years) * 12 + Number(months), days: Number(days), micros: hoursAndMinutes + secondsToMicros(sign, BigInt(seconds), fraction) };
  }
  throw new NormalizeError(`not an interval: ${text}`);
}

/** An interval's text as the ISO-8601 duration DuckDB's INTERVAL of the same value becomes (normalize.ts). */
function pgInterval(text: string): string {
  return normalizeInterval(pgIntervalParts(text));
}

/** An element of an array read as a top-level value of its type is (normalize.ts). */
const element = (kind: ValueKind) => (text: string) => normalizeValue(kind, text, 'hex');

/**
 * Built-in array types, each element read from the array's text into the canonical form a top-level
 * value of its type takes, so an array reads the same from PostgreSQL as from DuckDB or BigQuery (and
 * fingerprints the same). pg's own parsers would damage some: numeric[] elements as floats (digits
 * past 2^53 lost), json[]/jsonb[] through JSON.parse (big integers rounded), int8[] as strings,
 * timestamp[], date[], bytea[], uuid[] as one literal string. Float NaN / Infinity stay the strings
 * "NaN" / "Infinity" (JSON would turn them into null).
 */
const ELEMENT_FROM_TEXT: Record<number, (text: string) => Value> = {
  1000: element('boolean'),
  1005: element('integer'),
  1007: element('integer'),
  1016: element('integer'),
  1028: element('integer'),
  1021: normalizeFloat,
  1022: normalizeFloat,
  // NUMERIC's NaN and (PostgreSQL 14+) ±Infinity make the value unreadable, as at top level: no
  // destination number field takes them (a float's NaN is a string there, and in float arrays).
  1231: normalizeDecimal,
  1009: element('string'),
  1014: element('string'),
  1015: element('string'),
  1003: element('string'),
  2951: element('string'),
  // "char"[], timetz[], bit[], varbit[]: each element the text a top-level value of its type is.
  1002: element('string'),
  1270: element('string'),
  1561: element('string'),
  1563: element('string'),
  1182: element('date'),
  1183: element('time'),
  1115: element('datetime'),
  1185: element('timestamp'),
  // interval[]: each element the ISO duration a top-level interval is.
  1187: pgInterval,
  199: element('json'),
  3807: element('json'),
  1001: element('bytes'),
};

function mapElements(value: unknown, read: (text: string) => Value): Value {
  if (Array.isArray(value)) return value.map((item) => mapElements(item, read));
  return typeof value === 'string' ? read(value) : null;
}

export function normalizePg(oid: number, raw: string | null): Value | UnreadableValue {
  if (raw === null) return null;
  const fromText = ELEMENT_FROM_TEXT[oid];
  if (fromText) {
    try {
      return readValue('json', mapElements(parseTextArray(raw), fromText));
    } catch (err) {
      if (err instanceof NormalizeError) return new UnreadableValue('json', raw, err.reason);
      throw err;
    }
  }
  if (oid === INTERVAL_OID) return readNormalized('interval', raw, (text) => pgInterval(String(text)));
  return readValue(postgresKind(oid), raw, 'hex');
}

/**
 * Session settings every value's canonical form depends on, whatever the server, database, role or
 * URL sets: timestamps with an explicit +00 offset, dates and intervals in the forms normalize.ts
 * reads (a role's `DateStyle = SQL, DMY` made every date unreadable), doubles with every digit
 * (`extra_float_digits = 0`, the default before PostgreSQL 12, rounded them), bytea as hex (`escape`
 * was decoded as hex, cut at its first non-hex character). Each a statement of its own: a server
 * without a parameter (Redshift has no bytea, no IntervalStyle) ignores it.
 */
const SESSION_SETTINGS: ReadonlyArray<{ sql: string; optional: boolean }> = [
  { sql: `SET TIME ZONE 'UTC'`, optional: false },
  { sql: `SET DateStyle = 'ISO, YMD'`, optional: false },
  { sql: `SET IntervalStyle = 'postgres'`, optional: true },
  { sql: `SET extra_float_digits = 3`, optional: true },
  { sql: `SET bytea_output = 'hex'`, optional: true },
];

/** SQLSTATE 42704: unrecognized configuration parameter. */
const UNKNOWN_PARAMETER = '42704';

/**
 * PostgreSQL (or Redshift) through `pg` with a server-side cursor: pages of `pageSize` rows, never
 * the whole result. Every value arrives as text and is normalised by its column's type.
 */
export class PostgresSource implements Source {
  private client: Client | undefined;
  /** Why the connection was lost (a restart, a failover, the network), once it has been. */
  private lost: Error | undefined;
  /** Fails the page read in flight, if any: a cursor read on a connection lost under it may never call back. */
  private abandonRead: ((err: Error) => void) | undefined;

  constructor(private readonly config: PostgresConnection) {}

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    // A server that never answers (a dropping firewall, a wrong host) fails the connect, which is
    // retried as the warehouse being unavailable; without a deadline the extract hung, heartbeating.
    const connectionTimeoutMillis = pgConnectTimeoutMs(this.config.url, 'PostgreSQL connection URL');
    const client = new Client({ connectionString: this.config.url, application_name: 'backflow', connectionTimeoutMillis });
    // A connection lost while idle (between two pages) is an 'error' event: unheard, it crashed the
    // worker process and every activity on it.
    const lose = (err: Error) => {
      this.lost ??= err;
      this.abandonRead?.(this.lost);
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('Connection terminated')));
    try {
      await client.connect();
      for (const setting of SESSION_SETTINGS) {
        await client.query(setting.sql).catch((err: unknown) => {
          if (!(setting.optional && (err as { code?: unknown }).code === UNKNOWN_PARAMETER)) throw err;
        });
      }
    } catch (err) {
      await client.end().catch(() => {});
      throw sourceFailure(`cannot connect to PostgreSQL: ${(err as Error).message}`, isPostgresUnavailable(err));
    }
    this.lost = undefined;
    this.client = client;
    return client;
  }

  async check(): Promise<void> {
    await (await this.connect()).query('SELECT 1');
  }

  async describe(sql: string): Promise<Column[]> {
    const client = await this.connect();
    try {
      const result = await client.query({ text: `SELECT * FROM ${asSubquery(sql)} AS backflow_model LIMIT 0`, types: asText });
      return result.fields.map((field) => ({ name: field.name, type: String(field.dataTypeID) }));
    } catch (err) {
      throw sourceFailure(`PostgreSQL: ${(err as Error).message}`, isPostgresUnavailable(err) || this.lost !== undefined);
    }
  }

  async *stream(sql: string): AsyncIterable<SourceRow[]> {
    const client = await this.connect();
    const cursor = client.query(new Cursor<Record<string, string | null>>(sql, [], { types: asText }));
    // Column types arrive with the first page; the final, empty read carries no result.
    let oids = new Map<string, number>();
    let failed = false;
    try {
      for (;;) {
        const rows = await new Promise<Array<Record<string, string | null>>>((resolve, reject) => {
          // Seen in CI: a read after (or during) the loss of the connection waited forever.
          const abandon = (err: Error) => {
            failed = true;
            reject(sourceFailure(`PostgreSQL: ${err.message}`, true));
          };
          if (this.lost) return abandon(this.lost);
          this.abandonRead = abandon;
          cursor.read(this.config.pageSize, (err, page, result) => {
            this.abandonRead = undefined;
            if (err) {
              failed = true;
              return reject(sourceFailure(`PostgreSQL: ${err.message}`, isPostgresUnavailable(err) || this.lost !== undefined));
            }
            if (result?.fields?.length) oids = new Map(result.fields.map((f) => [f.name, f.dataTypeID]));
            resolve(page);
          });
        });
        if (rows.length === 0) return;
        yield rows.map((raw) => {
          const row: SourceRow = {};
          for (const [name, value] of Object.entries(raw)) row[name] = normalizePg(oids.get(name) ?? 25, value);
          return row;
        });
      }
    } finally {
      // A cursor on a lost connection never closes (it waits for the server's readyForQuery): drop the
      // connection instead; the next attempt opens a new one. A failed read may be the first news of
      // the loss, before the client's own 'error' or 'end' event: closing the cursor then hung the run.
      if (this.lost || failed) this.drop(client);
      else await cursor.close();
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client && this.lost) this.drop(client);
    else await client?.end();
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => {});
  }
}
