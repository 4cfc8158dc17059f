import {
  normalizeBytes,
  normalizeDecimal,
  normalizeFloat,
  normalizeInteger,
  normalizeTimestamp,
  normalizeValue,
} from '../../src/sources/normalize';

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
    expect(normalizeBytes('\\xAB', 'duckdb-escaped')).toBe(Buffer.from([0xab]).toString('base64'));
    expect(normalizeBytes('AB\\x00', 'duckdb-escaped')).toBe(Buffer.from([0x41, 0x42, 0]).toString('base64'));
    expect(normalizeBytes('\\xab00', 'hex')).toBe(Buffer.from([0xab, 0]).toString('base64'));
    expect(normalizeValue('string', null)).toBeNull();
    expect(normalizeValue('string', '')).toBe('');
    expect(normalizeValue('boolean', 'true')).toBe(true);
  });
});
