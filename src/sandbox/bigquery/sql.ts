/**
 * GoogleSQL → DuckDB SQL, token by token.
 *
 * A BigQuery dataset is a DuckDB schema, so table paths are rewritten to schema-qualified names:
 * `` `project.dataset.table` ``, `` `dataset.table` ``, `project.dataset.table`, `my-project.dataset.table`
 * and `dataset.table` all become `"dataset"."table"`. A project other than the sandbox's answers
 * 404 notFound; a bare table name with no `defaultDataset` is rejected as BigQuery rejects it.
 *
 * Also translated, because DuckDB reads them differently (lexical structure per
 * https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical):
 * - backtick identifiers → "double-quoted" identifiers;
 * - "double-quoted" and r/b-prefixed and triple-quoted strings (with BigQuery escapes) → DuckDB
 *   '…' literals (a "…" in DuckDB would be an identifier), bytes literals → from_base64(…);
 * - `#` comments → `--` comments (this also covers the `#standardSQL` prefix);
 * - `@name` / `?` query parameters → typed literals (params.ts);
 * - types in CAST/SAFE_CAST, typed literals (`TIMESTAMP '…'`, `NUMERIC '…'`, `ARRAY<INT64>[…]`)
 *   and CREATE TABLE column lists: INT64/INTEGER → BIGINT, FLOAT64 → DOUBLE, NUMERIC → DECIMAL(38,9),
 *   BYTES → BLOB, TIMESTAMP → TIMESTAMPTZ (BigQuery's TIMESTAMP is absolute), ARRAY<T> → T[],
 *   STRUCT<a T> → STRUCT(a T);
 * - 1.5 / 1e3 literals → DOUBLE (FLOAT64 in GoogleSQL, DECIMAL in DuckDB);
 * - identifiers DuckDB reserves but GoogleSQL does not (`show`, `unique`, `check`, …) → quoted;
 * - `UNNEST(arr) AS x` in FROM → `UNNEST(arr) AS x(x)` (x is the element, as in GoogleSQL),
 *   `x IN UNNEST(arr)` → `x IN (SELECT UNNEST(arr))`;
 * - SAFE_CAST → TRY_CAST, `* EXCEPT (…)` → `* EXCLUDE (…)`, CURRENT_TIMESTAMP() and friends,
 *   LOGICAL_OR/LOGICAL_AND/REGEXP_CONTAINS → DuckDB's names, FORMAT → printf (GoogleSQL's `%d`, `%s`),
 *   EXTRACT(DAYOFWEEK …) + 1 (GoogleSQL's days run 1-7 from Sunday), INSERT/DELETE/MERGE without INTO/FROM;
 * - EXTRACT(WEEK[(<WEEKDAY>)] FROM x) → bq_week(x, first_day) (engine.ts): GoogleSQL's weeks begin on
 *   Sunday (or WEEKDAY), days before the first one in week 0; EXTRACT(ISOWEEK …) → DuckDB's WEEK;
 * - DATE_TRUNC / DATETIME_TRUNC / TIMESTAMP_TRUNC(x, PART) → bq_…_trunc(x, 'part', first_day)
 *   (engine.ts): the part named last, weeks from Sunday (WEEK(<WEEKDAY>): that day), DATE_TRUNC a DATE;
 * - `INTERVAL expr PART` → `INTERVAL (expr) PART` (DuckDB takes only a literal bare);
 * - CAST/SAFE_CAST(x AS INT64) → a cast of bq_round_float(x) (engine.ts), as GoogleSQL rounds a
 *   float's halfway cases away from zero (2.5 → 3), where DuckDB's cast rounds them to even.
 *
 * SAFE_DIVIDE, IEEE_DIVIDE and DIV are macros of every job's session (engine.ts), as are MD5, SHA1
 * and SHA256 (the digest as BYTES), TO_HEX (lowercase) and DATE_ADD / DATE_SUB (a DATE).
 *
 * Everything else is passed through as DuckDB SQL: functions whose signatures differ
 * (DATE_DIFF, FORMAT_DATE, GENERATE_ARRAY, STRUCT(… AS …),
 * UNNEST … WITH OFFSET, implicit `FROM t, t.array_column` joins, procedural scripting) must be
 * written the DuckDB way in sandboxed models, and `/` or MOD by zero give DuckDB's Infinity or
 * NULL where BigQuery fails the query ("division by zero").
 */

import { BigQueryApiError, invalid, invalidQuery, notFound, QUERY_LOCATION } from './errors';
import { quoteIdent, quoteString, type BoundParameters } from './params';

export interface SqlContext {
  projectId: string;
  /** Job location, used in "not found" messages. */
  location: string;
  /** `defaultDataset.datasetId`: where bare table names resolve (its project is checked by the caller). */
  defaultDataset?: string | undefined;
  parameters?: BoundParameters | undefined;
}

/** A table the statement reads (`read`), modifies (`write`) or defines/drops (`ddl`). */
export interface TableRef {
  dataset: string;
  table: string;
  role: 'read' | 'write' | 'ddl';
}

export interface TranslatedStatement {
  /** DuckDB SQL of this statement. */
  sql: string;
  /** BigQuery `statistics.query.statementType` of this statement (SELECT, INSERT, CREATE_TABLE_AS_SELECT, …). */
  statementType: string;
  tables: TableRef[];
  /** `line:column` in the original SQL of an offset into `sql` (BigQuery's error ` at [l:c]`). */
  position(offset: number): string | undefined;
}

export interface Translation {
  statements: TranslatedStatement[];
  /** The job's statement type: the statement's own, or SCRIPT for several. */
  statementType: string;
}

type TokenType = 'ws' | 'comment' | 'string' | 'bytes' | 'quoted' | 'ident' | 'number' | 'param' | 'positional' | 'sysvar' | 'punct';

interface Token {
  type: TokenType;
  start: number;
  end: number;
  text: string;
  /** Decoded string / identifier / parameter name. */
  value: string;
  bytes?: Buffer;
}

// ---------------------------------------------------------------------------------------
// lexing

/** 1-based `line:column` of `offset` in `sql`. */
export function lineColumn(sql: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < sql.length; i += 1) {
    if (sql.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return `${line}:${offset - lineStart + 1}`;
}

function syntaxError(sql: string, offset: number, message: string): BigQueryApiError {
  return invalidQuery(`Syntax error: ${message} at [${lineColumn(sql, offset)}]`);
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER = /(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/y;
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  '?': '?',
  "'": "'",
  '"': '"',
  '`': '`',
};

/** Code points of a quoted body with GoogleSQL escapes applied (raw bodies keep backslashes). */
function decodeBody(sql: string, bodyStart: number, body: string, raw: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i += 1) {
    const ch = body.charAt(i);
    if (ch !== '\\' || raw) {
      const cp = body.codePointAt(i) ?? 0;
      out.push(cp);
      if (cp > 0xffff) i += 1;
      continue;
    }
    const next = body.charAt(i + 1);
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out.push(simple.charCodeAt(0));
      i += 1;
      continue;
    }
    const hex = (len: number): number => {
      const digits = body.slice(i + 2, i + 2 + len);
      if (digits.length !== len || !/^[0-9a-fA-F]+$/.test(digits)) throw syntaxError(sql, bodyStart + i, `Illegal escape sequence: \\${next}${digits}`);
      i += 1 + len;
      return parseInt(digits, 16);
    };
    if (next === 'x' || next === 'X') out.push(hex(2));
    else if (next === 'u') out.push(hex(4));
    else if (next === 'U') out.push(hex(8));
    else if (/[0-7]/.test(next)) {
      const digits = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits)) throw syntaxError(sql, bodyStart + i, `Illegal escape sequence: \\${digits}`);
      out.push(parseInt(digits, 8));
      i += 3;
    } else throw syntaxError(sql, bodyStart + i, `Illegal escape sequence: \\${next}`);
  }
  return out;
}

/** Reads a quoted literal starting at `quoteAt`; returns the end offset and the raw body. */
function readQuoted(sql: string, quoteAt: number, what: 'string' | 'identifier'): { end: number; body: string; bodyStart: number } {
  const quote = sql.charAt(quoteAt);
  const triple = what === 'string' && sql.startsWith(quote.repeat(3), quoteAt);
  const open = triple ? 3 : 1;
  let i = quoteAt + open;
  while (i < sql.length) {
    const ch = sql.charAt(i);
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (triple ? sql.startsWith(quote.repeat(3), i) : ch === quote) {
      return { end: i + open, body: sql.slice(quoteAt + open, i), bodyStart: quoteAt + open };
    }
    if (!triple && ch === '\n') break;
    i += 1;
  }
  throw syntaxError(sql, quoteAt, what === 'string' ? 'Unclosed string literal' : 'Unclosed identifier literal');
}

function isSignificant(t: Token): boolean {
  return t.type !== 'ws' && t.type !== 'comment';
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const push = (type: TokenType, start: number, end: number, value = sql.slice(start, end), bytes?: Buffer): void => {
    const token: Token = { type, start, end, text: sql.slice(start, end), value };
    if (bytes !== undefined) token.bytes = bytes;
    tokens.push(token);
  };
  const lastSignificant = (): Token | undefined => {
    for (let k = tokens.length - 1; k >= 0; k -= 1) {
      const t = tokens[k];
      if (t !== undefined && isSignificant(t)) return t;
    }
    return undefined;
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (/\s/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql.charAt(j))) j += 1;
      push('ws', i, j);
      i = j;
    } else if ((ch === '-' && next === '-') || ch === '#') {
      let j = sql.indexOf('\n', i);
      if (j < 0) j = sql.length;
      push('comment', i, j);
      i = j;
    } else if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw syntaxError(sql, i, 'Unclosed comment');
      push('comment', i, close + 2);
      i = close + 2;
    } else if (ch === '`') {
      const { end, body, bodyStart } = readQuoted(sql, i, 'identifier');
      push('quoted', i, end, String.fromCodePoint(...decodeBody(sql, bodyStart, body, false)));
      i = end;
    } else if (ch === "'" || ch === '"') {
      const { end, body, bodyStart } = readQuoted(sql, i, 'string');
      push('string', i, end, String.fromCodePoint(...decodeBody(sql, bodyStart, body, false)));
      i = end;
    } else if (IDENT_START.test(ch)) {
      let j = i + 1;
      while (j < sql.length && IDENT_PART.test(sql.charAt(j))) j += 1;
      const word = sql.slice(i, j).toLowerCase();
      const quote = sql.charAt(j);
      if ((quote === "'" || quote === '"') && ['r', 'b', 'rb', 'br'].includes(word)) {
        const { end, body, bodyStart } = readQuoted(sql, j, 'string');
        const points = decodeBody(sql, bodyStart, body, word.includes('r'));
        if (word.includes('b')) {
          // Bytes literals: escapes are byte values, other characters their UTF-8 bytes.
          const parts = points.map((cp) => (cp < 0x100 && /\\/.test(body) ? Buffer.from([cp]) : Buffer.from(String.fromCodePoint(cp), 'utf8')));
          push('bytes', i, end, '', Buffer.concat(parts));
        } else push('string', i, end, String.fromCodePoint(...points));
        i = end;
      } else {
        push('ident', i, j);
        i = j;
      }
    } else if (/\d/.test(ch) || (ch === '.' && /\d/.test(next) && !['ident', 'quoted', 'number'].includes(lastSignificant()?.type ?? '') && lastSignificant()?.text !== ')' && lastSignificant()?.text !== ']')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(sql);
      const end = m === null ? i + 1 : i + m[0].length;
      push('number', i, end);
      i = end;
    } else if (ch === '@' && next === '@' && IDENT_START.test(sql.charAt(i + 2))) {
      let j = i + 3;
      while (j < sql.length && IDENT_PART.test(sql.charAt(j))) j += 1;
      push('sysvar', i, j);
      i = j;
    } else if (ch === '@' && IDENT_START.test(next)) {
      let j = i + 2;
      while (j < sql.length && IDENT_PART.test(sql.charAt(j))) j += 1;
      push('param', i, j, sql.slice(i + 1, j));
      i = j;
    } else if (ch === '?') {
      push('positional', i, i + 1);
      i += 1;
    } else {
      push('punct', i, i + 1);
      i += 1;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------
// types

const SIMPLE_TYPES: Record<string, string> = {
  INT64: 'BIGINT',
  INT: 'BIGINT',
  INTEGER: 'BIGINT',
  BIGINT: 'BIGINT',
  SMALLINT: 'BIGINT',
  TINYINT: 'BIGINT',
  BYTEINT: 'BIGINT',
  FLOAT64: 'DOUBLE',
  FLOAT: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  DECIMAL: 'DECIMAL(38,9)',
  // DuckDB stops at 38 digits; scale 10 keeps the column reported as BIGNUMERIC (wire.ts).
  BIGNUMERIC: 'DECIMAL(38,10)',
  BIGDECIMAL: 'DECIMAL(38,10)',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  STRING: 'VARCHAR',
  BYTES: 'BLOB',
  DATE: 'DATE',
  DATETIME: 'TIMESTAMP',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
  INTERVAL: 'INTERVAL',
};

/** Types that prefix a literal: `TIMESTAMP '2024-01-01 00:00:00'`, `NUMERIC '1.5'`, `JSON '{…}'`. */
const LITERAL_TYPES = new Set(['DATE', 'DATETIME', 'TIME', 'TIMESTAMP', 'NUMERIC', 'DECIMAL', 'BIGNUMERIC', 'BIGDECIMAL', 'JSON']);

// ---------------------------------------------------------------------------------------
// translation

interface Chunk {
  text: string;
  /** Offset in the original SQL this output came from. */
  origin: number;
  /** True when `text` is the original text unchanged (offsets map one to one). */
  same: boolean;
}

interface Frame {
  /** Upper-cased function name before this paren, '' for a plain paren. */
  fn: string;
  /** Inside a FROM clause at this depth: a comma introduces another table. */
  inFrom: boolean;
  /** The column list of CREATE TABLE: `name TYPE` pairs. */
  columnDefs: boolean;
}

/** Keywords that end a FROM clause at their depth (a comma after `ON cond` still adds a table). */
const FROM_ENDERS = new Set(['WHERE', 'GROUP', 'HAVING', 'QUALIFY', 'WINDOW', 'ORDER', 'LIMIT', 'UNION', 'INTERSECT', 'EXCEPT', 'SELECT', 'SET', 'VALUES']);
/** Functions whose argument syntax uses FROM without naming a table. */
const FROM_FUNCTIONS = new Set(['EXTRACT', 'TRIM', 'SUBSTRING', 'SUBSTR', 'POSITION', 'OVERLAY']);
/** GoogleSQL reserved keywords (lexical structure): never an unquoted table name. */
const RESERVED = new Set(
  `ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST COLLATE CONTAINS CREATE CROSS CUBE CURRENT
   DEFAULT DEFINE DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT EXCLUDE EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL
   GROUP GROUPING GROUPS HASH HAVING IF IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP
   MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO QUALIFY RANGE RECURSIVE
   RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT TABLESAMPLE THEN TO TREAT TRUE UNBOUNDED UNION UNNEST USING WHEN
   WHERE WINDOW WITH WITHIN`.split(/\s+/),
);
/** Words after FROM/JOIN that start something other than a table path (DuckDB's VALUES too). */
const NOT_A_PATH = new Set([...RESERVED, 'VALUES']);
/** Date parts an `INTERVAL n PART` literal ends with. */
const INTERVAL_PARTS = new Set(['YEAR', 'QUARTER', 'MONTH', 'WEEK', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND', 'MICROSECOND']);
/** WEEK(<WEEKDAY>) names, numbered from 0 (Sunday) as DuckDB's dayofweek numbers them. */
const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
/** The date parts each *_TRUNC function takes (GoogleSQL date, datetime and timestamp functions). */
const DATE_PARTS = ['DAY', 'WEEK', 'ISOWEEK', 'MONTH', 'QUARTER', 'YEAR', 'ISOYEAR'];
const TIME_PARTS = ['MICROSECOND', 'MILLISECOND', 'SECOND', 'MINUTE', 'HOUR'];
const TRUNC_PARTS: Record<string, string[]> = {
  DATE_TRUNC: DATE_PARTS,
  DATETIME_TRUNC: [...TIME_PARTS, ...DATE_PARTS],
  TIMESTAMP_TRUNC: [...TIME_PARTS, ...DATE_PARTS],
};
const CAST_FUNCTIONS = new Set(['CAST', 'SAFE_CAST', 'TRY_CAST']);
const FUNCTION_RENAMES: Record<string, string> = {
  SAFE_CAST: 'TRY_CAST',
  LOGICAL_OR: 'bool_or',
  LOGICAL_AND: 'bool_and',
  REGEXP_CONTAINS: 'regexp_matches',
  // DuckDB's format() takes {} placeholders: GoogleSQL's %d / %s came back as written, unformatted.
  FORMAT: 'printf',
  // Macros of every job's session (engine.ts): the digest as BYTES, hex in lowercase.
  MD5: 'bq_md5',
  SHA1: 'bq_sha1',
  SHA256: 'bq_sha256',
  TO_HEX: 'bq_to_hex',
  // Macros returning a DATE, as GoogleSQL's do (DuckDB's date + interval is a TIMESTAMP).
  DATE_ADD: 'bq_date_add',
  DATE_SUB: 'bq_date_sub',
};
/**
 * Words DuckDB reserves that GoogleSQL does not (so `SELECT show, unique FROM t` is valid there)
 * and that GoogleSQL syntax never uses: quoted when they stand as identifiers.
 */
const DUCKDB_ONLY_RESERVED = new Set([
  'ANALYSE', 'ANALYZE', 'ASYMMETRIC', 'AUTHORIZATION', 'BINARY', 'BOTH', 'CHECK', 'COLLATION', 'COLUMNS', 'DEFERRABLE',
  'DESCRIBE', 'DO', 'FREEZE', 'GENERATED', 'INITIALLY', 'LEADING', 'MAP', 'ONLY', 'PLACING', 'RETURNING', 'SHOW',
  'SUMMARIZE', 'SYMMETRIC', 'TRAILING', 'UNIQUE', 'VARIADIC', 'VERBOSE',
]);
/** Niladic date/time functions BigQuery calls with `()` and DuckDB spells as keywords. */
const CURRENT_FUNCTIONS: Record<string, string> = {
  CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP',
  CURRENT_DATE: 'CURRENT_DATE',
  CURRENT_DATETIME: "CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP)",
  CURRENT_TIME: "CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIME)",
};

/** `statistics.query.statementType` from a statement's leading keywords. */
function classify(words: string[], hasTopLevelAs: boolean): string {
  const [first] = words;
  const object = words.slice(1, 6).find((w) => ['TABLE', 'VIEW', 'SCHEMA', 'FUNCTION'].includes(w));
  switch (first) {
    case undefined:
      return 'SCRIPT';
    case 'SELECT':
    case 'WITH':
    case '(':
    case 'FROM':
      return 'SELECT';
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
      return first;
    case 'TRUNCATE':
      return 'TRUNCATE_TABLE';
    case 'CREATE':
      if (object === 'TABLE') return hasTopLevelAs ? 'CREATE_TABLE_AS_SELECT' : 'CREATE_TABLE';
      if (object === 'VIEW') return words.includes('MATERIALIZED') ? 'CREATE_MATERIALIZED_VIEW' : 'CREATE_VIEW';
      if (object === 'SCHEMA') return 'CREATE_SCHEMA';
      if (object === 'FUNCTION') return 'CREATE_FUNCTION';
      return 'SCRIPT';
    case 'DROP':
    case 'ALTER':
      return object === undefined ? 'SCRIPT' : `${first}_${words.includes('MATERIALIZED') ? 'MATERIALIZED_' : ''}${object}`;
    default:
      return first === 'ASSERT' ? 'ASSERT' : 'SCRIPT';
  }
}

class StatementTranslator {
  private readonly chunks: Chunk[] = [];
  private readonly stack: Frame[] = [{ fn: '', inFrom: false, columnDefs: false }];
  private readonly tables: TableRef[] = [];
  /** Tokens from an index to `end` (inclusive) written as `text` instead (a *_TRUNC date part). */
  private readonly replacements = new Map<number, { text: string; end: number }>();
  /** Output appended right after the token at an index (closing a CAST(…) opened earlier). */
  private readonly suffixes = new Map<number, string>();
  private readonly words: string[];
  readonly statementType: string;
  private positional = 0;
  private columnDefsAt = -1;
  /** Set by FROM/JOIN/INTO/…/a comma in FROM: the next token may start a table path. */
  private expect: TableRef['role'] | 'dataset' | null = null;

  constructor(
    private readonly sql: string,
    private readonly tokens: Token[],
    private readonly from: number,
    private readonly to: number,
    private readonly ctx: SqlContext,
    private readonly ctes: Set<string>,
    private readonly temps: Set<string>,
    positionalStart: number,
  ) {
    this.positional = positionalStart;
    const words: string[] = [];
    let depth = 0;
    let hasTopLevelAs = false;
    for (let i = from; i < to; i += 1) {
      const t = tokens[i];
      if (t === undefined || !isSignificant(t)) continue;
      if (t.text === '(') depth += 1;
      if (t.text === ')') depth -= 1;
      if (words.length < 8) words.push(t.type === 'ident' ? t.text.toUpperCase() : t.text);
      if (depth === 0 && t.type === 'ident' && t.text.toUpperCase() === 'AS') hasTopLevelAs = true;
    }
    this.words = words;
    this.statementType = classify(words, hasTopLevelAs);
  }

  get positionalUsed(): number {
    return this.positional;
  }

  private tok(i: number): Token | undefined {
    return i < this.to ? this.tokens[i] : undefined;
  }

  private nextSig(i: number): number {
    for (let k = i + 1; k < this.to; k += 1) {
      const t = this.tokens[k];
      if (t !== undefined && isSignificant(t)) return k;
    }
    return this.to;
  }

  private prevSig(i: number): Token | undefined {
    for (let k = i - 1; k >= this.from; k -= 1) {
      const t = this.tokens[k];
      if (t !== undefined && isSignificant(t)) return t;
    }
    return undefined;
  }

  private upper(i: number): string {
    const t = this.tok(i);
    return t === undefined ? '' : t.type === 'ident' ? t.text.toUpperCase() : t.type === 'punct' ? t.text : '';
  }

  private emit(text: string, origin: number, same = false): void {
    this.chunks.push({ text, origin, same });
  }

  private emitToken(i: number): void {
    const t = this.tok(i);
    if (t !== undefined) this.emit(t.text, t.start, true);
  }

  private at(offset: number): string {
    return lineColumn(this.sql, offset);
  }

  private get top(): Frame {
    return this.stack[this.stack.length - 1] ?? { fn: '', inFrom: false, columnDefs: false };
  }

  result(): TranslatedStatement {
    let text = '';
    const starts: number[] = [];
    for (const chunk of this.chunks) {
      starts.push(text.length);
      text += chunk.text;
    }
    const chunks = this.chunks;
    const sql = this.sql;
    return {
      sql: text.trim() === '' ? '' : text,
      statementType: this.statementType,
      tables: this.tables,
      position(offset: number): string | undefined {
        for (let k = chunks.length - 1; k >= 0; k -= 1) {
          const start = starts[k] ?? 0;
          const chunk = chunks[k];
          if (chunk === undefined || start > offset) continue;
          const delta = chunk.same ? Math.min(offset - start, Math.max(chunk.text.length - 1, 0)) : 0;
          return lineColumn(sql, chunk.origin + delta);
        }
        return undefined;
      },
    };
  }

  run(): void {
    const first = this.words[0];
    for (let i = this.from; i < this.to; i += 1) {
      const t = this.tok(i);
      if (t === undefined) continue;
      if (!isSignificant(t)) {
        if (t.type === 'comment' && t.text.startsWith('#')) this.emit(`--${t.text.slice(1)}`, t.start);
        else this.emitToken(i);
        continue;
      }
      const isFirst = this.prevSig(i) === undefined;
      const replacement = this.replacements.get(i);
      if (replacement !== undefined) {
        this.emit(replacement.text, t.start);
        i = replacement.end;
        this.flushSuffix(i);
        continue;
      }

      if (this.expect !== null) {
        const role = this.expect;
        this.expect = null;
        const end = this.tablePath(i, role);
        if (end >= 0) {
          i = end;
          this.flushSuffix(i);
          continue;
        }
      }

      const frameBefore = this.top;
      if (frameBefore.columnDefs && (this.prevSig(i)?.text === '(' || this.prevSig(i)?.text === ',') && (t.type === 'ident' || t.type === 'quoted')) {
        // `name TYPE` inside CREATE TABLE (…): keep the name, translate the type.
        this.emit(t.type === 'quoted' ? quoteIdent(t.value) : t.text, t.start, t.type !== 'quoted');
        const typeAt = this.nextSig(i);
        for (let k = i + 1; k < typeAt; k += 1) this.emitToken(k);
        const parsed = this.parseType(typeAt);
        if (parsed !== null) {
          this.emit(parsed.duck, this.tok(typeAt)?.start ?? t.start);
          i = parsed.end - 1;
        } else i = typeAt - 1;
        continue;
      }

      switch (t.type) {
        case 'string':
          this.emit(quoteString(t.value), t.start);
          break;
        case 'bytes':
          this.emit(`from_base64(${quoteString((t.bytes ?? Buffer.alloc(0)).toString('base64'))})`, t.start);
          break;
        case 'quoted':
          this.emit(quoteIdent(t.value), t.start);
          break;
        case 'param': {
          const literal = this.ctx.parameters?.named.get(t.value.toLowerCase());
          if (literal === undefined) throw invalidQuery(`Query parameter '${t.value}' not found at [${this.at(t.start)}]`);
          this.emit(literal, t.start);
          break;
        }
        case 'positional': {
          const literal = this.ctx.parameters?.positional[this.positional];
          if (literal === undefined) {
            throw invalidQuery(`Query parameter at position ${this.positional + 1} not found at [${this.at(t.start)}]`);
          }
          this.positional += 1;
          this.emit(literal, t.start);
          break;
        }
        case 'number':
          // 1.5 and 1e3 are FLOAT64 literals in GoogleSQL; DuckDB would read DECIMAL.
          if (/^\d*\.\d*(e[+-]?\d+)?$|^\d+e[+-]?\d+$/i.test(t.text) && !/^0x/i.test(t.text)) this.emit(`CAST(${t.text} AS DOUBLE)`, t.start);
          else this.emitToken(i);
          break;
        case 'punct':
          i = this.punct(i, t);
          break;
        case 'ident': {
          const word = t.text.toUpperCase();
          i = this.keyword(i, t, word, isFirst, first);
          break;
        }
        default:
          this.emitToken(i);
      }
      this.flushSuffix(i);
    }
  }

  private addSuffix(i: number, text: string): void {
    this.suffixes.set(i, `${this.suffixes.get(i) ?? ''}${text}`);
  }

  private flushSuffix(i: number): void {
    const suffix = this.suffixes.get(i);
    if (suffix !== undefined) {
      const t = this.tok(i);
      this.emit(suffix, t?.end ?? 0);
      this.suffixes.delete(i);
    }
  }

  private punct(i: number, t: Token): number {
    if (t.text === '(' || t.text === '[') {
      const prev = this.prevSig(i);
      const fn = t.text === '(' && prev?.type === 'ident' ? prev.text.toUpperCase() : '';
      this.stack.push({ fn, inFrom: false, columnDefs: i === this.columnDefsAt });
    } else if ((t.text === ')' || t.text === ']') && this.stack.length > 1) {
      this.stack.pop();
    } else if (t.text === ',' && this.top.inFrom) {
      this.expect = 'read';
    } else if (t.text === '*') {
      // SELECT * EXCEPT (a, b) is DuckDB's * EXCLUDE (a, b).
      const except = this.nextSig(i);
      if (this.upper(except) === 'EXCEPT' && this.upper(this.nextSig(except)) === '(') {
        this.emitToken(i);
        for (let k = i + 1; k < except; k += 1) this.emitToken(k);
        this.emit('EXCLUDE', this.tok(except)?.start ?? t.start);
        return except;
      }
    }
    this.emitToken(i);
    return i;
  }

  /** Returns the index of the last token consumed; may set `expect` for the token after. */
  private keyword(i: number, t: Token, word: string, isFirst: boolean, first: string | undefined): number {
    const frame = this.top;
    const nextAt = this.nextSig(i);
    const next = this.upper(nextAt);
    const prevWord = this.prevSig(i)?.text.toUpperCase();

    if (FROM_ENDERS.has(word)) frame.inFrom = false;

    switch (word) {
      case 'FROM':
        if (FROM_FUNCTIONS.has(frame.fn) || prevWord === 'DISTINCT') break;
        this.emitToken(i);
        frame.inFrom = true;
        this.expect = this.statementType === 'DELETE' && this.stack.length === 1 ? 'write' : 'read';
        return i;
      case 'JOIN':
        this.emitToken(i);
        frame.inFrom = true;
        this.expect = 'read';
        return i;
      case 'INTO':
        if (this.statementType === 'INSERT' || this.statementType === 'MERGE') {
          this.emitToken(i);
          this.expect = 'write';
          return i;
        }
        break;
      case 'UPDATE':
        if (isFirst) {
          this.emitToken(i);
          this.expect = 'write';
          return i;
        }
        break;
      case 'INSERT':
      case 'DELETE':
      case 'MERGE':
        if (isFirst) {
          const joiner = word === 'DELETE' ? 'FROM' : 'INTO';
          this.emitToken(i);
          // BigQuery lets INTO/FROM be omitted; DuckDB does not.
          if (next !== joiner) {
            this.emit(` ${joiner}`, t.end);
            this.expect = 'write';
            return i;
          }
          return i;
        }
        break;
      case 'USING':
        if (this.statementType === 'MERGE' && this.stack.length === 1) {
          this.emitToken(i);
          this.expect = 'read';
          return i;
        }
        break;
      case 'TABLE':
      case 'VIEW':
        if (this.stack.length === 1 && (first === 'CREATE' || first === 'DROP' || first === 'ALTER' || first === 'TRUNCATE')) {
          this.emitToken(i);
          this.expect = first === 'TRUNCATE' ? 'write' : 'ddl';
          return i;
        }
        break;
      case 'SCHEMA':
        if (this.stack.length === 1 && (first === 'CREATE' || first === 'DROP' || first === 'ALTER')) {
          this.emitToken(i);
          this.expect = 'dataset';
          return i;
        }
        break;
      case 'AS':
        if (CAST_FUNCTIONS.has(frame.fn)) {
          const parsed = this.parseType(nextAt);
          if (parsed !== null) {
            for (let k = i; k < nextAt; k += 1) this.emitToken(k);
            this.emit(parsed.duck, this.tok(nextAt)?.start ?? t.start);
            return parsed.end - 1;
          }
        }
        break;
      default:
        break;
    }

    if (word === 'UNNEST' && next === '(' && frame.inFrom) {
      // `UNNEST(arr) AS x` names the element in GoogleSQL; DuckDB's `AS x` names a one-column
      // table (x would be a struct), so the column gets the alias too: `AS x(x)`.
      let aliasAt = this.nextSig(this.matching(nextAt));
      if (this.upper(aliasAt) === 'AS') aliasAt = this.nextSig(aliasAt);
      const alias = this.tok(aliasAt);
      const named = alias !== undefined && (alias.type === 'quoted' || (alias.type === 'ident' && !RESERVED.has(alias.text.toUpperCase())));
      if (named && this.upper(this.nextSig(aliasAt)) !== '(') this.addSuffix(aliasAt, `(${alias.type === 'quoted' ? quoteIdent(alias.value) : alias.text})`);
    }
    if (word === 'IN' && next === 'UNNEST' && this.upper(this.nextSig(nextAt)) === '(') {
      // x IN UNNEST(arr) → x IN (SELECT UNNEST(arr)).
      this.emitToken(i);
      this.emit(' (SELECT', t.end);
      this.addSuffix(this.matching(this.nextSig(nextAt)), ')');
      return i;
    }
    const current = CURRENT_FUNCTIONS[word];
    if (current !== undefined && next === '(' && this.upper(this.nextSig(nextAt)) === ')') {
      this.emit(current, t.start);
      return this.nextSig(nextAt);
    }
    if (word === 'EXTRACT' && next === '(' && this.upper(this.nextSig(nextAt)) === 'DAYOFWEEK') {
      // GoogleSQL numbers the days 1 (Sunday) to 7; DuckDB's DAYOFWEEK counts from 0 (Sunday) to 6.
      this.emit('(', t.start);
      this.emitToken(i);
      this.addSuffix(this.matching(nextAt), ' + 1)');
      return i;
    }
    if (word === 'INTERVAL' && this.parenthesizeIntervalCount(nextAt)) {
      this.emit('INTERVAL (', t.start);
      // The blanks before the count are dropped: `INTERVAL (id) DAY`.
      return nextAt - 1;
    }
    if (TRUNC_PARTS[word] !== undefined && next === '(' && this.truncPart(word, nextAt)) {
      this.emit(`bq_${word.toLowerCase()}`, t.start);
      return i;
    }
    if (CAST_FUNCTIONS.has(word) && next === '(') this.roundFloatCastToInt64(nextAt);
    if (word === 'EXTRACT' && next === '(' && this.upper(this.nextSig(nextAt)) === 'WEEK') {
      const end = this.extractWeek(i, nextAt);
      if (end >= 0) return end;
    }
    if (word === 'ISOWEEK' && frame.fn === 'EXTRACT' && prevWord === '(') {
      // DuckDB's WEEK is the ISO 8601 week; it has no ISOWEEK.
      this.emit('WEEK', t.start);
      return i;
    }
    const renamed = FUNCTION_RENAMES[word];
    if (renamed !== undefined && next === '(') {
      this.emit(renamed, t.start);
      return i;
    }
    if (LITERAL_TYPES.has(word) && this.tok(nextAt)?.type === 'string') {
      // Typed literal: TIMESTAMP '…' is absolute in BigQuery, NUMERIC '…' has scale 9.
      const literal = this.tok(nextAt);
      this.emit(`CAST(${quoteString(literal?.value ?? '')} AS ${SIMPLE_TYPES[word] ?? word})`, t.start);
      return nextAt;
    }
    if (DUCKDB_ONLY_RESERVED.has(word) && next !== '(') {
      this.emit(quoteIdent(t.text), t.start);
      return i;
    }
    if (word === 'ARRAY' && next === '<') {
      const parsed = this.parseType(i);
      const open = parsed === null ? this.to : this.nextSig(parsed.end - 1);
      if (parsed !== null && this.upper(open) === '[') {
        const close = this.matching(open);
        if (close < this.to) {
          this.emit('CAST(', t.start);
          this.addSuffix(close, ` AS ${parsed.duck})`);
          return open - 1;
        }
      }
    }
    this.emitToken(i);
    return i;
  }

  /**
   * `EXTRACT(WEEK[(<WEEKDAY>)] FROM x)` → `bq_week(x, first_day)` (a macro of every session,
   * engine.ts): GoogleSQL's weeks begin on Sunday (or WEEKDAY) and run from week 0, where DuckDB's
   * WEEK is the ISO week. Returns the index of the last token before x, or -1 when this is not that syntax.
   */
  private extractWeek(extractAt: number, open: number): number {
    const partAt = this.nextSig(open);
    let fromAt = this.nextSig(partAt);
    let firstDay = 0;
    if (this.upper(fromAt) === '(') {
      const dayAt = this.nextSig(fromAt);
      const closeAt = this.nextSig(dayAt);
      if (this.upper(closeAt) !== ')') return -1;
      firstDay = this.weekStart(dayAt);
      fromAt = this.nextSig(closeAt);
    }
    if (this.upper(fromAt) !== 'FROM') return -1;
    const close = this.matching(open);
    let lastOperand = fromAt;
    for (let k = this.nextSig(fromAt); k < close; k = this.nextSig(k)) lastOperand = k;
    if (lastOperand === fromAt || close >= this.to) return -1;
    this.emit('bq_week(', this.tok(extractAt)?.start ?? 0);
    this.stack.push({ fn: 'EXTRACT', inFrom: false, columnDefs: false });
    this.addSuffix(lastOperand, `, ${firstDay}`);
    // FROM and the blanks after it are dropped: `bq_week(x, 0)`.
    return this.nextSig(fromAt) - 1;
  }

  /**
   * `INTERVAL id DAY`, `INTERVAL -1 DAY`, `INTERVAL @days DAY` → `INTERVAL (…) DAY`: GoogleSQL takes
   * any INT64 expression before the part, DuckDB only a literal or a parenthesized expression.
   * True when the count needs the parentheses (the closing one is then added after it).
   */
  private parenthesizeIntervalCount(countAt: number): boolean {
    const first = this.tok(countAt);
    if (first === undefined || first.type === 'string' || this.upper(countAt) === '(') return false;
    let depth = 0;
    let last = -1;
    for (let k = countAt; k < this.to; k = this.nextSig(k)) {
      const text = this.upper(k);
      if (depth === 0 && INTERVAL_PARTS.has(text) && this.tok(k)?.type === 'ident') {
        // A lone number (INTERVAL 1 DAY) DuckDB reads as it is.
        if (last < 0 || (last === countAt && first.type === 'number')) return false;
        this.addSuffix(last, ')');
        return true;
      }
      if (text === '(' || text === '[') depth += 1;
      else if (text === ')' || text === ']') depth -= 1;
      if (depth < 0 || (depth === 0 && (text === ',' || text === ';'))) return false;
      last = k;
    }
    return false;
  }

  /** The day number (0 = Sunday) of the WEEKDAY of `WEEK(<WEEKDAY>)` at `dayAt`; BigQuery knows no other. */
  private weekStart(dayAt: number): number {
    const day = WEEKDAYS.indexOf(this.upper(dayAt));
    if (day >= 0) return day;
    const found = this.tok(dayAt);
    throw invalidQuery(`Invalid week start "${found?.text ?? ''}" in WEEK(<WEEKDAY>): expected one of ${WEEKDAYS.join(', ')} at [${this.at(found?.start ?? 0)}]`);
  }

  /**
   * `DATE_TRUNC(x, MONTH)` → `bq_date_trunc(x, 'month', 0)`, `…(x, WEEK(MONDAY))` → `…(x, 'week', 1)`
   * (macros of every session, engine.ts): GoogleSQL names the part last, as a keyword, and starts
   * weeks on Sunday. False, leaving the call as written, when the last argument is no date part
   * (DuckDB's own `date_trunc('month', x)`).
   */
  private truncPart(fn: string, open: number): boolean {
    const close = this.matching(open);
    if (close >= this.to) return false;
    let comma = -1;
    for (const { at, text, depth } of this.inside(open, close)) if (depth === 0 && text === ',') comma = at;
    const partAt = this.nextSig(comma);
    const part = this.upper(partAt);
    if (comma < 0 || this.tok(partAt)?.type !== 'ident' || !(TRUNC_PARTS[fn] ?? []).includes(part)) return false;
    let end = partAt;
    let firstDay = part === 'ISOWEEK' ? 1 : 0;
    if (part === 'WEEK' && this.upper(this.nextSig(partAt)) === '(') {
      const dayAt = this.nextSig(this.nextSig(partAt));
      firstDay = this.weekStart(dayAt);
      end = this.nextSig(dayAt);
      if (this.upper(end) !== ')') return false;
    }
    if (this.nextSig(end) !== close) return false;
    const duckPart = part === 'ISOWEEK' ? 'week' : part.toLowerCase();
    this.replacements.set(partAt, { text: `${quoteString(duckPart)}, ${firstDay}`, end });
    return true;
  }

  /**
   * `CAST(x AS INT64)` → `CAST(bq_round_float(x) AS BIGINT)` (a macro of every session, engine.ts):
   * GoogleSQL rounds a float's halfway cases away from zero where DuckDB's cast rounds them to even.
   */
  private roundFloatCastToInt64(open: number): void {
    let lastOperand = -1;
    for (const { at, text, depth } of this.inside(open)) {
      if (depth === 0 && text === 'AS') {
        if (lastOperand < 0 || this.parseType(this.nextSig(at))?.duck !== 'BIGINT') return;
        this.addSuffix(open, 'bq_round_float(');
        this.addSuffix(lastOperand, ')');
        return;
      }
      lastOperand = at;
    }
  }

  /**
   * The significant tokens between the bracket at `open` and the one closing it, each with the
   * bracket depth after it (0: at the top level of the call; a nested bracket's own tokens deeper).
   */
  private *inside(open: number, close = this.matching(open)): Generator<{ at: number; text: string; depth: number }> {
    let depth = 0;
    for (let k = this.nextSig(open); k < close; k = this.nextSig(k)) {
      const text = this.upper(k);
      if (text === '(' || text === '[') depth += 1;
      else if (text === ')' || text === ']') depth -= 1;
      yield { at: k, text, depth };
    }
  }

  /** Index of the bracket closing the one at `open`. */
  private matching(open: number): number {
    let depth = 0;
    for (let k = open; k < this.to; k += 1) {
      const text = this.tok(k)?.text;
      const type = this.tok(k)?.type;
      if (type !== 'punct') continue;
      if (text === '(' || text === '[') depth += 1;
      if (text === ')' || text === ']') {
        depth -= 1;
        if (depth === 0) return k;
      }
    }
    return this.to;
  }

  /**
   * Rewrites the table path starting at `i` and returns the index of its last token, or -1
   * when the tokens there are not a table path (subquery, UNNEST, table function, literal).
   */
  private tablePath(i: number, role: TableRef['role'] | 'dataset'): number {
    let k = i;
    // IF [NOT] EXISTS after CREATE/DROP TABLE.
    if (this.upper(k) === 'IF') {
      let n = this.nextSig(k);
      if (this.upper(n) === 'NOT') n = this.nextSig(n);
      if (this.upper(n) !== 'EXISTS') return -1;
      for (let m = i; m <= n; m += 1) this.emitToken(m);
      k = this.nextSig(n);
      for (let m = n + 1; m < k; m += 1) this.emitToken(m);
    }
    const start = this.tok(k);
    // Not a path (subquery, UNNEST, literal): -1, or the last token already emitted after IF EXISTS.
    if (start === undefined || (start.type !== 'ident' && start.type !== 'quoted')) return k === i ? -1 : k - 1;
    if (start.type === 'ident' && NOT_A_PATH.has(start.text.toUpperCase())) return k === i ? -1 : k - 1;

    // Parts: `a.b.c`, `` `a.b`.c ``, `my-project.ds.t` (dashes only in the unquoted project part).
    const parts: Array<{ text: string; quoted: boolean }> = [];
    let end = k;
    let m = k;
    for (;;) {
      const t = this.tok(m);
      if (t === undefined) break;
      if (t.type === 'quoted') {
        for (const piece of t.value.split('.')) parts.push({ text: piece, quoted: true });
        end = m;
      } else if (t.type === 'ident' || (t.type === 'number' && parts.length > 0)) {
        let text = t.text;
        end = m;
        // Glue `my-project-123` (dashes only in the project part) and `2024_sales`: adjacent
        // tokens with no whitespace between them.
        for (;;) {
          const n = this.tok(end + 1);
          const after = this.tok(end + 2);
          const touching = n !== undefined && n.start === this.tok(end)?.end;
          if (touching && n.text === '-' && parts.length === 0 && after !== undefined && after.start === n.end && (after.type === 'ident' || after.type === 'number')) {
            text += `-${after.text}`;
            end += 2;
          } else if (touching && (n.type === 'ident' || n.type === 'number')) {
            text += n.text;
            end += 1;
          } else break;
        }
        parts.push({ text, quoted: false });
      } else break;
      const dot = this.nextSig(end);
      const afterDot = this.nextSig(dot);
      const nextPart = this.tok(afterDot);
      if (this.upper(dot) === '.' && nextPart !== undefined && (nextPart.type === 'ident' || nextPart.type === 'quoted' || nextPart.type === 'number')) {
        m = afterDot;
        continue;
      }
      break;
    }
    const origin = start.start;
    // `FROM ds.fn(…)` is a table function; `INSERT INTO t (cols)` / `CREATE TABLE t (…)` are not.
    const isCall = role === 'read' && this.upper(this.nextSig(end)) === '(';
    const pathText = parts.map((p) => p.text).join('.');
    const bare = (p: { text: string; quoted: boolean }): string => (p.quoted ? quoteIdent(p.text) : p.text);

    if (role === 'dataset') {
      const dataset = this.checkProject(parts.length === 2 ? parts[0]?.text : undefined, parts[parts.length - 1]?.text ?? '', origin);
      if (parts.length > 2) throw invalidQuery(`Invalid dataset name "${pathText}" at [${this.at(origin)}]`);
      this.emit(quoteIdent(dataset), origin);
      return end;
    }

    if (parts.length > 3) {
      throw invalidQuery(`Table path "${pathText}" is not supported by the BigQuery sandbox (use dataset.table or project.dataset.table) at [${this.at(origin)}]`);
    }
    const [a, b, c] = parts;
    if (a === undefined) return -1;
    let dataset: string;
    let table: string;
    if (c !== undefined && b !== undefined) {
      dataset = b.text;
      this.checkProject(a.text, dataset, origin);
      table = c.text;
    } else if (b !== undefined) {
      dataset = a.text;
      table = b.text;
    } else {
      const name = a.text.toLowerCase();
      const isTemp = role === 'ddl' && (this.words.includes('TEMP') || this.words.includes('TEMPORARY'));
      if (isTemp) this.temps.add(name);
      if (isCall || isTemp || this.ctes.has(name) || this.temps.has(name)) {
        this.emit(bare(a), origin, !a.quoted);
        return end;
      }
      if (this.ctx.defaultDataset === undefined) {
        throw invalid(`Invalid value: Table name "${a.text}" missing dataset while no default dataset is set in the request. at [${this.at(origin)}]`, QUERY_LOCATION);
      }
      dataset = this.ctx.defaultDataset;
      table = a.text;
    }
    if (!isCall) this.tables.push({ dataset, table, role });
    if (role === 'ddl' && this.statementType.startsWith('CREATE_TABLE') && this.upper(this.nextSig(end)) === '(') {
      this.columnDefsAt = this.nextSig(end);
    }
    this.emit(`${quoteIdent(dataset)}.${quoteIdent(table)}`, origin);
    return end;
  }

  private checkProject(project: string | undefined, dataset: string, origin: number): string {
    if (project !== undefined && project !== this.ctx.projectId) {
      // The sandbox hosts one project; any other is as absent as BigQuery reports a missing dataset.
      throw notFound(
        `Not found: Dataset ${project}:${dataset} was not found in location ${this.ctx.location} (the sandbox serves project ${this.ctx.projectId}) at [${this.at(origin)}]`,
        QUERY_LOCATION,
      );
    }
    return dataset;
  }

  /** Parses a GoogleSQL type at `i`; returns its DuckDB spelling and the index after it. */
  private parseType(i: number): { duck: string; end: number } | null {
    const t = this.tok(i);
    if (t === undefined || t.type !== 'ident') return null;
    const word = t.text.toUpperCase();
    const after = this.nextSig(i);
    if (word === 'ARRAY' || word === 'STRUCT') {
      if (this.upper(after) !== '<') return null;
      if (word === 'ARRAY') {
        const inner = this.parseType(this.nextSig(after));
        if (inner === null) return null;
        const close = this.nextSig(inner.end - 1);
        if (this.upper(close) !== '>') return null;
        return { duck: `${inner.duck}[]`, end: close + 1 };
      }
      const fields: string[] = [];
      let k = this.nextSig(after);
      for (;;) {
        const nameTok = this.tok(k);
        let fieldName = `_field_${fields.length + 1}`;
        let typeAt = k;
        const maybeType = this.nextSig(k);
        // `name TYPE` or just `TYPE` (an anonymous field).
        if (nameTok !== undefined && (nameTok.type === 'ident' || nameTok.type === 'quoted') && this.upper(maybeType) !== ',' && this.upper(maybeType) !== '>' && this.upper(maybeType) !== '<' && this.upper(maybeType) !== '(') {
          fieldName = nameTok.type === 'quoted' ? nameTok.value : nameTok.text;
          typeAt = maybeType;
        }
        const inner = this.parseType(typeAt);
        if (inner === null) return null;
        fields.push(`${quoteIdent(fieldName)} ${inner.duck}`);
        const sep = this.nextSig(inner.end - 1);
        if (this.upper(sep) === ',') {
          k = this.nextSig(sep);
          continue;
        }
        if (this.upper(sep) === '>') return { duck: `STRUCT(${fields.join(', ')})`, end: sep + 1 };
        return null;
      }
    }
    const simple = SIMPLE_TYPES[word];
    if (simple === undefined) return null;
    if (this.upper(after) === '(') {
      // Parameterized: NUMERIC(P[, S]), STRING(L), BYTES(L).
      const close = this.matching(after);
      const args = this.tokens.slice(after + 1, close).filter((x) => x.type === 'number').map((x) => x.text);
      if (close >= this.to) return null;
      if (word === 'NUMERIC' || word === 'DECIMAL' || word === 'BIGNUMERIC' || word === 'BIGDECIMAL') {
        return { duck: `DECIMAL(${args[0] ?? '38'},${args[1] ?? '0'})`, end: close + 1 };
      }
      return { duck: simple, end: close + 1 };
    }
    return { duck: simple, end: i + 1 };
  }
}

/** Names defined by `WITH name AS (` / `, name AS (` anywhere in the script. */
function cteNames(tokens: Token[]): Set<string> {
  const names = new Set<string>();
  const sig = tokens.filter(isSignificant);
  for (let k = 1; k + 2 < sig.length; k += 1) {
    const prev = sig[k - 1];
    const name = sig[k];
    const as = sig[k + 1];
    const paren = sig[k + 2];
    if (prev === undefined || name === undefined || as === undefined || paren === undefined) continue;
    const prevWord = prev.text.toUpperCase();
    if ((prevWord === 'WITH' || prevWord === 'RECURSIVE' || prev.text === ',') && (name.type === 'ident' || name.type === 'quoted') && as.text.toUpperCase() === 'AS' && paren.text === '(') {
      names.add((name.type === 'quoted' ? name.value : name.text).toLowerCase());
    }
  }
  return names;
}

/**
 * Translates a GoogleSQL script into DuckDB statements (split on top-level `;`), collecting
 * the tables each statement touches and its statement type. Throws BigQueryApiError for what
 * BigQuery itself would reject before running anything.
 */
export function translateSql(sql: string, ctx: SqlContext): Translation {
  const tokens = tokenize(sql);
  const ctes = cteNames(tokens);
  const temps = new Set<string>();
  const statements: TranslatedStatement[] = [];
  let start = 0;
  let depth = 0;
  let positional = 0;
  const flush = (end: number): void => {
    const translator = new StatementTranslator(sql, tokens, start, end, ctx, ctes, temps, positional);
    translator.run();
    positional = translator.positionalUsed;
    const statement = translator.result();
    if (statement.sql !== '' && tokens.slice(start, end).some(isSignificant)) statements.push(statement);
  };
  tokens.forEach((t, i) => {
    if (t.type !== 'punct') return;
    if (t.text === '(' || t.text === '[') depth += 1;
    else if (t.text === ')' || t.text === ']') depth -= 1;
    else if (t.text === ';' && depth <= 0) {
      flush(i);
      start = i + 1;
    }
  });
  flush(tokens.length);
  if (statements.length === 0) throw invalidQuery('Syntax error: Unexpected end of script at [1:1]');
  const only = statements.length === 1 ? statements[0] : undefined;
  return { statements, statementType: only?.statementType ?? 'SCRIPT' };
}
