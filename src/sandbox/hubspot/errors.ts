/**
 * HubSpot error bodies. Request-level errors are `{status: "error", message, correlationId, category,
 * context?, errors?}`; rate limits use `errorType` + `policyName` instead of `category`; records
 * rejected inside a multi-status (207) answer are `{status: "error", category, message, context, errors}`.
 * Messages follow the ones HubSpot sends (quoted in issue threads and its error-handling docs).
 */

import { randomUUID } from 'node:crypto';

export interface ErrorDetail {
  message: string;
  code?: string;
  in?: string;
  subCategory?: string;
  context?: Record<string, string[]>;
}

export interface ApiErrorBody {
  status: 'error';
  message: string;
  correlationId: string;
  category?: string;
  context?: Record<string, string[]>;
  errors?: ErrorDetail[];
  [extra: string]: unknown;
}

/** One record's failure inside a 207 answer. */
export interface BatchError {
  status: 'error';
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors?: ErrorDetail[];
}

/** Thrown by handlers; the server turns it into `status` + `body`. */
export class HubspotApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.name = 'HubspotApiError';
  }
}

function errorBody(message: string, category: string | undefined, extra: Partial<ApiErrorBody> = {}): ApiErrorBody {
  const body: ApiErrorBody = { status: 'error', message, correlationId: randomUUID() };
  if (category !== undefined) body.category = category;
  return { ...body, ...extra };
}

export const AUTH_NOT_FOUND_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

/** Missing or unknown bearer token. */
export function invalidAuthentication(): HubspotApiError {
  return new HubspotApiError(401, errorBody(AUTH_NOT_FOUND_MESSAGE, 'INVALID_AUTHENTICATION'));
}

/** An expired access token (the `tokenExpired` fault). */
export function expiredAuthentication(): HubspotApiError {
  return new HubspotApiError(401, errorBody('The OAuth token used to make this call expired 0 hour(s) ago.', 'EXPIRED_AUTHENTICATION'));
}

/** SECONDLY is the search endpoints' own limit. */
export type RatePolicy = 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY';

const RATE_LIMIT_MESSAGES: Record<RatePolicy, string> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  DAILY: 'You have reached your daily limit.',
  // The exact text @hubspot/api-client's RetryDecorator retries after 1 s (TOO_MANY_SEARCH_REQUESTS).
  SECONDLY: 'You have reached your secondly limit.',
};

/** The documented 429 body; `message` and `policyName` say which limit was hit. */
export function rateLimited(policy: RatePolicy, headers: Record<string, string>): HubspotApiError {
  const message = RATE_LIMIT_MESSAGES[policy];
  const body: ApiErrorBody = {
    status: 'error',
    message,
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: policy,
    requestId: randomUUID().replace(/-/g, ''),
  };
  return new HubspotApiError(429, body, headers);
}

export function validationError(message: string, extra: Partial<ApiErrorBody> = {}): HubspotApiError {
  return new HubspotApiError(400, errorBody(message, 'VALIDATION_ERROR', extra));
}

export function invalidJson(raw: string, parseMessage: string): HubspotApiError {
  const at = /position (\d+)/.exec(parseMessage);
  const pos = at?.[1] === undefined ? raw.length : Number(at[1]);
  const before = raw.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - (before.lastIndexOf('\n') + 1) + 1;
  return validationError(`Invalid input JSON on line ${line}, column ${column}: ${parseMessage}`);
}

/** Batch endpoints take at most 100 inputs; the whole request is refused. */
export function tooManyInputs(max: number): HubspotApiError {
  return validationError(
    `The maximum number of inputs supported in a batch request is ${max}. Please reduce the number of items and try again`,
  );
}

/** A batch read asking for property histories takes at most 50 inputs. */
export function tooManyHistoryInputs(max: number): HubspotApiError {
  return validationError(
    `The maximum number of inputs supported in a batch request for property histories is ${max}. Please reduce the number of items and try again`,
  );
}

/** Two inputs resolve to the same record: the whole request is refused, with or without trace ids. */
export function duplicateIds(ids: string[]): HubspotApiError {
  return validationError(`Duplicate IDs found in batch input: [${ids.join(', ')}]. IDs must be unique`, { context: { ids } });
}

/** A unique value (contact email, `hasUniqueValue` property) already held by another record. */
export function conflict(message: string): HubspotApiError {
  return new HubspotApiError(409, errorBody(message, 'CONFLICT'));
}

/** A definition (a property) named like one the object has already. */
export function alreadyExists(message: string): HubspotApiError {
  return new HubspotApiError(409, errorBody(message, 'OBJECT_ALREADY_EXISTS'));
}

export function nonUniqueIdProperty(objectTypeId: string, property: string, portalId: number): HubspotApiError {
  return validationError(`Unable to perform update/upsert by non-unique ${objectTypeId} property ${property} in portal ID ${portalId}`);
}

export function unknownObjectType(objectType: string): HubspotApiError {
  return validationError(`Unable to infer object type from: ${objectType}`);
}

/** Single-record read of an id that does not exist (or is archived). */
export function objectNotFound(id: string): HubspotApiError {
  return new HubspotApiError(
    404,
    errorBody('Object not found.  objectId are usually numeric.', 'OBJECT_NOT_FOUND', { context: { id: [id] } }),
  );
}

export function resourceNotFound(): HubspotApiError {
  return new HubspotApiError(404, errorBody('Resource not found', 'OBJECT_NOT_FOUND'));
}

export function methodNotAllowed(method: string): HubspotApiError {
  return new HubspotApiError(405, errorBody(`HTTP ${method} is not supported by this URL`, undefined));
}

export function serverError(): HubspotApiError {
  return new HubspotApiError(500, errorBody('internal error', undefined));
}

export function serviceUnavailable(): HubspotApiError {
  return new HubspotApiError(503, errorBody('Service Unavailable', undefined));
}

/** The per-record OBJECT_NOT_FOUND entry of a batch read/update answer. */
export function batchObjectsNotFound(objectLabel: string, ids: string[]): BatchError {
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${objectLabel} objects, they may be deleted or not exist. Check that ids are valid.`,
    context: { ids },
  };
}
