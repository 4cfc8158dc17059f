import { normalizePg } from '../../src/sources/postgres';
import { UnreadableValue } from '../../src/sources/source';

// PostgreSQL array OIDs: numeric[], float4[], float8[], int8[], int4[], text[].
const NUMERIC_ARRAY = 1231;
const FLOAT4_ARRAY = 1021;
const FLOAT8_ARRAY = 1022;
const INT8_ARRAY = 1016;
const INT4_ARRAY = 1007;

describe('PostgreSQL arrays', () => {
  it('reads numeric[] elements as exact decimal strings in canonical form, NULL as null, at any depth', () => {
    expect(normalizePg(NUMERIC_ARRAY, '{1.10,123456789012345678901.5,NULL,-0.000001}')).toEqual(['1.1', '123456789012345678901.5', null, '-0.000001']);
    expect(normalizePg(NUMERIC_ARRAY, '{{1.0,2},{NaN,3}}')).toEqual([['1', '2'], ['NaN', '3']]);
    expect(normalizePg(NUMERIC_ARRAY, '{Infinity,-Infinity}')).toEqual(['Infinity', '-Infinity']);
  });

  it('makes an element it cannot read an unreadable value (its row invalid), not a failed extract', () => {
    expect(normalizePg(NUMERIC_ARRAY, '{1,abc}')).toEqual(new UnreadableValue('json', '{1,abc}'));
  });

  it('keeps NaN and Infinity in float arrays as text, which JSON would have turned into null', () => {
    expect(normalizePg(FLOAT8_ARRAY, '{1.5,NaN,Infinity,-Infinity,NULL}')).toEqual([1.5, 'NaN', 'Infinity', '-Infinity', null]);
    expect(normalizePg(FLOAT4_ARRAY, '{0.25,-2}')).toEqual([0.25, -2]);
  });

  it("leaves the other arrays to pg's parsers: int8[] as exact strings, int4[] as numbers", () => {
    expect(normalizePg(INT8_ARRAY, '{9007199254740993,-5}')).toEqual(['9007199254740993', '-5']);
    expect(normalizePg(INT4_ARRAY, '{1,NULL,3}')).toEqual([1, null, 3]);
  });
});
