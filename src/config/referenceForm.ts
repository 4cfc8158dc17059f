import type { ConfigIssue } from '../errors';

/** Every `${env:NAME}` inside a string; a whole-string one is SECRET_REFERENCE (schema.ts). */
export const EMBEDDED_REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** A reference in another form, `${NAME}` or `${ENV:NAME}`: its name, for the suggestion. */
const LOOKALIKE_REFERENCE = /\$\{\s*(?:env\s*:\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\}/i;

/** What is wrong with the form of the references in `text`, read without the environment. */
export function referenceFormProblem(text: string): string | undefined {
  // Checked on the text without its valid references, so a secret's value is never mistaken for one.
  const rest = text.replace(EMBEDDED_REFERENCE, '');
  const lookalike = LOOKALIKE_REFERENCE.exec(rest);
  // `${TOKEN}` or `${ENV:TOKEN}` (a shell's, another tool's form) would be sent as it is written.
  if (lookalike) return `${lookalike[0]} is not a secret reference: write \${env:${lookalike[1] ?? 'NAME'}}`;
  if (rest.includes('${')) return 'malformed secret reference: write ${env:NAME} (NAME: letters, digits and _, not starting with a digit)';
  return undefined;
}

/**
 * The reference-form problems (`${TOKEN}`, `${ENV:TOKEN}`, a malformed `${env:`) of `value` at any
 * depth, without reading the environment: for a backflow.yaml whose schema failed, whose references
 * are otherwise checked only once it parses (a file written in another tool's form was told a field a round).
 */
export function referenceFormIssues(value: unknown, location: { file: string; path: string }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (item: unknown, at: string): void => {
    if (typeof item === 'string') {
      const problem = referenceFormProblem(item);
      if (problem !== undefined) issues.push({ file: location.file, path: at, message: problem });
    } else if (Array.isArray(item)) item.forEach((nested, index) => walk(nested, `${at}[${index}]`));
    else if (typeof item === 'object' && item !== null) {
      for (const [field, nested] of Object.entries(item)) walk(nested, at ? `${at}.${field}` : field);
    }
  };
  walk(value, location.path);
  return issues;
}
