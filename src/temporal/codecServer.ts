import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

/** Temporal's remote codec protocol: proto JSON payloads, metadata values and data in base64. */
const bodySchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.base64()).nullish(),
      data: z.base64().nullish(),
    }),
  ),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

export interface CodecServerOptions {
  codecs: PayloadCodec[];
  port?: number;
  host?: string;
  /** Origins whose browser pages may call us (Temporal Web), credentials included. */
  origins: string[];
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

/** Body limit: a workflow's payloads, not a bulk channel. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * `POST /encode` and `POST /decode` (also under a namespace prefix, `/{namespace}/decode`, as the
 * CLI's --codec-endpoint templating sends), with CORS for the Web UI's origin.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => reply(res, 500, { message: err instanceof Error ? err.message : String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: CodecServerOptions): Promise<void> {
  const origin = req.headers.origin;
  if (origin !== undefined && options.origins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  res.setHeader('Vary', 'Origin');
  const route = /\/(encode|decode)$/.exec(new URL(req.url ?? '/', 'http://codec').pathname)?.[1];
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'X-Namespace, Content-Type, Authorization');
    res.setHeader('Access-Control-Max-Age', '600');
    res.writeHead(route ? 204 : 404).end();
    return;
  }
  if (!route) return reply(res, 404, { message: 'not found: the codec server answers POST /encode and POST /decode' });
  if (req.method !== 'POST') return reply(res, 405, { message: `${req.method ?? ''} not allowed: use POST` });
  const raw = await readBody(req);
  if (raw === undefined) return reply(res, 413, { message: `body over ${MAX_BODY_BYTES} bytes` });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return reply(res, 400, { message: 'body is not JSON' });
  }
  const body = bodySchema.safeParse(json);
  if (!body.success) {
    return reply(res, 400, { message: `body must be {"payloads": [{"metadata": {key: base64}, "data": base64}]}: ${body.error.issues[0]?.message ?? ''}` });
  }
  let payloads = body.data.payloads.map(fromJson);
  try {
    if (route === 'encode') for (const codec of options.codecs) payloads = await codec.encode(payloads);
    else for (const codec of [...options.codecs].reverse()) payloads = await codec.decode(payloads);
  } catch (err) {
    // e.g. a payload written with another key: say which, so the user can find the right one.
    return reply(res, 422, { message: err instanceof Error ? err.message : String(err) });
  }
  reply(res, 200, { payloads: payloads.map(toJson) });
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    ...(data != null ? { data: Buffer.from(data, 'base64') } : {}),
  };
}

function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data?: string } {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    ...(data ? { data: Buffer.from(data).toString('base64') } : {}),
  };
}

/** The body as text, or undefined when it is over the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
