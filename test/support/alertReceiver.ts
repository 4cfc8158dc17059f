import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export type AlertAnswer = (request: IncomingMessage, response: ServerResponse) => void;

export const answerOk: AlertAnswer = (_request, response) => response.writeHead(200).end('ok');
export const answerBusy: AlertAnswer = (_request, response) => response.writeHead(503).end('busy');

export interface AlertPost {
  method: string;
  path: string;
  /** The JSON body ({} when there was none). */
  body: Record<string, unknown>;
}

export interface AlertReceiver {
  url: string;
  /** What it accepted (answered 2xx), in order. */
  posts: AlertPost[];
  /** How it answers from now on (default: 200). */
  answer: AlertAnswer;
  close(): Promise<void>;
}

/** A local HTTP receiver standing in for an alert webhook or Slack's incoming webhook. */
export async function startAlertReceiver(): Promise<AlertReceiver> {
  const posts: AlertPost[] = [];
  const receiver = { posts, answer: answerOk } as AlertReceiver;
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const post = { method: request.method ?? '', path: request.url ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      response.on('finish', () => {
        if (response.statusCode >= 200 && response.statusCode < 300) posts.push(post);
      });
      receiver.answer(request, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}
