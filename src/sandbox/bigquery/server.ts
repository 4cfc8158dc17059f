/**
 * HTTP plumbing of the BigQuery sandbox: fastify, JSON bodies, Google-shaped errors and the
 * request log. Routing and behaviour live in routes.ts.
 *
 * Authentication is not verified: requests are served with or without an `Authorization`
 * header (the official client sends none for a custom `apiEndpoint`), so any token works.
 *
 * Admin endpoints (unauthenticated, not in the request log): `GET`/`PUT /__sandbox/settings`
 * reads or changes `{"queryDelayMs": n}`, how long each query job runs from then on.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listenOn, pathSegments, rawApp } from '../http';
import type { Warehouse } from './engine';
import { BigQueryApiError, internalError, notFound, parseError } from './errors';
import { QueryExecutor } from './execute';
import { JobStore, JobWaits } from './jobs';
import { handleApiRequest, type ApiContext, type ApiResponse } from './routes';
import type { BigQueryRequestLogEntry } from './types';

const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';
const API_PREFIX = '/bigquery/v2/';
const ADMIN_PREFIX = '/__sandbox/';

/** The sandbox's settings an admin request may change; unknown keys are rejected so typos surface. */
export interface BigQuerySandboxSettings {
  queryDelayMs: number;
}

export function parseQueryDelay(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error('queryDelayMs must be a non-negative number of milliseconds');
  return ms;
}

function parseSettings(value: unknown): Partial<BigQuerySandboxSettings> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('settings must be a JSON object');
  const { queryDelayMs, ...unknown } = value as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new Error(`unknown setting: ${extra.join(', ')} (known: queryDelayMs)`);
  return queryDelayMs === undefined ? {} : { queryDelayMs: parseQueryDelay(queryDelayMs) };
}

export interface ServerOptions {
  projectId: string;
  defaultPageSize: number;
  warehouse: Warehouse;
  queryDelayMs?: number;
}

export class BigQuerySandboxServer {
  private readonly app: FastifyInstance;
  private readonly log: BigQueryRequestLogEntry[] = [];
  private readonly ctx: ApiContext;

  constructor(options: ServerOptions) {
    this.ctx = {
      projectId: options.projectId,
      apiBase: '',
      defaultPageSize: options.defaultPageSize,
      startedAt: Date.now(),
      warehouse: options.warehouse,
      executor: new QueryExecutor(options.warehouse),
      jobs: new JobStore(),
      waits: new JobWaits(),
      queryDelayMs: parseQueryDelay(options.queryDelayMs ?? 0),
    };
    // Bodies are parsed by the handler so malformed JSON gets Google's parseError.
    this.app = rawApp({ bodyLimit: 100 * 1024 * 1024 }, (request, reply) => this.handle(request, reply));
    this.app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      const reason = status === 413 ? 'invalid' : status >= 500 ? 'internalError' : 'invalid';
      this.send(request, reply, { status, body: new BigQueryApiError(status, reason, error.message).body() });
    });
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.app, port, host, 'BigQuery');
  }

  /** Where clients reach the API (for selfLinks). */
  setApiEndpoint(endpoint: string): void {
    this.ctx.apiBase = `${endpoint}/bigquery/v2`;
  }

  /** Query jobs created from now on stay RUNNING this long (jobs already running keep their end). */
  setQueryDelay(ms: number): void {
    this.ctx.queryDelayMs = parseQueryDelay(ms);
  }

  settings(): BigQuerySandboxSettings {
    return { queryDelayMs: this.ctx.queryDelayMs };
  }

  requests(): BigQueryRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  async close(): Promise<void> {
    // Requests waiting on a running job answer now instead of holding close() up.
    this.ctx.waits.releaseAll();
    await this.app.close();
  }

  private send(request: FastifyRequest, reply: FastifyReply, res: ApiResponse): FastifyReply {
    this.log.push({ method: request.method, path: request.url.split('?')[0] ?? request.url, status: res.status, at: new Date().toISOString() });
    reply.code(res.status);
    reply.header('content-type', JSON_CONTENT_TYPE);
    return reply.send(JSON.stringify(res.body));
  }

  private handleAdmin(request: FastifyRequest, reply: FastifyReply, rest: string): FastifyReply {
    const answer = (status: number, body: unknown): FastifyReply => reply.code(status).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify(body));
    if (rest !== 'settings') return answer(404, { error: `unknown admin endpoint: ${ADMIN_PREFIX}${rest}` });
    if (request.method === 'GET') return answer(200, this.settings());
    if (request.method !== 'PUT' && request.method !== 'POST') return answer(405, { error: 'use GET or PUT' });
    try {
      const raw = typeof request.body === 'string' && request.body.trim() !== '' ? request.body : '{}';
      const settings = parseSettings(JSON.parse(raw) as unknown);
      if (settings.queryDelayMs !== undefined) this.setQueryDelay(settings.queryDelayMs);
    } catch (err) {
      return answer(400, { error: err instanceof Error ? err.message : String(err) });
    }
    return answer(200, this.settings());
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
    if (url.pathname.startsWith(ADMIN_PREFIX)) return this.handleAdmin(request, reply, url.pathname.slice(ADMIN_PREFIX.length));
    try {
      if (!url.pathname.startsWith(API_PREFIX)) {
        throw notFound(`Not found: ${request.method} ${url.pathname} is not served by the backflow BigQuery sandbox`);
      }
      const raw = typeof request.body === 'string' ? request.body : undefined;
      let body: unknown;
      if (raw !== undefined && raw.trim() !== '') {
        try {
          body = JSON.parse(raw) as unknown;
        } catch (err) {
          throw parseError(`Invalid JSON payload received. ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const segments = pathSegments(url.pathname.slice(API_PREFIX.length));
      const res = await handleApiRequest(this.ctx, { method: request.method, segments, query: url.searchParams, body });
      return this.send(request, reply, res);
    } catch (err) {
      const error = err instanceof BigQueryApiError ? err : internalError(`The BigQuery sandbox failed: ${err instanceof Error ? err.message : String(err)}`);
      return this.send(request, reply, { status: error.status, body: error.body() });
    }
  }
}
