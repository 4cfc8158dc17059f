/**
 * The sandbox's OAuth token endpoint as jsforce uses it: refresh on 401 INVALID_SESSION_ID with a
 * refresh token, and the JWT bearer grant through `conn.authorize`.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import jsforce from 'jsforce';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce';

const VERSION = '62.0';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
let sandbox: SalesforceSandbox;

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function signJwt(claims: Record<string, unknown>, privateKey = keys.privateKey): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256' })}.${part(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: sandbox.clientId, sub: sandbox.username, aud: sandbox.loginUrl, exp: Math.floor(Date.now() / 1000) + 120, ...overrides };
}

beforeEach(async () => {
  sandbox = await startSalesforceSandbox();
});

afterEach(async () => {
  await sandbox.close();
});

describe('OAuth token endpoint', () => {
  it('jsforce refreshes an expired session with the refresh token and replays the request once', async () => {
    const conn = new jsforce.Connection({
      instanceUrl: sandbox.instanceUrl,
      accessToken: sandbox.accessToken,
      refreshToken: sandbox.refreshToken,
      oauth2: { clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, loginUrl: sandbox.loginUrl },
      version: VERSION,
    });
    const refreshed: string[] = [];
    conn.on('refresh', (token: string) => refreshed.push(token));
    await conn.sobject('Account').create({ Name: 'Before' });
    sandbox.expireSessions();
    const result = await conn.sobject('Account').create({ Name: 'After' });
    expect(result.success).toBe(true);
    expect(refreshed).toHaveLength(1);
    expect(conn.accessToken).toBe(refreshed[0]);
    expect(conn.accessToken).not.toBe(sandbox.accessToken);
    expect(sandbox.records('Account').map((a) => a.Name)).toEqual(['Before', 'After']);
    expect(sandbox.requests().map((r) => `${r.method} ${r.status} ${r.path}`)).toEqual([
      `POST 201 /services/data/v${VERSION}/sobjects/Account`,
      `POST 401 /services/data/v${VERSION}/sobjects/Account`,
      'POST 200 /services/oauth2/token',
      `POST 201 /services/data/v${VERSION}/sobjects/Account`,
    ]);
  });

  it('answers a bad refresh token, client id or secret with OAuth error bodies', async () => {
    const oauth2 = new jsforce.OAuth2({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, loginUrl: sandbox.loginUrl });
    await expect(oauth2.refreshToken('nope')).rejects.toMatchObject({ name: 'invalid_grant', message: 'expired access/refresh token' });
    const wrongClient = new jsforce.OAuth2({ clientId: 'other', clientSecret: sandbox.clientSecret, loginUrl: sandbox.loginUrl });
    await expect(wrongClient.refreshToken(sandbox.refreshToken)).rejects.toMatchObject({ name: 'invalid_client_id' });
    const wrongSecret = new jsforce.OAuth2({ clientId: sandbox.clientId, clientSecret: 'x', loginUrl: sandbox.loginUrl });
    await expect(wrongSecret.refreshToken(sandbox.refreshToken)).rejects.toMatchObject({ name: 'invalid_client' });
    const answer = await oauth2.refreshToken(sandbox.refreshToken);
    expect(answer).toMatchObject({ instance_url: sandbox.instanceUrl, token_type: 'Bearer' });
    expect(answer.id).toMatch(new RegExp(`^${sandbox.loginUrl}/id/00D\\w+/005\\w+$`));
  });

  it('issues a session for a JWT bearer assertion signed with the connected app certificate', async () => {
    sandbox.setJwtCertificate(publicPem);
    const conn = new jsforce.Connection({ loginUrl: sandbox.loginUrl, version: VERSION });
    const user = await conn.authorize({ grant_type: JWT_GRANT, assertion: signJwt(claims()) });
    expect(user.organizationId).toMatch(/^00D/);
    expect(conn.instanceUrl).toBe(sandbox.instanceUrl);
    const created = await conn.sobject('Account').create({ Name: 'Via JWT' });
    expect(created.success).toBe(true);
  });

  it('refuses a JWT with a foreign signature, another issuer, a wrong audience or subject, or an expired exp', async () => {
    sandbox.setJwtCertificate(publicPem);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const attempt = (assertion: string) => new jsforce.Connection({ loginUrl: sandbox.loginUrl }).authorize({ grant_type: JWT_GRANT, assertion });
    await expect(attempt(signJwt(claims(), other))).rejects.toMatchObject({ name: 'invalid_grant', message: 'invalid assertion' });
    await expect(attempt(signJwt(claims({ iss: 'someone-else' })))).rejects.toMatchObject({ name: 'invalid_client_id' });
    await expect(attempt(signJwt(claims({ aud: 'https://evil.example' })))).rejects.toMatchObject({ message: 'audience is invalid' });
    await expect(attempt(signJwt(claims({ sub: 'nobody@x.com' })))).rejects.toMatchObject({ name: 'invalid_grant' });
    await expect(attempt(signJwt(claims({ exp: Math.floor(Date.now() / 1000) - 10 })))).rejects.toMatchObject({ message: 'expired authorization code' });
  });

  it('a session expired through the admin endpoint answers 401 INVALID_SESSION_ID', async () => {
    const conn = new jsforce.Connection({ instanceUrl: sandbox.instanceUrl, accessToken: sandbox.accessToken, version: VERSION });
    const expired = await fetch(`${sandbox.instanceUrl}/__sandbox/expire-sessions`, { method: 'POST' });
    expect(expired.status).toBe(204);
    await expect(conn.query('SELECT Id FROM Account')).rejects.toMatchObject({ errorCode: 'INVALID_SESSION_ID' });
  });
});
