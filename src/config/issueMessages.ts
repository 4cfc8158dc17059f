import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `Invalid input: expected string, received null` → ['string', 'null'] */
function typeMismatch(issue: Issue): { expected: string; received: string } | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const received = /received (\w+)$/.exec(issue.message)?.[1];
  return received === undefined ? undefined : { expected: issue.expected, received };
}

/**
 * A schema problem said in the terms of the YAML the user wrote, not zod's: a missing field, an empty
 * one (often a `#` that began a comment), a `{{ template }}` YAML read as a mapping, the reason a
 * record key was refused, the forms a field takes.
 */
export function describeIssue(issue: Issue): string {
  const mismatch = typeMismatch(issue);
  if (mismatch?.expected === 'string' && mismatch.received === 'object') {
    return 'expected text, found a mapping: quote text that starts with { (e.g. template: "{{ name }}"), which YAML reads as a mapping';
  }
  if (mismatch) return mismatchMessage(mismatch.expected, mismatch.received);
  if (issue.code === 'invalid_key') {
    const reasons = [...new Set(issue.issues.map((inner) => inner.message))];
    return `this name is not allowed: ${reasons.join('; ')}`;
  }
  if (issue.code === 'invalid_union') {
    const branches = issue.errors.map((branch) => branch.find((inner) => inner.path.length === 0));
    const expected = branches.map((inner) => (inner ? typeMismatch(inner) : undefined));
    // A discriminated union names its options in its own message, with no branches to read.
    if (expected.length > 0 && expected.every((found) => found !== undefined)) {
      const forms = [...new Set(expected.map((found) => found?.expected))];
      return mismatchMessage(forms.join(' or '), expected[0]?.received ?? 'something else');
    }
  }
  return issue.message;
}

/** A value of the wrong type; none at all (`undefined`) or an empty one (`null`) said as such. */
function mismatchMessage(expected: string, received: string): string {
  if (received === 'undefined') return `missing: this field is required (${expected})`;
  if (received === 'null') return `empty: give it a value (${expected}); a value starting with # must be quoted, as # begins a YAML comment`;
  return `expected ${expected}, found ${received}`;
}

/** A YAML parser message, its library-facing advice put in a config author's terms. */
export function describeYamlError(message: string): string {
  if (message.includes('multiple documents')) return 'more than one YAML document (a line of --- starts another): a file holds one';
  return message;
}
