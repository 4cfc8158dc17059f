import { normalizeDecimal } from '../sources/normalize';

/** SOQL string literal: backslash and single quote escaped as Salesforce documents. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Decimal text, an exponent allowed up to a double's range (past it the digits written out would be endless). */
const NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(?:e([+-]?\d{1,3}))?\s*$/i;

/**
 * SOQL number literal: SOQL compares a number field only to an unquoted number ('42' is refused,
 * "must be of type double and should not be enclosed in quotes"). Written out plainly (`042`, `42.0`
 * and `4.2e1` are all `42`), so it is also the form a key and a queried value are matched by;
 * undefined for text that is not a number.
 */
export function soqlNumber(value: string): string | undefined {
  return NUMBER_TEXT.test(value) ? normalizeDecimal(value) : undefined;
}

/** `('a', 'b')` for a WHERE … IN clause; `literal` writes each value (soqlNumber for a number field). */
export function soqlInList(values: readonly string[], literal: (value: string) => string = soqlString): string {
  return `(${values.map(literal).join(', ')})`;
}

/**
 * Values cut into IN lists that keep a query well inside Salesforce's limits: a GET query travels in
 * the URL, percent-encoded (URI and headers together at most 16,384 bytes; a CJK character takes 9
 * bytes there, a space 3), whatever SOQL's own 100,000-character limit allows. `maxBytes` counts the
 * encoded list.
 */
export function soqlInChunks(values: readonly string[], maxValues = 200, maxBytes = 8_000, literal: (value: string) => string = soqlString): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const value of values) {
    const size = encodeURIComponent(`${literal(value)}, `).length;
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
