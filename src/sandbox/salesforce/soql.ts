/**
 * The SOQL subset the sandbox understands:
 *   SELECT COUNT() | f1, f2 FROM Obj
 *   [WHERE cond]   cond: f op literal | f [NOT] IN (...) | f LIKE 'x%' | NOT cond | (cond)
 *                  joined by AND or OR (mixing them needs parentheses, as in SOQL)
 *   [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
 * Parsing is schema-free (unit-testable); bindQuery() resolves names against the org and
 * reports errors with Salesforce's "ERROR at Row:r:Column:c" message format.
 */

import { normalizeId } from './ids';
import { isNumeric, isTextual, type FieldDef, type OrgSchema, type SObjectDef } from './schema';
import type { FieldValue, StoredRecord } from './store';

export class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'SoqlError';
  }
}

/** Salesforce prefixes query errors with the offending line and a caret under the column. */
export function soqlErrorMessage(text: string, pos: number, detail: string): string {
  const before = text.slice(0, pos);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', pos);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const col = pos - lineStart + 1;
  return `\n${line}\n${' '.repeat(col - 1)}^\nERROR at Row:${row}:Column:${col}\n${detail}`;
}

type TokenKind = 'ident' | 'string' | 'number' | 'date' | 'datetime' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  /** Raw source text (for idents, punctuation and numbers) or the unescaped string value. */
  text: string;
  pos: number;
}

export type Literal =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'date'; value: string; pos: number }
  | { kind: 'datetime'; value: string; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  | { kind: 'null'; pos: number };

export interface FieldRef {
  name: string;
  pos: number;
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE';

export type Condition =
  | { kind: 'and' | 'or'; operands: Condition[] }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; field: FieldRef; op: CompareOp; value: Literal }
  | { kind: 'in'; field: FieldRef; negated: boolean; values: Literal[] };

export interface OrderItem {
  field: FieldRef;
  descending: boolean;
  nullsFirst: boolean;
}

export interface SoqlQuery {
  text: string;
  select: { kind: 'count'; pos: number } | { kind: 'fields'; fields: FieldRef[] };
  from: FieldRef;
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: { value: number; pos: number } | null;
}

const KEYWORDS = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ORDER', 'BY', 'ASC', 'DESC',
  'NULLS', 'FIRST', 'LAST', 'LIMIT', 'OFFSET', 'NULL', 'TRUE', 'FALSE', 'GROUP', 'HAVING',
]);

const STRING_ESCAPES: Record<string, string> = {
  n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\',
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const malformed = (pos: number, detail: string): SoqlError =>
    new SoqlError('MALFORMED_QUERY', soqlErrorMessage(text, pos, detail));
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const start = i;
    if (ch === "'") {
      let value = '';
      i += 1;
      let closed = false;
      while (i < text.length) {
        const c = text.charAt(i);
        if (c === '\\') {
          const next = text.charAt(i + 1);
          const mapped = STRING_ESCAPES[next];
          if (mapped !== undefined) value += mapped;
          // LIKE wildcards stay escaped so the matcher can tell them from real wildcards.
          else if (next === '%' || next === '_') value += '\\' + next;
          else throw malformed(i, `Invalid string literal '${text.slice(start, i + 2)}'. Illegal character sequence '\\${next}' in string literal.`);
          i += 2;
          continue;
        }
        if (c === "'") {
          closed = true;
          i += 1;
          break;
        }
        value += c;
        i += 1;
      }
      if (!closed) throw malformed(start, `line 1:${start} mismatched character '<EOF>' expecting '''`);
      tokens.push({ kind: 'string', text: value, pos: start });
      continue;
    }
    const dateMatch = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2}))?/.exec(text.slice(i));
    if (dateMatch !== null) {
      tokens.push({ kind: dateMatch[1] === undefined ? 'date' : 'datetime', text: dateMatch[0], pos: start });
      i += dateMatch[0].length;
      continue;
    }
    const numberMatch = /^[+-]?(\d+(\.\d*)?|\.\d+)/.exec(text.slice(i));
    if (numberMatch !== null && (ch !== '+' && ch !== '-' ? true : /[\d.]/.test(text.charAt(i + 1)))) {
      tokens.push({ kind: 'number', text: numberMatch[0], pos: start });
      i += numberMatch[0].length;
      continue;
    }
    const identMatch = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i));
    if (identMatch !== null) {
      tokens.push({ kind: 'ident', text: identMatch[0], pos: start });
      i += identMatch[0].length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'punct', text: two === '<>' ? '!=' : two, pos: start });
      i += 2;
      continue;
    }
    if ('(),=<>'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, pos: start });
      i += 1;
      continue;
    }
    throw malformed(start, `line 1:${start} no viable alternative at character '${ch}'`);
  }
  tokens.push({ kind: 'eof', text: '<EOF>', pos: text.length });
  return tokens;
}

class Parser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token {
    const token = this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
    if (token === undefined) throw new Error('token stream is empty');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.i < this.tokens.length - 1) this.i += 1;
    return token;
  }

  private unexpected(token: Token): SoqlError {
    const shown = token.kind === 'string' ? `'${token.text}'` : token.text;
    return new SoqlError('MALFORMED_QUERY', soqlErrorMessage(this.text, token.pos, `unexpected token: ${shown}`));
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'ident' && token.text.toUpperCase() === keyword;
  }

  private expectKeyword(keyword: string): Token {
    const token = this.next();
    if (!this.isKeyword(token, keyword)) throw this.unexpected(token);
    return token;
  }

  private expectPunct(p: string): Token {
    const token = this.next();
    if (token.kind !== 'punct' || token.text !== p) throw this.unexpected(token);
    return token;
  }

  private fieldRef(): FieldRef {
    const token = this.next();
    if (token.kind !== 'ident' || KEYWORDS.has(token.text.toUpperCase())) throw this.unexpected(token);
    return { name: token.text, pos: token.pos };
  }

  parse(): SoqlQuery {
    this.expectKeyword('SELECT');
    const select = this.selectList();
    this.expectKeyword('FROM');
    const from = this.fieldRef();
    let where: Condition | null = null;
    if (this.isKeyword(this.peek(), 'WHERE')) {
      this.next();
      where = this.condition();
    }
    const orderBy: OrderItem[] = [];
    if (this.isKeyword(this.peek(), 'ORDER')) {
      this.next();
      this.expectKeyword('BY');
      do {
        orderBy.push(this.orderItem());
      } while (this.peek().kind === 'punct' && this.peek().text === ',' && this.next());
    }
    let limit: number | null = null;
    if (this.isKeyword(this.peek(), 'LIMIT')) {
      this.next();
      limit = this.nonNegativeInt();
    }
    let offset: SoqlQuery['offset'] = null;
    if (this.isKeyword(this.peek(), 'OFFSET')) {
      this.next();
      const pos = this.peek().pos;
      offset = { value: this.nonNegativeInt(), pos };
    }
    const rest = this.peek();
    if (rest.kind !== 'eof') throw this.unexpected(rest);
    return { text: this.text, select, from, where, orderBy, limit, offset };
  }

  private nonNegativeInt(): number {
    const token = this.next();
    if (token.kind !== 'number' || !/^\d+$/.test(token.text)) throw this.unexpected(token);
    return Number(token.text);
  }

  private selectList(): SoqlQuery['select'] {
    const first = this.peek();
    if (this.isKeyword(first, 'COUNT') && this.peek(1).kind === 'punct' && this.peek(1).text === '(') {
      this.next();
      this.next();
      const inner = this.peek();
      if (!(inner.kind === 'punct' && inner.text === ')')) {
        throw new SoqlError(
          'MALFORMED_QUERY',
          soqlErrorMessage(this.text, inner.pos, 'Aggregate functions other than COUNT() are not supported by the Backflow Salesforce sandbox'),
        );
      }
      this.next();
      return { kind: 'count', pos: first.pos };
    }
    const fields: FieldRef[] = [this.fieldRef()];
    while (this.peek().kind === 'punct' && this.peek().text === ',') {
      this.next();
      fields.push(this.fieldRef());
    }
    return { kind: 'fields', fields };
  }

  private orderItem(): OrderItem {
    const field = this.fieldRef();
    let descending = false;
    if (this.isKeyword(this.peek(), 'ASC')) this.next();
    else if (this.isKeyword(this.peek(), 'DESC')) {
      this.next();
      descending = true;
    }
    // SOQL sorts nulls first unless told otherwise.
    let nullsFirst = true;
    if (this.isKeyword(this.peek(), 'NULLS')) {
      this.next();
      const which = this.next();
      if (this.isKeyword(which, 'FIRST')) nullsFirst = true;
      else if (this.isKeyword(which, 'LAST')) nullsFirst = false;
      else throw this.unexpected(which);
    }
    return { field, descending, nullsFirst };
  }

  private condition(): Condition {
    const first = this.unary();
    const joiner = this.peek();
    const op = this.isKeyword(joiner, 'AND') ? 'AND' : this.isKeyword(joiner, 'OR') ? 'OR' : null;
    if (op === null) return first;
    const operands = [first];
    while (this.isKeyword(this.peek(), op)) {
      this.next();
      operands.push(this.unary());
    }
    const other = this.peek();
    // SOQL refuses `a AND b OR c`: precedence must be spelled out with parentheses.
    if (this.isKeyword(other, op === 'AND' ? 'OR' : 'AND')) throw this.unexpected(other);
    return { kind: op === 'AND' ? 'and' : 'or', operands };
  }

  private unary(): Condition {
    const token = this.peek();
    if (this.isKeyword(token, 'NOT')) {
      this.next();
      return { kind: 'not', operand: this.unary() };
    }
    if (token.kind === 'punct' && token.text === '(') {
      this.next();
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    return this.predicate();
  }

  private predicate(): Condition {
    const field = this.fieldRef();
    const token = this.next();
    if (this.isKeyword(token, 'NOT')) {
      this.expectKeyword('IN');
      return { kind: 'in', field, negated: true, values: this.literalList() };
    }
    if (this.isKeyword(token, 'IN')) return { kind: 'in', field, negated: false, values: this.literalList() };
    if (this.isKeyword(token, 'LIKE')) return { kind: 'compare', field, op: 'LIKE', value: this.literal() };
    if (token.kind === 'punct' && ['=', '!=', '<', '<=', '>', '>='].includes(token.text)) {
      return { kind: 'compare', field, op: token.text as CompareOp, value: this.literal() };
    }
    throw this.unexpected(token);
  }

  private literalList(): Literal[] {
    this.expectPunct('(');
    const values: Literal[] = [this.literal()];
    while (this.peek().kind === 'punct' && this.peek().text === ',') {
      this.next();
      values.push(this.literal());
    }
    this.expectPunct(')');
    return values;
  }

  private literal(): Literal {
    const token = this.next();
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.text, pos: token.pos };
      case 'number':
        return { kind: 'number', value: Number(token.text), pos: token.pos };
      case 'date':
        return { kind: 'date', value: token.text, pos: token.pos };
      case 'datetime':
        return { kind: 'datetime', value: token.text, pos: token.pos };
      case 'ident': {
        const upper = token.text.toUpperCase();
        if (upper === 'NULL') return { kind: 'null', pos: token.pos };
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE', pos: token.pos };
        throw this.unexpected(token);
      }
      default:
        throw this.unexpected(token);
    }
  }
}

/** Parses SOQL text; throws SoqlError(MALFORMED_QUERY) on syntax errors. */
export function parseSoql(text: string): SoqlQuery {
  return new Parser(text, tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------
// Binding against the org schema

type BoundValue = string | number | boolean | null;

type BoundCondition =
  | { kind: 'and' | 'or'; operands: BoundCondition[] }
  | { kind: 'not'; operand: BoundCondition }
  | { kind: 'compare'; field: FieldDef; op: CompareOp; value: BoundValue; like: RegExp | null }
  | { kind: 'in'; field: FieldDef; negated: boolean; values: BoundValue[] };

export interface BoundQuery {
  sobject: SObjectDef;
  count: boolean;
  fields: FieldDef[];
  where: BoundCondition | null;
  orderBy: Array<{ field: FieldDef; descending: boolean; nullsFirst: boolean }>;
  limit: number | null;
  offset: number;
}

function soqlTypeName(field: FieldDef): string {
  if (isTextual(field.type)) return 'string';
  if (field.type === 'int') return 'int';
  if (isNumeric(field.type)) return 'double';
  if (field.type === 'datetime') return 'dateTime';
  return field.type;
}

function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern.charAt(i);
    if (ch === '\\' && i + 1 < pattern.length) {
      source += pattern.charAt(i + 1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    } else if (ch === '%') source += '[\\s\\S]*';
    else if (ch === '_') source += '[\\s\\S]';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  // SOQL LIKE is case-insensitive.
  return new RegExp(`^${source}$`, 'i');
}

class Binder {
  constructor(
    private readonly query: SoqlQuery,
    private readonly schema: OrgSchema,
    private readonly sobject: SObjectDef,
  ) {}

  private error(errorCode: string, pos: number, detail: string): SoqlError {
    return new SoqlError(errorCode, soqlErrorMessage(this.query.text, pos, detail));
  }

  field(ref: FieldRef): FieldDef {
    if (ref.name.includes('.')) {
      const relationship = ref.name.split('.')[0] ?? ref.name;
      throw this.error(
        'INVALID_FIELD',
        ref.pos,
        `Didn't understand relationship '${relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    const field = this.schema.field(this.sobject, ref.name);
    if (field === undefined) {
      throw this.error(
        'INVALID_FIELD',
        ref.pos,
        `No such column '${ref.name}' on entity '${this.sobject.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    return field;
  }

  private value(field: FieldDef, literal: Literal): BoundValue {
    if (literal.kind === 'null') return null;
    const mismatch = (quoted: boolean): SoqlError =>
      this.error(
        'INVALID_FIELD',
        literal.pos,
        `value of filter criterion for field '${field.name}' must be of type ${soqlTypeName(field)} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
      );
    if (isTextual(field.type)) {
      if (literal.kind !== 'string') throw mismatch(true);
      if (field.type === 'id' || field.type === 'reference') {
        const id = normalizeId(literal.value);
        if (id === null) throw this.error('INVALID_QUERY_FILTER_OPERATOR', literal.pos, `invalid ID field: ${literal.value}`);
        return id;
      }
      return literal.value;
    }
    if (isNumeric(field.type)) {
      if (literal.kind !== 'number') throw mismatch(false);
      return literal.value;
    }
    if (field.type === 'boolean') {
      if (literal.kind !== 'boolean') throw mismatch(false);
      return literal.value;
    }
    if (field.type === 'date') {
      if (literal.kind !== 'date') throw mismatch(false);
      return literal.value;
    }
    if (literal.kind !== 'datetime') throw mismatch(false);
    return Date.parse(literal.value);
  }

  condition(cond: Condition): BoundCondition {
    switch (cond.kind) {
      case 'and':
      case 'or':
        return { kind: cond.kind, operands: cond.operands.map((c) => this.condition(c)) };
      case 'not':
        return { kind: 'not', operand: this.condition(cond.operand) };
      case 'in': {
        const field = this.field(cond.field);
        return { kind: 'in', field, negated: cond.negated, values: cond.values.map((v) => this.value(field, v)) };
      }
      case 'compare': {
        const field = this.field(cond.field);
        if (cond.op === 'LIKE') {
          if (!isTextual(field.type) || field.type === 'id' || field.type === 'reference') {
            throw this.error('INVALID_FIELD', cond.field.pos, `invalid operator on ${soqlTypeName(field)} field: LIKE`);
          }
          if (cond.value.kind !== 'string') throw this.error('INVALID_FIELD', cond.value.pos, `value of filter criterion for field '${field.name}' must be of type string and should be enclosed in quotes`);
          return { kind: 'compare', field, op: 'LIKE', value: cond.value.value, like: likeToRegExp(cond.value.value) };
        }
        return { kind: 'compare', field, op: cond.op, value: this.value(field, cond.value), like: null };
      }
    }
  }
}

/** Resolves object and field names; throws SoqlError(INVALID_TYPE / INVALID_FIELD / ...). */
export function bindQuery(query: SoqlQuery, schema: OrgSchema): BoundQuery {
  const sobject = schema.sobject(query.from.name);
  if (sobject === undefined) {
    throw new SoqlError(
      'INVALID_TYPE',
      soqlErrorMessage(
        query.text,
        query.from.pos,
        `sObject type '${query.from.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      ),
    );
  }
  const binder = new Binder(query, schema, sobject);
  const fields: FieldDef[] = [];
  if (query.select.kind === 'fields') {
    const seen = new Set<string>();
    for (const ref of query.select.fields) {
      const field = binder.field(ref);
      if (seen.has(field.name)) {
        throw new SoqlError('INVALID_FIELD', soqlErrorMessage(query.text, ref.pos, `duplicate field selected: ${field.name}`));
      }
      seen.add(field.name);
      fields.push(field);
    }
  }
  if (query.offset !== null && query.offset.value > 2000) {
    throw new SoqlError(
      'NUMBER_OUTSIDE_VALID_RANGE',
      soqlErrorMessage(query.text, query.offset.pos, 'Maximum SOQL offset allowed is 2000'),
    );
  }
  return {
    sobject,
    count: query.select.kind === 'count',
    fields,
    where: query.where === null ? null : binder.condition(query.where),
    orderBy: query.orderBy.map((item) => ({ field: binder.field(item.field), descending: item.descending, nullsFirst: item.nullsFirst })),
    limit: query.limit,
    offset: query.offset?.value ?? 0,
  };
}

// ---------------------------------------------------------------------------------------
// Execution

/**
 * A value as WHERE compares it: text ignoring case, except in a unique case-sensitive field, whose
 * comparisons are case-sensitive (SOQL's comparison operators, as documented); ORDER BY passes
 * `ordering` and sorts text ignoring case in every field.
 */
function comparable(field: FieldDef, value: FieldValue | undefined, ordering = false): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  // Bound datetime literals are already epoch millis; stored ones are strings.
  if (field.type === 'datetime') return typeof value === 'number' ? value : Date.parse(String(value));
  if (isTextual(field.type)) return !ordering && field.unique === true && field.caseSensitive === true ? String(value) : String(value).toLowerCase();
  return value;
}

function compareValues(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function matches(cond: BoundCondition, record: StoredRecord): boolean {
  switch (cond.kind) {
    case 'and':
      return cond.operands.every((c) => matches(c, record));
    case 'or':
      return cond.operands.some((c) => matches(c, record));
    case 'not':
      return !matches(cond.operand, record);
    case 'in': {
      const actual = comparable(cond.field, record[cond.field.name]);
      const hit = cond.values.some((v) => {
        const wanted = comparable(cond.field, v);
        return wanted === null ? actual === null : actual !== null && compareValues(actual, wanted) === 0;
      });
      return cond.negated ? !hit : hit;
    }
    case 'compare': {
      const raw = record[cond.field.name];
      if (cond.like !== null) return raw !== undefined && raw !== null && cond.like.test(String(raw));
      const actual = comparable(cond.field, raw);
      const wanted = comparable(cond.field, cond.value);
      if (cond.op === '=') return wanted === null ? actual === null : actual !== null && compareValues(actual, wanted) === 0;
      if (cond.op === '!=') return wanted === null ? actual !== null : actual === null || compareValues(actual, wanted) !== 0;
      if (actual === null || wanted === null) return false;
      const c = compareValues(actual, wanted);
      if (cond.op === '<') return c < 0;
      if (cond.op === '<=') return c <= 0;
      if (cond.op === '>') return c > 0;
      return c >= 0;
    }
  }
}

/** Filters, sorts and slices `records`; returns the matching rows (full stored records). */
export function executeQuery(query: BoundQuery, records: StoredRecord[]): StoredRecord[] {
  let rows = query.where === null ? [...records] : records.filter((r) => query.where !== null && matches(query.where, r));
  if (query.orderBy.length > 0) {
    // Array.prototype.sort is stable, so ties keep insertion order.
    rows = rows.sort((a, b) => {
      for (const item of query.orderBy) {
        const va = comparable(item.field, a[item.field.name], true);
        const vb = comparable(item.field, b[item.field.name], true);
        if (va === null && vb === null) continue;
        if (va === null) return item.nullsFirst ? -1 : 1;
        if (vb === null) return item.nullsFirst ? 1 : -1;
        const c = compareValues(va, vb);
        if (c !== 0) return item.descending ? -c : c;
      }
      return 0;
    });
  }
  const start = query.offset;
  const end = query.limit === null ? undefined : start + query.limit;
  return rows.slice(start, end);
}
