import { durationMs, MAX_DURATION_MS, MAX_DURATION_PROBLEM } from '../config/schema';
import { BackflowError } from '../errors';

/** A `--port` value: an integer 0–65535 (0: any free port), or an error naming the flag. */
export function portOption(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BackflowError('CONFIG_INVALID', `--port ${value}: not a port number (0–65535)`);
  return port;
}

/** A duration flag like `--older-than 30d`: longer than 0, as the config's durations are. */
export function durationOption(flag: string, value: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new BackflowError('CONFIG_INVALID', `${flag}: "${value}" is not a duration like 30d, 12h or 90m`);
  if (ms <= 0) throw new BackflowError('CONFIG_INVALID', `${flag}: "${value}" must be longer than 0`);
  if (ms > MAX_DURATION_MS) throw new BackflowError('CONFIG_INVALID', `${flag}: "${value}" ${MAX_DURATION_PROBLEM}`);
  return ms;
}

/** A date (`2025-01-31`, UTC midnight) or a date and time with its zone (`2025-01-31T06:00:00Z`, `…+02:00`). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO-8601 instant flag (`--from`, `--to`). JavaScript's own parsing took `1` as 2001-01-01 and a
 * time without a zone as the machine's local time: a schedule backfill then queued a month of runs.
 */
export function isoDateOption(flag: string, value: string): Date {
  const date = ISO_DATE.test(value) && realDay(value) ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new BackflowError('CONFIG_INVALID', `${flag}: "${value}" is not an ISO-8601 date (2025-01-31) or date and time with its zone (2025-01-31T06:00:00Z)`);
  }
  return date;
}

/** The written day exists: JavaScript rolls 2025-02-30 over to March 2nd. */
function realDay(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A `--limit` value: a whole number from 1 (0 would list nothing; a fraction is no count). */
export function limitOption(value: string): number {
  const limit = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new BackflowError('CONFIG_INVALID', `--limit ${value}: not a whole number of 1 or more`);
  return limit;
}

/**
 * `--origin` values, comma-separated, each as a browser sends it in its Origin header (scheme, host,
 * port; no path): CORS compares them as text, so `http://localhost:8233/` (as an address bar shows
 * it) or `localhost:8233` never matched and Temporal Web failed to decode without saying why.
 */
export function originsOption(value: string): string[] {
  return value
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => {
      let url: URL | undefined;
      try {
        url = new URL(text);
      } catch {
        url = undefined;
      }
      if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
        throw new BackflowError('CONFIG_INVALID', `--origin ${text}: not an origin like http://localhost:8233 (scheme, host and port, no path)`);
      }
      // The browser's form: host lowercased, a default port dropped, no trailing slash.
      return url.origin;
    });
}
