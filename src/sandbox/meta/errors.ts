/**
 * Graph API errors: `{"error": {message, type, code, error_subcode?, fbtrace_id}}`, HTTP 400 for
 * most, with Meta's codes (100 invalid parameter, 190 access token, 17/613/80003/80004 throttling).
 */
import { randomBytes } from 'node:crypto';

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly type = 'OAuthException',
    readonly subcode?: number,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }

  body(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { message: this.message, type: this.type, code: this.code };
    if (this.subcode !== undefined) error['error_subcode'] = this.subcode;
    Object.assign(error, this.extra);
    error['fbtrace_id'] = randomBytes(8).toString('base64url');
    return { error };
  }
}

export function invalidParameter(message: string, subcode?: number): GraphError {
  return new GraphError(400, 100, `(#100) ${message}`, 'OAuthException', subcode);
}

export function missingToken(): GraphError {
  return new GraphError(400, 104, 'An access token is required to request this resource.');
}

export function invalidToken(): GraphError {
  return new GraphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
}

export function tokenExpired(): GraphError {
  // Graph answers OAuth errors 400 (its WWW-Authenticate header says why), not 401.
  return new GraphError(
    400,
    190,
    'Error validating access token: Session has expired on Thursday, 15-Jan-26 09:00:00 PST. The current time is Thursday, 15-Jan-26 10:00:00 PST.',
    'OAuthException',
    463,
    { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Error validating access token: Session has expired"' },
  );
}

export function unknownObject(id: string, method: string): GraphError {
  return new GraphError(
    400,
    100,
    `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    'GraphMethodException',
    33,
  );
}

/**
 * Error 2650 "Failed to update the custom audience", which the users and usersreplace references
 * list; the reason goes in error_user_title / error_user_msg as Meta words its upload refusals.
 */
export function audienceUpdateFailed(title: string, detail: string, subcode?: number): GraphError {
  return new GraphError(400, 2650, '(#2650) Failed to update the custom audience', 'OAuthException', subcode, {}, {
    error_user_title: title,
    error_user_msg: detail,
  });
}

/** A replace session is running on the audience: another session, an add or a removal must wait for it. */
export function replaceInProgress(audienceId: string, sessionId: string): GraphError {
  return audienceUpdateFailed(
    'Replace In Progress',
    `A replace operation (session ${sessionId}) is in progress on custom audience ${audienceId}. Finish it with a batch marked last_batch_flag before updating the audience again.`,
  );
}

/**
 * A replace session must open with its first batch. The subcode and title are what Meta answers a
 * session whose batch_seq 1 it never saw (as reported by SDK users; the reference lists only 2650).
 */
export function replaceFirstBatchMissing(sessionId: string): GraphError {
  return audienceUpdateFailed(
    'Invalid Upload Batch for Replace',
    `The first batch (batch_seq 1) of replace session ${sessionId} was not detected. Start the session with batch_seq 1.`,
    1870147,
  );
}

export function unknownError(status: 500 | 503): GraphError {
  return status === 500
    ? new GraphError(500, 1, 'An unknown error occurred', 'OAuthException', 99, {}, { is_transient: true })
    : new GraphError(503, 2, 'An unexpected error has occurred. Please retry your request later.', 'OAuthException', undefined, {}, { is_transient: true });
}

/** The throttling error for a code, with the usage header Meta sends alongside. */
export function throttled(code: 17 | 613 | 80003 | 80004, usageHeader: string): GraphError {
  const headers = { 'x-business-use-case-usage': usageHeader };
  switch (code) {
    case 17:
      return new GraphError(400, 17, '(#17) User request limit reached', 'OAuthException', 2446079, headers, { is_transient: true });
    case 613:
      return new GraphError(400, 613, '(#613) Calls to this api have exceeded the rate limit.', 'OAuthException', 1487742, headers, { is_transient: true });
    case 80003:
      // The custom_audience business use case: what Meta answers its audience and users endpoints.
      return new GraphError(
        400,
        80003,
        '(#80003) There have been too many calls for this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#custom-audience.',
        'OAuthException',
        2446079,
        headers,
        { is_transient: true },
      );
    case 80004:
      return new GraphError(
        400,
        80004,
        '(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.',
        'OAuthException',
        2446079,
        headers,
        { is_transient: true },
      );
  }
}
