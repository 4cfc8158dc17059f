/**
 * The 5-field cron backflow accepts, as Temporal reads it: its fields and their bounds, the `@`
 * shorthands, one field part's syntax, and month and day-of-week names. Shared by the config check,
 * the schedule drift comparison and the stale count, so all three read a cron the same way.
 */
export const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** Each shorthand as the 5 fields it stands for. */
export const CRON_SHORTHANDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One comma-separated part of a field: `*`, `5`, `9-17`, each with an optional `/step`. */
export const CRON_PART = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

/**
 * Month and day-of-week names in a 5-field cron (`MON-FRI`, `JAN,JUL`, any letter case), which
 * Temporal's cron parser takes: as numbers (MON → 1, JAN → 1; SUN → 0), so the checks and the
 * calendar comparisons read one form. Other fields, and names elsewhere, are left for them to refuse.
 */
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function numbered(field: string, names: readonly string[], first: number): string {
  return field.replace(/[A-Za-z]{3}/g, (name) => {
    const index = names.indexOf(name.toUpperCase());
    return index < 0 ? name : String(index + first);
  });
}

export function cronWithNumbers(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return expression;
  const [minute, hour, dayOfMonth, month = '', dayOfWeek = ''] = fields;
  return [minute, hour, dayOfMonth, numbered(month, MONTHS, 1), numbered(dayOfWeek, DAYS, 0)].join(' ');
}
