/**
 * HTTP plumbing of the HubSpot sandbox: fastify wiring, fault injection, private-app token check,
 * rate limits and their headers, the request log, and the unauthenticated `/__sandbox/*` admin
 * endpoints.
 */

import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { listenOn, pathSegments, rawApp } from '../http';
import { HeldConnections, parseFaultProfile, pickFault, type FaultKind } from '../faults';
import { expiredAuthentication, HubspotApiError, invalidAuthentication, rateLimited, serverError, serviceUnavailable } from './errors';
import { parseLimits, RateLimiter } from './rateLimits';
import type { ApiResponse } from './render';
import { countInputs, handleApiRequest, isSearchRequest } from './routes';
import { AccountSchema } from './schema';
import { RecordStore } from './store';
import type { HubspotFaultProfile, HubspotLimits, HubspotRecord, HubspotRequestLogEntry, HubspotSandboxOptions } from './types';

const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';
const ADMIN_PREFIX = '/__sandbox/';
const DEFAULT_PORTAL_ID = 12345678;

interface Answer extends ApiResponse {
  headers?: Record<string, string>;
}

function fromError(error: HubspotApiError, extraHeaders: Record<string, string> = {}): Answer {
  return { status: error.status, body: error.body, headers: { ...extraHeaders, ...error.headers } };
}

export class HubspotSandboxServer {
  readonly accessToken: string;
  /** Replaced by reset(): properties created through the API go with the records. */
  schema: AccountSchema;
  private readonly newSchema: () => AccountSchema;
  readonly store = new RecordStore();
  private readonly app: FastifyInstance;
  private readonly limiter: RateLimiter;
  private readonly held = new HeldConnections();
  private readonly random: () => number;
  private faults: HubspotFaultProfile = {};
  private requestLog: HubspotRequestLogEntry[] = [];
  private basePath = '';

  constructor(options: HubspotSandboxOptions = {}) {
    // Shaped like a private-app token: "pat-" + region + two uuid-ish groups.
    this.accessToken = options.accessToken ?? `pat-na1-${randomBytes(16).toString('hex')}`;
    this.newSchema = () => new AccountSchema(options.portalId ?? DEFAULT_PORTAL_ID, options.properties ?? {}, options.customObjects ?? []);
    this.schema = this.newSchema();
    this.limiter = new RateLimiter(() => Date.now(), options.limits ?? {});
    this.random = options.random ?? Math.random;
    if (options.faults !== undefined) this.setFaults(options.faults);
    // Bodies are parsed by the handlers so malformed JSON gets HubSpot's VALIDATION_ERROR.
    this.app = rawApp({ bodyLimit: 10 * 1024 * 1024 }, (request, reply) => this.handle(request, reply));
    this.app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
      const body = { status: 'error', message: error.message, correlationId: randomBytes(16).toString('hex') };
      this.send(request, reply, { status, body }, undefined);
    });
  }

  async listen(port: number, host: string, urlHost: string): Promise<number> {
    const bound = await listenOn(this.app, port, host, 'HubSpot');
    this.basePath = `http://${urlHost}:${bound}`;
    return bound;
  }

  async close(): Promise<void> {
    // Hung (timeout-fault) requests would otherwise keep close() waiting.
    this.held.releaseAll();
    await this.app.close();
  }

  requests(): HubspotRequestLogEntry[] {
    return this.requestLog.map((entry) => ({ ...entry }));
  }

  setFaults(profile: HubspotFaultProfile): void {
    this.faults = parseFaultProfile(profile);
  }

  setLimits(limits: HubspotLimits): void {
    this.limiter.set(limits);
  }

  records(objectType: string): HubspotRecord[] {
    const def = this.schema.resolve(objectType);
    if (def === undefined) throw new Error(`unknown object type: ${objectType}`);
    return this.store.all(def).map((r) => ({ ...r, properties: { ...r.properties } }));
  }

  reset(): void {
    this.schema = this.newSchema();
    this.store.reset();
    this.requestLog = [];
    this.faults = {};
    this.limiter.reset();
  }

  private log(request: FastifyRequest, status: number, inputs: number, fault: FaultKind | undefined): void {
    const entry: HubspotRequestLogEntry = {
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      status,
      inputs,
      at: new Date().toISOString(),
    };
    if (fault !== undefined) entry.fault = fault;
    this.requestLog.push(entry);
  }

  private send(request: FastifyRequest, reply: FastifyReply, res: Answer, logged: { inputs: number; fault: FaultKind | undefined } | undefined): FastifyReply {
    if (logged !== undefined) this.log(request, res.status, logged.inputs, logged.fault);
    reply.code(res.status);
    for (const [name, value] of Object.entries(res.headers ?? {})) reply.header(name, value);
    if (res.body === undefined || res.status === 204) return reply.send();
    reply.header('content-type', JSON_CONTENT_TYPE);
    return reply.send(JSON.stringify(res.body));
  }

  private authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return false;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1] === this.accessToken;
  }

  /** The answer of a fault that replaces the API's own (undefined for none / apply-then-fail). */
  private faultAnswer(fault: FaultKind | undefined, search: boolean): Answer | undefined {
    switch (fault) {
      case 'rateLimited':
        // A search is refused by its own limit, without rate-limit headers.
        return fromError(search ? rateLimited('SECONDLY', {}) : rateLimited('TEN_SECONDLY_ROLLING', this.limiter.peek()));
      case 'serverError':
        return fromError(serverError());
      case 'unavailable':
        return fromError(serviceUnavailable());
      case 'tokenExpired':
        return fromError(expiredAuthentication());
      default:
        return undefined;
    }
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
    const rawBody = typeof request.body === 'string' ? request.body : undefined;
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      return this.send(request, reply, this.handleAdmin(request.method, url.pathname.slice(ADMIN_PREFIX.length), rawBody), undefined);
    }
    const inputs = countInputs(rawBody);
    const fault = pickFault(this.faults, this.random);
    if (fault === 'timeout') {
      this.log(request, 0, inputs, fault);
      return this.held.hold(request, reply);
    }
    if (fault === 'connectionReset') {
      this.log(request, 0, inputs, fault);
      return this.held.reset(request, reply);
    }
    const logged = { inputs, fault };
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const segments = pathSegments(url.pathname);
    const search = isSearchRequest(method, segments);
    const injected = this.faultAnswer(fault, search);
    if (injected !== undefined) return this.send(request, reply, injected, logged);

    if (!this.authorized(request)) return this.send(request, reply, fromError(invalidAuthentication()), logged);
    const budget = search ? this.limiter.takeSearch() : this.limiter.take();
    if (!budget.ok) return this.send(request, reply, fromError(rateLimited(budget.policy, budget.headers)), logged);

    let res: Answer;
    try {
      res = handleApiRequest(
        { schema: this.schema, store: this.store, now: () => new Date(), basePath: this.basePath },
        { method, segments, query: url.searchParams, rawBody },
      );
    } catch (err) {
      if (!(err instanceof HubspotApiError)) throw err;
      res = fromError(err);
    }
    // The store already holds the write; the client only hears a 500.
    if (fault === 'applyThenFail') res = fromError(serverError());
    res.headers = { ...budget.headers, ...res.headers };
    return this.send(request, reply, res, logged);
  }

  private handleAdmin(method: string, rest: string, rawBody: string | undefined): Answer {
    const adminError = (status: number, message: string): Answer => ({ status, body: { error: message } });
    const parts = rest.split('/').filter((s) => s !== '');
    const [resource, arg] = parts;
    const parsed = (): unknown => JSON.parse(rawBody === undefined || rawBody.trim() === '' ? '{}' : rawBody) as unknown;
    if (resource === 'records' && arg !== undefined && parts.length === 2) {
      if (method !== 'GET') return adminError(405, 'use GET');
      const def = this.schema.resolve(decodeURIComponent(arg));
      if (def === undefined) return adminError(404, `unknown object type: ${arg}`);
      return { status: 200, body: this.records(def.objectTypeId) };
    }
    if (resource === 'requests' && parts.length === 1) {
      if (method !== 'GET') return adminError(405, 'use GET');
      return { status: 200, body: this.requests() };
    }
    if (resource === 'faults' && parts.length === 1) {
      if (method === 'GET') return { status: 200, body: this.faults };
      if (method !== 'POST' && method !== 'PUT') return adminError(405, 'use POST');
      try {
        this.setFaults(parseFaultProfile(parsed()));
      } catch (err) {
        return adminError(400, err instanceof Error ? err.message : String(err));
      }
      return { status: 200, body: this.faults };
    }
    if (resource === 'limits' && parts.length === 1) {
      if (method === 'GET') return { status: 200, body: this.limiter.current() };
      if (method !== 'POST' && method !== 'PUT') return adminError(405, 'use POST');
      try {
        this.setLimits(parseLimits(parsed()));
      } catch (err) {
        return adminError(400, err instanceof Error ? err.message : String(err));
      }
      return { status: 200, body: this.limiter.current() };
    }
    if (resource === 'reset' && parts.length === 1) {
      if (method !== 'POST') return adminError(405, 'use POST');
      this.reset();
      return { status: 204 };
    }
    return adminError(404, `unknown admin endpoint: /__sandbox/${rest}`);
  }
}
