import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from 'jsforce';
import { BackflowError, DestinationBudgetExhausted, DestinationTransientError } from '../errors';
import type { Value } from '../sources/source';
import type { RecordResult, WriteContext } from './destination';

/** Bulk API 2.0 ingest operations backflow uses. */
export type BulkOperation = 'insert' | 'update' | 'upsert' | 'delete';

/** One record of a job: the warehouse key and the CSV row to send. */
export interface BulkRow {
  key: string;
  cells: Record<string, Value>;
}

export interface BulkJobRequest {
  operation: BulkOperation;
  object: string;
  externalIdFieldName?: string;
  /** Column of the rows holding the warehouse key; null maps results back by sf__Id (delete). */
  keyColumn: string | null;
  rows: BulkRow[];
  /** For jobs mapped by sf__Id: which key each Id belongs to. */
  keyById?: ReadonlyMap<string, string>;
}

interface JobInfo {
  id: string;
  state: string;
  operation: BulkOperation;
  object: string;
  externalIdFieldName?: string;
  errorMessage?: string;
}

/** What the engine keeps for a batch across attempts: every job it created, in order. */
interface Checkpoint {
  jobs: string[];
}

/**
 * Bulk 2.0 reads `#N/A` as "set to null"; an empty cell leaves the field as it is on update. An empty
 * string is sent as `#N/A` too: the REST API stores "" as null, and a batch must not keep the old
 * value only because the run was big enough to go through Bulk API.
 */
/** The cell Bulk API 2.0 reads as null: text equal to it cannot be sent through Bulk (see viaBulk). */
export const BULK_NULL_TEXT = '#N/A';
const NULL_CELL = BULK_NULL_TEXT;
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 10_000;
export const POLL_GIVE_UP_MS = 2 * 60 * 60_000;

export function parseCheckpoint(text: string | null): Checkpoint {
  if (text === null) return { jobs: [] };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as Checkpoint).jobs)) {
      return { jobs: (parsed as Checkpoint).jobs.filter((j): j is string => typeof j === 'string') };
    }
  } catch {
    // Not ours: start over.
  }
  return { jobs: [] };
}

function cell(value: Value | undefined): string {
  if (value === undefined) return '';
  if (value === null || value === '') return NULL_CELL;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Every column any row uses, in first-seen order. */
function columnsOf(rows: readonly BulkRow[]): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const column of Object.keys(row.cells)) {
      if (!seen.has(column)) {
        seen.add(column);
        columns.push(column);
      }
    }
  }
  return columns;
}

/** The job's CSV: one header of every column any row uses, LF line endings. */
export function toCsv(rows: readonly BulkRow[]): string {
  const columns = columnsOf(rows);
  const lines = [columns.map((c) => cell(c)).join(',')];
  for (const row of rows) lines.push(columns.map((column) => cell(row.cells[column])).join(','));
  return `${lines.join('\n')}\n`;
}

/** Bulk API 2.0 takes at most this much CSV per job ("upload data that does not exceed 100 MB"). */
export const BULK_UPLOAD_MAX_BYTES = 100 * 1024 * 1024;

/**
 * Rows cut into jobs whose CSV stays under `maxBytes` (a 10,000-row batch of wide rows, long text
 * areas, can pass 100 MB: refused whole, on every run). A single row over it is a job of its own,
 * for Salesforce to refuse.
 */
export function uploadParts(rows: readonly BulkRow[], maxBytes = BULK_UPLOAD_MAX_BYTES): BulkRow[][] {
  const columns = columnsOf(rows);
  const header = Buffer.byteLength(columns.map((c) => cell(c)).join(',')) + 1;
  const parts: BulkRow[][] = [];
  let part: BulkRow[] = [];
  let bytes = header;
  for (const row of rows) {
    const line = Buffer.byteLength(columns.map((column) => cell(row.cells[column])).join(',')) + 1;
    if (part.length > 0 && bytes + line > maxBytes) {
      parts.push(part);
      part = [];
      bytes = header;
    }
    part.push(row);
    bytes += line;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** `STATUS_CODE:message:Field1,Field2 --` (one or more, space-separated) as Bulk API writes sf__Error. */
export function parseBulkError(text: string): { code: string; message: string; fields: string[] } {
  const trimmed = text.replace(/\s*--\s*$/, '');
  const first = trimmed.indexOf(':');
  if (first < 0) return { code: 'UNKNOWN_ERROR', message: trimmed, fields: [] };
  const code = trimmed.slice(0, first);
  const rest = trimmed.slice(first + 1);
  const last = rest.lastIndexOf(':');
  const tail = last < 0 ? '' : rest.slice(last + 1);
  if (last >= 0 && /^[\w,]*$/.test(tail)) {
    return { code, message: rest.slice(0, last), fields: tail === '' ? [] : tail.split(',') };
  }
  return { code, message: rest, fields: [] };
}

const ALREADY_DELETED = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY']);

/**
 * The API budget refused a job's creation, upload or close: the job was never closed, so Salesforce
 * processes none of its rows. A refusal once the job is closed stays a plain DestinationBudgetExhausted:
 * that job may be running, its results unknown.
 */
export class BulkJobNotStarted extends DestinationBudgetExhausted {
  constructor(refused: DestinationBudgetExhausted) {
    super(refused.message);
    this.name = 'BulkJobNotStarted';
  }
}

/**
 * Runs Bulk API 2.0 ingest jobs through the jsforce connection's REST plumbing (`conn.request`: the
 * session refresh and Sforce-Limit-Info reading apply to every call), and maps the result CSVs back
 * to warehouse keys. Each job id is saved in the batch checkpoint right after the job is created, so
 * an attempt after a crash collects that job's results instead of submitting the records again.
 */
export class BulkIngest {
  private checkpoint: Checkpoint;

  constructor(
    private readonly connection: Connection,
    private readonly version: string,
    private readonly context: WriteContext,
    /** Every request goes through the destination's call wrapper (budget, API call count). */
    private readonly call: <T>(what: string, request: () => PromiseLike<T>) => Promise<T>,
    private readonly sleep: (ms: number) => Promise<void> = delay,
    /** CSV one job may carry (see uploadParts). */
    private readonly maxUploadBytes = BULK_UPLOAD_MAX_BYTES,
  ) {
    this.checkpoint = parseCheckpoint(context.checkpoint);
  }

  private url(path = ''): string {
    return `/services/data/v${this.version}/jobs/ingest${path}`;
  }

  /**
   * Results of the jobs an earlier attempt of this batch created: finished ones are collected, running
   * ones awaited, a job still Open (its upload may be incomplete) is aborted and its records sent again.
   */
  async resume(keyColumn: string, keyById: ReadonlyMap<string, string>): Promise<Map<string, RecordResult>> {
    const results = new Map<string, RecordResult>();
    for (const id of this.checkpoint.jobs) {
      const info = await this.call('read bulk job', () => this.connection.request<JobInfo>(this.url(`/${id}`)));
      if (info.state === 'Open') {
        await this.setState(id, 'Aborted');
        continue;
      }
      if (info.state === 'Aborted') continue;
      const finished = await this.wait(id, info);
      const column = finished.operation === 'delete' ? null : keyColumn;
      for (const [key, result] of await this.collect(finished, column, keyById)) results.set(key, result);
    }
    return results;
  }

  /**
   * Runs the rows as one job, or as several one after another when their CSV would pass the upload
   * limit; one result per row, put in `into` as each job finishes (kept when a later job is refused).
   */
  async run(job: BulkJobRequest, into: Map<string, RecordResult>): Promise<void> {
    for (const rows of uploadParts(job.rows, this.maxUploadBytes)) {
      for (const [key, result] of await this.runJob({ ...job, rows })) into.set(key, result);
    }
  }

  /** Creates, fills, closes and waits for one job; one result per row. */
  private async runJob(job: BulkJobRequest): Promise<Map<string, RecordResult>> {
    const created = await this.start(job);
    const finished = await this.wait(created.id, { ...created, state: 'UploadComplete' });
    return this.collect(finished, job.keyColumn, job.keyById ?? new Map());
  }

  /** Creates, fills and closes one job (its id checkpointed once created); see BulkJobNotStarted. */
  private async start(job: BulkJobRequest): Promise<JobInfo> {
    try {
      const created = await this.call(`create bulk ${job.operation} job`, () =>
        this.connection.request<JobInfo>({
          method: 'POST',
          url: this.url(),
          body: JSON.stringify({
            object: job.object,
            operation: job.operation,
            ...(job.externalIdFieldName !== undefined ? { externalIdFieldName: job.externalIdFieldName } : {}),
            contentType: 'CSV',
            lineEnding: 'LF',
          }),
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
        }),
      );
      this.checkpoint = { jobs: [...this.checkpoint.jobs, created.id] };
      await this.context.saveCheckpoint(JSON.stringify(this.checkpoint));
      await this.call('upload bulk job data', () =>
        this.connection.request({
          method: 'PUT',
          url: this.url(`/${created.id}/batches`),
          body: toCsv(job.rows),
          headers: { 'Content-Type': 'text/csv' },
        }),
      );
      await this.setState(created.id, 'UploadComplete');
      return created;
    } catch (err) {
      // Left Open if created: Salesforce never processes an Open job (an attempt resuming the batch aborts it).
      throw err instanceof DestinationBudgetExhausted ? new BulkJobNotStarted(err) : err;
    }
  }

  private async setState(id: string, state: 'UploadComplete' | 'Aborted'): Promise<void> {
    await this.call(`mark bulk job ${state}`, () =>
      this.connection.request({
        method: 'PATCH',
        url: this.url(`/${id}`),
        body: JSON.stringify({ state }),
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
      }),
    );
  }

  /** Polls with a growing interval until the job is JobComplete or Failed (the activity keeps heartbeating). */
  private async wait(id: string, info: JobInfo): Promise<JobInfo> {
    let current = info;
    let interval = POLL_FIRST_MS;
    let waited = 0;
    while (current.state === 'UploadComplete' || current.state === 'InProgress') {
      if (waited > POLL_GIVE_UP_MS) {
        throw new DestinationTransientError(`Salesforce bulk job ${id} still ${current.state} after ${Math.round(waited / 60_000)} min`, 'bulk-job-slow');
      }
      await this.sleep(interval);
      waited += interval;
      interval = Math.min(POLL_MAX_MS, Math.round(interval * 1.5));
      current = await this.call('poll bulk job', () => this.connection.request<JobInfo>(this.url(`/${id}`)));
    }
    if (current.state === 'Aborted') {
      throw new BackflowError('DESTINATION_REQUEST_INVALID', `Salesforce bulk job ${id} was aborted by someone else`);
    }
    return current;
  }

  private async csv(id: string, resource: string): Promise<Array<Record<string, string>>> {
    const rows = await this.call(`read bulk job ${resource}`, () =>
      this.connection.request<Array<Record<string, string>>>(this.url(`/${id}/${resource}`), { responseType: 'text/csv' }),
    );
    return Array.isArray(rows) ? rows : [];
  }

  private async collect(
    job: JobInfo,
    keyColumn: string | null,
    keyById: ReadonlyMap<string, string>,
  ): Promise<Map<string, RecordResult>> {
    const results = new Map<string, RecordResult>();
    const keyOf = (row: Record<string, string>): string | undefined =>
      keyColumn === null ? keyById.get(row['sf__Id'] ?? '') ?? keyById.get(row['Id'] ?? '') : row[keyColumn];
    for (const row of await this.csv(job.id, 'successfulResults')) {
      const key = keyOf(row);
      if (key === undefined) continue;
      const id = row['sf__Id'] ?? '';
      results.set(key, { key, status: 'ok', destinationId: id, created: row['sf__Created'] === 'true' });
    }
    for (const row of await this.csv(job.id, 'failedResults')) {
      const key = keyOf(row);
      if (key === undefined) continue;
      const error = parseBulkError(row['sf__Error'] ?? '');
      if (job.operation === 'delete' && ALREADY_DELETED.has(error.code)) {
        results.set(key, { key, status: 'ok', destinationId: row['sf__Id'] ?? '', created: false });
      } else results.set(key, { key, status: 'rejected', error });
    }
    // Records a failed or aborted job never reached stay uncommitted: the next run sends them again.
    for (const row of await this.csv(job.id, 'unprocessedrecords')) {
      const key = keyOf(row);
      if (key === undefined || results.has(key)) continue;
      const why = job.errorMessage ?? `job ${job.state}`;
      results.set(key, { key, status: 'rejected', error: { code: 'BULK_UNPROCESSED', message: `not processed by bulk job ${job.id}: ${why}`, fields: [] } });
    }
    return results;
  }
}
