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
 * the URL (about 16 KB), whatever SOQL's own 100,000-character limit allows.
 */
export function soqlInChunks(values: readonly string[], maxValues = 200, maxChars = 8_000): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const value of values) {
    const size = soqlString(value).length + 2;
    if (current.length > 0 && (current.length >= maxValues || chars + size > maxChars)) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(value);
    chars += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
