import { defaultOperators, Liquid, Tokenizer, TokenKind, type Context, type Operators, type Template } from 'liquidjs';

type BinaryOperatorHandler = (lhs: unknown, rhs: unknown, ctx: Context) => ReturnType<Operators[string]>;
import type { Value } from '../sources/source';

/**
 * A value printed into a message as Slack shows it literally: `&`, `<` and `>` are Slack's control
 * characters, so a row's `<!channel>` or `<@U123>` would ping people and `<https://x|y>` would be a
 * link (Slack: "they must be converted to HTML entities if they're not used for their parsing
 * purpose"). Objects and lists print as JSON (not `[object Object]`). `| raw` prints a value as is,
 * for a column that holds Slack markup on purpose.
 */
export function slackEscape(value: unknown): string {
  const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? '');
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A decimal as the sources give DECIMAL / NUMERIC (text, to keep every digit): `9.5`, `-12`, `100.25`. */
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** The number a value holds, a decimal's text included; undefined for anything else. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && DECIMAL_TEXT.test(value) ? Number(value) : undefined;
}

/**
 * An ordering operator that compares two numbers as numbers when both sides hold one, decimals' text
 * included: Liquid alone compares two strings as text, so `health < floor` with 9.5 and 10 was false.
 */
function numerically(compare: (x: number, y: number) => boolean, otherwise: BinaryOperatorHandler): BinaryOperatorHandler {
  return (lhs, rhs, ctx) => {
    const x = numericValue(lhs);
    const y = numericValue(rhs);
    return x !== undefined && y !== undefined ? compare(x, y) : otherwise(lhs, rhs, ctx);
  };
}

const operators: Operators = {
  ...defaultOperators,
  '<': numerically((x, y) => x < y, defaultOperators['<'] as BinaryOperatorHandler),
  '<=': numerically((x, y) => x <= y, defaultOperators['<='] as BinaryOperatorHandler),
  '>': numerically((x, y) => x > y, defaultOperators['>'] as BinaryOperatorHandler),
  '>=': numerically((x, y) => x >= y, defaultOperators['>='] as BinaryOperatorHandler),
};

/**
 * Liquid templates of Slack messages. Strict: a variable the record does not carry is an error
 * naming it (a typo must not post "'s health dropped to "), and so is an unknown filter. Values are
 * escaped (slackEscape); the template's own text, its links and mentions included, is not.
 */
const liquid = new Liquid({ strictVariables: true, strictFilters: true, cache: true, outputEscape: slackEscape, operators });

/** Why a template does not parse, or undefined when it does. */
export function templateProblem(text: string): string | undefined {
  try {
    liquid.parse(text);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The top-level variables a template reads (`{{ account.name }}` reads `account`). */
export function templateVariables(text: string): string[] {
  try {
    return liquid.globalVariablesSync(text);
  } catch {
    return [];
  }
}

export class TemplateError extends Error {
  constructor(
    message: string,
    /** The variable the template needed and the record lacked, when that was the problem. */
    readonly variable: string | undefined,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A parsed template, rendered against a record's mapped fields. */
export class MessageTemplate {
  private readonly parsed: Template[];

  constructor(readonly text: string) {
    this.parsed = liquid.parse(text);
  }

  render(scope: Record<string, Value | undefined>): string {
    try {
      return liquid.renderSync(this.parsed, scope) as string;
    } catch (err) {
      throw toTemplateError(err);
    }
  }
}

function toTemplateError(err: unknown): TemplateError {
  const message = err instanceof Error ? err.message : String(err);
  const variable = /undefined variable: ([^,\s]+)/.exec(message)?.[1];
  return new TemplateError(message.replace(/, line:\d+, col:\d+$/, ''), variable);
}

/** A Liquid condition (`segment == "at-risk" and health < 40`) evaluated to a boolean. */
export class Condition {
  private readonly parsed: Template[];

  constructor(readonly expression: string) {
    this.parsed = liquid.parse(conditionTemplate(expression));
  }

  test(scope: Record<string, Value | undefined>): boolean {
    try {
      return liquid.renderSync(this.parsed, scope) === 'true';
    } catch (err) {
      throw toTemplateError(err);
    }
  }
}

/**
 * Why a `when:` condition is not one whole expression, or undefined when it is. Liquid parses
 * `health <> 40`, `health < 40 or` and `and` without a word and evaluates what it could read: every
 * row was skipped (or the condition silently shortened), the run reported succeeded.
 */
export function conditionProblem(expression: string): string | undefined {
  let postfix;
  const tokenizer = new Tokenizer(expression, operators);
  try {
    postfix = [...tokenizer.readExpression().postfix];
    tokenizer.skipBlank();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (tokenizer.p < expression.length) return `cannot read "${expression.slice(tokenizer.p)}"`;
  if (/<>/.test(expression.replace(/"[^"]*"|'[^']*'/g, ''))) return 'write != for "not equal" (<> is not an operator here)';
  // Read as a stack machine: an operand pushes one value; `not` takes one, the others two.
  let depth = 0;
  for (const token of postfix) {
    if (token.kind !== TokenKind.Operator) depth++;
    else if (token.getText() === 'not') {
      if (depth < 1) return '"not" has nothing to negate';
    } else if (depth < 2) return `"${token.getText()}" lacks a value on ${depth === 0 ? 'each side' : 'one side'} (operators: == != < > <= >= contains and or not)`;
    else depth--;
  }
  return depth === 1 ? undefined : depth === 0 ? 'no condition' : 'values without an operator between them';
}

/** The one-tag template that prints `true` when the condition holds. */
export function conditionTemplate(expression: string): string {
  return `{% if ${expression} %}true{% endif %}`;
}
