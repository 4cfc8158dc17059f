/** SOQL string literal: backslash and single quote escaped as Salesforce documents. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `('a', 'b')` for a WHERE … IN clause. */
export function soqlInList(values: readonly string[]): string {
  return `(${values.map(soqlString).join(', ')})`;
}

/**
 * Values cut into IN lists that keep a query well inside Salesforce's limits: a GET query travels in
 * the URL, percent-encoded (URI and headers together at most 16,384 bytes; a CJK character takes 9
 * bytes there, a space 3), whatever SOQL's own 100,000-character limit allows. `maxBytes` counts the
 * encoded list.
 */
export function soqlInChunks(values: readonly string[], maxValues = 200, maxBytes = 8_000): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const value of values) {
    const size = encodeURIComponent(`${soqlString(value)}, `).length;
    if (current.length > 0 && (current.length >= maxValues || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(value);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
