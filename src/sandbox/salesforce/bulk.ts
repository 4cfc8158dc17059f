/**
 * Bulk API 2.0 ingest jobs (`/services/data/vXX.X/jobs/ingest`): create, upload CSV, close or
 * abort, job info, job list, delete, and the successful / failed / unprocessed result CSVs. A
 * closed job is processed asynchronously after a configurable delay, record by record with the
 * same validation as sObject Collections (never all-or-none).
 */

import {
  createOne,
  deleteOne,
  duplicateKeys,
  isDuplicateKey,
  lockByExternalIds,
  lockById,
  lockByKeyField,
  runCollection,
  updateOne,
  upsertOne,
  type DmlContext,
  type JsonObject,
  type SaveResult,
} from './dml';
import { SalesforceApiError, notFound } from './errors';
import { COLUMN_DELIMITERS, CsvError, csvLine, parseCsv, type ColumnDelimiter, type LineEnding } from './csv';
import type { IdGenerator } from './ids';
import type { ApiRequest, ApiResponse, WriteNotice } from './routes';
import type { FieldDef, OrgSchema, SObjectDef } from './schema';
import { formatDateTime } from './values';

const OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const;
type Operation = (typeof OPERATIONS)[number];
type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

/** Bulk 2.0 writes `#N/A` to set a field to null; an empty cell leaves the field as it is. */
const NULL_VALUE = '#N/A';
const JOB_KEY_PREFIX = '750';
const SANDBOX_USER_ID = '005000000000001AAA';
const CSV_CONTENT_TYPE = 'text/csv';

interface ResultRow {
  cells: string[];
  id: string;
  result: SaveResult;
}

interface Job {
  id: string;
  operation: Operation;
  object: SObjectDef;
  externalIdField: FieldDef | null;
  state: JobState;
  lineEnding: LineEnding;
  columnDelimiter: ColumnDelimiter;
  apiVersion: number;
  createdDate: string;
  systemModstamp: string;
  /** Uploaded CSV, one string per PUT (more than one makes the close fail). */
  uploads: string[];
  header: string[];
  results: ResultRow[];
  unprocessed: string[][];
  errorMessage: string | null;
  processingMs: number;
}

export interface BulkContext {
  dml: DmlContext;
  schema: OrgSchema;
  ids: IdGenerator;
  /** Delay between UploadComplete and the job's results. */
  processingDelayMs: () => number;
  /** Called once a job's records were written (feeds onWriteApplied listeners). */
  notify: (writes: WriteNotice[]) => void;
}

function apiError(status: number, errorCode: string, message: string): SalesforceApiError {
  return new SalesforceApiError(status, errorCode, message);
}

function json(status: number, body: unknown): ApiResponse {
  return { status, body };
}

function csv(text: string): ApiResponse {
  return { status: 200, body: text, headers: { 'Content-Type': CSV_CONTENT_TYPE } };
}

function idOf(body: JsonObject): unknown {
  return Object.entries(body).find(([k]) => k.toLowerCase() === 'id')?.[1];
}

function parseBody(raw: string | undefined): JsonObject {
  try {
    const body = JSON.parse(raw ?? '') as unknown;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as JsonObject;
  } catch {
    // reported below
  }
  throw apiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
}

export class BulkIngestJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ctx: BulkContext) {}

  reset(): void {
    this.close();
    this.jobs.clear();
  }

  /** Stops pending processing (server shutdown). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** `segments` follow `/services/data/vXX.X/jobs/ingest`. */
  handle(req: ApiRequest, segments: string[]): ApiResponse {
    try {
      const [id, resource] = segments;
      if (id === undefined) {
        if (req.method === 'POST') return this.create(req);
        if (req.method === 'GET') return this.list(req);
        throw apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are GET,POST`);
      }
      const job = this.jobs.get(id);
      if (job === undefined || segments.length > 2) throw notFound(`Job with ID ${id} not found`);
      if (resource === undefined) {
        if (req.method === 'GET') return json(200, this.info(job, true));
        if (req.method === 'PATCH') return this.changeState(job, req);
        if (req.method === 'DELETE') return this.remove(job);
        throw apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are GET,PATCH,DELETE`);
      }
      if (resource === 'batches') {
        if (req.method !== 'PUT') throw apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are PUT`);
        return this.upload(job, req);
      }
      if (req.method !== 'GET') throw apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are GET`);
      if (resource === 'successfulResults') return csv(this.successful(job));
      if (resource === 'failedResults') return csv(this.failed(job));
      if (resource === 'unprocessedrecords') return csv(this.unprocessedCsv(job));
      throw notFound();
    } catch (err) {
      if (err instanceof SalesforceApiError) return json(err.status, err.body());
      throw err;
    }
  }

  private create(req: ApiRequest): ApiResponse {
    const body = parseBody(req.rawBody);
    const objectName = body['object'];
    const operation = body['operation'];
    if (typeof objectName !== 'string' || objectName === '') throw apiError(400, 'INVALIDJOB', 'object is required');
    const object = this.ctx.schema.sobject(objectName);
    if (object === undefined) throw apiError(400, 'INVALIDENTITY', `Entity '${objectName}' is not supported by the Bulk API.`);
    if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
      throw apiError(400, 'INVALIDJOB', `Invalid operation: ${String(operation)}`);
    }
    const contentType = body['contentType'] ?? 'CSV';
    if (contentType !== 'CSV') throw apiError(400, 'INVALIDJOB', `Invalid content type: ${String(contentType)}; only CSV is supported`);
    const lineEnding = body['lineEnding'] ?? 'LF';
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') throw apiError(400, 'INVALIDJOB', `Invalid line ending: ${String(lineEnding)}`);
    const delimiter = body['columnDelimiter'] ?? 'COMMA';
    if (typeof delimiter !== 'string' || !(delimiter in COLUMN_DELIMITERS)) {
      throw apiError(400, 'INVALIDJOB', `Invalid column delimiter: ${String(delimiter)}`);
    }
    let externalIdField: FieldDef | null = null;
    if (operation === 'upsert') {
      const name = body['externalIdFieldName'];
      if (typeof name !== 'string' || name === '') {
        throw apiError(400, 'INVALIDJOB', `External ID was blank for ${object.name}. An External ID must be specified for upsert.`);
      }
      const field = this.ctx.schema.field(object, name);
      if (field === undefined || (field.name !== 'Id' && field.externalId !== true && field.idLookup !== true)) {
        throw apiError(400, 'INVALIDJOB', `Field name provided, ${name} is not an External ID or indexed field for ${object.name}`);
      }
      externalIdField = field;
    }
    const now = formatDateTime(this.ctx.dml.now());
    const job: Job = {
      id: this.ctx.ids.next(JOB_KEY_PREFIX),
      operation: operation as Operation,
      object,
      externalIdField,
      state: 'Open',
      lineEnding,
      columnDelimiter: delimiter as ColumnDelimiter,
      apiVersion: req.versionNumber,
      createdDate: now,
      systemModstamp: now,
      uploads: [],
      header: [],
      results: [],
      unprocessed: [],
      errorMessage: null,
      processingMs: 0,
    };
    this.jobs.set(job.id, job);
    return json(200, this.info(job, false));
  }

  private list(req: ApiRequest): ApiResponse {
    const records = [...this.jobs.values()].map((job) => this.info(job, false));
    void req;
    return json(200, { done: true, records, nextRecordsUrl: null });
  }

  private info(job: Job, detailed: boolean): Record<string, unknown> {
    const base: Record<string, unknown> = {
      id: job.id,
      operation: job.operation,
      object: job.object.name,
      createdById: SANDBOX_USER_ID,
      createdDate: job.createdDate,
      systemModstamp: job.systemModstamp,
      state: job.state,
      ...(job.externalIdField ? { externalIdFieldName: job.externalIdField.name } : {}),
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: job.apiVersion,
      contentUrl: `services/data/v${job.apiVersion.toFixed(1)}/jobs/ingest/${job.id}/batches`,
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
    };
    if (!detailed) return { ...base, jobType: 'V2Ingest' };
    return {
      ...base,
      jobType: 'V2Ingest',
      numberRecordsProcessed: job.results.length,
      numberRecordsFailed: job.results.filter((r) => !r.result.success).length,
      retries: 0,
      totalProcessingTime: job.processingMs,
      apiActiveProcessingTime: job.processingMs,
      apexProcessingTime: 0,
      ...(job.errorMessage !== null ? { errorMessage: job.errorMessage } : {}),
    };
  }

  private touch(job: Job, state: JobState): void {
    job.state = state;
    job.systemModstamp = formatDateTime(this.ctx.dml.now());
  }

  private upload(job: Job, req: ApiRequest): ApiResponse {
    if (job.state !== 'Open') {
      throw apiError(409, 'INVALIDJOBSTATE', `Job ${job.id} is in state ${job.state}; data can be uploaded only while it is Open`);
    }
    const type = req.header('content-type') ?? '';
    if (!/^text\/csv\b/i.test(type)) throw apiError(400, 'INVALIDJOB', `Unsupported content type ${type}; upload job data as text/csv`);
    job.uploads.push(req.rawBody ?? '');
    return { status: 201 };
  }

  private changeState(job: Job, req: ApiRequest): ApiResponse {
    const wanted = parseBody(req.rawBody)['state'];
    if (wanted === 'UploadComplete') {
      if (job.state !== 'Open') throw apiError(409, 'INVALIDJOBSTATE', `Job ${job.id} is ${job.state}, not Open`);
      // Salesforce takes every PUT and only refuses at close (its message, typo and 15-character id included).
      if (job.uploads.length > 1) {
        throw apiError(
          400,
          'INVALIDJOB',
          `Found multipe contents for job: <${job.id.slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
        );
      }
      this.touch(job, 'UploadComplete');
      this.schedule(job);
      return json(200, this.info(job, false));
    }
    if (wanted === 'Aborted') {
      if (job.state === 'JobComplete' || job.state === 'Failed' || job.state === 'Aborted') {
        throw apiError(409, 'INVALIDJOBSTATE', `Job ${job.id} is ${job.state} and can no longer be aborted`);
      }
      this.touch(job, 'Aborted');
      return json(200, this.info(job, false));
    }
    throw apiError(400, 'INVALIDJOBSTATE', `Invalid state: ${String(wanted)}; use UploadComplete or Aborted`);
  }

  private remove(job: Job): ApiResponse {
    if (job.state === 'Open' || job.state === 'InProgress') {
      throw apiError(409, 'INVALIDJOBSTATE', `Job ${job.id} is ${job.state}; close or abort it before deleting it`);
    }
    this.jobs.delete(job.id);
    return { status: 204 };
  }

  private schedule(job: Job): void {
    const delay = this.ctx.processingDelayMs();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (job.state !== 'UploadComplete') return;
      this.touch(job, 'InProgress');
      const second = setTimeout(() => {
        this.timers.delete(second);
        this.process(job);
      }, delay / 2);
      this.timers.add(second);
    }, delay / 2);
    this.timers.add(timer);
  }

  /** Splits the uploads into a header and rows; every upload repeats the same header. */
  private rows(job: Job): { header: string[]; rows: string[][] } {
    const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
    let header: string[] | null = null;
    const rows: string[][] = [];
    for (const upload of job.uploads) {
      const parsed = parseCsv(upload, delimiter, job.lineEnding);
      const [first, ...rest] = parsed;
      if (first === undefined) continue;
      if (header !== null && first.join('\u0000') !== header.join('\u0000')) {
        throw new CsvError('every upload of a job must have the same header row');
      }
      header = first;
      rows.push(...rest.filter((row) => !(row.length === 1 && row[0] === '')));
    }
    return { header: header ?? [], rows };
  }

  private process(job: Job): void {
    if (job.state !== 'InProgress') return;
    const started = Date.now();
    let parsed: { header: string[]; rows: string[][] };
    try {
      parsed = this.rows(job);
    } catch (err) {
      this.fail(job, `ClientInputError : ${err instanceof Error ? err.message : String(err)}`, []);
      return;
    }
    const { header, rows } = parsed;
    job.header = header;
    if (rows.length === 0) {
      this.fail(job, 'InvalidBatch : Records not processed : no data was uploaded', []);
      return;
    }
    const relationships = header.map((column) => relationshipColumn(job.object, column));
    const unknown = header.find((column, i) => this.ctx.schema.field(job.object, column) === undefined && relationships[i] === undefined);
    if (unknown !== undefined) {
      this.fail(job, `InvalidBatch : Field name not found : ${unknown}`, rows);
      return;
    }
    const bodies = rows.map((cells) => {
      const body: JsonObject = {};
      header.forEach((column, i) => {
        const value = cells[i] ?? '';
        const relationship = relationships[i];
        // `Account.External_Id__c`: the parent named by its external id, resolved as in a JSON body.
        if (relationship !== undefined) {
          if (value !== '' && value !== NULL_VALUE) body[relationship.name] = { [relationship.keyField]: value };
        } else if (value === NULL_VALUE) body[column] = null;
        else if (value !== '') body[column] = value;
      });
      return body;
    });
    const results = this.write(job, bodies);
    job.results = rows.map((cells, i) => {
      const result = results[i] ?? { success: false, errors: [] };
      // A failed update or delete still names the record it was given.
      const given = job.operation === 'insert' || job.operation === 'upsert' ? undefined : idOf(bodies[i] ?? {});
      return { cells, id: result.id ?? (typeof given === 'string' ? given : ''), result };
    });
    job.processingMs = Math.max(1, Date.now() - started);
    this.touch(job, 'JobComplete');
    const written = job.results.filter((r) => r.result.success).length;
    if (written > 0) this.ctx.notify([{ sobject: job.object.name, records: written }]);
  }

  private write(job: Job, bodies: JsonObject[]): SaveResult[] {
    const { dml } = this.ctx;
    const def = job.object;
    switch (job.operation) {
      case 'insert':
        return runCollection(dml, bodies, false, (body) => lockByExternalIds(def, body), (body) => createOne(dml, def, body));
      case 'update':
        return runCollection(dml, bodies, false, (body) => lockById(idOf(body)), (body) => updateOne(dml, def, idOf(body), body));
      case 'delete':
      case 'hardDelete':
        return runCollection(dml, bodies, false, (body) => lockById(idOf(body)), (body) => deleteOne(dml, idOf(body), job.operation === 'hardDelete'));
      case 'upsert': {
        const field = job.externalIdField as FieldDef;
        const keyOf = (body: JsonObject): unknown =>
          Object.entries(body).find(([k]) => k.toLowerCase() === field.name.toLowerCase())?.[1];
        const keys = bodies.map(keyOf);
        const duplicates = field.name === 'Id' ? new Set<string>() : duplicateKeys(field, keys);
        return runCollection(
          dml,
          bodies,
          false,
          (body) => lockByKeyField(body, field),
          (body, i) => upsertOne(dml, def, { field }, body, keys[i], isDuplicateKey(field, keys[i], duplicates)),
        );
      }
    }
  }

  private fail(job: Job, message: string, unprocessed: string[][]): void {
    job.errorMessage = message;
    job.unprocessed = unprocessed;
    this.touch(job, 'Failed');
  }

  private successful(job: Job): string {
    const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const lines = [csvLine(['sf__Id', 'sf__Created', ...job.header], delimiter)];
    for (const row of job.results) {
      if (!row.result.success) continue;
      const created = job.operation === 'insert' || row.result.created === true;
      lines.push(csvLine([row.id, String(created), ...row.cells], delimiter));
    }
    return lines.join(eol) + eol;
  }

  private failed(job: Job): string {
    const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const lines = [csvLine(['sf__Id', 'sf__Error', ...job.header], delimiter)];
    for (const row of job.results) {
      if (row.result.success) continue;
      // Salesforce's form: STATUS_CODE:message:field,field --
      const error = row.result.errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(' ');
      lines.push(csvLine([row.id, error, ...row.cells], delimiter));
    }
    return lines.join(eol) + eol;
  }

  private unprocessedCsv(job: Job): string {
    const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    let header = job.header;
    let rows = job.unprocessed;
    // An aborted job never processed what was uploaded.
    if (job.state === 'Aborted' || job.state === 'Open' || job.state === 'UploadComplete') {
      try {
        ({ header, rows } = this.rows(job));
      } catch {
        return '';
      }
    }
    if (header.length === 0) return '';
    return [csvLine(header, delimiter), ...rows.map((cells) => csvLine(cells, delimiter))].join(eol) + eol;
  }
}

/**
 * A `RelationshipName.IndexedFieldName` header column (Bulk API 2.0: "Relationship Fields in a Header
 * Row", e.g. `Account.External_Id__c` on Contact): the lookup's relationship and the parent's field.
 */
function relationshipColumn(object: SObjectDef, column: string): { name: string; keyField: string } | undefined {
  const dot = column.indexOf('.');
  if (dot <= 0 || dot === column.length - 1) return undefined;
  const wanted = column.slice(0, dot).toLowerCase();
  const lookup = object.fields.find((field) => field.type === 'reference' && field.relationshipName?.toLowerCase() === wanted);
  return lookup?.relationshipName ? { name: lookup.relationshipName, keyField: column.slice(dot + 1) } : undefined;
}
