import { calendarFault, writtenCalendarFault } from '../../src/diff/calendar';
import { NormalizeError, normalizeValue, readValue } from '../../src/sources/normalize';
import { UnreadableValue } from '../../src/sources/source';

describe('calendar checks', () => {
  it('finds no fault in a real day and time, leap days and years before 100 included', () => {
    expect(calendarFault({ year: 2024, month: 2, day: 29 })).toBeUndefined();
    expect(calendarFault({ year: 2000, month: 2, day: 29, hour: 23, minute: 59, second: 59 })).toBeUndefined();
    expect(calendarFault({ year: 50, month: 6, day: 1 })).toBeUndefined();
    expect(writtenCalendarFault('2026-12-31T23:59:59.999999+14:00')).toBeUndefined();
    expect(writtenCalendarFault('2026-02-28 10:00')).toBeUndefined();
  });

  it('names the field of a day or time that does not exist, which Date would roll over', () => {
    expect(calendarFault({ year: 2026, month: 2, day: 30 })).toBe('2026-02 has no day 30');
    expect(calendarFault({ year: 1900, month: 2, day: 29 })).toBe('1900-02 has no day 29');
    expect(calendarFault({ year: 2026, month: 4, day: 0 })).toBe('2026-04 has no day 0');
    expect(calendarFault({ year: 2026, month: 0, day: 1 })).toBe('there is no month 0');
    expect(writtenCalendarFault('2026-02-30T10:00:00Z')).toBe('2026-02 has no day 30');
    expect(writtenCalendarFault('2026-02-28T24:00:00Z')).toBe('there is no time 24:00:00');
    expect(writtenCalendarFault('2026-02-28T10:60')).toBe('there is no time 10:60:00');
    expect(writtenCalendarFault('2026-02-28T23:59:60Z')).toBe('there is no time 23:59:60');
    expect(writtenCalendarFault('soon')).toBe('it does not start with a date (YYYY-MM-DD)');
  });

  it('makes a source value naming no real day unreadable rather than the next month', () => {
    expect(() => normalizeValue('date', '2026-02-30')).toThrow(new NormalizeError('not a date/time: 2026-02-30 (2026-02 has no day 30)'));
    expect(readValue('datetime', '2026-02-30 10:00:00')).toEqual(new UnreadableValue('datetime', '2026-02-30 10:00:00'));
    expect(readValue('timestamp', '2026-04-31 10:00:00+00')).toEqual(new UnreadableValue('timestamp', '2026-04-31 10:00:00+00'));
    expect(readValue('date', '2024-02-29')).toBe('2024-02-29');
  });
});
