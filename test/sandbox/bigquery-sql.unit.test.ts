/**
 * GoogleSQL → DuckDB translation of the BigQuery sandbox: table paths, literals, parameters,
 * types, statement types, and BigQuery's errors for what it rejects before running anything.
 */
import { BigQueryApiError, duckdbErrorOffset, fromDuckDbError } from '../../src/sandbox/bigquery/errors';
import { bindParameters } from '../../src/sandbox/bigquery/params';
import { lineColumn, translateSql, type SqlContext } from '../../src/sandbox/bigquery/sql';

const ctx: SqlContext = { projectId: 'backflow-sandbox', location: 'US' };

function duck(sql: string, context: SqlContext = ctx): string {
  const translation = translateSql(sql, context);
  expect(translation.statements).toHaveLength(1);
  return translation.statements[0]?.sql ?? '';
}

function rejection(sql: string, context: SqlContext = ctx): BigQueryApiError {
  try {
    translateSql(sql, context);
  } catch (err) {
    if (err instanceof BigQueryApiError) return err;
    throw err;
  }
  throw new Error(`expected ${sql} to be rejected`);
}

describe('table paths', () => {
  it.each([
    ['SELECT * FROM `backflow-sandbox.analytics.accounts`', 'SELECT * FROM "analytics"."accounts"'],
    ['SELECT * FROM `analytics.accounts`', 'SELECT * FROM "analytics"."accounts"'],
    ['SELECT * FROM analytics.accounts', 'SELECT * FROM "analytics"."accounts"'],
    ['SELECT * FROM backflow-sandbox.analytics.accounts', 'SELECT * FROM "analytics"."accounts"'],
    ['SELECT * FROM `backflow-sandbox`.analytics.`accounts`', 'SELECT * FROM "analytics"."accounts"'],
    ['SELECT * FROM `backflow-sandbox.analytics`.accounts a', 'SELECT * FROM "analytics"."accounts" a'],
    ['select * from analytics . accounts', 'select * from "analytics"."accounts"'],
    ['SELECT * FROM analytics.2024_sales', 'SELECT * FROM "analytics"."2024_sales"'],
  ])('%s', (sql, expected) => {
    expect(duck(sql)).toBe(expected);
  });

  it('rewrites every table of joins, comma joins and subqueries, and records them', () => {
    const translation = translateSql(
      'SELECT a.id FROM analytics.accounts a JOIN `analytics.orders` o ON a.id = o.account_id, analytics.extra e ' +
        'WHERE a.id IN (SELECT id FROM `backflow-sandbox.analytics.vip`)',
      ctx,
    );
    const statement = translation.statements[0];
    expect(statement?.sql).toBe(
      'SELECT a.id FROM "analytics"."accounts" a JOIN "analytics"."orders" o ON a.id = o.account_id, "analytics"."extra" e ' +
        'WHERE a.id IN (SELECT id FROM "analytics"."vip")',
    );
    expect(statement?.tables.map((t) => `${t.dataset}.${t.table}:${t.role}`)).toEqual([
      'analytics.accounts:read',
      'analytics.orders:read',
      'analytics.extra:read',
      'analytics.vip:read',
    ]);
  });

  it('leaves CTE names, UNNEST, table functions and FROM inside EXTRACT alone as tables', () => {
    const sql =
      'WITH recent AS (SELECT * FROM analytics.accounts), top AS (SELECT * FROM recent) ' +
      'SELECT EXTRACT(YEAR FROM created_at) AS y, x FROM top, UNNEST([1, 2]) AS x WHERE a IS DISTINCT FROM b';
    expect(duck(sql)).toBe(
      'WITH recent AS (SELECT * FROM "analytics"."accounts"), top AS (SELECT * FROM recent) ' +
        'SELECT EXTRACT(YEAR FROM created_at) AS y, x FROM top, UNNEST([1, 2]) AS x(x) WHERE a IS DISTINCT FROM b',
    );
    expect(translateSql('SELECT * FROM range(3)', ctx).statements[0]?.tables).toEqual([]);
  });

  it('never reads a reserved keyword after FROM as a table name', () => {
    expect(duck('SELECT 1 FROM WHERE x')).toBe('SELECT 1 FROM WHERE x');
    expect(duck('SELECT * FROM (SELECT 1) AS s')).toBe('SELECT * FROM (SELECT 1) AS s');
  });

  it('resolves bare table names against defaultDataset', () => {
    expect(duck('SELECT * FROM accounts JOIN orders USING (id)', { ...ctx, defaultDataset: 'analytics' })).toBe(
      'SELECT * FROM "analytics"."accounts" JOIN "analytics"."orders" USING (id)',
    );
  });

  it('rejects a bare table name without defaultDataset the way BigQuery does', () => {
    const err = rejection('SELECT *\nFROM accounts');
    expect(err.status).toBe(400);
    expect(err.reason).toBe('invalid');
    expect(err.message).toBe('Invalid value: Table name "accounts" missing dataset while no default dataset is set in the request. at [2:6]');
  });

  it('answers 404 notFound for a project other than the sandbox', () => {
    const err = rejection('SELECT * FROM `other-project.analytics.accounts`');
    expect(err.status).toBe(404);
    expect(err.reason).toBe('notFound');
    expect(err.body().error).toMatchObject({ code: 404, status: 'NOT_FOUND', errors: [{ reason: 'notFound', domain: 'global' }] });
    expect(err.message).toMatch(/^Not found: Dataset other-project:analytics was not found in location US/);
  });

  it('rewrites DML and DDL targets, adding the INTO/FROM BigQuery lets you omit', () => {
    const script = translateSql(
      'INSERT analytics.t (a) VALUES (1); DELETE analytics.t WHERE a = 1; UPDATE analytics.t SET a = 2 WHERE true; ' +
        'MERGE analytics.t T USING analytics.s S ON T.a = S.a WHEN MATCHED THEN DELETE; ' +
        'CREATE OR REPLACE TABLE analytics.u AS SELECT * FROM analytics.t; DROP TABLE IF EXISTS `analytics.u`; ' +
        'CREATE SCHEMA IF NOT EXISTS `backflow-sandbox.staging`',
      ctx,
    );
    expect(script.statementType).toBe('SCRIPT');
    expect(script.statements.map((s) => [s.statementType, s.sql.trim()])).toEqual([
      ['INSERT', 'INSERT INTO "analytics"."t" (a) VALUES (1)'],
      ['DELETE', 'DELETE FROM "analytics"."t" WHERE a = 1'],
      ['UPDATE', 'UPDATE "analytics"."t" SET a = 2 WHERE true'],
      ['MERGE', 'MERGE INTO "analytics"."t" T USING "analytics"."s" S ON T.a = S.a WHEN MATCHED THEN DELETE'],
      ['CREATE_TABLE_AS_SELECT', 'CREATE OR REPLACE TABLE "analytics"."u" AS SELECT * FROM "analytics"."t"'],
      ['DROP_TABLE', 'DROP TABLE IF EXISTS "analytics"."u"'],
      ['CREATE_SCHEMA', 'CREATE SCHEMA IF NOT EXISTS "staging"'],
    ]);
    expect(script.statements[0]?.tables).toEqual([{ dataset: 'analytics', table: 't', role: 'write' }]);
  });
});

describe('lexical translation', () => {
  it('turns double-quoted strings into string literals and backticks into identifiers', () => {
    expect(duck('SELECT `first name`, "O\'Brien" AS who FROM analytics.people WHERE status = "active"')).toBe(
      `SELECT "first name", 'O''Brien' AS who FROM "analytics"."people" WHERE status = 'active'`,
    );
  });

  it('decodes escapes, raw, triple-quoted and bytes literals', () => {
    expect(duck(String.raw`SELECT 'it\'s', "tab\there", r'\d+', '''two
lines''', b'\x01\x02', '\u00e9'`)).toBe(`SELECT 'it''s', 'tab\there', '\\d+', 'two\nlines', from_base64('AQI='), 'é'`);
  });

  it('turns # comments into -- comments (the #standardSQL prefix included)', () => {
    expect(duck('#standardSQL\nSELECT 1 # trailing')).toBe('--standardSQL\nSELECT 1 -- trailing');
  });

  it('reads 1.5 and 1e3 as FLOAT64, integers as they are', () => {
    expect(duck('SELECT 2, 1.5, 1e3, 0x1F')).toBe('SELECT 2, CAST(1.5 AS DOUBLE), CAST(1e3 AS DOUBLE), 0x1F');
  });

  it('quotes identifiers DuckDB reserves but GoogleSQL does not', () => {
    expect(duck('SELECT show, unique, check FROM analytics.t')).toBe('SELECT "show", "unique", "check" FROM "analytics"."t"');
  });

  it('rejects an unclosed string with BigQuery\'s syntax error and position', () => {
    const err = rejection("SELECT 1,\n  'oops");
    expect(err.reason).toBe('invalidQuery');
    expect(err.message).toBe('Syntax error: Unclosed string literal at [2:3]');
  });
});

describe('types and functions', () => {
  it('translates CAST / SAFE_CAST target types', () => {
    expect(duck('SELECT CAST(a AS INT64), SAFE_CAST(b AS FLOAT64), CAST(c AS NUMERIC), CAST(d AS BYTES), CAST(e AS TIMESTAMP), CAST(f AS ARRAY<STRING>)')).toBe(
      'SELECT CAST(bq_round_float(a) AS BIGINT), TRY_CAST(b AS DOUBLE), CAST(c AS DECIMAL(38,9)), CAST(d AS BLOB), CAST(e AS TIMESTAMPTZ), CAST(f AS VARCHAR[])',
    );
    expect(duck('SELECT CAST(s AS STRUCT<a INT64, b ARRAY<NUMERIC(10, 2)>>)')).toBe('SELECT CAST(s AS STRUCT("a" BIGINT, "b" DECIMAL(10,2)[]))');
  });

  it("rounds the operand of a cast to INT64 as GoogleSQL does (a float's halfway cases away from zero), inner casts and subqueries included", () => {
    expect(duck('SELECT CAST(score * 2 AS INT64), SAFE_CAST(CAST(s AS FLOAT64) AS INTEGER), CAST((SELECT MAX(x) FROM analytics.t) AS INT64), CAST(score AS STRING) FROM analytics.t')).toBe(
      'SELECT CAST(bq_round_float(score * 2) AS BIGINT), TRY_CAST(bq_round_float(CAST(s AS DOUBLE)) AS BIGINT), CAST(bq_round_float((SELECT MAX(x) FROM "analytics"."t")) AS BIGINT), CAST(score AS VARCHAR) FROM "analytics"."t"',
    );
  });

  it('translates typed literals; TIMESTAMP is absolute, DATETIME civil', () => {
    expect(duck("SELECT TIMESTAMP '2024-01-02 03:04:05', DATETIME '2024-01-02 03:04:05', DATE '2024-01-02', NUMERIC '1.25', ARRAY<INT64>[1, 2]")).toBe(
      "SELECT CAST('2024-01-02 03:04:05' AS TIMESTAMPTZ), CAST('2024-01-02 03:04:05' AS TIMESTAMP), CAST('2024-01-02' AS DATE), CAST('1.25' AS DECIMAL(38,9)), CAST([1, 2] AS BIGINT[])",
    );
  });

  it('translates CREATE TABLE column types', () => {
    expect(duck('CREATE TABLE analytics.t (id INT64 NOT NULL, tags ARRAY<STRING>, amount BIGNUMERIC, payload JSON)')).toBe(
      'CREATE TABLE "analytics"."t" (id BIGINT NOT NULL, tags VARCHAR[], amount DECIMAL(38,10), payload JSON)',
    );
  });

  it('names UNNEST elements by their alias and turns IN UNNEST into a subquery', () => {
    expect(duck('SELECT id, item FROM analytics.t CROSS JOIN UNNEST(t.items) AS item, UNNEST([1, 2]) n WHERE 2 IN UNNEST(t.codes)')).toBe(
      'SELECT id, item FROM "analytics"."t" CROSS JOIN UNNEST(t.items) AS item(item), UNNEST([1, 2]) n(n) WHERE 2 IN (SELECT UNNEST(t.codes))',
    );
  });

  it('translates * EXCEPT, CURRENT_TIMESTAMP() and renamed functions', () => {
    expect(duck('SELECT * EXCEPT (secret), CURRENT_TIMESTAMP(), CURRENT_DATE(), LOGICAL_OR(flag), REGEXP_CONTAINS(s, r"^a") FROM analytics.t')).toBe(
      `SELECT * EXCLUDE (secret), CURRENT_TIMESTAMP, CURRENT_DATE, bool_or(flag), regexp_matches(s, '^a') FROM "analytics"."t"`,
    );
  });

  it('counts EXTRACT(DAYOFWEEK …) from 1 (Sunday), as GoogleSQL does, leaving other parts as they are', () => {
    expect(duck('SELECT EXTRACT(DAYOFWEEK FROM d) * 2, EXTRACT(DAY FROM d) FROM analytics.t')).toBe(
      'SELECT (EXTRACT(DAYOFWEEK FROM d) + 1) * 2, EXTRACT(DAY FROM d) FROM "analytics"."t"',
    );
  });
});

describe('EXTRACT(WEEK …)', () => {
  it("counts GoogleSQL's weeks (from Sunday, or WEEK(<WEEKDAY>)'s day) with bq_week and ISOWEEK with DuckDB's ISO WEEK", () => {
    expect(duck("SELECT EXTRACT(WEEK FROM d) + 1, EXTRACT(WEEK(monday) FROM ts AT TIME ZONE 'Europe/Paris'), EXTRACT(ISOWEEK FROM d), EXTRACT(ISOYEAR FROM d) FROM analytics.t")).toBe(
      `SELECT bq_week(d, 0) + 1, bq_week(ts AT TIME ZONE 'Europe/Paris', 1), EXTRACT(WEEK FROM d), EXTRACT(ISOYEAR FROM d) FROM "analytics"."t"`,
    );
  });

  it('rejects a WEEK(<WEEKDAY>) that names no weekday, naming it and its position', () => {
    const err = rejection('SELECT EXTRACT(WEEK(FUNDAY) FROM d) FROM analytics.t');
    expect(err).toMatchObject({ status: 400, reason: 'invalidQuery' });
    expect(err.message).toBe('Invalid week start "FUNDAY" in WEEK(<WEEKDAY>): expected one of SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY at [1:21]');
  });
});

describe('DATE_TRUNC / DATETIME_TRUNC / TIMESTAMP_TRUNC', () => {
  it('passes the trailing date part to the session macros as DuckDB names it, with the first day of a week', () => {
    expect(duck('SELECT DATE_TRUNC(d, MONTH), DATE_TRUNC(d, WEEK), DATE_TRUNC(d, week(monday)), DATE_TRUNC(d, ISOWEEK), DATETIME_TRUNC(dt, HOUR), TIMESTAMP_TRUNC(ts, DAY) FROM analytics.t')).toBe(
      `SELECT bq_date_trunc(d, 'month', 0), bq_date_trunc(d, 'week', 0), bq_date_trunc(d, 'week', 1), bq_date_trunc(d, 'week', 1), bq_datetime_trunc(dt, 'hour', 0), bq_timestamp_trunc(ts, 'day', 0) FROM "analytics"."t"`,
    );
  });

  it("leaves DuckDB's own date_trunc('part', x) and a part the function does not take as written", () => {
    expect(duck("SELECT date_trunc('month', d), DATE_TRUNC(d, HOUR) FROM analytics.t")).toBe(`SELECT date_trunc('month', d), DATE_TRUNC(d, HOUR) FROM "analytics"."t"`);
  });

  it('rejects a WEEK(<WEEKDAY>) that names no weekday', () => {
    expect(rejection('SELECT DATE_TRUNC(d, WEEK(FUNDAY)) FROM analytics.t').message).toMatch(/^Invalid week start "FUNDAY" in WEEK\(<WEEKDAY>\): .* at \[1:27\]$/);
  });
});

describe('INTERVAL literals', () => {
  it('parenthesizes a count that is not a lone number, as DuckDB needs, and leaves INTERVAL 1 DAY and strings alone', () => {
    expect(duck("SELECT DATE_ADD(d, INTERVAL n DAY), DATE_SUB(d, INTERVAL -1 WEEK), d + INTERVAL n * 2 MONTH, INTERVAL 1 DAY, INTERVAL '1' HOUR, INTERVAL (n) DAY FROM analytics.t")).toBe(
      `SELECT bq_date_add(d, INTERVAL (n) DAY), bq_date_sub(d, INTERVAL (-1) WEEK), d + INTERVAL (n * 2) MONTH, INTERVAL 1 DAY, INTERVAL '1' HOUR, INTERVAL (n) DAY FROM "analytics"."t"`,
    );
  });
});

describe('query parameters', () => {
  it('substitutes named parameters as typed literals', () => {
    const parameters = bindParameters(
      [
        { name: 'min', parameterType: { type: 'INT64' }, parameterValue: { value: '5' } },
        { name: 'names', parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } }, parameterValue: { arrayValues: [{ value: "o'k" }, { value: 'b' }] } },
        { name: 'since', parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: '2024-01-01T00:00:00.000Z' } },
        { name: 'missing', parameterType: { type: 'STRING' } },
      ],
      'NAMED',
    );
    expect(duck('SELECT * FROM analytics.t WHERE n > @min AND name IN UNNEST(@Names) AND at > @since AND x = @missing', { ...ctx, parameters })).toBe(
      `SELECT * FROM "analytics"."t" WHERE n > CAST('5' AS BIGINT) AND name IN (SELECT UNNEST(CAST([CAST('o''k' AS VARCHAR), CAST('b' AS VARCHAR)] AS VARCHAR[]))) ` +
        `AND at > CAST('2024-01-01T00:00:00.000Z' AS TIMESTAMPTZ) AND x = CAST(NULL AS VARCHAR)`,
    );
  });

  it('substitutes positional parameters in order', () => {
    const parameters = bindParameters(
      [
        { parameterType: { type: 'BOOL' }, parameterValue: { value: true } },
        { parameterType: { type: 'FLOAT64' }, parameterValue: { value: 2.5 } },
      ],
      'POSITIONAL',
    );
    expect(duck('SELECT ?, ?', { ...ctx, parameters })).toBe("SELECT CAST('true' AS BOOLEAN), CAST('2.5' AS DOUBLE)");
  });

  it('rejects an undeclared parameter with its position', () => {
    const err = rejection('SELECT @nope');
    expect(err.status).toBe(400);
    expect(err.reason).toBe('invalidQuery');
    expect(err.message).toBe("Query parameter 'nope' not found at [1:8]");
  });
});

describe('statement types and positions', () => {
  it.each([
    ['SELECT 1', 'SELECT'],
    ['WITH a AS (SELECT 1) SELECT * FROM a', 'SELECT'],
    ['CREATE TABLE analytics.t (a INT64)', 'CREATE_TABLE'],
    ['CREATE TEMP TABLE t AS SELECT 1', 'CREATE_TABLE_AS_SELECT'],
    ['CREATE OR REPLACE VIEW analytics.v AS SELECT 1', 'CREATE_VIEW'],
    ['TRUNCATE TABLE analytics.t', 'TRUNCATE_TABLE'],
    ['SELECT 1; SELECT 2', 'SCRIPT'],
  ])('%s is %s', (sql, type) => {
    expect(translateSql(sql, ctx).statementType).toBe(type);
  });

  it('maps DuckDB offsets back to line:column of the original SQL', () => {
    const statement = translateSql('SELECT a,\n  `b` FROM `analytics.t`\nWHERE c', ctx).statements[0];
    const sql = statement?.sql ?? '';
    expect(statement?.position(sql.indexOf('WHERE'))).toBe('3:1');
    expect(statement?.position(sql.indexOf('"b"'))).toBe('2:3');
    expect(statement?.position(sql.indexOf('c', sql.indexOf('WHERE')))).toBe('3:7');
    expect(lineColumn('a\nbc', 3)).toBe('2:2');
  });
});

describe('DuckDB errors in BigQuery terms', () => {
  const context = { projectId: 'backflow-sandbox', location: 'US' };

  it('maps a parser error to invalidQuery "Syntax error" at the original position', () => {
    const statement = translateSql('SELECT 1\nFORM analytics.t', ctx).statements[0];
    const raw = 'Parser Error: syntax error at or near "FORM"\n\nLINE 2: FORM analytics.t\n        ^';
    const err = fromDuckDbError(new Error(raw), { ...context, sql: statement?.sql ?? '', position: (o) => statement?.position(o) });
    expect(err.status).toBe(400);
    expect(err.reason).toBe('invalidQuery');
    expect(err.message).toBe('Syntax error: Unexpected "FORM" at [2:1]');
    expect(err.proto()).toEqual({ message: err.message, domain: 'global', reason: 'invalidQuery', location: 'q', locationType: 'parameter' });
  });

  it('maps missing tables and datasets to 404 notFound with BigQuery\'s messages', () => {
    const table = fromDuckDbError(new Error('Catalog Error: Table with name nope does not exist!\nDid you mean "accounts"?'), {
      ...context,
      datasetOf: () => 'analytics',
    });
    expect([table.status, table.reason, table.message]).toEqual([404, 'notFound', 'Not found: Table backflow-sandbox:analytics.nope was not found in location US']);
    const dataset = fromDuckDbError(new Error('Catalog Error: Table with name "nods.accounts" does not exist because schema "nods" does not exist.'), context);
    expect(dataset.message).toBe('Not found: Dataset backflow-sandbox:nods was not found in location US');
  });

  it('maps binder and function errors to BigQuery\'s wording', () => {
    expect(fromDuckDbError(new Error('Binder Error: Referenced column "zz" not found in FROM clause!'), context).message).toBe('Unrecognized name: zz');
    expect(fromDuckDbError(new Error('Catalog Error: Scalar Function with name foo does not exist!'), context).message).toBe('Function not found: foo');
    expect(fromDuckDbError(new Error('Failed to extract statements: Parser Error: syntax error at end of input'), context).message).toBe('Syntax error: Unexpected end of script');
    // DATE_ADD runs as the session's macro bq_date_add: the message names the function the SQL called.
    const macro = 'Binder Error: Macro bq_date_add() does not support the supplied arguments. You might need to add explicit type casts.';
    expect(fromDuckDbError(new Error(macro), context)).toMatchObject({ status: 400, reason: 'invalidQuery', message: 'No matching signature for function DATE_ADD' });
  });

  it('finds the caret of an elided DuckDB excerpt in the SQL', () => {
    // Verbatim from DuckDB 1.5 for this SQL: long lines are cut with "..." on both sides.
    const sql = `SELECT ${'x, '.repeat(60)}y FORM t WHERE ${'z AND '.repeat(30)} true`;
    const message =
      'Parser Error: syntax error at or near "t"\n\nLINE 1: ..., x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, y FORM t WHERE z AND z AND z AND z AND z AND z AND z AND z AND...\n' +
      `${' '.repeat(74)}^`;
    expect(duckdbErrorOffset(message, sql)).toBe(sql.indexOf(' t WHERE') + 1);
  });
});
