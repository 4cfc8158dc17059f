/**
 * Google API error bodies as BigQuery sends them, and the translation of DuckDB failures into them.
 *
 * A request-level error is `{"error": {code, message, errors: [ErrorProto + domain], status}}`
 * (https://cloud.google.com/bigquery/docs/error-messages); a failed job carries the same
 * ErrorProto in `status.errorResult` / `status.errors` without an HTTP status.
 */

/** One ErrorProto as it appears in `error.errors[]` and a job's `status.errors[]`. */
export interface ErrorProto {
  message: string;
  domain?: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: ErrorProto[]; status: string };
}

/** HTTP status → the canonical google.rpc status name Google puts in `error.status`. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
};

/** HTTP status of each reason in BigQuery's error table (a job error answered over HTTP uses it). */
const STATUS_BY_REASON: Record<string, number> = {
  invalid: 400,
  invalidQuery: 400,
  parseError: 400,
  notFound: 404,
  duplicate: 409,
  accessDenied: 403,
  notImplemented: 501,
  internalError: 500,
  backendError: 503,
};

/** Where an error points: `q` / `parameter` is what jobs.query reports for the SQL text. */
export interface ErrorLocation {
  location: string;
  locationType?: string;
}

export class BigQueryApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly where: ErrorLocation | undefined;

  constructor(status: number, reason: string, message: string, where?: ErrorLocation) {
    super(message);
    this.name = 'BigQueryApiError';
    this.status = status;
    this.reason = reason;
    this.where = where;
  }

  /** The ErrorProto, as listed in `error.errors[]`. */
  proto(): ErrorProto {
    const proto: ErrorProto = { message: this.message, domain: 'global', reason: this.reason };
    if (this.where !== undefined) {
      proto.location = this.where.location;
      if (this.where.locationType !== undefined) proto.locationType = this.where.locationType;
    }
    return proto;
  }

  /** The ErrorProto as a failed job stores it (`status.errorResult`): no domain, located at `query`. */
  jobProto(): ErrorProto {
    const proto: ErrorProto = { reason: this.reason, message: this.message };
    if (this.where !== undefined) proto.location = 'query';
    return proto;
  }

  body(): GoogleErrorBody {
    return {
      error: { code: this.status, message: this.message, errors: [this.proto()], status: STATUS_NAMES[this.status] ?? 'UNKNOWN' },
    };
  }

  /** Rebuilds the HTTP error for a job that failed with `proto` (jobs.getQueryResults on a failed job). */
  static fromJobProto(proto: ErrorProto): BigQueryApiError {
    const where = proto.location === undefined ? undefined : QUERY_LOCATION;
    return new BigQueryApiError(STATUS_BY_REASON[proto.reason] ?? 400, proto.reason, proto.message, where);
  }
}

/** The SQL text as the erroneous request parameter (jobs.query reports `location: "q"`). */
export const QUERY_LOCATION: ErrorLocation = { location: 'q', locationType: 'parameter' };

export function invalidQuery(message: string): BigQueryApiError {
  return new BigQueryApiError(400, 'invalidQuery', message, QUERY_LOCATION);
}

export function invalid(message: string, where?: ErrorLocation): BigQueryApiError {
  return new BigQueryApiError(400, 'invalid', message, where);
}

export function notFound(message: string, where?: ErrorLocation): BigQueryApiError {
  return new BigQueryApiError(404, 'notFound', message, where);
}

export function duplicate(message: string): BigQueryApiError {
  return new BigQueryApiError(409, 'duplicate', message);
}

export function parseError(message: string): BigQueryApiError {
  return new BigQueryApiError(400, 'parseError', message);
}

export function internalError(message: string): BigQueryApiError {
  return new BigQueryApiError(500, 'internalError', message);
}

export function tableNotFound(projectId: string, dataset: string, table: string, location: string): BigQueryApiError {
  return notFound(`Not found: Table ${projectId}:${dataset}.${table} was not found in location ${location}`, QUERY_LOCATION);
}

export function datasetNotFound(projectId: string, dataset: string, location: string): BigQueryApiError {
  return notFound(`Not found: Dataset ${projectId}:${dataset} was not found in location ${location}`, QUERY_LOCATION);
}

/** What a DuckDB error needs to be reported in BigQuery's words. */
export interface DuckDbErrorContext {
  projectId: string;
  location: string;
  /** Maps a position in the DuckDB SQL back to `line:column` of the user's SQL (BigQuery's ` at [l:c]`). */
  position?: (duckdbOffset: number) => string | undefined;
  /** The DuckDB SQL that failed, to locate DuckDB's `LINE n:` excerpt in it. */
  sql?: string;
  /** Dataset a bare table name was resolved against (for "Not found: Table …"). */
  datasetOf?: (table: string) => string | undefined;
}

/**
 * DuckDB error class prefixes, e.g. `Parser Error: syntax error at or near "FORM"`, possibly
 * after a wrapper such as `Failed to extract statements: `.
 */
const DUCKDB_ERROR = /(?:^|: )([A-Z][A-Za-z ]*?) Error: ([\s\S]*)$/;

/** Offset in `sql` that DuckDB's `LINE n: …` excerpt and caret line point at, when it can tell. */
export function duckdbErrorOffset(message: string, sql: string): number | undefined {
  const lines = message.split('\n');
  const at = lines.findIndex((l) => /^LINE \d+: /.test(l));
  const excerptLine = at < 0 ? undefined : lines[at];
  const caretLine = at < 0 ? undefined : lines[at + 1];
  if (excerptLine === undefined || caretLine === undefined) return undefined;
  const header = /^LINE (\d+): /.exec(excerptLine);
  const caret = caretLine.indexOf('^');
  if (header === null || header[1] === undefined || caret < 0) return undefined;
  const lineNo = Number(header[1]);
  let excerpt = excerptLine.slice(header[0].length);
  let caretInExcerpt = caret - header[0].length;
  // DuckDB elides long lines with "..." on either side; find the excerpt in the real line.
  if (excerpt.startsWith('...')) {
    excerpt = excerpt.slice(3);
    caretInExcerpt -= 3;
  }
  if (excerpt.endsWith('...')) excerpt = excerpt.slice(0, -3);
  const sqlLines = sql.split('\n');
  const line = sqlLines[lineNo - 1];
  if (line === undefined) return undefined;
  const inLine = line.indexOf(excerpt);
  if (inLine < 0 || caretInExcerpt < 0) return undefined;
  let offset = 0;
  for (let i = 0; i < lineNo - 1; i += 1) offset += (sqlLines[i]?.length ?? 0) + 1;
  return offset + inLine + caretInExcerpt;
}

function located(message: string, ctx: DuckDbErrorContext, raw: string): string {
  if (ctx.sql === undefined || ctx.position === undefined) return message;
  const offset = duckdbErrorOffset(raw, ctx.sql);
  const at = offset === undefined ? undefined : ctx.position(offset);
  return at === undefined ? message : `${message} at [${at}]`;
}

/**
 * A DuckDB failure in BigQuery's terms: missing tables/datasets are 404 `notFound`
 * ("Not found: Table p:d.t was not found in location US", as documented in Troubleshoot
 * query issues); everything the SQL itself gets wrong is 400 `invalidQuery` with BigQuery's
 * message prefixes ("Syntax error: …", "Unrecognized name: …", "Function not found: …")
 * and DuckDB's own wording after them.
 */
export function fromDuckDbError(err: unknown, ctx: DuckDbErrorContext): BigQueryApiError {
  if (err instanceof BigQueryApiError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const match = DUCKDB_ERROR.exec(raw);
  const kind = match?.[1] ?? '';
  const text = (match?.[2] ?? raw).split('\n')[0]?.trim() ?? raw;

  if (kind === 'Parser') {
    // DuckDB's "syntax error at or near X" in BigQuery's words ("Syntax error: Unexpected …").
    const detail = text
      .replace(/^syntax error at end of input$/i, 'Unexpected end of script')
      .replace(/^syntax error at or near (.*)$/i, 'Unexpected $1');
    return invalidQuery(located(`Syntax error: ${detail}`, ctx, raw));
  }
  if (kind === 'Catalog') {
    const missingSchema = /does not exist because schema "([^"]+)" does not exist/.exec(text) ?? /^Schema with name "?([^"\s!]+)"? does not exist/.exec(text);
    if (missingSchema?.[1] !== undefined) return datasetNotFound(ctx.projectId, missingSchema[1], ctx.location);
    const missingTable = /^(?:Table|View|Table or view) with name "?([^"\s!]+)"? does not exist/.exec(text);
    if (missingTable?.[1] !== undefined) {
      const name = missingTable[1];
      const dot = name.lastIndexOf('.');
      const dataset = dot >= 0 ? name.slice(0, dot) : ctx.datasetOf?.(name);
      const table = dot >= 0 ? name.slice(dot + 1) : name;
      if (dataset !== undefined) return tableNotFound(ctx.projectId, dataset, table, ctx.location);
      return notFound(`Not found: Table ${ctx.projectId}:${name} was not found in location ${ctx.location}`, QUERY_LOCATION);
    }
    const missingFunction = /^(?:Scalar |Aggregate |Table )?Function with name "?([^"\s!]+)"? does not exist/.exec(text);
    if (missingFunction?.[1] !== undefined) return invalidQuery(located(`Function not found: ${missingFunction[1]}`, ctx, raw));
    return invalidQuery(located(text, ctx, raw));
  }
  if (kind === 'Binder') {
    const column = /^Referenced column "?([^"\s]+)"? not found/.exec(text);
    if (column?.[1] !== undefined) return invalidQuery(located(`Unrecognized name: ${column[1]}`, ctx, raw));
    // The session's macros stand in for GoogleSQL functions as bq_<name> (engine.ts): name the function the SQL called.
    const macro = /^Macro bq_(\w+)\(\) does not support the supplied arguments/.exec(text);
    if (macro?.[1] !== undefined) return invalidQuery(located(`No matching signature for function ${macro[1].toUpperCase()}`, ctx, raw));
    return invalidQuery(located(text, ctx, raw));
  }
  if (kind !== '' && kind !== 'INTERNAL' && kind !== 'FATAL') return invalidQuery(located(text, ctx, raw));
  return internalError(`The sandbox's DuckDB engine failed: ${text}`);
}
