import {
  normalizeBytes,
  normalizeDecimal,
  normalizeFloat,
  normalizeInteger,
  normalizeInterval,
  normalizeTime,
  normalizeTimestamp,
  normalizeValue,
  readValue,
} from '../../src/sources/normalize';
import { UnreadableValue } from '../../src/sources/source';

describe('canonical values, whatever the driver said', () => {
  it('integers: numbers when exact, decimal strings beyond 2^53', () => {
    expect(normalizeInteger('5')).toBe(5);
    expect(normalizeInteger(5)).toBe(5);
    expect(normalizeInteger(5n)).toBe(5);
    expect(normalizeInteger('9007199254740991')).toBe(9007199254740991);
    expect(normalizeInteger('9007199254740993')).toBe('9007199254740993');
    expect(normalizeInteger('-170141183460469231731687303715884105728')).toBe('-170141183460469231731687303715884105728');
    expect(() => normalizeInteger('1.5')).toThrow('not an integer');
    expect(() => normalizeInteger(1.5)).toThrow('not an integer');
    // The same answer on the fast paths and the exact one: signs, zeros, padding.
    expect(normalizeInteger('-0')).toBe(0);
    expect(Object.is(normalizeInteger(-0), 0)).toBe(true);
    expect(normalizeInteger(' +007 ')).toBe(7);
    expect(normalizeInteger('-999999999999999')).toBe(-999999999999999);
    expect(normalizeInteger('0000000000000009007199254740993')).toBe('9007199254740993');
  });

  it('decimals: exact text, same for 12.50, 12.5 and 1.25E1', () => {
    for (const raw of ['12.50', '12.5', '+12.500', '1.25E1', '0012.5']) expect(normalizeDecimal(raw)).toBe('12.5');
    expect(normalizeDecimal('100.00')).toBe('100');
    expect(normalizeDecimal('-0.00')).toBe('0');
    expect(normalizeDecimal('.5')).toBe('0.5');
    expect(normalizeDecimal('-1.5e-3')).toBe('-0.0015');
    expect(normalizeDecimal('123456789012345678901234567890.123456789')).toBe('123456789012345678901234567890.123456789');
    expect(() => normalizeDecimal('abc')).toThrow('not a decimal');
  });

  it('floats: numbers, with NaN and infinities as strings', () => {
    expect(normalizeFloat('1.5')).toBe(1.5);
    expect(normalizeFloat(-0)).toBe(0);
    expect(normalizeFloat('NaN')).toBe('NaN');
    expect(normalizeFloat('Infinity')).toBe('Infinity');
    expect(normalizeFloat('-inf')).toBe('-Infinity');
  });

  it('keeps TIME 24:00:00, the end of the day PostgreSQL and DuckDB allow, rather than rolling it to midnight', () => {
    expect(normalizeTime('24:00:00')).toBe('24:00:00.000000');
    expect(normalizeTime('00:00:00')).toBe('00:00:00.000000');
    expect(normalizeTime('23:59:59.999999')).toBe('23:59:59.999999');
  });

  it('timestamps: one UTC instant from offset text, epoch microseconds or a Date', () => {
    const expected = '2024-01-02T01:04:05.123000Z';
    expect(normalizeTimestamp('2024-01-02 03:04:05.123+02')).toBe(expected);
    expect(normalizeTimestamp('2024-01-02T01:04:05.123Z')).toBe(expected);
    expect(normalizeTimestamp('2024-01-02 01:04:05.123+00:00')).toBe(expected);
    expect(normalizeTimestamp(1704157445123000n)).toBe(expected);
    expect(normalizeTimestamp(new Date('2024-01-02T01:04:05.123Z'))).toBe(expected);
    expect(normalizeTimestamp('1969-12-31 23:59:59.999999+00')).toBe('1969-12-31T23:59:59.999999Z');
  });

  it('dates, datetimes and times', () => {
    expect(normalizeValue('date', '2024-01-02')).toBe('2024-01-02');
    expect(normalizeValue('datetime', '2024-01-02 03:04:05.5')).toBe('2024-01-02T03:04:05.500000');
    expect(normalizeValue('datetime', '2024-01-02T03:04:05')).toBe('2024-01-02T03:04:05.000000');
    expect(normalizeValue('time', '01:02:03')).toBe('01:02:03.000000');
  });

  it('JSON as a structure, bytes as base64, NULL never the empty string', () => {
    expect(normalizeValue('json', '{"b":1,"a":[1,2]}')).toEqual({ b: 1, a: [1, 2] });
    // An integer past 2^53 in JSON stays exact, as a decimal string (as top-level integers do).
    expect(normalizeValue('json', '{"id":12345678901234567891,"n":[-9007199254740993,9007199254740991,2.5e3]}')).toEqual({
      id: '12345678901234567891',
      n: ['-9007199254740993', 9007199254740991, 2500],
    });
    // So does any number a double cannot hold: rounded, two different amounts were one fingerprint
    // (a change never sent), and one past the double's range was sent as null.
    expect(normalizeValue('json', '{"a":1234567890123456.78,"b":1234567890123456.76,"r":0.33333333333333333333,"big":1e400,"tiny":1e-400,"ok":[0.1,2.50,1e-7]}')).toEqual({
      a: '1234567890123456.78',
      b: '1234567890123456.76',
      r: '0.33333333333333333333',
      big: '1e400',
      tiny: '1e-400',
      ok: [0.1, 2.5, 1e-7],
    });
    expect(normalizeBytes(new Uint8Array([0xab, 0x5c]), 'base64')).toBe(Buffer.from([0xab, 0x5c]).toString('base64'));
    expect(normalizeBytes('\\xab00', 'hex')).toBe(Buffer.from([0xab, 0]).toString('base64'));
    expect(normalizeValue('string', null)).toBeNull();
    expect(normalizeValue('string', '')).toBe('');
    expect(normalizeValue('boolean', 'true')).toBe(true);
  });

  it('years 0000-0099 stay themselves (Date.UTC would read them as 19xx)', () => {
    expect(normalizeValue('date', '0050-06-01')).toBe('0050-06-01');
    expect(normalizeValue('datetime', '0099-12-31 23:00:00')).toBe('0099-12-31T23:00:00.000000');
    expect(normalizeTimestamp('0001-01-01 00:00:00+00')).toBe('0001-01-01T00:00:00.000000Z');
  });

  it('intervals as ISO-8601 durations, each part with its own sign, months and days never folded into hours', () => {
    expect(normalizeInterval({ months: 14, days: 3, micros: '14706789000' })).toBe('P1Y2M3DT4H5M6.789S');
    expect(normalizeInterval({ months: -14, days: 0, micros: '0' })).toBe('P-1Y-2M');
    expect(normalizeInterval({ months: 0, days: 0, micros: '-1500000' })).toBe('PT-1.5S');
    expect(normalizeInterval({ months: 0, days: 0, micros: -500000n })).toBe('PT-0.5S');
    expect(normalizeInterval({ months: 0, days: 1, micros: 129600000000 })).toBe('P1DT36H');
    expect(normalizeInterval({ months: 0, days: 0, micros: '1' })).toBe('PT0.000001S');
    expect(normalizeInterval({ months: 0, days: 0, micros: '0' })).toBe('PT0S');
    expect(() => normalizeInterval('1 day')).toThrow('not an interval');
  });

  it('an object read as text is an error, never "[object Object]"', () => {
    expect(() => normalizeValue('string', { months: 1 })).toThrow('not text: {"months":1}');
  });

  it('readValue: a value that cannot be read stands as an UnreadableValue instead of failing the stream', () => {
    const cases: Array<[Parameters<typeof readValue>[0], string]> = [
      ['timestamp', 'infinity'],
      ['date', '-infinity'],
      ['timestamp', '0044-03-15 00:00:00+00 BC'],
      ['date', '0044-03-15 (BC)'],
      ['date', '10000-01-01'],
      ['decimal', 'NaN'],
      ['decimal', 'Infinity'],
    ];
    for (const [kind, raw] of cases) expect(readValue(kind, raw)).toEqual(new UnreadableValue(kind, raw));
    expect(readValue('decimal', '1.50')).toBe('1.5');
    expect(JSON.stringify({ at: readValue('timestamp', 'infinity') })).toBe('{"at":"infinity"}');
  });
});
