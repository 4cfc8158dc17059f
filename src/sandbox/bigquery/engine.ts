/**
 * The DuckDB database behind the sandbox: one instance, a connection for seeding (`exec`),
 * a fresh connection per job (its own session settings, no interleaving), and catalog
 * lookups in BigQuery's terms (a dataset is a schema; tables and views are tables).
 *
 * Sessions run in UTC, BigQuery's default time zone, so TIMESTAMP literals and casts without
 * an offset mean the same instant as they would in BigQuery, and know GoogleSQL's division and
 * hashing functions.
 */

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableBytes } from './cost';
import { quoteIdent } from './params';
import { fieldFor, type FieldSchema } from './wire';

export interface Relation {
  /** Names as DuckDB stores them (lookups are case-insensitive, like DuckDB's own). */
  schema: string;
  name: string;
  kind: 'TABLE' | 'VIEW';
  viewSql?: string;
}

export interface TableMetadata extends Relation {
  fields: FieldSchema[];
  /** Absent for views, as BigQuery reports them. */
  numRows?: bigint;
  numBytes?: bigint;
}

/**
 * GoogleSQL's division functions, which DuckDB lacks (documented in "Mathematical functions"):
 * SAFE_DIVIDE is NULL where the division would fail, IEEE_DIVIDE never fails (±inf, NaN), DIV is
 * integer division truncated toward zero that fails on a zero divisor with BigQuery's message.
 */
const GOOGLESQL_DIVISION = `
  CREATE OR REPLACE TEMP MACRO safe_divide(x, y) AS CASE WHEN y = 0 THEN NULL ELSE x / y END;
  CREATE OR REPLACE TEMP MACRO ieee_divide(x, y) AS CAST(x AS DOUBLE) / CAST(y AS DOUBLE);
  CREATE OR REPLACE TEMP MACRO div(x, y) AS CASE WHEN y = 0 THEN error('division by zero: ' || x || ' / ' || y) ELSE x // y END;`;

/**
 * GoogleSQL functions whose DuckDB namesakes answer differently, under the names the translation
 * gives them (sql.ts): MD5, SHA1 and SHA256 return the digest as BYTES (DuckDB: its hex as text, which
 * TO_HEX then hex-encoded again), and TO_HEX writes lowercase digits (DuckDB's hex: uppercase).
 */
const GOOGLESQL_HASHING = `
  CREATE OR REPLACE TEMP MACRO bq_md5(x) AS unhex(md5(x));
  CREATE OR REPLACE TEMP MACRO bq_sha1(x) AS unhex(sha1(x));
  CREATE OR REPLACE TEMP MACRO bq_sha256(x) AS unhex(sha256(x));
  CREATE OR REPLACE TEMP MACRO bq_to_hex(x) AS lower(hex(x));`;

/**
 * The operand of a cast to INT64 (sql.ts wraps it): GoogleSQL rounds a FLOAT64 halfway case away
 * from zero ("Conversion rules", CAST AS INT64: 2.5 → 3, -2.5 → -3), DuckDB's cast rounds it to
 * even (2.5 → 2), so floats are rounded first (DuckDB's round is half away from zero). Every exact
 * type is listed so that it is passed as it is: DuckDB would otherwise pick the DOUBLE overload by
 * an implicit cast and lose the digits of an integer beyond 2^53. Other types (STRING, BOOL, …)
 * take the untyped overload and are cast as they were.
 */
const GOOGLESQL_CASTS = `
  CREATE OR REPLACE TEMP MACRO bq_round_float(x DOUBLE) AS round(x), (x FLOAT) AS round(x),
    (x TINYINT) AS x, (x SMALLINT) AS x, (x INTEGER) AS x, (x BIGINT) AS x, (x HUGEINT) AS x,
    (x UTINYINT) AS x, (x USMALLINT) AS x, (x UINTEGER) AS x, (x UBIGINT) AS x, (x UHUGEINT) AS x,
    (x DECIMAL(38, 10)) AS x, (x) AS x;`;

/**
 * GoogleSQL's WEEK date part, which DuckDB lacks (its WEEK is ISOWEEK): the week number in
 * [0, 53] with weeks beginning on \`first_day\` (0 = Sunday, WEEK's default, to 6 = Saturday, for
 * WEEK(<WEEKDAY>)); days before the year's first such weekday are in week 0. The week a day is in
 * starts \`(dayofweek - first_day + 7) % 7\` days before it, at a 0-based day of the year in [-6, 365].
 */
const GOOGLESQL_DATE_PARTS = `
  CREATE OR REPLACE TEMP MACRO bq_week(x, first_day) AS (dayofyear(x) - 1 - (dayofweek(x) - first_day + 7) % 7 + 7) // 7;`;

/**
 * GoogleSQL's DATE_ADD / DATE_SUB return a DATE (DuckDB's date + interval: a TIMESTAMP, which the
 * client read as a DATETIME). Defined for a DATE or a string literal, as GoogleSQL coerces one;
 * any other operand (a TIMESTAMP, …) matches no signature, as in BigQuery.
 */
const GOOGLESQL_DATE_ARITHMETIC = `
  CREATE OR REPLACE TEMP MACRO bq_date_add(d DATE, i INTERVAL) AS CAST(d + i AS DATE),
    (d VARCHAR, i INTERVAL) AS CAST(CAST(d AS DATE) + i AS DATE);
  CREATE OR REPLACE TEMP MACRO bq_date_sub(d DATE, i INTERVAL) AS CAST(d - i AS DATE),
    (d VARCHAR, i INTERVAL) AS CAST(CAST(d AS DATE) - i AS DATE);`;

/**
 * GoogleSQL's DATE_TRUNC / DATETIME_TRUNC / TIMESTAMP_TRUNC (x, part), which sql.ts calls with the
 * part as DuckDB names it and the first day of a week (0 = Sunday … 6): a WEEK starts on Sunday
 * (WEEK(<WEEKDAY>): that day, ISOWEEK: Monday), where DuckDB's week starts on Monday; DATE_TRUNC
 * returns a DATE (DuckDB: a TIMESTAMP). TIMESTAMP_TRUNC truncates in UTC, the session's time zone.
 */
const GOOGLESQL_TRUNCATION = `
  CREATE OR REPLACE TEMP MACRO bq_trunc(x, part, first_day) AS CASE WHEN part = 'week'
    THEN date_trunc('day', x) - to_days(CAST((dayofweek(x) - first_day + 7) % 7 AS INTEGER)) ELSE date_trunc(part, x) END;
  CREATE OR REPLACE TEMP MACRO bq_date_trunc(x, part, first_day) AS CAST(bq_trunc(x, part, first_day) AS DATE);
  CREATE OR REPLACE TEMP MACRO bq_datetime_trunc(x, part, first_day) AS CAST(bq_trunc(x, part, first_day) AS TIMESTAMP);
  CREATE OR REPLACE TEMP MACRO bq_timestamp_trunc(x, part, first_day) AS CAST(bq_trunc(x, part, first_day) AS TIMESTAMPTZ);`;

async function utcSession(connection: DuckDBConnection): Promise<DuckDBConnection> {
  await connection.run(`SET TimeZone = 'UTC';${GOOGLESQL_DIVISION}${GOOGLESQL_HASHING}${GOOGLESQL_CASTS}${GOOGLESQL_DATE_PARTS}${GOOGLESQL_DATE_ARITHMETIC}${GOOGLESQL_TRUNCATION}`);
  return connection;
}

export class Warehouse {
  private seedQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly seed: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<Warehouse> {
    const instance = await DuckDBInstance.create(path);
    const seed = await utcSession(await instance.connect());
    return new Warehouse(instance, seed);
  }

  /** Runs DuckDB SQL as given (one call at a time: a connection runs one statement batch). */
  exec(sql: string): Promise<void> {
    const run = this.seedQueue.then(async () => {
      await this.seed.run(sql);
    });
    this.seedQueue = run.catch(() => undefined);
    return run;
  }

  /** A new session for one job; close it with `closeSync()`. */
  async connect(): Promise<DuckDBConnection> {
    return utcSession(await this.instance.connect());
  }

  async datasetExists(connection: DuckDBConnection, dataset: string): Promise<boolean> {
    const reader = await connection.runAndReadAll(
      'SELECT 1 FROM duckdb_schemas() WHERE database_name = current_database() AND lower(schema_name) = lower($1)',
      [dataset],
    );
    return reader.currentRowCount > 0;
  }

  async findRelation(connection: DuckDBConnection, dataset: string, table: string): Promise<Relation | null> {
    const reader = await connection.runAndReadAll(
      `SELECT schema_name, table_name, 'TABLE', NULL FROM duckdb_tables()
         WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)
       UNION ALL
       SELECT schema_name, view_name, 'VIEW', sql FROM duckdb_views()
         WHERE database_name = current_database() AND NOT internal AND lower(schema_name) = lower($1) AND lower(view_name) = lower($2)`,
      [dataset, table],
    );
    const row = reader.getRowsJson()[0];
    if (row === undefined) return null;
    const relation: Relation = { schema: String(row[0]), name: String(row[1]), kind: row[2] === 'VIEW' ? 'VIEW' : 'TABLE' };
    if (typeof row[3] === 'string') relation.viewSql = row[3];
    return relation;
  }

  /** tables.get: schema (NOT NULL columns are REQUIRED), row count and logical bytes. */
  async tableMetadata(dataset: string, table: string): Promise<TableMetadata | null> {
    const connection = await this.connect();
    try {
      const relation = await this.findRelation(connection, dataset, table);
      if (relation === null) return null;
      const qualified = `${quoteIdent(relation.schema)}.${quoteIdent(relation.name)}`;
      const probe = await connection.prepare(`SELECT * FROM ${qualified} LIMIT 0`);
      const notNull = await connection.runAndReadAll(
        `SELECT column_name FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 AND NOT is_nullable`,
        [relation.schema, relation.name],
      );
      const required = new Set(notNull.getRowsJson().map((r) => String(r[0])));
      const fields: FieldSchema[] = [];
      for (let i = 0; i < probe.columnCount; i += 1) {
        const field = fieldFor(probe.columnName(i), probe.columnType(i));
        fields.push(required.has(field.name) && field.mode === 'NULLABLE' ? { ...field, mode: 'REQUIRED' } : field);
      }
      const metadata: TableMetadata = { ...relation, fields };
      if (relation.kind === 'TABLE') {
        const count = await connection.runAndReadAll(`SELECT CAST(count(*) AS VARCHAR) FROM ${qualified}`);
        metadata.numRows = BigInt(String(count.getRowsJson()[0]?.[0] ?? '0'));
        metadata.numBytes = await tableBytes(connection, qualified);
      }
      return metadata;
    } finally {
      connection.closeSync();
    }
  }

  async hasDataset(dataset: string): Promise<boolean> {
    const connection = await this.connect();
    try {
      return await this.datasetExists(connection, dataset);
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    await this.seedQueue;
    this.seed.closeSync();
    this.instance.closeSync();
  }
}
