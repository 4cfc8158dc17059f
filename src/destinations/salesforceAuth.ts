import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from 'jsforce';
import type { TokenResponse } from 'jsforce/lib/oauth2';
import type { SessionRefreshFunc } from 'jsforce/lib/session-refresh-delegate';
import type { Schema } from 'jsforce/lib/types';
import type { SalesforceConnection } from '../config/schema';
import { BackflowError } from '../errors';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Salesforce refuses a JWT whose exp is more than a few minutes out. */
const JWT_LIFETIME_S = 180;

interface Session {
  accessToken: string;
  instanceUrl: string;
}

/**
 * Sessions obtained by a refresh or a JWT grant, shared by the destinations of this worker (one per
 * batch) so each batch doesn't start with a 401 and a token request.
 */
const sessions = new Map<string, Session>();

function sessionKey(config: SalesforceConnection): string {
  return [config.loginUrl, config.clientId ?? '', config.username ?? '', config.refreshToken ?? '', config.instanceUrl].join('|');
}

/** A signed RS256 JWT bearer assertion: iss = consumer key, sub = user, aud = login URL. */
export function jwtAssertion(input: { clientId: string; username: string; audience: string; privateKey: string; now?: number }): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  const unsigned = `${part({ alg: 'RS256' })}.${part({ iss: input.clientId, sub: input.username, aud: input.audience, exp: issuedAt + JWT_LIFETIME_S })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(input.privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

function readPrivateKey(file: string, baseDir: string): string {
  const full = path.resolve(baseDir, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (err) {
    throw new BackflowError('DESTINATION_AUTH_FAILED', `cannot read the Salesforce JWT private key ${full}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The token endpoint's error with its code in the message: jsforce names the error by the OAuth
 * `error` (`invalid_grant`, `unknown_error`, or `ERROR_HTTP_503` for a body that is not JSON), then
 * its refresh wrapper keeps only the message, where a refused grant (final) and a login server down
 * for a moment (retried) read alike (salesforceErrors.ts reads the code back).
 */
function namingTokenError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  return err.name && err.name !== 'Error' ? new Error(`${err.name}: ${err.message}`) : err;
}

/** A jsforce session refresh that asks the token endpoint with `request`, taking the session it answers. */
function sessionRefresh(request: (conn: Connection) => Promise<TokenResponse>): SessionRefreshFunc<Schema> {
  return (conn, callback) => {
    // A synchronous throw (an unreadable private key) fails the refresh like a refused one.
    Promise.resolve()
      .then(() => request(conn))
      .then(
        (answer) => {
          conn.accessToken = answer.access_token;
          conn.instanceUrl = answer.instance_url;
          callback(null, answer.access_token, answer);
        },
        (err: unknown) => callback(namingTokenError(err)),
      );
  };
}

/**
 * A jsforce connection for the configured way in. With a refresh token jsforce itself trades it for a
 * new session on 401 INVALID_SESSION_ID and replays the request once; the JWT flow plugs the same
 * mechanism with a refresh function that signs a fresh assertion. `config` has its secrets resolved.
 */
export function openSalesforceConnection(config: SalesforceConnection, baseDir: string): Connection {
  const key = sessionKey(config);
  const cached = sessions.get(key);
  const remember = (conn: Connection) => {
    conn.on('refresh', (accessToken: string) => {
      sessions.set(key, { accessToken, instanceUrl: conn.instanceUrl });
    });
    return conn;
  };
  const start = {
    // jsforce appends `/services/…`: a configured trailing slash made every path `//services/…` (404).
    instanceUrl: cached?.instanceUrl ?? config.instanceUrl.replace(/\/+$/, ''),
    version: config.apiVersion,
    ...(cached ? { accessToken: cached.accessToken } : config.accessToken !== undefined ? { accessToken: config.accessToken } : {}),
  };
  if (config.privateKeyFile !== undefined && config.clientId !== undefined && config.username !== undefined) {
    const { clientId, username, privateKeyFile, loginUrl } = config;
    const refreshFn = sessionRefresh((conn) =>
      conn.oauth2.requestToken({ grant_type: JWT_BEARER_GRANT, assertion: jwtAssertion({ clientId, username, audience: loginUrl, privateKey: readPrivateKey(privateKeyFile, baseDir) }) }),
    );
    return remember(new Connection({ ...start, loginUrl, refreshFn }));
  }
  if (config.refreshToken !== undefined && config.clientId !== undefined) {
    const { refreshToken } = config;
    // jsforce's own refresh, but with the token endpoint's error code kept (see namingTokenError).
    const refreshFn = sessionRefresh((conn) => conn.oauth2.refreshToken(refreshToken));
    return remember(
      new Connection({
        ...start,
        loginUrl: config.loginUrl,
        refreshFn,
        refreshToken: config.refreshToken,
        oauth2: {
          clientId: config.clientId,
          loginUrl: config.loginUrl,
          ...(config.clientSecret !== undefined ? { clientSecret: config.clientSecret } : {}),
        },
      }),
    );
  }
  return new Connection(start);
}
