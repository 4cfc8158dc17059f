/**
 * Where the Web API reads a token from: the `Authorization: Bearer` header, or a `token` in a
 * form-encoded POST body. Apps created since 2021-02-24 may no longer put it in the query string
 * (Slack answers `invalid_auth`), and a `token` attribute of a JSON body is never read: JSON calls
 * must use the header, or they are `not_authed`.
 */

export interface PresentedToken {
  authorization: string | string[] | undefined;
  /** `token` of a form-encoded body. */
  formToken: string | undefined;
  /** `token` of the query string. */
  queryToken: string | undefined;
}

/** Slack's `error` for a call presenting `presented`, or undefined when it carries the bot token. */
export function authError(expected: string, presented: PresentedToken): 'not_authed' | 'invalid_auth' | undefined {
  const { authorization, formToken, queryToken } = presented;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1] : undefined;
  const token = bearer ?? (formToken !== undefined && formToken !== '' ? formToken : undefined);
  if (token !== undefined) return token === expected ? undefined : 'invalid_auth';
  if (queryToken !== undefined && queryToken !== '') return 'invalid_auth';
  return 'not_authed';
}
