/**
 * The `payload` of a custom audience users call: `{schema, data, session?}`. Schema is one key or a
 * multi-key array; data is a 2-D array in schema order ("" = unknown). Hashed keys must be SHA-256
 * lowercase hex; EXTERN_ID and MADID are sent as they are. A row is invalid when any hashed value is
 * not a hash (e.g. a raw email) or it identifies nobody; invalid rows are counted and sampled, the
 * rest are applied. Limited Data Use columns (processingOptions.ts) may join any schema.
 */
import { invalidParameter, type GraphError } from './errors';
import { PROCESSING_KEYS, processingCell } from './processingOptions';

export const MAX_ROWS = 10_000;
const MAX_INVALID_SAMPLES = 10;

const HASHED_KEYS = new Set([
  'EMAIL',
  'EMAIL_SHA256',
  'PHONE',
  'PHONE_SHA256',
  'GEN',
  'DOBY',
  'DOBM',
  'DOBD',
  'LN',
  'FN',
  'FI',
  'CT',
  'ST',
  'ZIP',
  'COUNTRY',
]);
const UNHASHED_KEYS = new Set(['EXTERN_ID', 'MADID', 'MOBILE_ADVERTISER_ID']);
/** Single-key aliases store under the multi-key name, so EMAIL_SHA256 and EMAIL rows match each other. */
const ALIASES: Record<string, string> = { EMAIL_SHA256: 'EMAIL', PHONE_SHA256: 'PHONE', MOBILE_ADVERTISER_ID: 'MADID' };
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface SessionInfo {
  /** Digits: Meta's session ids are 64-bit integers, answered as a "numeric string". */
  session_id: string;
  batch_seq?: number;
  last_batch_flag?: boolean;
  estimated_num_total?: number;
}

export interface ParsedPayload {
  schema: string[];
  /** Valid rows as key → value (non-empty values only, aliases resolved). */
  members: Array<Record<string, string>>;
  numReceived: number;
  numInvalid: number;
  invalidSamples: Record<string, string>;
  session: SessionInfo | undefined;
}

function parseJsonish(value: unknown, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw invalidParameter(`param ${name} must be JSON`);
  }
}

/**
 * A session's id as its digits. From JSON text the digits are read as written: a 64-bit id past 2^53
 * parsed as a number comes back another id, and two sessions become one.
 */
function sessionIdOf(raw: unknown, parsed: unknown): string {
  // Only when the parsed value is a whole number is its written form read (digits ending the value).
  const digits = typeof raw === 'string' && typeof parsed === 'number' && Number.isInteger(parsed) ? /"session_id"\s*:\s*(\d+)\s*[,}]/.exec(raw)?.[1] : undefined;
  const id = digits ?? (typeof parsed === 'number' && Number.isInteger(parsed) ? String(parsed) : parsed);
  if (id === undefined) throw invalidParameter('session_id is required in session');
  if (typeof id !== 'string' || !/^\d+$/.test(id)) throw invalidParameter('Param session[session_id] must be an integer');
  return id;
}

function parseSession(raw: unknown): SessionInfo | undefined {
  const value = parseJsonish(raw, 'session');
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter('param session must be an object');
  const s = value as Record<string, unknown>;
  const session: SessionInfo = { session_id: sessionIdOf(raw, s['session_id']) };
  if (typeof s['batch_seq'] === 'number') session.batch_seq = s['batch_seq'];
  if (typeof s['last_batch_flag'] === 'boolean') session.last_batch_flag = s['last_batch_flag'];
  if (typeof s['estimated_num_total'] === 'number') session.estimated_num_total = s['estimated_num_total'];
  return session;
}

/** Validates one value for its key; returns a reason when it is invalid. */
function invalidReason(key: string, value: string): string | undefined {
  if (value === '') return undefined;
  if (HASHED_KEYS.has(key) && !SHA256_HEX.test(value)) return `Invalid format for ${key}: expected a SHA-256 hash (64 lowercase hex characters)`;
  return undefined;
}

export function parsePayload(rawPayload: unknown, rawSession: unknown): ParsedPayload | GraphError {
  try {
    const value = parseJsonish(rawPayload, 'payload');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalidParameter('param payload must be an object');
    const payload = value as Record<string, unknown>;
    const rawSchema = payload['schema'];
    const schema = typeof rawSchema === 'string' ? [rawSchema] : Array.isArray(rawSchema) ? rawSchema : undefined;
    if (schema === undefined || schema.length === 0 || !schema.every((k): k is string => typeof k === 'string')) {
      return invalidParameter('Data is missing or does not match schema');
    }
    const unknown = schema.find((k) => !HASHED_KEYS.has(k) && !UNHASHED_KEYS.has(k) && !PROCESSING_KEYS.has(k));
    if (unknown !== undefined) return invalidParameter(`Invalid schema: ${unknown}`);
    if (new Set(schema.map((key) => ALIASES[key] ?? key)).size !== schema.length) return invalidParameter('Duplicate keys in schema');
    const data = payload['data'];
    if (!Array.isArray(data) || data.length === 0) return invalidParameter('Data is missing or does not match schema');
    if (data.length > MAX_ROWS) return invalidParameter(`Too many entries in the payload: at most ${MAX_ROWS} are allowed per request`);
    const session = parseSession(payload['session'] ?? rawSession);

    const members: Array<Record<string, string>> = [];
    const invalidSamples: Record<string, string> = {};
    let numInvalid = 0;
    for (const rawRow of data) {
      // A single-key schema may send a flat list of values.
      const row: unknown[] = Array.isArray(rawRow) ? rawRow : schema.length === 1 ? [rawRow] : [];
      let reason: string | undefined;
      let sample = JSON.stringify(rawRow);
      const member: Record<string, string> = {};
      const options: Record<string, string> = {};
      if (row.length !== schema.length) reason = 'Row does not match schema';
      for (let i = 0; reason === undefined && i < schema.length; i += 1) {
        const key = schema[i] as string;
        const cell = row[i];
        if (PROCESSING_KEYS.has(key)) {
          const parsed = processingCell(key, cell);
          if ('reason' in parsed) reason = parsed.reason;
          else if (parsed.value !== '') options[key] = parsed.value;
          continue;
        }
        const text = typeof cell === 'string' ? cell : typeof cell === 'number' ? String(cell) : cell === null || cell === undefined ? '' : undefined;
        if (text === undefined) {
          reason = `Invalid value for ${key}`;
          break;
        }
        reason = invalidReason(key, text);
        if (reason !== undefined) sample = text;
        else if (text !== '') member[ALIASES[key] ?? key] = text;
      }
      if (reason === undefined && Object.keys(member).length === 0) reason = 'No identifier in row';
      if (reason !== undefined) {
        numInvalid += 1;
        if (Object.keys(invalidSamples).length < MAX_INVALID_SAMPLES) invalidSamples[sample] = reason;
        continue;
      }
      members.push({ ...member, ...options });
    }
    return { schema, members, numReceived: data.length, numInvalid, invalidSamples, session };
  } catch (err) {
    if (err instanceof Error && err.name === 'GraphError') return err as GraphError;
    throw err;
  }
}

/** Identity of a member: its identifiers in key order (not its processing options), so the same person uploaded twice is one member. */
export function memberKey(member: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(member)
      .filter((k) => !PROCESSING_KEYS.has(k))
      .sort()
      .map((k) => [k, member[k]]),
  );
}
