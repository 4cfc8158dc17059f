/**
 * The two faults that are not an HTTP answer at all — a request left hanging and a reset
 * connection — plus the bookkeeping that lets `close()` release hung requests instead of waiting on them.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

export class HeldConnections {
  private readonly sockets = new Set<Socket>();

  /** Leaves the request unanswered; the client sees a timeout. Returns the reply fastify must not touch. */
  hold(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const socket = request.raw.socket;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    reply.hijack();
    return reply;
  }

  /** Destroys the socket without an answer; the client sees ECONNRESET / "socket hang up". */
  reset(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    reply.hijack();
    request.raw.socket.resetAndDestroy();
    return reply;
  }

  /** Drops every held connection (call before closing the server). */
  releaseAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
