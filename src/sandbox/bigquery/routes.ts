/**
 * The REST resources under /bigquery/v2, as pure handlers from a parsed request to a status and
 * body (HTTP plumbing lives in server.ts). Request bodies are validated with zod at this edge;
 * fields the sandbox has no use for are accepted and ignored, as the API ignores unset options.
 *
 * - POST /projects/{p}/queries                      jobs.query
 * - GET  /projects/{p}/queries/{jobId}              jobs.getQueryResults
 * - POST /projects/{p}/jobs                         jobs.insert (query jobs)
 * - GET  /projects/{p}/jobs/{jobId}                 jobs.get
 * - POST /projects/{p}/jobs/{jobId}/cancel          jobs.cancel (answers the job; stopping one is not emulated)
 * - GET  /projects/{p}/datasets/{d}                 datasets.get
 * - GET  /projects/{p}/datasets/{d}/tables/{t}      tables.get
 *
 * Error behaviour follows the docs: jobs.query and dry runs answer a bad query with the HTTP
 * error itself ("If the query is invalid, an error returns"); jobs.insert of a real job answers
 * 200 with a DONE job whose `status.errorResult` holds the error (a job's errors are reported
 * "using the status.errorResult and status.errors fields"; the Node client turns
 * `status.errors` into an ApiError); jobs.getQueryResults on that job answers its error over HTTP.
 *
 * Slow queries (`queryDelayMs`): a job stays RUNNING that long after it is created. jobs.query
 * and jobs.getQueryResults wait for it up to the request's `timeoutMs` (10 s by default) and, if
 * it is still running, answer as BigQuery does: `jobComplete: false` and the jobReference, with
 * no schema, rows or totalRows ("you can continue to wait for the query to complete by calling
 * the getQueryResults method until the jobComplete field ... is true").
 */

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Warehouse } from './engine';
import { BigQueryApiError, datasetNotFound, duplicate, invalid, invalidQuery, notFound } from './errors';
import type { Destination, QueryExecutor, QueryOutcome } from './execute';
import { DATASET_LOCATION, inDatasetLocation } from './execute';
import { dmlStats, isDone, isValidJobId, jobReference, jobResource, newJobId, pageOf, type JobRecord, type JobStore, type JobWaits } from './jobs';
import { bindParameters, queryParameterSchema } from './params';
import { translateSql, type Translation } from './sql';
import type { TimestampFormat } from './wire';

export interface ApiContext {
  projectId: string;
  /** `http://host:port/bigquery/v2`, for selfLinks. */
  apiBase: string;
  defaultPageSize: number;
  /** Reported as creation/modification time of datasets and tables (DuckDB does not keep one). */
  startedAt: number;
  warehouse: Warehouse;
  executor: QueryExecutor;
  jobs: JobStore;
  waits: JobWaits;
  /** How long a query job runs before it is DONE (the sandbox's slow-query setting). */
  queryDelayMs: number;
}

export interface ApiRequest {
  method: string;
  /** URI-decoded path segments after /bigquery/v2. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

const DEFAULT_LOCATION = 'US';

// ---------------------------------------------------------------------------------------
// request schemas (QueryRequest, Job, JobConfigurationQuery)

/** int32/int64 fields arrive as JSON numbers or, per the JSON mapping of int64, as strings. */
const integer = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number).pipe(z.number().int().min(0));
const datasetReference = z.looseObject({ projectId: z.string().nullish(), datasetId: z.string() });
const tableReference = z.looseObject({ projectId: z.string().nullish(), datasetId: z.string(), tableId: z.string() });
const formatOptions = z.looseObject({ useInt64Timestamp: z.boolean().nullish(), timestampOutputFormat: z.string().nullish() });
const labels = z.record(z.string(), z.string());

const queryRequestSchema = z.looseObject({
  query: z.string(),
  useLegacySql: z.boolean().nullish(),
  maxResults: integer.nullish(),
  timeoutMs: integer.nullish(),
  requestId: z.string().max(36).nullish(),
  location: z.string().nullish(),
  formatOptions: formatOptions.nullish(),
  dryRun: z.boolean().nullish(),
  labels: labels.nullish(),
  defaultDataset: datasetReference.nullish(),
  parameterMode: z.string().nullish(),
  queryParameters: z.array(queryParameterSchema).nullish(),
});
type QueryRequest = z.infer<typeof queryRequestSchema>;

const queryConfigurationSchema = z.looseObject({
  query: z.string(),
  useLegacySql: z.boolean().nullish(),
  destinationTable: tableReference.nullish(),
  writeDisposition: z.enum(['WRITE_EMPTY', 'WRITE_TRUNCATE', 'WRITE_APPEND']).nullish(),
  createDisposition: z.enum(['CREATE_IF_NEEDED', 'CREATE_NEVER']).nullish(),
  defaultDataset: datasetReference.nullish(),
  parameterMode: z.string().nullish(),
  queryParameters: z.array(queryParameterSchema).nullish(),
  priority: z.enum(['INTERACTIVE', 'BATCH']).nullish(),
});

const jobSchema = z.looseObject({
  jobReference: z.looseObject({ projectId: z.string().nullish(), jobId: z.string().nullish(), location: z.string().nullish() }).nullish(),
  configuration: z.looseObject({
    query: queryConfigurationSchema.nullish(),
    load: z.unknown().optional(),
    extract: z.unknown().optional(),
    copy: z.unknown().optional(),
    dryRun: z.boolean().nullish(),
    labels: labels.nullish(),
    jobTimeoutMs: integer.nullish(),
  }),
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  if (body === undefined) throw invalid(`Required request body is missing (${what})`);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [what, ...(issue?.path ?? []).map(String)].join('.');
  throw invalid(`Invalid value at '${path}': ${issue?.message ?? 'invalid'}`, { location: path, locationType: 'parameter' });
}

// ---------------------------------------------------------------------------------------
// shared checks

function requireProject(ctx: ApiContext, projectId: string): void {
  if (projectId !== ctx.projectId) throw notFound(`Not found: Project ${projectId}`);
}

/**
 * Dialect: `useLegacySql` defaults to true in the REST API; a leading `#standardSQL` /
 * `#legacySQL` prefix decides instead and must agree with an explicit flag.
 */
function requireStandardSql(query: string, useLegacySql: boolean | null | undefined): void {
  const prefix = /^\s*#(standardSQL|legacySQL)\b/i.exec(query)?.[1]?.toLowerCase();
  const prefixLegacy = prefix === undefined ? undefined : prefix === 'legacysql';
  if (prefixLegacy !== undefined && useLegacySql !== undefined && useLegacySql !== null && prefixLegacy !== useLegacySql) {
    throw invalid(`Query text specifies use_legacy_sql:${String(prefixLegacy)}, while API options specify:${String(useLegacySql)}`);
  }
  const legacy = prefixLegacy ?? useLegacySql ?? true;
  if (legacy) {
    throw invalidQuery(
      'Legacy SQL is not supported by the backflow BigQuery sandbox. Set useLegacySql to false (the REST API defaults to true) or start the query with #standardSQL.',
    );
  }
}

/** Label keys/values: lowercase letters, digits, `_` and `-`, at most 63 characters; keys start with a letter. */
function validateLabels(values: Record<string, string> | null | undefined): void {
  const entries = Object.entries(values ?? {});
  if (entries.length > 64) throw invalid('Too many labels: at most 64 are allowed');
  for (const [key, value] of entries) {
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(key)) {
      throw invalid(`Invalid label key "${key}": keys start with a lowercase letter and hold only lowercase letters, digits, underscores and dashes (at most 63 characters)`);
    }
    if (!/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(value)) {
      throw invalid(`Invalid label value "${value}" for key "${key}": values hold only lowercase letters, digits, underscores and dashes (at most 63 characters)`);
    }
  }
}

async function resolveDefaultDataset(ctx: ApiContext, ref: { projectId?: string | null | undefined; datasetId: string } | null | undefined, location: string): Promise<string | undefined> {
  if (ref === null || ref === undefined) return undefined;
  const project = ref.projectId ?? ctx.projectId;
  if (project !== ctx.projectId || !inDatasetLocation(location) || !(await ctx.warehouse.hasDataset(ref.datasetId))) throw datasetNotFound(project, ref.datasetId, location);
  return ref.datasetId;
}

function timestampFormat(useInt64Timestamp: boolean | null | undefined, outputFormat: string | null | undefined): TimestampFormat {
  if (outputFormat === 'INT64' || outputFormat === 'FLOAT64' || outputFormat === 'ISO8601_STRING') return outputFormat;
  return useInt64Timestamp === true ? 'INT64' : 'FLOAT64';
}

interface QuerySpec {
  query: string;
  useLegacySql?: boolean | null | undefined;
  location: string;
  defaultDataset?: { projectId?: string | null | undefined; datasetId: string } | null | undefined;
  parameterMode?: string | null | undefined;
  queryParameters?: z.infer<typeof queryParameterSchema>[] | null | undefined;
}

async function translate(ctx: ApiContext, spec: QuerySpec): Promise<Translation> {
  requireStandardSql(spec.query, spec.useLegacySql);
  const defaultDataset = await resolveDefaultDataset(ctx, spec.defaultDataset, spec.location);
  const parameters = bindParameters(spec.queryParameters ?? undefined, spec.parameterMode ?? undefined);
  return translateSql(spec.query, { projectId: ctx.projectId, location: spec.location, defaultDataset, parameters });
}

function userEmail(ctx: ApiContext): string {
  return `backflow-sandbox@${ctx.projectId}.iam.gserviceaccount.com`;
}

function queryConfiguration(spec: QuerySpec, extra: Record<string, unknown>): Record<string, unknown> {
  const query: Record<string, unknown> = { query: spec.query, useLegacySql: false, priority: 'INTERACTIVE', ...extra };
  if (spec.defaultDataset) query['defaultDataset'] = spec.defaultDataset;
  if (spec.parameterMode) query['parameterMode'] = spec.parameterMode;
  if (spec.queryParameters) query['queryParameters'] = spec.queryParameters;
  return query;
}

function resultFields(outcome: QueryOutcome | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (outcome?.schema) body['schema'] = { fields: outcome.schema };
  return body;
}

// ---------------------------------------------------------------------------------------
// jobs.query / jobs.getQueryResults

async function jobsQuery(ctx: ApiContext, projectId: string, body: unknown): Promise<ApiResponse> {
  requireProject(ctx, projectId);
  const request: QueryRequest = parseBody(queryRequestSchema, body, 'query_request');
  validateLabels(request.labels);
  const location = request.location ?? DEFAULT_LOCATION;
  const spec: QuerySpec = { ...request, location };
  const format = timestampFormat(request.formatOptions?.useInt64Timestamp, request.formatOptions?.timestampOutputFormat);
  const dryRun = request.dryRun === true;

  // requestId: an identical retry within 15 minutes gets the first run's job (dry runs never do).
  const fingerprint = JSON.stringify([request.query, request.useLegacySql, request.defaultDataset, request.parameterMode, request.queryParameters, location]);
  const earlier = !dryRun && request.requestId ? ctx.jobs.byRequestId(request.requestId, fingerprint) : undefined;
  if (earlier !== undefined) {
    await ctx.waits.untilDone(earlier, request.timeoutMs ?? undefined);
    return { status: 200, body: queryResponse(ctx, earlier, request.maxResults ?? undefined, format) };
  }

  const job: JobRecord = {
    projectId,
    jobId: newJobId(),
    location,
    configuration: { jobType: 'QUERY', query: queryConfiguration(spec, {}), ...(request.labels ? { labels: request.labels } : {}), ...(dryRun ? { dryRun: true } : {}) },
    creationTime: Date.now(),
    startTime: Date.now(),
    endTime: 0,
    statementType: 'SELECT',
    dryRun,
    userEmail: userEmail(ctx),
  };
  try {
    const translation = await translate(ctx, spec);
    job.statementType = translation.statementType;
    job.outcome = await ctx.executor.run(translation, { projectId, location, dryRun });
  } catch (err) {
    if (err instanceof BigQueryApiError && !dryRun) {
      // The failed job exists in BigQuery's history too; the request itself answers the error.
      job.endTime = Date.now();
      job.error = err.jobProto();
      ctx.jobs.add(job);
    }
    throw err;
  }
  job.endTime = Date.now() + (dryRun ? 0 : ctx.queryDelayMs);
  if (dryRun) {
    return {
      status: 200,
      body: {
        kind: 'bigquery#queryResponse',
        ...resultFields(job.outcome),
        jobReference: { projectId, location },
        totalBytesProcessed: String(job.outcome.totalBytesProcessed),
        jobComplete: true,
        cacheHit: false,
      },
    };
  }
  ctx.jobs.add(job);
  if (request.requestId) ctx.jobs.rememberRequest(request.requestId, fingerprint, job);
  await ctx.waits.untilDone(job, request.timeoutMs ?? undefined);
  return { status: 200, body: queryResponse(ctx, job, request.maxResults ?? undefined, format) };
}

/** QueryResponse: the first page of a finished job, or `jobComplete: false` for a running one. */
function queryResponse(ctx: ApiContext, job: JobRecord, maxResults: number | undefined, format: TimestampFormat): Record<string, unknown> {
  const queryId = `query_${randomBytes(21).toString('base64url')}`;
  if (!isDone(job)) {
    return { kind: 'bigquery#queryResponse', jobReference: jobReference(job), jobCreationReason: { code: 'REQUESTED' }, queryId, location: job.location, jobComplete: false };
  }
  const body: Record<string, unknown> = {
    kind: 'bigquery#queryResponse',
    ...resultFields(job.outcome),
    jobReference: jobReference(job),
    jobCreationReason: { code: 'REQUESTED' },
    queryId,
    location: job.location,
    ...resultPage(ctx, job, { maxResults, format }),
    totalBytesProcessed: String(job.outcome?.totalBytesProcessed ?? 0n),
    jobComplete: true,
    cacheHit: false,
    creationTime: String(job.creationTime),
    startTime: String(job.startTime),
    endTime: String(job.endTime),
  };
  return body;
}

/** totalRows / rows / pageToken (rows only when there are any, like the proto JSON mapping). */
function resultPage(ctx: ApiContext, job: JobRecord, request: { pageToken?: string | undefined; startIndex?: number | undefined; maxResults?: number | undefined; format: TimestampFormat }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const outcome = job.outcome;
  if (outcome?.numDmlAffectedRows !== null && outcome?.numDmlAffectedRows !== undefined) out['numDmlAffectedRows'] = String(outcome.numDmlAffectedRows);
  const stats = dmlStats(job);
  if (stats !== undefined) out['dmlStats'] = stats;
  if (!outcome?.schema) return out;
  const page = pageOf(job, request, ctx.defaultPageSize);
  out['totalRows'] = String(outcome.rows.length);
  if (page.pageToken !== undefined) out['pageToken'] = page.pageToken;
  if (page.rows.length > 0) out['rows'] = page.rows;
  return out;
}

function optionalInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw invalid(`Invalid value for ${name}: ${raw}`, { location: name, locationType: 'parameter' });
  return Number(raw);
}

async function getQueryResults(ctx: ApiContext, projectId: string, jobId: string, query: URLSearchParams): Promise<ApiResponse> {
  requireProject(ctx, projectId);
  const job = ctx.jobs.get(projectId, jobId, query.get('location') ?? undefined);
  const timeoutMs = optionalInteger(query, 'timeoutMs');
  await ctx.waits.untilDone(job, timeoutMs);
  if (!isDone(job)) {
    const etag = Buffer.from(`${job.jobId}:running`).toString('base64');
    return { status: 200, body: { kind: 'bigquery#getQueryResultsResponse', etag, jobReference: jobReference(job), jobComplete: false } };
  }
  if (job.error !== undefined) throw BigQueryApiError.fromJobProto(job.error);
  const format = timestampFormat(query.get('formatOptions.useInt64Timestamp') === 'true', query.get('formatOptions.timestampOutputFormat'));
  const page = resultPage(ctx, job, {
    pageToken: query.get('pageToken') ?? undefined,
    startIndex: optionalInteger(query, 'startIndex'),
    maxResults: optionalInteger(query, 'maxResults'),
    format,
  });
  return {
    status: 200,
    body: {
      kind: 'bigquery#getQueryResultsResponse',
      etag: Buffer.from(`${job.jobId}:${query.get('pageToken') ?? ''}`).toString('base64'),
      ...resultFields(job.outcome),
      jobReference: jobReference(job),
      ...page,
      totalBytesProcessed: String(job.outcome?.totalBytesProcessed ?? 0n),
      jobComplete: true,
      cacheHit: false,
    },
  };
}

// ---------------------------------------------------------------------------------------
// jobs.insert / jobs.get / jobs.cancel

async function jobsInsert(ctx: ApiContext, projectId: string, body: unknown): Promise<ApiResponse> {
  requireProject(ctx, projectId);
  const job = parseBody(jobSchema, body, 'job');
  const config = job.configuration;
  const queryConfig = config.query;
  if (queryConfig === null || queryConfig === undefined) {
    throw invalid('The BigQuery sandbox runs query jobs only: configuration.query is required (load, extract and copy jobs are not emulated)');
  }
  const reference = job.jobReference ?? {};
  if (reference.projectId && reference.projectId !== projectId) {
    throw invalid(`Job reference project ${reference.projectId} does not match the project ${projectId} of the request`);
  }
  const jobId = reference.jobId ?? newJobId();
  if (!isValidJobId(jobId)) {
    throw invalid(`Invalid job ID "${jobId}". Job IDs must be alphanumeric (plus underscores and dashes) and must be at most 1024 characters long.`);
  }
  const location = reference.location ?? DEFAULT_LOCATION;
  const dryRun = config.dryRun === true;
  if (!dryRun && ctx.jobs.has(projectId, jobId)) throw duplicate(`Already Exists: Job ${projectId}:${location}.${jobId}`);
  validateLabels(config.labels);

  const spec: QuerySpec = { ...queryConfig, location };
  const destinationRef = queryConfig.destinationTable ?? undefined;
  const extra: Record<string, unknown> = {};
  if (destinationRef) {
    extra['destinationTable'] = { projectId: destinationRef.projectId ?? projectId, datasetId: destinationRef.datasetId, tableId: destinationRef.tableId };
    extra['writeDisposition'] = queryConfig.writeDisposition ?? 'WRITE_EMPTY';
    extra['createDisposition'] = queryConfig.createDisposition ?? 'CREATE_IF_NEEDED';
  }
  const record: JobRecord = {
    projectId,
    jobId,
    location,
    configuration: {
      jobType: 'QUERY',
      query: { ...queryConfiguration(spec, extra), priority: queryConfig.priority ?? 'INTERACTIVE' },
      ...(config.labels ? { labels: config.labels } : {}),
      ...(dryRun ? { dryRun: true } : {}),
    },
    creationTime: Date.now(),
    startTime: Date.now(),
    endTime: 0,
    statementType: 'SELECT',
    dryRun,
    userEmail: userEmail(ctx),
  };
  try {
    const translation = await translate(ctx, spec);
    record.statementType = translation.statementType;
    let destination: Destination | undefined;
    if (destinationRef) {
      const destinationProject = destinationRef.projectId ?? projectId;
      if (destinationProject !== projectId) throw datasetNotFound(destinationProject, destinationRef.datasetId, location);
      destination = {
        dataset: destinationRef.datasetId,
        table: destinationRef.tableId,
        writeDisposition: queryConfig.writeDisposition ?? 'WRITE_EMPTY',
        createDisposition: queryConfig.createDisposition ?? 'CREATE_IF_NEEDED',
      };
    }
    record.outcome = await ctx.executor.run(translation, { projectId, location, dryRun, destination });
  } catch (err) {
    if (!(err instanceof BigQueryApiError) || dryRun) throw err;
    record.error = err.jobProto();
  }
  record.endTime = Date.now() + (dryRun ? 0 : ctx.queryDelayMs);
  if (!dryRun) ctx.jobs.add(record);
  return { status: 200, body: jobResource(record, ctx.apiBase) };
}

function jobsGet(ctx: ApiContext, projectId: string, jobId: string, query: URLSearchParams): ApiResponse {
  requireProject(ctx, projectId);
  return { status: 200, body: jobResource(ctx.jobs.get(projectId, jobId, query.get('location') ?? undefined), ctx.apiBase) };
}

function jobsCancel(ctx: ApiContext, projectId: string, jobId: string, query: URLSearchParams): ApiResponse {
  requireProject(ctx, projectId);
  const job = ctx.jobs.get(projectId, jobId, query.get('location') ?? undefined);
  return { status: 200, body: { kind: 'bigquery#jobCancelResponse', job: jobResource(job, ctx.apiBase) } };
}

// ---------------------------------------------------------------------------------------
// datasets.get / tables.get

async function datasetsGet(ctx: ApiContext, projectId: string, datasetId: string): Promise<ApiResponse> {
  requireProject(ctx, projectId);
  if (!(await ctx.warehouse.hasDataset(datasetId))) throw notFound(`Not found: Dataset ${projectId}:${datasetId}`);
  return {
    status: 200,
    body: {
      kind: 'bigquery#dataset',
      etag: Buffer.from(`${projectId}:${datasetId}`).toString('base64'),
      id: `${projectId}:${datasetId}`,
      selfLink: `${ctx.apiBase}/projects/${encodeURIComponent(projectId)}/datasets/${encodeURIComponent(datasetId)}`,
      datasetReference: { projectId, datasetId },
      location: DATASET_LOCATION,
      creationTime: String(ctx.startedAt),
      lastModifiedTime: String(ctx.startedAt),
      type: 'DEFAULT',
    },
  };
}

async function tablesGet(ctx: ApiContext, projectId: string, datasetId: string, tableId: string): Promise<ApiResponse> {
  requireProject(ctx, projectId);
  if (!(await ctx.warehouse.hasDataset(datasetId))) throw notFound(`Not found: Dataset ${projectId}:${datasetId}`);
  const table = await ctx.warehouse.tableMetadata(datasetId, tableId);
  if (table === null) throw notFound(`Not found: Table ${projectId}:${datasetId}.${tableId}`);
  const body: Record<string, unknown> = {
    kind: 'bigquery#table',
    etag: Buffer.from(`${projectId}:${datasetId}.${tableId}:${String(table.numRows ?? '')}`).toString('base64'),
    id: `${projectId}:${datasetId}.${tableId}`,
    selfLink: `${ctx.apiBase}/projects/${encodeURIComponent(projectId)}/datasets/${encodeURIComponent(datasetId)}/tables/${encodeURIComponent(tableId)}`,
    tableReference: { projectId, datasetId, tableId },
    schema: { fields: table.fields },
    creationTime: String(ctx.startedAt),
    lastModifiedTime: String(ctx.startedAt),
    type: table.kind,
    location: DEFAULT_LOCATION,
  };
  if (table.numRows !== undefined) body['numRows'] = String(table.numRows);
  if (table.numBytes !== undefined) {
    body['numBytes'] = String(table.numBytes);
    body['numLongTermBytes'] = '0';
  }
  if (table.kind === 'VIEW') {
    // DuckDB keeps the whole CREATE VIEW statement; BigQuery reports the query.
    const sql = table.viewSql ?? '';
    body['view'] = { query: /\bAS\s+([\s\S]*?);?\s*$/i.exec(sql)?.[1] ?? sql, useLegacySql: false };
  }
  return { status: 200, body };
}

// ---------------------------------------------------------------------------------------
// routing

function notServed(request: ApiRequest): BigQueryApiError {
  return notFound(`Not found: ${request.method} /bigquery/v2/${request.segments.join('/')} is not served by the backflow BigQuery sandbox`);
}

export async function handleApiRequest(ctx: ApiContext, request: ApiRequest): Promise<ApiResponse> {
  const [projects, projectId, collection, id, sub, subId, extra] = request.segments;
  if (projects !== 'projects' || projectId === undefined) throw notServed(request);
  const { method } = request;
  if (collection === 'queries' && id === undefined && method === 'POST') return jobsQuery(ctx, projectId, request.body);
  if (collection === 'queries' && id !== undefined && sub === undefined && method === 'GET') return getQueryResults(ctx, projectId, id, request.query);
  if (collection === 'jobs' && id === undefined && method === 'POST') return jobsInsert(ctx, projectId, request.body);
  if (collection === 'jobs' && id !== undefined && sub === undefined && method === 'GET') return jobsGet(ctx, projectId, id, request.query);
  if (collection === 'jobs' && id !== undefined && sub === 'cancel' && subId === undefined && method === 'POST') return jobsCancel(ctx, projectId, id, request.query);
  if (collection === 'datasets' && id !== undefined && sub === undefined && method === 'GET') return datasetsGet(ctx, projectId, id);
  if (collection === 'datasets' && id !== undefined && sub === 'tables' && subId !== undefined && extra === undefined && method === 'GET') {
    return tablesGet(ctx, projectId, id, subId);
  }
  throw notServed(request);
}
