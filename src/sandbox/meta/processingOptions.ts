/**
 * Limited Data Use columns of a customer-file payload ("Custom Audiences from CRM data", Limited Data
 * Use): DATA_PROCESSING_OPTIONS holds a list, `[]` or `["LDU"]`; DATA_PROCESSING_OPTIONS_COUNTRY 1
 * (the US) or 0 (Meta geolocates); DATA_PROCESSING_OPTIONS_STATE 1000 (California) or 0. They are
 * sent unhashed, they identify nobody, and they ride on the row: a re-upload with other options is
 * the same member under its latest options.
 */

export const PROCESSING_KEYS: ReadonlySet<string> = new Set(['DATA_PROCESSING_OPTIONS', 'DATA_PROCESSING_OPTIONS_COUNTRY', 'DATA_PROCESSING_OPTIONS_STATE']);

const CODES: Record<string, readonly number[]> = {
  DATA_PROCESSING_OPTIONS_COUNTRY: [0, 1],
  DATA_PROCESSING_OPTIONS_STATE: [0, 1000],
};

export type ProcessingCell = { value: string } | { reason: string };

/** One processing cell as stored ('' = not given), or why it is invalid. */
export function processingCell(key: string, cell: unknown): ProcessingCell {
  if (cell === '' || cell === null || cell === undefined) return { value: '' };
  if (key === 'DATA_PROCESSING_OPTIONS') {
    if (Array.isArray(cell) && cell.every((option) => option === 'LDU')) return { value: cell.length > 0 ? 'LDU' : '' };
    return { reason: `Invalid value for ${key}: expected [] or ["LDU"]` };
  }
  const allowed = CODES[key] ?? [];
  const code = typeof cell === 'number' ? cell : typeof cell === 'string' && /^\d+$/.test(cell) ? Number(cell) : undefined;
  if (code !== undefined && allowed.includes(code)) return { value: String(code) };
  return { reason: `Invalid value for ${key}: expected ${allowed.join(' or ')}` };
}
