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
