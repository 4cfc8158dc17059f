import stringify from 'safe-stable-stringify';
import type { Mapping, SyncSpec } from '../config/schema';
import { UnreadableValue, type Row, type SourceRow, type Value } from '../sources/source';

export type MappedRow =
  | { ok: true; key: string; payload: Record<string, Value> }
  | { ok: false; reason: 'NULL_PRIMARY_KEY'; message: string }
  /** `key` as read: an older version may have committed it (see extract.ts). */
  | { ok: false; reason: 'UNUSABLE_PRIMARY_KEY'; message: string; key: string }
  /** `key` when the primary key itself could be read. */
  | { ok: false; reason: 'UNREADABLE_VALUE'; message: string; key: string | null };

/** The value of the primary key as the destination's external id: text, exact for big integers. */
export function keyOf(value: Value | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * The longest key kept, in UTF-8 bytes: no external id is near it (Salesforce's hold 255 characters),
 * and PostgreSQL's key indexes take entries of at most 2,704 bytes — one longer key failed the whole
 * extract there, every run.
 */
export const MAX_KEY_BYTES = 1024;

/** Why a key cannot be a record's identity, or undefined: too long, or holding U+0000, which PostgreSQL text cannot. */
export function keyProblem(key: string): string | undefined {
  const shown = () => JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
  if (key.includes('\u0000')) return `${shown()} holds a NUL character (U+0000), which a PostgreSQL state store cannot keep`;
  // A UTF-16 unit is at most 3 UTF-8 bytes: most keys need no count (this runs for every row).
  const bytes = key.length * 3 <= MAX_KEY_BYTES ? 0 : Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) return `${shown()} is ${bytes} bytes long; a key is at most ${MAX_KEY_BYTES} (UTF-8)`;
  return undefined;
}

/** Destination payload of one row: each mapped column under its destination field name. */
export function mapPayload(row: Row, mappings: readonly Mapping[]): Record<string, Value> {
  const payload: Record<string, Value> = {};
  for (const mapping of mappings) payload[mapping.to] = row[mapping.from] ?? null;
  return payload;
}

/**
 * The row's key and payload, or why it cannot be sent. Only the columns the sync reads count: a
 * value the source could not read in an unmapped column is never sent, so it does not stop the row.
 */
export function mapRow(row: SourceRow, spec: Pick<SyncSpec, 'primaryKey' | 'mappings'>): MappedRow {
  const unreadable = new Map<string, UnreadableValue>();
  const read = (column: string): Value => {
    const value = row[column] ?? null;
    if (!(value instanceof UnreadableValue)) return value;
    unreadable.set(column, value);
    return null;
  };
  const key = keyOf(read(spec.primaryKey));
  const unusable = key === null ? undefined : keyProblem(key);
  if (key !== null && unusable !== undefined) return { ok: false, reason: 'UNUSABLE_PRIMARY_KEY', message: `primary key ${spec.primaryKey} ${unusable}`, key };
  const payload: Record<string, Value> = {};
  for (const mapping of spec.mappings) payload[mapping.to] = read(mapping.from);
  if (unreadable.size > 0) {
    const message = [...unreadable]
      .map(([column, value]) => `column ${column}: cannot read ${JSON.stringify(value.raw)} as ${value.kind}${value.reason ? `: ${value.reason}` : ''}`)
      .join('; ');
    return { ok: false, reason: 'UNREADABLE_VALUE', message, key };
  }
  if (key === null) {
    return { ok: false, reason: 'NULL_PRIMARY_KEY', message: `primary key ${spec.primaryKey} is NULL or empty` };
  }
  return { ok: true, key, payload };
}

/** The columns a spec reads that the model does not return, each with the config path that names it. */
export function missingColumns(
  spec: Pick<SyncSpec, 'primaryKey' | 'mappings'>,
  columns: readonly string[],
): Array<{ path: string; column: string }> {
  const available = new Set(columns);
  const missing: Array<{ path: string; column: string }> = [];
  if (!available.has(spec.primaryKey)) missing.push({ path: 'primaryKey', column: spec.primaryKey });
  spec.mappings.forEach((mapping, index) => {
    if (!available.has(mapping.from)) missing.push({ path: `mappings[${index}].from`, column: mapping.from });
  });
  return missing;
}

/**
 * Settings of a destination block that say how records travel or which rows go, not what a record
 * is: changing one re-sent every row (a second Slack post, a webhook delivery, a Salesforce PATCH of
 * unchanged records). Rows a `when:` filter leaves out are never committed, so they go once they
 * qualify anyway.
 */
const NOT_IN_TARGET: ReadonlySet<string> = new Set(['bulkThreshold', 'delivery', 'when', 'onChange']);

/**
 * A target signature: part of every fingerprint, so pointing a sync elsewhere (another object,
 * external id field, channel, template…) re-sends everything. Key order does not matter.
 */
export function targetOf(spec: Pick<SyncSpec, 'destination'>): string {
  const target = Object.fromEntries(Object.entries(spec.destination).filter(([key]) => !NOT_IN_TARGET.has(key)));
  return stringify(target) ?? '';
}
