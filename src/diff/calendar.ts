/**
 * Calendar checks for date and date-time text. Date.parse, Date.UTC and setUTCFullYear roll an
 * impossible day or time over instead of refusing it (2026-02-30 becomes March 2, 24:00 the next
 * day), so a value that names no real day would be sent as another one.
 */

export interface CalendarFields {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour?: number;
  minute?: number;
  second?: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Why the fields name no real day and time (month 13, February 30, hour 24, second 60), or
 * undefined when they do: the day must come back unchanged from a round trip through a Date, and
 * the time must be on the 24-hour clock (JavaScript has no leap seconds).
 */
export function calendarFault(fields: CalendarFields): string | undefined {
  const { year, month, day, hour = 0, minute = 0, second = 0 } = fields;
  if (!Number.isInteger(month) || month < 1 || month > 12) return `there is no month ${month}`;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return `${pad(year, 4)}-${pad(month, 2)} has no day ${day}`;
  }
  const inRange = (value: number, max: number) => Number.isInteger(value) && value >= 0 && value <= max;
  if (!inRange(hour, 23) || !inRange(minute, 59) || !inRange(second, 59)) {
    return `there is no time ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  }
  return undefined;
}

/** YYYY-MM-DD, then optionally [T ]HH:MM[:SS] as ISO 8601 writes them; what follows is not read here. */
const WRITTEN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/;

/**
 * calendarFault of the date (and time) a text starts with, as written: before any offset is
 * applied, so '2026-02-28T23:30:00-01:00' is a real time even though its UTC day is March 1.
 */
export function writtenCalendarFault(text: string): string | undefined {
  const m = WRITTEN.exec(text);
  if (!m) return 'it does not start with a date (YYYY-MM-DD)';
  const [, year, month, day, hour, minute, second] = m;
  return calendarFault({
    year: Number(year),
    month: Number(month),
    day: Number(day),
    ...(hour === undefined ? {} : { hour: Number(hour) }),
    ...(minute === undefined ? {} : { minute: Number(minute) }),
    ...(second === undefined ? {} : { second: Number(second) }),
  });
}

const DATE_START = /^\d{4}-\d{2}-\d{2}/;

/** Whether a text starts with a date (YYYY-MM-DD): a date or date-time, maybe. */
export function startsWithDate(text: string): boolean {
  return DATE_START.test(text);
}
/** A zone designator ending a date-time: Z, or an offset (+01:00, -0500, +01). */
const ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * A date or date-time text as epoch milliseconds, or undefined when it names no real day and time.
 * A date-time without a zone (a warehouse DATETIME) is UTC: Date.parse would read it in the worker's
 * own time zone, so the same row would land an hour apart from two workers. A date is its midnight UTC.
 */
export function utcMillisOf(text: string): number | undefined {
  if (!startsWithDate(text) || writtenCalendarFault(text) !== undefined) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : ZONE.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
