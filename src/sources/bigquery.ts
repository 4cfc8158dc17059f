import { BigQuery, type Job, type QueryResultsOptions } from '@google-cloud/bigquery';
import type { BigqueryConnection } from '../config/schema';
import { NormalizeError, normalizeValue, type ValueKind } from './normalize';
import { UnreadableValue, type Column, type Source, type SourceRow, type StreamOptions, type Value } from './source';
import { isBigqueryUnavailable, sourceFailure } from './sourceErrors';

/** A schema field as BigQuery's REST API describes it. */
export interface BigqueryField {
  name?: string | null;
  type?: string | null;
  mode?: string | null;
  fields?: BigqueryField[] | null;
}
type Cell = { v?: unknown } | null | undefined;
type ResultsPage = { schema?: { fields?: BigqueryField[] | null } | null; rows?: unknown[] | null; pageToken?: string | null };

/**
 * How long each getQueryResults call asks BigQuery to wait for the job (stated rather than BigQuery's
 * 10 s default). Short, so a cancelled or abandoned stream stops polling soon; polls are not billed,
 * and the extract activity heartbeats on its own timer meanwhile.
 */
export const POLL_WAIT_MS = 2_000;

const KIND_BY_TYPE: Record<string, ValueKind> = {
  INTEGER: 'integer',
  INT64: 'integer',
  FLOAT: 'float',
  FLOAT64: 'float',
  NUMERIC: 'decimal',
  BIGNUMERIC: 'decimal',
  DECIMAL: 'decimal',
  BIGDECIMAL: 'decimal',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  BYTES: 'bytes',
  DATE: 'date',
  TIME: 'time',
  DATETIME: 'datetime',
  TIMESTAMP: 'timestamp',
  JSON: 'json',
};

/** BigQuery's canonical INTERVAL text, `[-]Y-M [-]D [-]H:M:S[.F]`: one sign for Y-M, one for D, one for the time. */
const WIRE_INTERVAL = /^(-?)(\d+)-(\d+) (-?\d+) (-?)(\d+):(\d+):(\d+)(?:\.(\d{1,6}))?$/;

/** A BigQuery INTERVAL as months, days and microseconds: the parts DuckDB and PostgreSQL intervals are read from. */
export function wireInterval(text: string): { months: number; days: number; micros: bigint } {
  const m = WIRE_INTERVAL.exec(text);
  if (!m) throw new NormalizeError(`not a BigQuery interval: ${text}`);
  const [, monthSign, years, months, days, timeSign, hours, minutes, seconds, fraction = ''] = m;
  const micros =
    (BigInt(hours ?? '0') * 3600n + BigInt(minutes ?? '0') * 60n + BigInt(seconds ?? '0')) * 1_000_000n + BigInt(fraction.padEnd(6, '0') || '0');
  return {
    months: (monthSign ? -1 : 1) * (Number(years) * 12 + Number(months)),
    days: Number(days),
    micros: timeSign ? -micros : micros,
  };
}

/** A BigQuery wire timestamp: int64 microseconds, or (without useInt64Timestamp) float seconds. */
function wireTimestamp(text: string): bigint {
  if (/^-?\d+$/.test(text)) return BigInt(text);
  const [whole, fraction = ''] = Number(text).toFixed(6).split('.');
  return BigInt(whole ?? '0') * 1_000_000n + (text.startsWith('-') ? -1n : 1n) * BigInt(fraction || '0');
}

/** One cell of `rows[].f[].v`, normalised by its schema field (REPEATED → array, RECORD → object). */
export function fromWire(field: BigqueryField, value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (field.mode === 'REPEATED') {
    return (value as Cell[]).map((cell) => fromWire({ ...field, mode: 'NULLABLE' }, cell?.v));
  }
  const type = (field.type ?? 'STRING').toUpperCase();
  if (type === 'RECORD' || type === 'STRUCT') {
    const cells = (value as { f?: Cell[] }).f ?? [];
    const record: Record<string, Value> = {};
    (field.fields ?? []).forEach((child, i) => (record[child.name ?? `f${i}`] = fromWire(child, cells[i]?.v)));
    return record;
  }
  const kind = KIND_BY_TYPE[type] ?? 'string';
  if (kind === 'timestamp') return normalizeValue('timestamp', wireTimestamp(String(value)));
  // As text it would fingerprint unlike the same interval read from DuckDB or PostgreSQL.
  if (type === 'INTERVAL') return normalizeValue('interval', wireInterval(String(value)));
  return normalizeValue(kind, value, 'base64');
}

/** fromWire for a row of the stream: a cell that cannot be read makes its row invalid, not the run fail. */
export function readWire(field: BigqueryField, value: unknown): Value | UnreadableValue {
  try {
    return fromWire(field, value);
  } catch (err) {
    if (!(err instanceof NormalizeError)) throw err;
    return new UnreadableValue(KIND_BY_TYPE[(field.type ?? 'STRING').toUpperCase()] ?? 'string', JSON.stringify(value));
  }
}

/** BigQuery label values: lowercase letters, digits, _ and -, at most 63 characters. */
export function labelValue(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
}

/**
 * BigQuery through `@google-cloud/bigquery`: one query job (labelled with the sync and run), its
 * results read page by page with `getQueryResults` — never the whole result in memory — and each
 * wire value normalised by its schema type. A job still running is waited for (`jobComplete:
 * false` is "not yet", never an empty result); a job that ends in an error fails the stream.
 */
export class BigquerySource implements Source {
  private readonly client: BigQuery;

  constructor(private readonly config: BigqueryConnection) {
    this.client = new BigQuery({
      projectId: config.projectId,
      ...(config.location ? { location: config.location } : {}),
      ...(config.keyFilename ? { keyFilename: config.keyFilename } : {}),
      ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
    });
  }

  private fail(err: unknown): Error {
    const e = err as { message?: string; errors?: Array<{ message?: string }> };
    return sourceFailure(`BigQuery: ${e.errors?.[0]?.message ?? e.message ?? String(err)}`, isBigqueryUnavailable(err));
  }

  private async dryRun(sql: string): Promise<Job> {
    try {
      const [job] = await this.client.createQueryJob({ query: sql, dryRun: true, useLegacySql: false, ...this.where() });
      return job;
    } catch (err) {
      throw this.fail(err);
    }
  }

  private where() {
    return this.config.location ? { location: this.config.location } : {};
  }

  async check(): Promise<void> {
    await this.dryRun('SELECT 1');
  }

  async describe(sql: string): Promise<Column[]> {
    const job = await this.dryRun(sql);
    const fields = (job.metadata?.statistics?.query?.schema?.fields ?? []) as BigqueryField[];
    return fields.map((field) => ({ name: field.name ?? '', type: field.type ?? 'STRING' }));
  }

  async estimateBytes(sql: string): Promise<number> {
    const job = await this.dryRun(sql);
    return Number(job.metadata?.statistics?.totalBytesProcessed ?? 0);
  }

  async *stream(sql: string, options: StreamOptions = {}): AsyncIterable<SourceRow[]> {
    let job: Job;
    try {
      const labels = Object.fromEntries(Object.entries(options.labels ?? {}).map(([k, v]) => [labelValue(k), labelValue(v)]));
      [job] = await this.client.createQueryJob({ query: sql, useLegacySql: false, labels, ...this.where() });
    } catch (err) {
      throw this.fail(err);
    }
    let pageToken: string | undefined;
    do {
      let response: ResultsPage | undefined;
      try {
        // Polls until the job is complete: only then does a response carry the schema, rows and pageToken.
        do {
          response = await this.resultsPage(job, {
            maxResults: this.config.pageSize,
            timeoutMs: POLL_WAIT_MS,
            // Only the raw wire rows are read; skip the client's own conversion of each page.
            skipParsing: true,
            ...(pageToken ? { pageToken } : {}),
          });
        } while (response === undefined);
      } catch (err) {
        throw this.fail(err);
      }
      const fields = response.schema?.fields ?? [];
      const rows = (response.rows ?? []) as Array<{ f?: Cell[] }>;
      if (rows.length > 0) {
        yield rows.map((wire) => {
          const row: SourceRow = {};
          fields.forEach((field, i) => (row[field.name ?? `f${i}`] = readWire(field, wire.f?.[i]?.v)));
          return row;
        });
      }
      pageToken = response.pageToken ?? undefined;
    } while (pageToken);
  }

  /**
   * One jobs.getQueryResults call; undefined while the job is still running. BigQuery then answers
   * `jobComplete: false` with no rows and no pageToken, and the client (given a `timeoutMs`) calls
   * back with an error ("The query did not complete before …ms") alongside that response: the
   * callback form is used because it keeps the response, telling "not yet" from a failed job.
   */
  private resultsPage(job: Job, options: QueryResultsOptions): Promise<ResultsPage | undefined> {
    return new Promise((resolve, reject) => {
      job.getQueryResults({ ...options, autoPaginate: false }, (err, _rows, _next, response) => {
        if (response?.jobComplete === false) resolve(undefined);
        else if (err) reject(err);
        else resolve((response ?? {}) as ResultsPage);
      });
    });
  }

  async close(): Promise<void> {}
}
