/**
 * What "nothing lost, nothing duplicated" means, as numbers: the destination's records against the
 * model, and the run's per-record results against the model.
 */

export interface Comparison {
  /** Model rows the destination does not hold. */
  lost: number;
  /** Extra destination records for one external id (each beyond the first counts). */
  duplicated: number;
  /** Destination records whose mapped fields differ from the model's. */
  wrongValues: number;
  /** Destination records no model row asked for. */
  unexpected: number;
  /** Model rows without a `synced` result row in the run. */
  missingResults: number;
  /** A few examples of each problem, for the report. */
  examples: string[];
}

/** Values compare as the destination stores them: numbers as numbers, the rest as strings. */
function same(expected: unknown, actual: unknown): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (typeof expected === 'number' || typeof expected === 'bigint') return Number(actual) === Number(expected);
  return String(actual) === String(expected);
}

export function compareRecords(
  expected: ReadonlyMap<string, Record<string, unknown>>,
  destination: ReadonlyArray<Record<string, unknown>>,
  externalIdField: string,
  syncedKeys: ReadonlySet<string>,
): Comparison {
  const result: Comparison = { lost: 0, duplicated: 0, wrongValues: 0, unexpected: 0, missingResults: 0, examples: [] };
  const note = (text: string) => {
    if (result.examples.length < 10) result.examples.push(text);
  };
  const seen = new Map<string, number>();
  for (const record of destination) {
    const key = String(record[externalIdField]);
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const fields = expected.get(key);
    if (fields === undefined) {
      result.unexpected += 1;
      note(`unexpected record ${key}`);
      continue;
    }
    const wrong = Object.entries(fields).filter(([field, value]) => !same(value, record[field]));
    if (wrong.length > 0) {
      result.wrongValues += 1;
      note(`record ${key}: ${wrong.map(([f, v]) => `${f} ${JSON.stringify(record[f])} ≠ ${JSON.stringify(v)}`).join(', ')}`);
    }
  }
  for (const [key, count] of seen) {
    if (count > 1) {
      result.duplicated += count - 1;
      note(`record ${key} ×${count}`);
    }
  }
  for (const key of expected.keys()) {
    if (!seen.has(key)) {
      result.lost += 1;
      note(`lost ${key}`);
    }
    if (!syncedKeys.has(key)) {
      result.missingResults += 1;
      note(`no synced result for ${key}`);
    }
  }
  return result;
}
