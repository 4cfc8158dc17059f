/**
 * The OAuth 2.0 token endpoint (`POST /services/oauth2/token`, form-encoded): the refresh-token
 * grant and the JWT bearer grant (RS256 assertion signed with the connected app's certificate).
 * Errors are `{error, error_description}` with HTTP 400, as Salesforce answers them.
 */

import { X509Certificate, createPublicKey, createVerify, randomBytes, type KeyObject } from 'node:crypto';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ORG_ID = '00D5g000004SbxQEAS';
const USER_ID = '0055g00000B1bXyAAJ';
/** Salesforce accepts a JWT whose exp is at most a few minutes out; later ones are refused. */
const MAX_JWT_LIFETIME_S = 300;

export interface OAuthSettings {
  /** Consumer key of the connected app. */
  clientId: string;
  clientSecret: string;
  /** The refresh token the sandbox honours for grant_type=refresh_token. */
  refreshToken: string;
  /** User a JWT's `sub` must name. */
  username: string;
  /** PEM public key or X.509 certificate the connected app verifies JWT assertions with. */
  jwtCertificate?: string;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, string>;
}

function oauthError(error: string, description: string): TokenAnswer {
  return { status: 400, body: { error, error_description: description } };
}

function publicKeyOf(pem: string): KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export class OAuthEndpoint {
  private publicKey: KeyObject | null = null;

  constructor(
    readonly settings: OAuthSettings,
    /** Issues a fresh access token the API accepts from now on. */
    private readonly issueToken: () => string,
    private readonly urls: () => { instanceUrl: string; loginUrl: string },
  ) {
    if (settings.jwtCertificate !== undefined) this.setJwtCertificate(settings.jwtCertificate);
  }

  setJwtCertificate(pem: string): void {
    this.publicKey = publicKeyOf(pem);
  }

  /** Answers one token request from its form-encoded body. */
  token(rawBody: string | undefined): TokenAnswer {
    const params = new URLSearchParams(rawBody ?? '');
    const grant = params.get('grant_type');
    if (grant === null) return oauthError('invalid_request', 'grant type not specified');
    if (grant === 'refresh_token') return this.refresh(params);
    if (grant === JWT_BEARER_GRANT) return this.jwt(params);
    return oauthError('unsupported_grant_type', 'grant type not supported');
  }

  private refresh(params: URLSearchParams): TokenAnswer {
    if (params.get('client_id') !== this.settings.clientId) return oauthError('invalid_client_id', 'client identifier invalid');
    const secret = params.get('client_secret');
    if (secret !== null && secret !== this.settings.clientSecret) return oauthError('invalid_client', 'invalid client credentials');
    if (params.get('refresh_token') !== this.settings.refreshToken) return oauthError('invalid_grant', 'expired access/refresh token');
    return this.issued('api refresh_token');
  }

  private jwt(params: URLSearchParams): TokenAnswer {
    const assertion = params.get('assertion');
    if (assertion === null) return oauthError('invalid_request', 'assertion not specified');
    const parts = assertion.split('.');
    const [headerPart, payloadPart, signaturePart] = parts;
    if (parts.length !== 3 || headerPart === undefined || payloadPart === undefined || signaturePart === undefined) {
      return oauthError('invalid_grant', 'invalid assertion');
    }
    const header = decodeSegment(headerPart);
    const claims = decodeSegment(payloadPart);
    if (header === null || claims === null || header['alg'] !== 'RS256') return oauthError('invalid_grant', 'invalid assertion');
    if (this.publicKey === null) return oauthError('invalid_client', 'no certificate is configured for this connected app');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${headerPart}.${payloadPart}`);
    if (!verifier.verify(this.publicKey, Buffer.from(signaturePart, 'base64url'))) {
      return oauthError('invalid_grant', 'invalid assertion');
    }
    if (claims['iss'] !== this.settings.clientId) return oauthError('invalid_client_id', 'client identifier invalid');
    const audiences = new Set(['https://login.salesforce.com', 'https://test.salesforce.com', this.urls().loginUrl]);
    if (typeof claims['aud'] !== 'string' || !audiences.has(claims['aud'].replace(/\/$/, ''))) {
      return oauthError('invalid_grant', 'audience is invalid');
    }
    if (claims['sub'] !== this.settings.username) return oauthError('invalid_grant', 'user hasn\'t approved this consumer');
    const exp = claims['exp'];
    const now = Math.floor(Date.now() / 1000);
    if (typeof exp !== 'number' || exp <= now) return oauthError('invalid_grant', 'expired authorization code');
    if (exp > now + MAX_JWT_LIFETIME_S) return oauthError('invalid_grant', 'invalid assertion: exp is too far in the future');
    return this.issued('api');
  }

  private issued(scope: string): TokenAnswer {
    const { instanceUrl, loginUrl } = this.urls();
    return {
      status: 200,
      body: {
        access_token: this.issueToken(),
        signature: randomBytes(32).toString('base64'),
        scope,
        instance_url: instanceUrl,
        id: `${loginUrl}/id/${ORG_ID}/${USER_ID}`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
      },
    };
  }
}

/** A consumer key shaped like Salesforce's (`3MVG9…`). */
export function newClientId(): string {
  return `3MVG9${randomBytes(30).toString('base64url')}`;
}
