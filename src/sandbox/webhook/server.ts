/**
 * The webhook receiver: records every request (headers, idempotency key, signature, body), answers
 * 200 `{"ok":true}` or the response configured for its path, applies the fault profile, and serves
 * the unauthenticated `/__sandbox/*` admin endpoints.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { listenOn, rawApp } from '../http';
import { HeldConnections, parseFaultProfile, pickFault, type FaultKind, type FaultProfile } from '../faults';
import { SIGNATURE_HEADER, verifySignature } from './signature';
import type { ReceivedWebhook, WebhookResponse, WebhookSandboxOptions } from './types';

const ADMIN_PREFIX = '/__sandbox/';
const DEFAULT_RESPONSE: WebhookResponse = { status: 200, body: { ok: true } };

const responseSchema = z.object({
  path: z.string().startsWith('/'),
  response: z
    .object({
      status: z.number().int().min(200).max(599),
      body: z.unknown().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .nullable(),
});

function headerMap(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(raw: string, contentType: string | undefined): { ok: true; body: unknown } | { ok: false } {
  if (raw === '') return { ok: true, body: undefined };
  if (contentType === undefined || !/\bjson\b/i.test(contentType)) return { ok: true, body: raw };
  try {
    return { ok: true, body: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export class WebhookServer {
  private readonly app: FastifyInstance;
  private readonly held = new HeldConnections();
  private readonly secret: string | undefined;
  private readonly random: () => number;
  private readonly responses = new Map<string, WebhookResponse>();
  private log: ReceivedWebhook[] = [];
  private faults: FaultProfile;

  constructor(options: WebhookSandboxOptions = {}) {
    this.secret = options.secret;
    this.random = options.random ?? Math.random;
    this.faults = parseFaultProfile(options.faults ?? {});
    // Raw bytes: the signature is computed over the body exactly as sent.
    this.app = rawApp({ bodyLimit: 50 * 1024 * 1024, parseAs: 'buffer' }, (request, reply) => this.handle(request, reply));
  }

  async listen(port: number, host: string): Promise<number> {
    return listenOn(this.app, port, host, 'webhook');
  }

  async close(): Promise<void> {
    this.held.releaseAll();
    await this.app.close();
  }

  received(): ReceivedWebhook[] {
    return this.log.map((entry) => ({ ...entry, headers: { ...entry.headers }, query: { ...entry.query } }));
  }

  setFaults(profile: FaultProfile): void {
    this.faults = parseFaultProfile(profile);
  }

  respondWith(path: string, response: WebhookResponse | undefined): void {
    if (response === undefined) this.responses.delete(path);
    else this.responses.set(path, response);
  }

  reset(): void {
    this.log = [];
    this.responses.clear();
    this.faults = {};
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const url = new URL(request.url, 'http://sandbox.invalid');
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      return this.handleAdmin(request.method, url.pathname.slice(ADMIN_PREFIX.length), raw.toString('utf8'), reply);
    }

    const headers = headerMap(request);
    const rawBody = raw.toString('utf8');
    const parsed = parseBody(rawBody, headers['content-type']);
    const entry: ReceivedWebhook = {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      idempotencyKey: headers['idempotency-key'],
      signature: headers[SIGNATURE_HEADER],
      signatureValid: this.secret === undefined ? undefined : verifySignature(this.secret, raw, headers[SIGNATURE_HEADER]),
      body: parsed.ok ? parsed.body : rawBody,
      rawBody,
      status: 0,
      fault: undefined,
      accepted: false,
      at: new Date().toISOString(),
    };
    this.log.push(entry);

    const fault = pickFault(this.faults, this.random);
    if (fault !== undefined && fault !== 'applyThenFail') {
      entry.fault = fault;
      return this.answerFault(fault, entry, request, reply);
    }
    if (entry.signatureValid === false) {
      return this.answer(reply, entry, { status: 401, body: { error: 'invalid_signature' } });
    }
    if (!parsed.ok) return this.answer(reply, entry, { status: 400, body: { error: 'invalid_json' } });

    const configured = this.responses.get(url.pathname) ?? DEFAULT_RESPONSE;
    if (fault === 'applyThenFail') {
      // The delivery counts as received; the sender only sees the failure.
      entry.fault = fault;
      entry.accepted = true;
      entry.status = 500;
      return reply.code(500).send({ error: 'internal_error' });
    }
    entry.accepted = configured.status >= 200 && configured.status < 300;
    return this.answer(reply, entry, configured);
  }

  private answerFault(fault: FaultKind, entry: ReceivedWebhook, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    switch (fault) {
      case 'timeout':
        return this.held.hold(request, reply);
      case 'connectionReset':
        return this.held.reset(request, reply);
      case 'rateLimited':
        return this.answer(reply, entry, {
          status: 429,
          headers: { 'retry-after': String(this.faults.retryAfterSeconds ?? 1) },
          body: { error: 'rate_limited' },
        });
      case 'tokenExpired':
        return this.answer(reply, entry, { status: 401, body: { error: 'token_expired' } });
      case 'unavailable':
        return this.answer(reply, entry, { status: 503, body: { error: 'service_unavailable' } });
      case 'serverError':
      case 'applyThenFail':
        return this.answer(reply, entry, { status: 500, body: { error: 'internal_error' } });
    }
  }

  private answer(reply: FastifyReply, entry: ReceivedWebhook, response: WebhookResponse): FastifyReply {
    entry.status = response.status;
    reply.code(response.status);
    for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
    if (response.body === undefined || response.status === 204) return reply.send();
    if (typeof response.body === 'string') return reply.type('text/plain; charset=utf-8').send(response.body);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(response.body));
  }

  private handleAdmin(method: string, rest: string, rawBody: string, reply: FastifyReply): FastifyReply {
    const fail = (status: number, message: string): FastifyReply => reply.code(status).send({ error: message });
    const readJson = (): unknown => JSON.parse(rawBody === '' ? '{}' : rawBody) as unknown;
    switch (rest) {
      case 'received':
        return method === 'GET' ? reply.send(this.received()) : fail(405, 'use GET');
      case 'reset':
        if (method !== 'POST') return fail(405, 'use POST');
        this.reset();
        return reply.code(204).send();
      case 'faults':
        if (method === 'GET') return reply.send(this.faults);
        if (method !== 'POST' && method !== 'PUT') return fail(405, 'use GET or POST');
        try {
          this.setFaults(parseFaultProfile(readJson()));
        } catch (err) {
          return fail(400, err instanceof Error ? err.message : String(err));
        }
        return reply.send(this.faults);
      case 'responses': {
        if (method !== 'POST' && method !== 'PUT') return fail(405, 'use POST');
        let input: z.infer<typeof responseSchema>;
        try {
          input = responseSchema.parse(readJson());
        } catch (err) {
          return fail(400, err instanceof Error ? err.message : String(err));
        }
        const { response } = input;
        this.respondWith(
          input.path,
          response === null
            ? undefined
            : {
                status: response.status,
                ...(response.body !== undefined ? { body: response.body } : {}),
                ...(response.headers !== undefined ? { headers: response.headers } : {}),
              },
        );
        return reply.code(204).send();
      }
      default:
        return fail(404, `unknown admin endpoint: /__sandbox/${rest}`);
    }
  }
}
