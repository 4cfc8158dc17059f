/**
 * HTTP plumbing of the Meta sandbox: fastify wiring, Graph-style parameters (query string, JSON,
 * form-encoded or multipart form body — the last is what Meta's `curl -F` examples send, DELETE
 * included), a request-line limit, access token check, per-account throttling with
 * `x-business-use-case-usage`, fault injection, the request log and the unauthenticated
 * `/__sandbox/*` admin endpoints.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { listenOn, rawApp } from '../http';
import { HeldConnections, parseFaultProfile, pickFault, type FaultKind, type FaultProfile } from '../faults';
import {
  GraphError,
  invalidParameter,
  invalidToken,
  missingToken,
  replaceFirstBatchMissing,
  replaceInProgress,
  throttled,
  tokenExpired,
  unknownError,
  unknownObject,
} from './errors';
import { CallWindow } from './limits';
import { parsePayload, type SessionInfo } from './payload';
import { AD_ACCOUNT_ID, AudienceStore, type Audience } from './store';
import type { AudienceMember, MetaLimits, MetaRequestLogEntry, MetaSandboxOptions } from './types';

const ADMIN_PREFIX = '/__sandbox/';
const GRAPH_PATH = /^\/(v\d+\.\d+)\/([^/]+)(?:\/([^/]+))?\/?$/;
const JSON_TYPE = 'application/json; charset=UTF-8';
/**
 * Longest URL (path and query) answered: a longer one gets 414 and an HTML page, not a Graph error,
 * as from a web front end. Graph's own limit is not documented; SDK users report DELETEs of 150–200
 * hashed emails in the query string failing with an HTML error page, which 8 KiB reproduces (and
 * Node refuses a request head over 16 KiB with 431 before any handler runs anyway).
 */
export const MAX_URL_BYTES = 8 * 1024;
const URL_TOO_LONG_PAGE =
  '<!DOCTYPE html><html lang="en" id="facebook"><head><title>Facebook | Error</title><meta charset="utf-8"></head>' +
  '<body><h1>Sorry, something went wrong.</h1><p>The request URL is too long.</p></body></html>';

/** Fields `GET /{audience_id}` can return (others answer Meta's "nonexisting field" error). */
const AUDIENCE_FIELDS = new Set([
  'id',
  'name',
  'account_id',
  'subtype',
  'description',
  'customer_file_source',
  'approximate_count_lower_bound',
  'approximate_count_upper_bound',
  'operation_status',
  'delivery_status',
  'time_created',
  'time_updated',
  'time_content_updated',
  'is_value_based',
  'data_source',
]);

const limitsSchema = z
  .object({
    maxCallsPerWindow: z.number().int().min(1),
    windowSeconds: z.number().positive(),
    errorCode: z.union([z.literal(17), z.literal(613), z.literal(80003), z.literal(80004)]),
  })
  .partial()
  .strict();

export function parseLimits(value: unknown): Partial<MetaLimits> {
  const parsed = limitsSchema.parse(value);
  const out: Partial<MetaLimits> = {};
  if (parsed.maxCallsPerWindow !== undefined) out.maxCallsPerWindow = parsed.maxCallsPerWindow;
  if (parsed.windowSeconds !== undefined) out.windowSeconds = parsed.windowSeconds;
  if (parsed.errorCode !== undefined) out.errorCode = parsed.errorCode;
  return out;
}

type Params = Record<string, unknown>;

/** The text fields of a multipart/form-data body (`curl -F name=value`); file parts are read as text too. */
function multipartFields(raw: string, contentType: string): Params | GraphError {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const delimiter = boundary?.[1] ?? boundary?.[2];
  if (delimiter === undefined) return invalidParameter('Invalid multipart body: no boundary');
  const fields: Params = {};
  for (const part of raw.split(`--${delimiter}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part.slice(0, split))?.[1];
    if (name !== undefined) fields[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return fields;
}

function parseParams(request: FastifyRequest, url: URL): Params | GraphError {
  const params: Params = Object.fromEntries(url.searchParams);
  const raw = typeof request.body === 'string' ? request.body : '';
  if (raw === '') return params;
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('multipart/form-data')) {
    const fields = multipartFields(raw, request.headers['content-type'] ?? '');
    return fields instanceof GraphError ? fields : { ...params, ...fields };
  }
  if (contentType.startsWith('application/json')) {
    try {
      const body = JSON.parse(raw) as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalidParameter('Invalid JSON body');
      return { ...params, ...(body as Params) };
    } catch {
      return invalidParameter('Invalid JSON body');
    }
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
}

function audienceView(audience: Audience, count: number, fields: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: audience.id,
    name: audience.name,
    account_id: audience.accountId,
    subtype: 'CUSTOM',
    description: '',
    customer_file_source: 'USER_PROVIDED_ONLY',
    approximate_count_lower_bound: count,
    approximate_count_upper_bound: count,
    operation_status: { code: 200, description: 'Normal' },
    delivery_status: { code: 200, description: 'This audience is ready for use.' },
    time_created: audience.timeCreated,
    time_updated: audience.timeUpdated,
    time_content_updated: audience.timeUpdated,
    is_value_based: false,
    data_source: { type: 'FILE_IMPORTED', sub_type: 'HASHES', creation_params: '[]' },
  };
  const out: Record<string, unknown> = { id: audience.id };
  for (const field of fields) out[field] = all[field];
  return out;
}

/**
 * Why a users / usersreplace write cannot be taken now, if it cannot. While a replace session runs,
 * only its own batches are (no add, removal or other session); a new session opens with batch_seq 1.
 */
function writeRefusal(audience: Audience, replacing: boolean, session: SessionInfo | undefined): GraphError | undefined {
  const running = audience.replacing;
  if (running !== undefined) {
    const ownBatch = replacing && session !== undefined && String(session.session_id) === running.sessionId;
    return ownBatch ? undefined : replaceInProgress(audience.id, running.sessionId);
  }
  if (replacing && session !== undefined && (session.batch_seq ?? 1) > 1) return replaceFirstBatchMissing(String(session.session_id));
  return undefined;
}

export class MetaServer {
  readonly accessToken: string;
  readonly store: AudienceStore;
  readonly defaultAudienceId: string;
  private readonly app: FastifyInstance;
  private readonly held = new HeldConnections();
  private readonly window: CallWindow;
  private readonly initialLimits: Partial<MetaLimits>;
  private readonly random: () => number;
  private faults: FaultProfile;
  private log: MetaRequestLogEntry[] = [];

  constructor(options: MetaSandboxOptions = {}) {
    const now = options.clock ?? Date.now;
    // Shaped like a long-lived user/system-user token.
    this.accessToken = options.accessToken ?? `EAAB${randomBytes(48).toString('base64url').replace(/[-_]/g, 'Z')}`;
    this.store = new AudienceStore(now);
    this.defaultAudienceId = this.store.create('backflow sandbox audience').id;
    // Checked as setLimits checks them: an unknown error code would answer throttled calls with a 500.
    this.initialLimits = parseLimits(options.limits ?? {});
    this.window = new CallWindow(this.initialLimits, now);
    this.random = options.random ?? Math.random;
    this.faults = parseFaultProfile(options.faults ?? {});
    this.app = rawApp({ bodyLimit: 100 * 1024 * 1024 }, (request, reply) => this.handle(request, reply));
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.app, port, host, 'Meta');
  }

  async close(): Promise<void> {
    this.held.releaseAll();
    await this.app.close();
  }

  members(audienceId: string): AudienceMember[] {
    const audience = this.store.get(audienceId);
    if (audience === undefined) throw new Error(`unknown audience: ${audienceId}`);
    return [...audience.members.values()].map((m) => ({ ...m }));
  }

  requests(): MetaRequestLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  setFaults(profile: FaultProfile): void {
    this.faults = parseFaultProfile(profile);
  }

  setLimits(limits: Partial<MetaLimits>): void {
    this.window.set(parseLimits(limits));
  }

  reset(): void {
    this.store.clear();
    this.faults = {};
    this.window.reset(this.initialLimits);
    this.log = [];
  }

  private send(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
    reply.code(status);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    return reply.type(JSON_TYPE).send(JSON.stringify(body));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
    if (url.pathname.startsWith(ADMIN_PREFIX)) return this.handleAdmin(request, reply, url);

    const path = url.pathname;
    let rows = 0;
    const done = (status: number, body: unknown, headers: Record<string, string>, fault?: FaultKind): FastifyReply => {
      const errorCode = status >= 400 ? ((body as { error?: { code?: number } }).error?.code ?? undefined) : undefined;
      this.log.push({ method: request.method, path, status, errorCode, rows, fault, at: new Date().toISOString() });
      return this.send(reply, status, body, headers);
    };
    const fail = (error: GraphError, fault?: FaultKind): FastifyReply => done(error.status, error.body(), error.headers, fault);

    if (Buffer.byteLength(request.url) > MAX_URL_BYTES) {
      this.log.push({ method: request.method, path, status: 414, errorCode: undefined, rows, fault: undefined, at: new Date().toISOString() });
      return reply.code(414).type('text/html; charset=utf-8').send(URL_TOO_LONG_PAGE);
    }
    const fault = pickFault(this.faults, this.random);
    if (fault === 'timeout' || fault === 'connectionReset') {
      this.log.push({ method: request.method, path, status: 0, errorCode: undefined, rows, fault, at: new Date().toISOString() });
      return fault === 'timeout' ? this.held.hold(request, reply) : this.held.reset(request, reply);
    }
    if (fault === 'serverError') return fail(unknownError(500), fault);
    if (fault === 'unavailable') return fail(unknownError(503), fault);
    if (fault === 'tokenExpired') return fail(tokenExpired(), fault);
    if (fault === 'rateLimited') {
      const minutes = Math.max(1, Math.ceil((this.faults.retryAfterSeconds ?? 60) / 60));
      return fail(throttled(this.window.current().errorCode, this.window.usageHeader(AD_ACCOUNT_ID, minutes)), fault);
    }

    const match = GRAPH_PATH.exec(path);
    const objectId = match?.[2];
    if (match === null || objectId === undefined) {
      return fail(new GraphError(400, 2500, 'Unknown path components: ' + path, 'OAuthException'));
    }
    const params = parseParams(request, url);
    if (params instanceof GraphError) return fail(params);
    const token = params['access_token'];
    if (typeof token !== 'string' || token === '') return fail(missingToken());
    if (token !== this.accessToken) return fail(invalidToken());

    const audience = this.store.get(objectId);
    const edge = match[3];
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (audience === undefined) return fail(unknownObject(objectId, method));
    if (!this.window.take()) {
      return fail(throttled(this.window.current().errorCode, this.window.usageHeader(audience.accountId)));
    }
    const usage = { 'x-business-use-case-usage': this.window.usageHeader(audience.accountId) };

    if (edge === undefined) {
      if (method !== 'GET') return fail(unknownObject(objectId, method));
      const fields = (typeof params['fields'] === 'string' ? params['fields'] : 'id')
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== '');
      const unknownField = fields.find((f) => !AUDIENCE_FIELDS.has(f));
      if (unknownField !== undefined) {
        return fail(invalidParameter(`Tried accessing nonexisting field (${unknownField}) on node type (CustomAudience)`));
      }
      return done(200, audienceView(audience, this.store.size(audience), fields), usage);
    }
    const replacing = edge === 'usersreplace' && method === 'POST';
    if (!replacing && (edge !== 'users' || (method !== 'POST' && method !== 'DELETE'))) {
      return fail(new GraphError(400, 100, `Unsupported ${method.toLowerCase()} request. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, 'GraphMethodException', 33));
    }

    // usersreplace takes the same payload and session as users, validated and hashed the same way.
    const parsed = parsePayload(params['payload'], params['session']);
    if (parsed instanceof GraphError) return fail(parsed);
    rows = parsed.numReceived;
    const sessionId = parsed.session?.session_id ?? String(randomInt(1, 2 ** 47));
    const refusal = writeRefusal(audience, replacing, parsed.session);
    if (refusal !== undefined) return fail(refusal);
    if (parsed.members.length === 0) {
      return fail(invalidParameter('Data is missing or does not match schema'));
    }
    if (replacing) {
      // Without a session the request is a whole replace on its own: first and last batch at once.
      const last = parsed.session === undefined || parsed.session.last_batch_flag === true;
      this.store.replaceBatch(audience, sessionId, parsed.members, last);
    } else if (method === 'POST') this.store.add(audience, parsed.members);
    else this.store.remove(audience, parsed.members);
    if (fault === 'applyThenFail') return fail(unknownError(500), fault);
    return done(
      200,
      {
        audience_id: audience.id,
        session_id: sessionId,
        num_received: parsed.numReceived,
        num_invalid_entries: parsed.numInvalid,
        invalid_entry_samples: parsed.invalidSamples,
      },
      usage,
    );
  }

  private handleAdmin(request: FastifyRequest, reply: FastifyReply, url: URL): FastifyReply {
    const rest = url.pathname.slice(ADMIN_PREFIX.length);
    const raw = typeof request.body === 'string' && request.body !== '' ? request.body : '{}';
    const fail = (status: number, message: string): FastifyReply => this.send(reply, status, { error: message });
    const withJson = (apply: (value: unknown) => unknown): FastifyReply => {
      try {
        return this.send(reply, 200, apply(JSON.parse(raw) as unknown));
      } catch (err) {
        return fail(400, err instanceof Error ? err.message : String(err));
      }
    };
    const [resource, arg] = rest.split('/');
    switch (resource) {
      case 'members':
        if (arg === undefined || this.store.get(arg) === undefined) return fail(404, `unknown audience: ${arg ?? ''}`);
        return this.send(reply, 200, this.members(arg));
      case 'audiences':
        return withJson((value) => {
          const { name } = z.object({ name: z.string().min(1) }).parse(value);
          return { id: this.store.create(name).id };
        });
      case 'requests':
        return this.send(reply, 200, this.requests());
      case 'faults':
        if (request.method === 'GET') return this.send(reply, 200, this.faults);
        return withJson((value) => {
          this.setFaults(parseFaultProfile(value));
          return this.faults;
        });
      case 'limits':
        if (request.method === 'GET') return this.send(reply, 200, this.window.current());
        return withJson((value) => {
          this.setLimits(parseLimits(value));
          return this.window.current();
        });
      case 'reset':
        if (request.method !== 'POST') return fail(405, 'use POST');
        this.reset();
        return reply.code(204).send();
      default:
        return fail(404, `unknown admin endpoint: /__sandbox/${rest}`);
    }
  }
}
