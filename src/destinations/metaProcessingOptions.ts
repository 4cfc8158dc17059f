import type { Value } from '../sources/source';
import type { RecordError } from './destination';

/**
 * Meta's Limited Data Use columns of a customer-file upload ("Custom Audiences from CRM data"): they
 * go in the payload's schema next to the identifiers, unhashed — DATA_PROCESSING_OPTIONS `[]` or
 * `["LDU"]`, DATA_PROCESSING_OPTIONS_COUNTRY 1 (the US) or 0 (Meta geolocates the person),
 * DATA_PROCESSING_OPTIONS_STATE 1000 (California) or 0. They identify nobody: a member's id (its
 * hashed identifiers) leaves them out, and a removal sends none.
 */
export const PROCESSING_KEYS = ['DATA_PROCESSING_OPTIONS', 'DATA_PROCESSING_OPTIONS_COUNTRY', 'DATA_PROCESSING_OPTIONS_STATE'] as const;
export type ProcessingKey = (typeof PROCESSING_KEYS)[number];

export function isProcessingKey(name: string): name is ProcessingKey {
  return (PROCESSING_KEYS as readonly string[]).includes(name);
}

/** One cell as Meta takes it: the options list, or a location code. */
export type ProcessingCell = string[] | number;

const CODES: Record<Exclude<ProcessingKey, 'DATA_PROCESSING_OPTIONS'>, readonly number[]> = {
  DATA_PROCESSING_OPTIONS_COUNTRY: [0, 1],
  DATA_PROCESSING_OPTIONS_STATE: [0, 1000],
};

const isLdu = (value: Value): boolean => typeof value === 'string' && value.trim().toUpperCase() === 'LDU';

/** The options list: LDU as `'LDU'`, a list of it or `true`; nothing as NULL, `''`, `[]` or `false`. */
function optionsCell(value: Value | undefined): string[] | undefined {
  if (value === null || value === undefined || value === false || (typeof value === 'string' && value.trim() === '')) return [];
  if (value === true || isLdu(value)) return ['LDU'];
  if (Array.isArray(value) && value.every(isLdu)) return value.length > 0 ? ['LDU'] : [];
  return undefined;
}

/** A location code; NULL is 0, Meta's "geolocate the person". */
function codeCell(key: Exclude<ProcessingKey, 'DATA_PROCESSING_OPTIONS'>, value: Value | undefined): number | undefined {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return 0;
  const code = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
  return code !== undefined && CODES[key].includes(code) ? code : undefined;
}

const EXPECTED: Record<ProcessingKey, string> = {
  DATA_PROCESSING_OPTIONS: "'LDU', ['LDU'], true, or NULL / [] / false for none",
  DATA_PROCESSING_OPTIONS_COUNTRY: '1 (the US) or 0 (Meta geolocates)',
  DATA_PROCESSING_OPTIONS_STATE: '1000 (California) or 0 (Meta geolocates)',
};

/** A row's processing cells in `keys` order, or why some value is not one Meta takes (naming each such field). */
export function processingCells(fields: Record<string, Value>, keys: readonly ProcessingKey[]): { cells: ProcessingCell[] } | { error: RecordError } {
  const cells: ProcessingCell[] = [];
  const bad: ProcessingKey[] = [];
  for (const key of keys) {
    const cell = key === 'DATA_PROCESSING_OPTIONS' ? optionsCell(fields[key]) : codeCell(key, fields[key]);
    if (cell === undefined) bad.push(key);
    else cells.push(cell);
  }
  if (bad.length === 0) return { cells };
  const message = bad.map((key) => `${key}: ${JSON.stringify(fields[key])} is not ${EXPECTED[key]}`).join('; ');
  return { error: { code: 'INVALID_FIELD_VALUE', message, fields: bad } };
}
