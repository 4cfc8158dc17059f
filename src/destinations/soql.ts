/** SOQL string literal: backslash and single quote escaped as Salesforce documents. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `('a', 'b')` for a WHERE … IN clause. */
export function soqlInList(values: readonly string[]): string {
  return `(${values.map(soqlString).join(', ')})`;
}
