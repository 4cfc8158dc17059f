import stringify from 'safe-stable-stringify';
import type { Mapping, SyncSpec } from '../config/schema';
import type { Row, Value } from '../sources/source';

export type MappedRow =
  | { ok: true; key: string; payload: Record<string, Value> }
  | { ok: false; reason: 'NULL_PRIMARY_KEY'; message: string };

/** The value of the primary key as the destination's external id: text, exact for big integers. */
export function keyOf(value: Value | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Destination payload of one row: each mapped column under its destination field name. */
export function mapPayload(row: Row, mappings: readonly Mapping[]): Record<string, Value> {
  const payload: Record<string, Value> = {};
  for (const mapping of mappings) payload[mapping.to] = row[mapping.from] ?? null;
  return payload;
}

export function mapRow(row: Row, spec: Pick<SyncSpec, 'primaryKey' | 'mappings'>): MappedRow {
  const key = keyOf(row[spec.primaryKey]);
  if (key === null) {
    return { ok: false, reason: 'NULL_PRIMARY_KEY', message: `primary key ${spec.primaryKey} is NULL or empty` };
  }
  return { ok: true, key, payload: mapPayload(row, spec.mappings) };
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
 * A target signature: part of every fingerprint, so pointing a sync elsewhere (another object,
 * external id field, channel, template…) re-sends everything. Key order does not matter.
 */
export function targetOf(spec: Pick<SyncSpec, 'destination'>): string {
  return stringify(spec.destination) ?? '';
}
