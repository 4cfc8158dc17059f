/**
 * Paging arguments of the read methods: opaque cursors, `limit` and the `oldest`/`latest`/`inclusive`
 * time window, with the errors Slack documents for each.
 */
import { bool, str, type Args } from './args';
import { SlackApiError } from './errors';

/**
 * How a method treats `limit`: its default and maximum, and whether a value outside 1..max is refused
 * (conversations.list documents `invalid_limit`) or capped (history and replies document no limit error).
 */
export interface LimitRule {
  fallback: number;
  max: number;
  outOfRange: 'reject' | 'clamp';
}

export function pageLimit(args: Args, rule: LimitRule): number {
  const raw = str(args, 'limit')?.trim();
  if (raw === undefined || raw === '') return rule.fallback;
  if (rule.outOfRange === 'reject') {
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(n >= 1 && n <= rule.max)) throw new SlackApiError('invalid_limit');
    return n;
  }
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) throw new SlackApiError('invalid_arguments');
  return Math.min(rule.max, Math.max(1, n));
}

/**
 * Slack's cursors are base64 of where the next page starts: `next_ts:1512085861000543` for messages,
 * `team:C061FA5PB` for channels (decoded from the documented examples). A position in the data, not
 * an offset, so a message posted between two calls cannot push an item onto the next page twice.
 */
type CursorKind = 'next_ts' | 'team';

function encodeCursor(kind: CursorKind, value: string): string {
  return Buffer.from(`${kind}:${value}`).toString('base64');
}

function decodeCursor(args: Args, kind: CursorKind): string | undefined {
  const cursor = str(args, 'cursor');
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  const prefix = `${kind}:`;
  if (!decoded.startsWith(prefix) || decoded.length === prefix.length) throw new SlackApiError('invalid_cursor');
  return decoded.slice(prefix.length);
}

/** Cursor to the page starting at channel `id`. */
export function channelCursor(id: string): string {
  return encodeCursor('team', id);
}

/** The channel id a conversations.list cursor starts at; undefined on the first page. */
export function channelFromCursor(args: Args): string | undefined {
  return decodeCursor(args, 'team');
}

/** Cursor to the page starting at the message `ts` (Slack writes the ts without its dot). */
export function tsCursor(ts: string): string {
  return encodeCursor('next_ts', ts.replace('.', ''));
}

/** The ts (in microseconds) a message cursor starts at; undefined on the first page. */
export function tsFromCursor(args: Args): number | undefined {
  const value = decodeCursor(args, 'next_ts');
  if (value === undefined) return undefined;
  if (!/^\d{7,}$/.test(value)) throw new SlackApiError('invalid_cursor');
  return Number(value);
}

/** A ts, or an `oldest`/`latest` bound, in integer microseconds; undefined when it is not a Unix timestamp. */
export function tsMicros(value: string): number | undefined {
  const match = /^(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (match === null) return undefined;
  const [, seconds = '0', fraction = ''] = match;
  return Number(seconds) * 1_000_000 + Number(fraction.slice(0, 6).padEnd(6, '0'));
}

function bound(args: Args, name: 'oldest' | 'latest', fallback: number): number {
  const raw = str(args, name);
  if (raw === undefined || raw === '') return fallback;
  const micros = tsMicros(raw);
  if (micros === undefined) throw new SlackApiError(`invalid_ts_${name}`);
  return micros;
}

/** `oldest`/`latest`/`inclusive` as a test on a message's ts: bounds are exclusive unless `inclusive`. */
export function timeWindow(args: Args): (ts: string) => boolean {
  const oldest = bound(args, 'oldest', 0);
  const latest = bound(args, 'latest', Number.POSITIVE_INFINITY);
  const inclusive = bool(args, 'inclusive');
  return (ts) => {
    const t = tsMicros(ts) ?? 0;
    return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  };
}
