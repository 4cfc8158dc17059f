/**
 * HTTP plumbing of the BigQuery sandbox: fastify, JSON bodies, Google-shaped errors and the
 * request log. Routing and behaviour live in routes.ts.
 *
 * Authentication is not verified: requests are served with or without an `Authorization`
 * header (the official client sends none for a custom `apiEndpoint`), so any token works.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listenOn, rawApp } from '../http';
import type { Warehouse } from './engine';
import { BigQueryApiError, internalError, notFound, parseError } from './errors';
import { QueryExecutor } from './execute';
import { JobStore } from './jobs';
import { handleApiRequest, type ApiContext, type ApiResponse } from './routes';
import type { BigQueryRequestLogEntry } from './types';

const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';
const API_PREFIX = '/bigquery/v2/';

export interface ServerOptions {
  projectId: string;
  defaultPageSize: number;
  warehouse: Warehouse;
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

  requests(): BigQueryRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  private send(request: FastifyRequest, reply: FastifyReply, res: ApiResponse): FastifyReply {
    this.log.push({ method: request.method, path: request.url.split('?')[0] ?? request.url, status: res.status, at: new Date().toISOString() });
    reply.code(res.status);
    reply.header('content-type', JSON_CONTENT_TYPE);
    return reply.send(JSON.stringify(res.body));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
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
      const segments = url.pathname
        .slice(API_PREFIX.length)
        .split('/')
        .filter((s) => s !== '')
        .map((s) => {
          try {
            return decodeURIComponent(s);
          } catch {
            return s;
          }
        });
      const res = await handleApiRequest(this.ctx, { method: request.method, segments, query: url.searchParams, body });
      return this.send(request, reply, res);
    } catch (err) {
      const error = err instanceof BigQueryApiError ? err : internalError(`The BigQuery sandbox failed: ${err instanceof Error ? err.message : String(err)}`);
      return this.send(request, reply, { status: error.status, body: error.body() });
    }
  }
}
