import http from 'node:http';
import https from 'node:https';

/** One per origin and timeout, shared by the worker's destinations (one is made per batch). */
const agents = new Map<string, http.Agent>();

/**
 * An HTTP agent for the HubSpot client whose sockets give up after `timeoutMs` without a byte. The
 * client sets no timeout of its own, so a request HubSpot never answers would hold its batch until
 * the activity's timeout while the heartbeats go on. The socket is destroyed with an ETIMEDOUT
 * error, which fails the request as a (retried) network error. Keep-alive, as the client's default
 * fetch is.
 */
export function deadlineAgent(baseUrl: string, timeoutMs: number): http.Agent {
  const url = new URL(baseUrl);
  const key = `${url.origin}|${timeoutMs}`;
  const known = agents.get(key);
  if (known) return known;
  // The agent's `timeout` sets every socket's, again each time one is reused, but the agent itself
  // destroys only idle sockets on it: the listener below ends one a request is waiting on.
  const options = { keepAlive: true, timeout: timeoutMs };
  const agent: http.Agent = url.protocol === 'http:' ? new http.Agent(options) : new https.Agent(options);
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (connectOptions, callback) => {
    const socket = connect(connectOptions, callback);
    socket?.on('timeout', () => {
      socket.destroy(Object.assign(new Error(`HubSpot did not answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    return socket;
  };
  agents.set(key, agent);
  return agent;
}
