import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

export interface RawAppOptions {
  bodyLimit: number;
  /** `buffer` where the exact bytes matter (a signature over the raw body). */
  parseAs?: 'string' | 'buffer';
  maxParamLength?: number;
}

/**
 * The HTTP plumbing every emulator shares: one handler for every method and path, the body handed
 * over unparsed, because each emulator parses it itself so a malformed one gets the vendor's own error.
 */
export function rawApp(
  options: RawAppOptions,
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply,
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    ...(options.maxParamLength !== undefined ? { routerOptions: { maxParamLength: options.maxParamLength } } : {}),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: options.parseAs ?? 'string' }, (_req, body, done) => {
    done(null, body);
  });
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/*', handler });
  return app;
}

/** Listens and answers the port bound (0 picks a free one). */
export async function listenOn(app: FastifyInstance, port: number, host: string, name: string): Promise<number> {
  await app.listen({ port, host });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`${name} sandbox did not bind a TCP port`);
  return address.port;
}

/** A URL path's segments, each percent-decoded (a malformed escape is kept as sent, for the route to refuse). */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}
