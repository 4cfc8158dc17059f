/**
 * HTTP plumbing of the sandbox: fastify wiring, session check, daily API allocation
 * (`Sforce-Limit-Info` / REQUEST_LIMIT_EXCEEDED), request log, fault injection, write
 * listeners and the unauthenticated `/__sandbox/*` admin endpoints.
 */

import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { listenOn, pathSegments, rawApp } from '../http';
import { HeldConnections, pickFault, type FaultKind } from '../faults';
import { BulkIngestJobs } from './bulk';
import { QueryCursors } from './cursors';
import type { DmlContext, LockTarget } from './dml';
import { SalesforceApiError, invalidSession, notFound, requestLimitExceeded, retiredVersion, type ApiError, type RecordError } from './errors';
import { meetsLock, parseSalesforceFaultProfile, salesforceFaultError, unableToLockRow, unknownException } from './faults';
import { IdGenerator } from './ids';
import { OAuthEndpoint, newClientId } from './oauth';
import { collectionRecordCount, handleApiRequest, type ApiContext, type ApiRequest, type ApiResponse, type WriteNotice } from './routes';
import { OrgSchema } from './schema';
import { RecordStore } from './store';
import type { SalesforceFaultProfile, SalesforceRequestLogEntry, SalesforceSandboxOptions } from './types';

const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';
const DEFAULT_DAILY_API_LIMIT = 15000;
/**
 * Versions listed by `GET /services/data`, and the only ones served: a later one is no release of this
 * org yet (404 NOT_FOUND, as for any unknown resource); 30.0 and older are retired (REST answers 410).
 */
const OLDEST_ADVERTISED_VERSION = 31;
const LATEST_ADVERTISED_VERSION = 64;
const API_PATH = /^\/services\/data\/v(\d{2,3}\.\d)(\/.*)?$/;
const ADMIN_PREFIX = '/__sandbox/';
const TOKEN_PATH = '/services/oauth2/token';
const DEFAULT_BULK_PROCESSING_DELAY_MS = 50;

type WriteListener = (info: { sobject: string; records: number }) => void;

/** Release names by API version: three releases a year, v62.0 = Winter '25. */
function releaseLabel(version: number): string {
  const offset = 62 - version;
  const cycle = ((offset % 3) + 3) % 3;
  const yearsBack = Math.floor(offset / 3);
  if (cycle === 0) return `Winter '${25 - yearsBack}`;
  return `${cycle === 1 ? 'Summer' : 'Spring'} '${24 - yearsBack}`;
}

function versionsBody(): Array<{ label: string; url: string; version: string }> {
  const out: Array<{ label: string; url: string; version: string }> = [];
  for (let v = OLDEST_ADVERTISED_VERSION; v <= LATEST_ADVERTISED_VERSION; v += 1) {
    out.push({ label: releaseLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` });
  }
  return out;
}

/** Why a request under `/services/data/v{version}` is refused, if the org does not serve that version. */
function unservedVersion(version: string): SalesforceApiError | undefined {
  const number = Number(version);
  if (number < OLDEST_ADVERTISED_VERSION) return retiredVersion(version);
  if (number > LATEST_ADVERTISED_VERSION || !Number.isInteger(number)) return notFound();
  return undefined;
}

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Validates an admin/`setFaults` profile; unknown keys are rejected so typos surface. */
export function parseFaultProfile(value: unknown): SalesforceFaultProfile {
  return parseSalesforceFaultProfile(value);
}

function newAccessToken(): string {
  // Shaped like a real session id: org id, '!', opaque secret.
  return `00D5g000004SbxQ!${randomBytes(36).toString('base64url')}`;
}

export class SandboxServer {
  readonly accessToken: string;
  readonly oauth: OAuthEndpoint;
  private readonly bulk: BulkIngestJobs;
  /** Access tokens the API accepts: the initial one and every one the token endpoint issued, until expired. */
  private readonly validTokens = new Set<string>();
  private baseUrl = '';
  private bulkProcessingDelayMs: number;
  private dailyApiLimit: number;
  readonly schema = new OrgSchema();
  readonly store = new RecordStore(this.schema);
  private readonly ids = new IdGenerator();
  private readonly cursors = new QueryCursors();
  private readonly app: FastifyInstance;
  private readonly listeners = new Set<WriteListener>();
  private readonly pendingDelays = new Set<() => void>();
  private requestLog: SalesforceRequestLogEntry[] = [];
  private faults: SalesforceFaultProfile = {};
  private readonly random: () => number;
  /** Requests left unanswered by the timeout fault, released on close. */
  private readonly held = new HeldConnections();
  private apiUsed = 0;
  private apiDay = utcDay(new Date());
  private closed = false;

  constructor(options: SalesforceSandboxOptions = {}) {
    this.accessToken = options.accessToken ?? newAccessToken();
    this.validTokens.add(this.accessToken);
    this.dailyApiLimit = options.dailyApiLimit ?? DEFAULT_DAILY_API_LIMIT;
    this.random = options.random ?? Math.random;
    if (options.faults !== undefined) this.faults = parseFaultProfile(options.faults);
    this.bulkProcessingDelayMs = options.bulkProcessingDelayMs ?? DEFAULT_BULK_PROCESSING_DELAY_MS;
    this.oauth = new OAuthEndpoint(
      {
        clientId: options.oauth?.clientId ?? newClientId(),
        clientSecret: options.oauth?.clientSecret ?? randomBytes(32).toString('hex').toUpperCase(),
        refreshToken: options.oauth?.refreshToken ?? `5Aep861${randomBytes(48).toString('base64url')}`,
        username: options.oauth?.username ?? 'integration@backflow.sandbox',
        ...(options.oauth?.jwtCertificate !== undefined ? { jwtCertificate: options.oauth.jwtCertificate } : {}),
      },
      () => {
        const token = newAccessToken();
        this.validTokens.add(token);
        return token;
      },
      () => ({ instanceUrl: this.baseUrl, loginUrl: this.baseUrl }),
    );
    this.bulk = new BulkIngestJobs({
      dml: this.dmlContext(),
      schema: this.schema,
      ids: this.ids,
      processingDelayMs: () => this.bulkProcessingDelayMs,
      notify: (writes) => this.notifyWrites(writes),
    });
    // Bodies are parsed by the handlers so malformed JSON gets Salesforce's JSON_PARSER_ERROR. The
    // limit is Bulk API 2.0's: "upload data that does not exceed 100 MB" per job (Upload Job Data).
    this.app = rawApp({ bodyLimit: 100 * 1024 * 1024, maxParamLength: 16384 }, (request, reply) => this.handle(request, reply));
    this.app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      const errorCode = status === 413 ? 'REQUEST_ENTITY_TOO_LARGE' : status >= 500 ? 'UNKNOWN_EXCEPTION' : 'INVALID_REQUEST';
      const body: ApiError[] = [{ message: error.message, errorCode }];
      this.send(request, reply, { status, body }, 0, false);
    });
  }

  /** The URL clients reach this server at (instance and login URL alike). */
  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  /** Every access token issued so far stops working: the next API request answers 401 INVALID_SESSION_ID. */
  expireSessions(): void {
    this.validTokens.clear();
  }

  setBulkProcessingDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('the bulk processing delay must be a non-negative number of milliseconds');
    this.bulkProcessingDelayMs = ms;
  }

  /** An admin's change of the org's allocation (Salesforce support raises it on request). */
  setDailyApiLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 0) throw new Error('the daily API limit must be a non-negative integer');
    this.dailyApiLimit = limit;
  }

  private dmlContext(): DmlContext {
    return { schema: this.schema, store: this.store, ids: this.ids, now: () => new Date(), rowLock: (record) => this.rowLock(record) };
  }

  /** Injected lock contention on one record of a write (the fault profile's unableToLockRow, lockedRecords). */
  private rowLock(record: LockTarget): RecordError | undefined {
    if (!meetsLock(this.faults, record, this.random)) return undefined;
    return unableToLockRow(typeof record.id === 'string' && record.id !== '' ? record.id : undefined);
  }

  private apiContext(): ApiContext {
    return {
      dml: this.dmlContext(),
      schema: this.schema,
      store: this.store,
      cursors: this.cursors,
      apiUsage: () => ({ used: this.apiUsed, max: this.dailyApiLimit }),
    };
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.app, port, host, 'Salesforce');
  }

  async close(): Promise<void> {
    this.closed = true;
    // Release responses held by writeResponseDelayMs so close() does not wait them out.
    for (const release of [...this.pendingDelays]) release();
    this.held.releaseAll();
    this.bulk.close();
    await this.app.close();
  }

  requests(): SalesforceRequestLogEntry[] {
    return this.requestLog.map((entry) => ({ ...entry }));
  }

  setFaults(profile: SalesforceFaultProfile): void {
    this.faults = parseFaultProfile(profile);
  }

  onWriteApplied(listener: WriteListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  records(sobject: string): Array<Record<string, unknown>> {
    const def = this.schema.sobject(sobject);
    if (def === undefined) throw new Error(`unknown sObject type: ${sobject}`);
    return this.store.all(def).map((record) => ({ ...record }));
  }

  reset(): void {
    this.store.reset();
    this.bulk.reset();
    this.cursors.clear();
    this.requestLog = [];
    this.faults = {};
    this.apiUsed = 0;
    this.apiDay = utcDay(new Date());
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.pendingDelays.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.pendingDelays.add(release);
    });
  }

  private notifyWrites(writes: WriteNotice[]): void {
    for (const write of writes) {
      for (const listener of [...this.listeners]) {
        try {
          listener({ sobject: write.sobject, records: write.records });
        } catch {
          // A failing test listener must not turn a committed write into a 500.
        }
      }
    }
  }

  private logRequest(request: FastifyRequest, status: number, records: number, fault: FaultKind | undefined): void {
    this.requestLog.push({
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      status,
      records,
      ...(fault !== undefined ? { fault } : {}),
      at: new Date().toISOString(),
    });
  }

  private send(request: FastifyRequest, reply: FastifyReply, res: ApiResponse, records: number, log: boolean, fault?: FaultKind): FastifyReply {
    if (log) this.logRequest(request, res.status, records, fault);
    reply.code(res.status);
    for (const [name, value] of Object.entries(res.headers ?? {})) reply.header(name, value);
    if (res.body === undefined || res.status === 204) return reply.send();
    // CSV (Bulk API results) goes out as the handler wrote it.
    if (typeof res.body === 'string' && res.headers?.['Content-Type'] !== undefined) return reply.send(res.body);
    reply.header('content-type', JSON_CONTENT_TYPE);
    return reply.send(JSON.stringify(res.body));
  }

  private errorResponse(error: SalesforceApiError, headers?: Record<string, string>): ApiResponse {
    return headers === undefined ? { status: error.status, body: error.body() } : { status: error.status, body: error.body(), headers };
  }

  private authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return false;
    const match = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header.trim());
    return match?.[1] !== undefined && this.validTokens.has(match[1]);
  }

  /** Counts one API call against today's allocation; false when it is used up. */
  private countApiCall(): boolean {
    const today = utcDay(new Date());
    if (today !== this.apiDay) {
      this.apiDay = today;
      this.apiUsed = 0;
    }
    if (this.apiUsed >= this.dailyApiLimit) return false;
    this.apiUsed += 1;
    return true;
  }

  private limitHeader(): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${this.apiUsed}/${this.dailyApiLimit}` };
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
    const path = url.pathname;
    const rawBody = typeof request.body === 'string' ? request.body : undefined;

    if (path.startsWith(ADMIN_PREFIX)) {
      return this.send(request, reply, this.handleAdmin(request.method, path.slice(ADMIN_PREFIX.length), rawBody), 0, false);
    }

    // The OAuth token endpoint takes no session and does not count against the API allocation.
    if (path === TOKEN_PATH) {
      const answer: ApiResponse =
        request.method === 'POST' ? this.oauth.token(rawBody) : { status: 405, body: { error: 'invalid_request', error_description: 'must use HTTP POST' } };
      return this.send(request, reply, answer, 0, true);
    }

    // The Versions resource needs no session and does not count against the allocation.
    if (path === '/services/data' || path === '/services/data/') {
      const res: ApiResponse = request.method === 'GET' ? { status: 200, body: versionsBody() } : this.errorResponse(notFound());
      return this.send(request, reply, res, 0, true);
    }

    const match = API_PATH.exec(path);
    if (match === null || match[1] === undefined) {
      return this.send(request, reply, this.errorResponse(notFound()), 0, true);
    }
    const fault = pickFault(this.faults, this.random);
    if (fault === 'timeout' || fault === 'connectionReset') {
      this.logRequest(request, 0, 0, fault);
      return fault === 'timeout' ? this.held.hold(request, reply) : this.held.reset(request, reply);
    }
    const injected = fault === undefined ? undefined : salesforceFaultError(fault);
    if (injected !== undefined) return this.send(request, reply, this.errorResponse(injected, this.limitHeader()), 0, true, fault);
    if (!this.authorized(request)) {
      return this.send(request, reply, this.errorResponse(invalidSession()), 0, true);
    }
    const version = match[1];
    const unserved = unservedVersion(version);
    if (unserved !== undefined) return this.send(request, reply, this.errorResponse(unserved), 0, true);
    if (!this.countApiCall()) {
      return this.send(request, reply, this.errorResponse(requestLimitExceeded(), this.limitHeader()), 0, true);
    }

    const apiRequest: ApiRequest = {
      // HEAD is answered like GET, minus the body (fastify drops it).
      method: request.method === 'HEAD' ? 'GET' : request.method,
      segments: pathSegments(match[2] ?? ''),
      query: url.searchParams,
      rawBody,
      header: (name) => {
        const value = request.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      },
      version,
      versionNumber: Number(version),
    };
    const isBulk = apiRequest.segments[0] === 'jobs' && apiRequest.segments[1] === 'ingest';
    const records = isBulk ? csvRecordCount(apiRequest) : collectionRecordCount(apiRequest);
    const res = isBulk ? this.bulk.handle(apiRequest, apiRequest.segments.slice(2)) : handleApiRequest(this.apiContext(), apiRequest);
    res.headers = { ...res.headers, ...this.limitHeader() };
    if (res.writes !== undefined) {
      // The write is committed: tell listeners, then optionally hold the response so tests
      // can kill a client after the destination applied its batch but before it heard back.
      this.notifyWrites(res.writes);
      await this.sleep(this.faults.writeResponseDelayMs ?? 0);
      // The org committed the write; the client only hears a 500 and cannot tell it landed.
      if (fault === 'applyThenFail') return this.send(request, reply, this.errorResponse(unknownException(), this.limitHeader()), records, true, fault);
    }
    return this.send(request, reply, res, records, true);
  }

  private handleAdmin(method: string, rest: string, rawBody: string | undefined): ApiResponse {
    const adminError = (status: number, message: string): ApiResponse => ({ status, body: { error: message } });
    const parts = rest.split('/').filter((s) => s !== '');
    const [resource, arg] = parts;
    if (resource === 'records' && arg !== undefined && parts.length === 2) {
      if (method !== 'GET') return adminError(405, 'use GET');
      const def = this.schema.sobject(decodeURIComponent(arg));
      if (def === undefined) return adminError(404, `unknown sObject type: ${arg}`);
      return { status: 200, body: this.records(def.name) };
    }
    if (resource === 'requests' && parts.length === 1) {
      if (method !== 'GET') return adminError(405, 'use GET');
      return { status: 200, body: this.requests() };
    }
    if (resource === 'faults' && parts.length === 1) {
      if (method === 'GET') return { status: 200, body: this.faults };
      if (method !== 'PUT') return adminError(405, 'use PUT');
      try {
        this.setFaults(parseFaultProfile(JSON.parse(rawBody ?? '') as unknown));
      } catch (err) {
        return adminError(400, err instanceof Error ? err.message : String(err));
      }
      return { status: 200, body: this.faults };
    }
    if (resource === 'expire-sessions' && parts.length === 1) {
      if (method !== 'POST') return adminError(405, 'use POST');
      this.expireSessions();
      return { status: 204 };
    }
    if (resource === 'reset' && parts.length === 1) {
      if (method !== 'POST') return adminError(405, 'use POST');
      this.reset();
      return { status: 204 };
    }
    return adminError(404, `unknown admin endpoint: /__sandbox/${rest}`);
  }
}

/** Data rows of a Bulk API upload (for the request log), else 0. */
function csvRecordCount(req: ApiRequest): number {
  if (req.method !== 'PUT' || req.rawBody === undefined) return 0;
  const lines = req.rawBody.split('\n').filter((line) => line.trim() !== '').length;
  return Math.max(0, lines - 1);
}
