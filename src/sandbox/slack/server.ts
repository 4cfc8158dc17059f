/**
 * HTTP plumbing of the Slack sandbox: fastify wiring, argument parsing (query, form or JSON body,
 * like Slack), token check, rate limits (429 + Retry-After + `ratelimited`), fault injection, the
 * request log, incoming webhooks and the unauthenticated `/__sandbox/*` admin endpoints.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { listenOn, rawApp } from '../http';
import { HeldConnections, parseFaultProfile, pickFault, type FaultKind, type FaultProfile } from '../faults';
import type { Args } from './args';
import { authError } from './auth';
import { SlackApiError, WebhookError } from './errors';
import { SlackRateLimiter } from './limits';
import { ChannelRateLimited, METHODS, WRITE_METHODS, type MethodContext } from './methods';
import { DEFAULT_CHANNELS, HUMAN_USER_ID, TEAM_ID, Workspace } from './store';
import type { SlackLimits, SlackMessage, SlackRequestLogEntry, SlackSandboxOptions } from './types';
import { WebhookRegistry, deliverWebhook } from './webhooks';

const ADMIN_PREFIX = '/__sandbox/';
const API_PREFIX = '/api/';
const JSON_TYPE = 'application/json; charset=utf-8';

const limitsSchema = z
  .object({
    enabled: z.boolean(),
    postMessagePerChannelPerSecond: z.number().positive(),
    postMessageBurst: z.number().int().min(1),
    postMessageWorkspacePerMinute: z.number().positive(),
    tierPerMinute: z
      .object({ 1: z.number().positive(), 2: z.number().positive(), 3: z.number().positive(), 4: z.number().positive() })
      .partial(),
    webhookPerSecond: z.number().positive(),
    webhookBurst: z.number().int().min(1),
    textOverflow: z.enum(['truncate', 'reject']),
  })
  .partial()
  .strict();

/** Validates a `setLimits` / admin patch (unknown keys rejected so typos surface). */
export function parseLimits(value: unknown): Partial<SlackLimits> {
  const parsed = limitsSchema.parse(value);
  const out: Partial<SlackLimits> = {};
  for (const [key, v] of Object.entries(parsed)) {
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

interface Answer {
  status: number;
  body: Record<string, unknown> | string | undefined;
  headers?: Record<string, string>;
}

/** A call's arguments (query and body merged, the body winning), plus the query's and form body's own: a token is read from one, not the other. */
interface ParsedCall {
  args: Args;
  query: Args;
  form: Args;
}

function parseArgs(request: FastifyRequest, url: URL): ParsedCall | SlackApiError {
  const query: Args = Object.fromEntries(url.searchParams);
  const raw = typeof request.body === 'string' ? request.body : '';
  if (raw === '') return { args: query, query, form: {} };
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/json')) {
    try {
      const body = JSON.parse(raw) as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return new SlackApiError('invalid_json');
      return { args: { ...query, ...(body as Args) }, query, form: {} };
    } catch {
      return new SlackApiError('invalid_json');
    }
  }
  if (contentType === '') return new SlackApiError('missing_post_type');
  if (contentType.startsWith('application/x-www-form-urlencoded') || contentType.startsWith('text/plain')) {
    const form: Args = Object.fromEntries(new URLSearchParams(raw));
    return { args: { ...query, ...form }, query, form };
  }
  return new SlackApiError('invalid_post_type');
}

function stringArg(args: Args, name: string): string | undefined {
  const value = args[name];
  return typeof value === 'string' ? value : undefined;
}

export class SlackServer {
  readonly token: string;
  readonly workspace: Workspace;
  readonly webhooks = new WebhookRegistry();
  readonly defaultWebhookPath: string;
  private readonly app: FastifyInstance;
  private readonly held = new HeldConnections();
  private readonly limiter: SlackRateLimiter;
  private readonly random: () => number;
  private readonly initialLimits: Partial<SlackLimits>;
  private faults: FaultProfile;
  private log: SlackRequestLogEntry[] = [];
  private readonly initialScopes: string[] | undefined;
  /** The bot token's scopes; undefined grants every scope. */
  private scopes: string[] | undefined;

  private readonly now: () => number;
  private readonly editWindowMs: number | undefined;

  constructor(options: SlackSandboxOptions = {}) {
    const now = options.clock ?? Date.now;
    this.now = now;
    this.editWindowMs = options.messageEditWindowMinutes === undefined ? undefined : options.messageEditWindowMinutes * 60_000;
    this.token = options.token ?? `xoxb-${Date.now() % 1e12}-${randomBytes(12).toString('hex')}`;
    this.workspace = new Workspace(options.channels ?? DEFAULT_CHANNELS, now);
    this.initialLimits = options.limits ?? {};
    this.limiter = new SlackRateLimiter(this.initialLimits, now);
    this.random = options.random ?? Math.random;
    this.faults = parseFaultProfile(options.faults ?? {});
    this.initialScopes = options.scopes === undefined ? undefined : [...options.scopes];
    this.scopes = this.initialScopes;
    const general = this.workspace.allChannels()[0];
    if (general === undefined) throw new Error('the Slack sandbox needs at least one channel');
    this.defaultWebhookPath = this.webhooks.create(general.id).path;

    // Bodies are parsed by the handlers: Slack answers bad ones with its own error codes.
    this.app = rawApp({ bodyLimit: 10 * 1024 * 1024 }, (request, reply) => this.handle(request, reply));
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.app, port, host, 'Slack');
  }

  async close(): Promise<void> {
    this.held.releaseAll();
    await this.app.close();
  }

  messages(channel: string): SlackMessage[] {
    const found = this.workspace.findChannel(channel);
    if (found === undefined) throw new Error(`unknown channel: ${channel}`);
    return structuredClone(this.workspace.messages(found.id));
  }

  postAsUser(channel: string, text: string): string {
    const found = this.workspace.findChannel(channel);
    if (found === undefined) throw new Error(`unknown channel: ${channel}`);
    const ts = this.workspace.nextTs();
    this.workspace.append({ type: 'message', channel: found.id, ts, text, user: HUMAN_USER_ID, team: TEAM_ID });
    return ts;
  }

  createWebhook(channel: string): string {
    const found = this.workspace.findChannel(channel);
    if (found === undefined) throw new Error(`unknown channel: ${channel}`);
    return this.webhooks.create(found.id).path;
  }

  requests(): SlackRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  setFaults(profile: FaultProfile): void {
    this.faults = parseFaultProfile(profile);
  }

  setLimits(limits: Partial<SlackLimits>): void {
    this.limiter.set(parseLimits(limits));
  }

  setScopes(scopes: string[] | undefined): void {
    this.scopes = scopes === undefined ? undefined : [...scopes];
  }

  /** Back to the start state: seeded channels without messages, no faults, start limits and scopes, empty log. */
  reset(): void {
    this.workspace.reset();
    this.faults = {};
    this.limiter.reset(this.initialLimits);
    this.scopes = this.initialScopes;
    this.log = [];
  }

  /** Slack's answer to a call its token lacks the scope for: which one it needed, and the ones it has. */
  private requireScope(scope: string): void {
    const granted = this.scopes;
    if (granted === undefined || granted.includes(scope)) return;
    throw new SlackApiError('missing_scope', { needed: scope, provided: granted.join(',') });
  }

  private record(method: string, path: string, status: number, error: string | undefined, fault: FaultKind | undefined): void {
    this.log.push({ method, path, status, error, fault, at: new Date().toISOString() });
  }

  private send(reply: FastifyReply, answer: Answer): FastifyReply {
    reply.code(answer.status);
    for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
    if (answer.body === undefined) return reply.send();
    if (typeof answer.body === 'string') return reply.type('text/plain; charset=utf-8').send(answer.body);
    return reply.type(JSON_TYPE).send(JSON.stringify(answer.body));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
    const path = url.pathname;
    if (path.startsWith(ADMIN_PREFIX)) return this.handleAdmin(request, reply, url);
    if (path.startsWith('/services/')) return this.handleWebhook(request, reply, path);
    if (path.startsWith(API_PREFIX)) return this.handleApi(request, reply, url);
    this.record('unknown', path, 404, 'not_found', undefined);
    return this.send(reply, { status: 404, body: 'not_found' });
  }

  /** An injected fault as Slack's Web API answers it; undefined for faults that are not an answer (or come after the write). */
  private apiFault(fault: FaultKind): Answer | undefined {
    switch (fault) {
      case 'rateLimited':
        return rateLimited(this.faults.retryAfterSeconds ?? 1);
      case 'serverError':
        return { status: 500, body: { ok: false, error: 'internal_error' } };
      case 'unavailable':
        return { status: 503, body: { ok: false, error: 'service_unavailable' } };
      case 'tokenExpired':
        return { status: 200, body: { ok: false, error: 'token_expired' } };
      case 'timeout':
      case 'connectionReset':
      case 'applyThenFail':
        return undefined;
    }
  }

  private handleApi(request: FastifyRequest, reply: FastifyReply, url: URL): FastifyReply {
    const method = decodeURIComponent(url.pathname.slice(API_PREFIX.length));
    const done = (answer: Answer, fault?: FaultKind): FastifyReply => {
      const error = typeof answer.body === 'object' && answer.body['ok'] === false ? String(answer.body['error']) : undefined;
      this.record(method, url.pathname, answer.status, error, fault);
      // Slack names the token's scopes on every answer (the only way an app can read them); the
      // every-scope default has no list to name.
      if (this.scopes !== undefined) reply.header('x-oauth-scopes', this.scopes.join(','));
      return this.send(reply, answer);
    };

    const fault = pickFault(this.faults, this.random);
    if (fault === 'timeout' || fault === 'connectionReset') {
      this.record(method, url.pathname, 0, undefined, fault);
      return fault === 'timeout' ? this.held.hold(request, reply) : this.held.reset(request, reply);
    }
    const injected = fault === undefined ? undefined : this.apiFault(fault);
    if (injected !== undefined) return done(injected, fault);

    const handler = METHODS[method];
    if (handler === undefined) return done({ status: 200, body: { ok: false, error: 'unknown_method', req_method: method } });

    const call = parseArgs(request, url);
    if (call instanceof SlackApiError) return done({ status: 200, body: call.body() });
    const { args } = call;
    const denied = authError(this.token, {
      authorization: request.headers.authorization,
      formToken: stringArg(call.form, 'token'),
      queryToken: stringArg(call.query, 'token'),
    });
    if (denied !== undefined) return done({ status: 200, body: { ok: false, error: denied } });

    const limited = this.limiter.method(method);
    if (!limited.ok) return done(rateLimited(limited.retryAfterSeconds));

    let wrote = false;
    const ctx: MethodContext = {
      workspace: this.workspace,
      textOverflow: this.limiter.current().textOverflow,
      postToChannel: (channelId) => this.limiter.postToChannel(channelId),
      onWrite: () => {
        wrote = true;
      },
      requireScope: (scope) => this.requireScope(scope),
      granted: (scope) => this.scopes?.includes(scope) === true,
      // A message's ts is its post time in seconds.
      editable: (ts) => this.editWindowMs === undefined || this.now() - Number(ts) * 1000 <= this.editWindowMs,
    };
    let answer: Answer;
    try {
      answer = { status: 200, body: handler(ctx, args) };
    } catch (err) {
      if (err instanceof ChannelRateLimited) answer = rateLimited(err.retryAfterSeconds);
      else if (err instanceof SlackApiError) answer = { status: 200, body: err.body() };
      else throw err;
    }
    if (fault === 'applyThenFail' && (wrote || !WRITE_METHODS.has(method))) {
      return done({ status: 500, body: { ok: false, error: 'internal_error' } }, fault);
    }
    return done(answer);
  }

  private handleWebhook(request: FastifyRequest, reply: FastifyReply, path: string): FastifyReply {
    const done = (status: number, body: string, fault?: FaultKind, headers?: Record<string, string>): FastifyReply => {
      this.record('incoming-webhook', path, status, status === 200 ? undefined : body, fault);
      return this.send(reply, headers === undefined ? { status, body } : { status, body, headers });
    };
    const fault = pickFault(this.faults, this.random);
    switch (fault) {
      case 'timeout':
      case 'connectionReset':
        this.record('incoming-webhook', path, 0, undefined, fault);
        return fault === 'timeout' ? this.held.hold(request, reply) : this.held.reset(request, reply);
      case 'rateLimited':
        return done(429, 'rate_limited', fault, { 'retry-after': String(this.faults.retryAfterSeconds ?? 1) });
      case 'serverError':
        return done(500, 'rollup_error', fault);
      case 'unavailable':
        return done(503, 'service_unavailable', fault);
      case 'tokenExpired':
        return done(403, 'invalid_token', fault);
      default:
        break;
    }
    if (request.method !== 'POST') return done(405, 'invalid_method');
    const hook = this.webhooks.find(path);
    if (hook === undefined) return done(404, 'no_service');
    const limited = this.limiter.webhook(hook.hookId);
    if (!limited.ok) return done(429, 'rate_limited', undefined, { 'retry-after': String(limited.retryAfterSeconds) });
    try {
      deliverWebhook(this.workspace, hook, typeof request.body === 'string' ? request.body : '', request.headers['content-type'] ?? '');
    } catch (err) {
      if (err instanceof WebhookError) return done(err.status, err.code);
      throw err;
    }
    if (fault === 'applyThenFail') return done(500, 'rollup_error', fault);
    return done(200, 'ok');
  }

  private handleAdmin(request: FastifyRequest, reply: FastifyReply, url: URL): FastifyReply {
    const rest = url.pathname.slice(ADMIN_PREFIX.length);
    const method = request.method;
    const fail = (status: number, message: string): FastifyReply => this.send(reply, { status, body: { error: message } });
    const raw = typeof request.body === 'string' && request.body !== '' ? request.body : '{}';
    const withJson = (apply: (value: unknown) => unknown): FastifyReply => {
      try {
        const result = apply(JSON.parse(raw) as unknown);
        return reply.type(JSON_TYPE).send(JSON.stringify(result));
      } catch (err) {
        return fail(400, err instanceof Error ? err.message : String(err));
      }
    };
    switch (rest) {
      case 'messages': {
        if (method === 'POST') {
          // Seed a message by a human user (the app cannot edit or delete it).
          return withJson((value) => {
            const { channel, text } = z.object({ channel: z.string(), text: z.string() }).parse(value);
            return { ts: this.postAsUser(channel, text) };
          });
        }
        const channel = url.searchParams.get('channel');
        if (channel === null) return fail(400, 'channel query parameter required');
        if (this.workspace.findChannel(channel) === undefined) return fail(404, `unknown channel: ${channel}`);
        return reply.type(JSON_TYPE).send(JSON.stringify(this.messages(channel)));
      }
      case 'requests':
        return reply.type(JSON_TYPE).send(JSON.stringify(this.requests()));
      case 'faults':
        if (method === 'GET') return reply.send(this.faults);
        return withJson((value) => {
          this.setFaults(parseFaultProfile(value));
          return this.faults;
        });
      case 'limits':
        if (method === 'GET') return reply.send(this.limiter.current());
        return withJson((value) => {
          this.setLimits(parseLimits(value));
          return this.limiter.current();
        });
      case 'channels':
        if (method === 'GET') return reply.send(this.workspace.allChannels());
        return withJson((value) => {
          const seed = z
            .object({ name: z.string().min(1), id: z.string().optional(), member: z.boolean().optional(), archived: z.boolean().optional(), private: z.boolean().optional() })
            .strict()
            .parse(value);
          if (this.workspace.findChannel(seed.name) !== undefined) throw new Error(`channel exists: ${seed.name}`);
          const { id, member, archived, private: isPrivate, name } = seed;
          return { ...this.workspace.addChannel({ name, ...(id !== undefined ? { id } : {}), ...(member !== undefined ? { member } : {}), ...(archived !== undefined ? { archived } : {}), ...(isPrivate !== undefined ? { private: isPrivate } : {}) }) };
        });
      case 'webhooks':
        return withJson((value) => {
          const { channel } = z.object({ channel: z.string() }).parse(value);
          return { path: this.createWebhook(channel) };
        });
      case 'reset':
        if (method !== 'POST') return fail(405, 'use POST');
        this.reset();
        return reply.code(204).send();
      default:
        return fail(404, `unknown admin endpoint: /__sandbox/${rest}`);
    }
  }
}

function rateLimited(retryAfterSeconds: number): Answer {
  return { status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: { ok: false, error: 'ratelimited' } };
}
