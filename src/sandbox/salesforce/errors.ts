/**
 * Salesforce error bodies. Two shapes exist in the REST API:
 * - request-level errors: HTTP 4xx with a JSON array of `{message, errorCode, fields?}`;
 * - per-record errors inside collection results: `{statusCode, message, fields}`.
 */

export interface ApiError {
  message: string;
  errorCode: string;
  fields?: string[];
}

export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** Thrown by handlers; the server turns it into `status` + `[body]`. */
export class SalesforceApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: string[] | undefined;

  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    super(message);
    this.name = 'SalesforceApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  body(): ApiError[] {
    const error: ApiError = { message: this.message, errorCode: this.errorCode };
    if (this.fields !== undefined) error.fields = this.fields;
    return [error];
  }
}

export function recordError(statusCode: string, message: string, fields: string[] = []): RecordError {
  return { statusCode, message, fields };
}

/** Single-record endpoints report a record's errors as a request-level 400. */
export function recordErrorsToApiErrors(errors: RecordError[]): ApiError[] {
  return errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields }));
}

export const RESOURCE_NOT_FOUND = 'The requested resource does not exist';

export function notFound(message = RESOURCE_NOT_FOUND): SalesforceApiError {
  return new SalesforceApiError(404, 'NOT_FOUND', message);
}

/** A retired API version (30.0 and older since Summer '25): REST answers 410 GONE to any resource under it. */
export function retiredVersion(version: string): SalesforceApiError {
  return new SalesforceApiError(410, 'GONE', `API version ${version} is retired and no longer available`);
}

export function invalidSession(): SalesforceApiError {
  return new SalesforceApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
}

export function requestLimitExceeded(): SalesforceApiError {
  return new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
}

export function methodNotAllowed(method: string, allowed: string[]): SalesforceApiError {
  return new SalesforceApiError(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`,
  );
}

export function exceededIdLimit(): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'EXCEEDED_ID_LIMIT',
    'record limit reached. cannot submit more than 200 records into this call',
  );
}

export const ALL_OR_NONE_ROLLED_BACK = recordError(
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'Record rolled back because not all records were valid and the request was using AllOrNone header',
);

/** Column-of-record wording Salesforce uses for DML bodies (SOQL says "entity" instead). */
export function noSuchColumnOnSObject(field: string, sobject: string): string {
  return `No such column '${field}' on sobject of type ${sobject}`;
}

export function unableToCreateUpdate(fields: string[]): RecordError {
  return recordError(
    'INVALID_FIELD_FOR_INSERT_UPDATE',
    `Unable to create/update fields: ${fields.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
    fields,
  );
}

export function requiredFieldsMissing(fields: string[]): RecordError {
  return recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${fields.join(', ')}]`, fields);
}
