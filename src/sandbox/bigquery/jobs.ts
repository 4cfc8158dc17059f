/**
 * Query jobs: the store, the Job resource (jobs.insert / jobs.get) and result paging
 * (jobs.query's first page, jobs.getQueryResults). A job's result is computed once when the
 * job runs and every page is cut from it — pages never re-run the query.
 *
 * Page tokens are opaque to clients; here they encode the job and the next row offset, and
 * are only accepted for the job that issued them. Pages stop at `maxResults` rows (or the
 * sandbox's default page size) and, like BigQuery, at roughly 10 MB of response.
 */

import { randomBytes } from 'node:crypto';
import { invalid, notFound, type BigQueryApiError, type ErrorProto } from './errors';
import type { QueryOutcome } from './execute';
import { renderRow, type FieldSchema, type RenderedRow, type TimestampFormat } from './wire';

/** BigQuery's documented cap on a results response ("responses are also limited to 10 MB"). */
const MAX_PAGE_BYTES = 10 * 1024 * 1024;

export interface JobRecord {
  projectId: string;
  jobId: string;
  location: string;
  /** The job configuration as BigQuery echoes it back (jobType, query, labels, dryRun, …). */
  configuration: Record<string, unknown>;
  creationTime: number;
  startTime: number;
  /** When the job is DONE: its result and error stay hidden until then (the sandbox's queryDelayMs). */
  endTime: number;
  statementType: string;
  dryRun: boolean;
  /** Set when the job failed: the ErrorProto of `status.errorResult`. */
  error?: ErrorProto;
  outcome?: QueryOutcome;
  userEmail: string;
}

/** A job id as BigQuery generates them: `job_` and 28 URL-safe characters. */
export function newJobId(): string {
  return `job_${randomBytes(21).toString('base64url')}`;
}

/** Job ids may contain letters, digits, underscores and dashes, up to 1,024 characters. */
export function isValidJobId(jobId: string): boolean {
  return /^[A-Za-z0-9_-]{1,1024}$/.test(jobId);
}

export function jobNotFound(projectId: string, jobId: string, location: string | undefined): BigQueryApiError {
  return notFound(`Not found: Job ${projectId}:${location === undefined ? '' : `${location}.`}${jobId}`);
}

export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  /** jobs.query requestId → job, for the documented 15 minutes of idempotency. */
  private readonly requests = new Map<string, { fingerprint: string; key: string; at: number }>();

  private static key(projectId: string, jobId: string): string {
    return `${projectId}\u0000${jobId}`;
  }

  has(projectId: string, jobId: string): boolean {
    return this.jobs.has(JobStore.key(projectId, jobId));
  }

  add(job: JobRecord): void {
    this.jobs.set(JobStore.key(job.projectId, job.jobId), job);
  }

  /** The job, or BigQuery's 404 when it is unknown or lives in another location than asked. */
  get(projectId: string, jobId: string, location: string | undefined): JobRecord {
    const job = this.jobs.get(JobStore.key(projectId, jobId));
    if (job === undefined || (location !== undefined && location.toLowerCase() !== job.location.toLowerCase())) {
      throw jobNotFound(projectId, jobId, location);
    }
    return job;
  }

  /** The job an earlier identical jobs.query with this requestId created (15-minute window). */
  byRequestId(requestId: string, fingerprint: string): JobRecord | undefined {
    const entry = this.requests.get(requestId);
    if (entry === undefined || entry.fingerprint !== fingerprint || Date.now() - entry.at > 15 * 60_000) return undefined;
    return this.jobs.get(entry.key);
  }

  rememberRequest(requestId: string, fingerprint: string, job: JobRecord): void {
    this.requests.set(requestId, { fingerprint, key: JobStore.key(job.projectId, job.jobId), at: Date.now() });
  }
}

/** Whether the job has finished: until then it is RUNNING and its results answer `jobComplete: false`. */
export function isDone(job: Pick<JobRecord, 'endTime'>): boolean {
  return Date.now() >= job.endTime;
}

/** BigQuery's default wait of jobs.query / jobs.getQueryResults for a job to complete ("10 seconds"). */
export const DEFAULT_WAIT_MS = 10_000;
/** "The call is not guaranteed to wait for the specified timeout; it typically returns after around 200 seconds." */
const MAX_WAIT_MS = 200_000;

/**
 * Requests held while a job runs (a request's `timeoutMs`). `releaseAll` ends every wait at once,
 * so closing the sandbox never waits out a long timeout.
 */
export class JobWaits {
  private readonly pending = new Set<() => void>();

  /** Waits until the job is done or `timeoutMs` (capped like BigQuery's) has passed, whichever comes first. */
  async untilDone(job: Pick<JobRecord, 'endTime'>, timeoutMs: number | undefined): Promise<void> {
    const until = Math.min(Date.now() + Math.min(timeoutMs ?? DEFAULT_WAIT_MS, MAX_WAIT_MS), job.endTime);
    // A timer can fire a millisecond before Date.now() reaches its mark; wait again rather than
    // answer "not done" for a job that ends now.
    while (Date.now() < until) {
      const released = await this.sleep(until - Date.now());
      if (released) return;
    }
  }

  /** Sleeps `ms`; true when `releaseAll` cut it short. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const end = (released: boolean): void => {
        clearTimeout(timer);
        this.pending.delete(release);
        resolve(released);
      };
      const release = (): void => end(true);
      const timer = setTimeout(() => end(false), ms);
      this.pending.add(release);
    });
  }

  releaseAll(): void {
    for (const done of [...this.pending]) done();
  }
}

export function jobReference(job: Pick<JobRecord, 'projectId' | 'jobId' | 'location'>): { projectId: string; jobId: string; location: string } {
  return { projectId: job.projectId, jobId: job.jobId, location: job.location };
}

/** DmlStats: which count the affected rows are, by statement (MERGE cannot be split here). */
export function dmlStats(job: JobRecord): Record<string, string> | undefined {
  const affected = job.outcome?.numDmlAffectedRows;
  if (affected === null || affected === undefined) return undefined;
  const key = { INSERT: 'insertedRowCount', UPDATE: 'updatedRowCount', DELETE: 'deletedRowCount' }[job.statementType];
  return key === undefined ? undefined : { [key]: String(affected) };
}

function referencedTables(job: JobRecord): Array<{ projectId: string; datasetId: string; tableId: string }> {
  return (job.outcome?.referencedTables ?? []).map((t) => ({ projectId: job.projectId, datasetId: t.dataset, tableId: t.table }));
}

/** The Job resource (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job). */
export function jobResource(job: JobRecord, apiBase: string): Record<string, unknown> {
  const bytes = String(job.outcome?.totalBytesProcessed ?? 0n);
  const query: Record<string, unknown> = {
    totalBytesProcessed: bytes,
    cacheHit: false,
    statementType: job.statementType,
  };
  const tables = referencedTables(job);
  if (tables.length > 0) query['referencedTables'] = tables;
  if (job.outcome?.numDmlAffectedRows !== null && job.outcome?.numDmlAffectedRows !== undefined) {
    query['numDmlAffectedRows'] = String(job.outcome.numDmlAffectedRows);
    const stats = dmlStats(job);
    if (stats !== undefined) query['dmlStats'] = stats;
  }
  if (job.dryRun) {
    // "Present only for successful dry run of non-legacy SQL queries."
    if (job.outcome?.schema) query['schema'] = { fields: job.outcome.schema };
    query['totalBytesProcessedAccuracy'] = 'PRECISE';
  }
  const done = job.dryRun || isDone(job);
  const status: Record<string, unknown> = { state: done ? 'DONE' : 'RUNNING' };
  if (done && job.error !== undefined) {
    status['errorResult'] = job.error;
    status['errors'] = [job.error];
  }
  const reference: Record<string, string> = job.dryRun ? { projectId: job.projectId, location: job.location } : jobReference(job);
  const resource: Record<string, unknown> = {
    kind: 'bigquery#job',
    etag: Buffer.from(`${job.jobId}:${done ? job.endTime : 'running'}`).toString('base64'),
    id: `${job.projectId}:${job.location}.${job.jobId}`,
    selfLink: `${apiBase}/projects/${encodeURIComponent(job.projectId)}/jobs/${encodeURIComponent(job.jobId)}?location=${encodeURIComponent(job.location)}`,
    user_email: job.userEmail,
    configuration: job.configuration,
    jobReference: reference,
    // A running job has no end time and no query statistics yet.
    statistics: done
      ? { creationTime: String(job.creationTime), startTime: String(job.startTime), endTime: String(job.endTime), totalBytesProcessed: bytes, query }
      : { creationTime: String(job.creationTime), startTime: String(job.startTime) },
    status,
    jobCreationReason: { code: 'REQUESTED' },
  };
  if (job.dryRun) {
    delete resource['id'];
    delete resource['selfLink'];
  }
  return resource;
}

// ---------------------------------------------------------------------------------------
// paging

export interface PageRequest {
  pageToken?: string | undefined;
  startIndex?: number | undefined;
  maxResults?: number | undefined;
  format: TimestampFormat;
}

export interface Page {
  rows: RenderedRow[];
  pageToken?: string;
}

export function encodePageToken(jobId: string, offset: number): string {
  return Buffer.from(JSON.stringify([jobId, offset])).toString('base64url');
}

/** The row offset a page token stands for, or BigQuery's 400 for a token this job did not issue. */
export function decodePageToken(token: string, jobId: string, totalRows: number): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(decoded) && decoded[0] === jobId && Number.isInteger(decoded[1]) && Number(decoded[1]) >= 0 && Number(decoded[1]) <= totalRows) {
      return Number(decoded[1]);
    }
  } catch {
    // fall through to the 400 below
  }
  throw invalid(`Invalid page token: ${token}`, { location: 'pageToken', locationType: 'parameter' });
}

/** One page of a job's stored result, rendered for the request's timestamp format. */
export function pageOf(job: JobRecord, request: PageRequest, defaultPageSize: number): Page {
  const rows = job.outcome?.rows ?? [];
  const fields: FieldSchema[] = job.outcome?.schema ?? [];
  const start = request.pageToken !== undefined && request.pageToken !== '' ? decodePageToken(request.pageToken, job.jobId, rows.length) : Math.min(request.startIndex ?? 0, rows.length);
  const limit = request.maxResults ?? defaultPageSize;
  const page: RenderedRow[] = [];
  let size = 0;
  let offset = start;
  while (offset < rows.length && page.length < limit) {
    const rendered = renderRow(fields, rows[offset] ?? [], request.format);
    size += JSON.stringify(rendered).length;
    if (page.length > 0 && size > MAX_PAGE_BYTES) break;
    page.push(rendered);
    offset += 1;
  }
  return offset < rows.length ? { rows: page, pageToken: encodePageToken(job.jobId, offset) } : { rows: page };
}
