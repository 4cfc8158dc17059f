import type { Value } from '../sources/source';
import type { DestinationRecord, RecordError, TargetIssue, TargetCheckInput } from './destination';
import { Condition, MessageTemplate, numericValue, TemplateError, templateVariables } from './slackTemplate';
import type { DigestSettings, WhenFilter } from './slackTarget';

/** What a row becomes: a message text, a skip (the `when` filter said no) or a rejection (template error). */
export type RenderedRecord =
  | { kind: 'message'; text: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; error: RecordError };

/** Characters of a message's text Slack keeps ("Provide no more than 40,000 characters or risk truncation"). */
export const SLACK_TEXT_LIMIT = 40_000;

/**
 * A text cut to SLACK_TEXT_LIMIT with a visible note of what was left out, where Slack would cut it
 * silently (its answer only warns `message_truncated`).
 */
export function fitToSlack(text: string, limit = SLACK_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  const note = (left: number) => `… (${left.toLocaleString('en')} more characters not shown)`;
  let cut = text.slice(0, limit - note(text.length).length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // never split a surrogate pair
  return `${cut}${note(text.length - cut.length)}`;
}

export interface MessageSettings {
  template: string;
  when?: WhenFilter | undefined;
  digest?: DigestSettings | undefined;
}

/** The variables a template sees: the mapped fields, and `key` (the primary key) unless a field is named so. */
export function scopeOf(record: Pick<DestinationRecord, 'key' | 'fields'>): Record<string, Value> {
  return { key: record.key, ...record.fields };
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return String(a) === String(b);
}

function show(value: Value | undefined): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

/** Renders rows to message texts per the sync's template and `when` filter. */
export class MessageRenderer {
  private readonly template: MessageTemplate;
  private readonly condition: Condition | undefined;

  constructor(private readonly settings: MessageSettings) {
    this.template = new MessageTemplate(settings.template);
    this.condition = typeof settings.when === 'string' ? new Condition(settings.when) : undefined;
  }

  render(record: Pick<DestinationRecord, 'key' | 'fields'>): RenderedRecord {
    const scope = scopeOf(record);
    try {
      const skip = this.skipReason(scope);
      if (skip !== undefined) return { kind: 'skip', reason: skip };
      const text = this.template.render(scope);
      if (text.trim() === '') return { kind: 'reject', error: { code: 'EMPTY_MESSAGE', message: 'the template rendered an empty message', fields: [] } };
      return { kind: 'message', text: fitToSlack(text) };
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      return {
        kind: 'reject',
        error: err.variable
          ? { code: 'TEMPLATE_UNDEFINED_VARIABLE', message: `template: ${err.message} (map a column to ${err.variable})`, fields: [err.variable] }
          : { code: 'TEMPLATE_ERROR', message: `template: ${err.message}`, fields: [] },
      };
    }
  }

  /** Why `when` leaves this row out, or undefined when it is sent. */
  private skipReason(scope: Record<string, Value>): string | undefined {
    const when = this.settings.when;
    if (when === undefined) return undefined;
    if (this.condition) return this.condition.test(scope) ? undefined : `when: ${this.condition.expression} is false`;
    if (typeof when === 'string') return undefined;
    if (!(when.field in scope)) throw new TemplateError(`undefined variable: ${when.field}`, when.field);
    const value = scope[when.field];
    if (when.in !== undefined) {
      return when.in.some((wanted) => sameValue(value, wanted)) ? undefined : `when: ${when.field} is ${show(value)}, not one of ${JSON.stringify(when.in)}`;
    }
    return sameValue(value, when.equals) ? undefined : `when: ${when.field} is ${show(value)}, not ${show(when.equals)}`;
  }

  /**
   * A digest of the rows of one batch: the title, then the top N rows' texts (ordered by `sortBy`
   * when given, else in batch order) as a bulleted list, then how many more there were. Rows are
   * listed only while the whole stays within SLACK_TEXT_LIMIT: the rest count as "more", where Slack
   * would have cut the list, and its "…and N more", silently.
   */
  digest(rows: ReadonlyArray<{ record: Pick<DestinationRecord, 'key' | 'fields'>; text: string }>, limit = SLACK_TEXT_LIMIT): string {
    const settings = this.settings.digest;
    if (!settings) throw new Error('digest is not configured');
    const ordered = settings.sortBy === undefined ? [...rows] : sortRows(rows, settings.sortBy, settings.order);
    const title = (shown: number) => fitToSlack(new MessageTemplate(settings.title).render({ count: rows.length, shown, more: rows.length - shown }), limit / 4);
    const moreLine = (more: number) => `…and ${more} more`;
    // Room for the longest the title and the last line can be, whatever is shown.
    let room = limit - title(Math.min(settings.top, rows.length)).length - moreLine(rows.length).length - 64;
    const shown: string[] = [];
    for (const row of ordered.slice(0, settings.top)) {
      const line = `• ${row.text}`;
      if (line.length + 1 > room) {
        // One row longer than a whole digest: shown cut, rather than a digest of nothing but the count.
        if (shown.length === 0) shown.push(fitToSlack(line, room - 1));
        break;
      }
      shown.push(line);
      room -= line.length + 1;
    }
    const more = rows.length - shown.length;
    const lines = [title(shown.length), ...shown];
    if (more > 0) lines.push(moreLine(more));
    return lines.join('\n');
  }
}

/** Numbers numerically (decimals' text too: `9.5` before `35`), other values as text; nulls last either way. */
function sortRows<T extends { record: Pick<DestinationRecord, 'fields'> }>(rows: readonly T[], field: string, order: 'asc' | 'desc'): T[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a.record.fields[field] ?? null;
    const y = b.record.fields[field] ?? null;
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const [nx, ny] = [numericValue(x), numericValue(y)];
    if (nx !== undefined && ny !== undefined && nx !== ny) return sign * (nx - ny);
    return sign * String(x).localeCompare(String(y));
  });
}

/** Template variables, `when` field, `channelFrom` and `sortBy` that no mapping provides. */
export function unmappedVariables(settings: MessageSettings & { channelFrom?: string | undefined }, sync: TargetCheckInput): TargetIssue[] {
  const known = new Set(['key', ...sync.mappings.map((mapping) => mapping.to)]);
  const issues: TargetIssue[] = [];
  const mapped = [...known].filter((name) => name !== 'key').join(', ');
  for (const variable of templateVariables(settings.template)) {
    if (!known.has(variable)) issues.push({ path: 'destination.template', message: `the template uses ${variable}, which no mapping provides (mapped: ${mapped})` });
  }
  if (typeof settings.when === 'string') {
    for (const variable of templateVariables(`{% if ${settings.when} %}{% endif %}`)) {
      if (!known.has(variable)) issues.push({ path: 'destination.when', message: `the condition uses ${variable}, which no mapping provides (mapped: ${mapped})` });
    }
  } else if (settings.when && !known.has(settings.when.field)) {
    issues.push({ path: 'destination.when.field', message: `${settings.when.field} is not a mapped field (mapped: ${mapped})` });
  }
  if (settings.channelFrom !== undefined && !known.has(settings.channelFrom)) {
    issues.push({ path: 'destination.channelFrom', message: `${settings.channelFrom} is not a mapped field (mapped: ${mapped})` });
  }
  if (settings.digest?.sortBy !== undefined && !known.has(settings.digest.sortBy)) {
    issues.push({ path: 'destination.digest.sortBy', message: `${settings.digest.sortBy} is not a mapped field (mapped: ${mapped})` });
  }
  return issues;
}
