import { BigQuery, type Job } from '@google-cloud/bigquery';
import type { BigqueryConnection } from '../config/schema';
import { BackflowError } from '../errors';
import { normalizeValue, type ValueKind } from './normalize';
import type { Column, Row, Source, StreamOptions, Value } from './source';

/** A schema field as BigQuery's REST API describes it. */
export interface BigqueryField {
  name?: string | null;
  type?: string | null;
  mode?: string | null;
  fields?: BigqueryField[] | null;
}
type Cell = { v?: unknown } | null | undefined;

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
  return normalizeValue(kind, value, 'base64');
}

/** BigQuery label values: lowercase letters, digits, _ and -, at most 63 characters. */
export function labelValue(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
}

/**
 * BigQuery through `@google-cloud/bigquery`: one query job (labelled with the sync and run), its
 * results read page by page with `getQueryResults` — never the whole result in memory — and each
 * wire value normalised by its schema type.
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

  private fail(err: unknown): BackflowError {
    const e = err as { message?: string; errors?: Array<{ message?: string }> };
    return new BackflowError('SOURCE_QUERY_FAILED', `BigQuery: ${e.errors?.[0]?.message ?? e.message ?? String(err)}`);
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

  async *stream(sql: string, options: StreamOptions = {}): AsyncIterable<Row[]> {
    let job: Job;
    try {
      const labels = Object.fromEntries(Object.entries(options.labels ?? {}).map(([k, v]) => [labelValue(k), labelValue(v)]));
      [job] = await this.client.createQueryJob({ query: sql, useLegacySql: false, labels, ...this.where() });
    } catch (err) {
      throw this.fail(err);
    }
    let pageToken: string | undefined;
    do {
      let response;
      try {
        [, , response] = await job.getQueryResults({
          maxResults: this.config.pageSize,
          autoPaginate: false,
          // Only the raw wire rows are read; skip the client's own conversion of each page.
          skipParsing: true,
          ...(pageToken ? { pageToken } : {}),
        });
      } catch (err) {
        throw this.fail(err);
      }
      const fields = (response?.schema?.fields ?? []) as BigqueryField[];
      const rows = (response?.rows ?? []) as Array<{ f?: Cell[] }>;
      if (rows.length > 0) {
        yield rows.map((wire) => {
          const row: Row = {};
          fields.forEach((field, i) => (row[field.name ?? `f${i}`] = fromWire(field, wire.f?.[i]?.v)));
          return row;
        });
      }
      pageToken = response?.pageToken ?? undefined;
    } while (pageToken);
  }

  async close(): Promise<void> {}
}
