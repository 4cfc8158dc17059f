/**
 * DuckDB → BigQuery type mapping of the BigQuery sandbox: schema types and modes, wire values
 * (strings as BigQuery sends them), rendering per timestamp format, and how the official client
 * reads those wire values back.
 */
import { BigQuery, BigQueryTimestamp } from '@google-cloud/bigquery';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBVarCharType,
  FLOAT,
  HUGEINT,
  INTEGER,
  INTERVAL,
  LIST,
  MAP,
  SMALLINT,
  SQLNULL,
  STRUCT,
  TIME,
  TIMESTAMP,
  TIMESTAMP_NS,
  TIMESTAMPTZ,
  TINYINT,
  UBIGINT,
  UUID,
  VARCHAR,
  blobValue,
  dateValue,
  decimalValue,
  intervalValue,
  listValue,
  mapValue,
  structValue,
  timestampTZValue,
  timestampValue,
  timeValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { BigQueryApiError } from '../../src/sandbox/bigquery/errors';
import { canonicalDecimal, fieldFor, fitsInt64, intervalText, javaDouble, renderRow, timestampWire, toWire, type FieldSchema } from '../../src/sandbox/bigquery/wire';

const JSON_TYPE = new DuckDBVarCharType('JSON');
/** 2024-01-02T03:04:05.123456Z in micros. */
const MICROS = BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n + 123_456n;
const DAYS = Date.UTC(2024, 0, 2) / 86_400_000;

function wire(type: DuckDBType, value: DuckDBValue): unknown {
  return toWire(type, value, 'col');
}

function thrown(fn: () => unknown): BigQueryApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BigQueryApiError) return err;
    throw err;
  }
  throw new Error('expected a BigQueryApiError');
}

describe('schema types', () => {
  it.each<[string, DuckDBType, string]>([
    ['BOOLEAN', BOOLEAN, 'BOOLEAN'],
    ['TINYINT', TINYINT, 'INTEGER'],
    ['SMALLINT', SMALLINT, 'INTEGER'],
    ['INTEGER', INTEGER, 'INTEGER'],
    ['BIGINT', BIGINT, 'INTEGER'],
    ['UBIGINT', UBIGINT, 'INTEGER'],
    ['HUGEINT', HUGEINT, 'BIGNUMERIC'],
    ['FLOAT', FLOAT, 'FLOAT'],
    ['DOUBLE', DOUBLE, 'FLOAT'],
    ['DECIMAL(18,3)', DECIMAL(18, 3), 'NUMERIC'],
    ['DECIMAL(38,9)', DECIMAL(38, 9), 'NUMERIC'],
    ['DECIMAL(38,10)', DECIMAL(38, 10), 'BIGNUMERIC'],
    ['VARCHAR', VARCHAR, 'STRING'],
    ['JSON', JSON_TYPE, 'JSON'],
    ['BLOB', BLOB, 'BYTES'],
    ['DATE', DATE, 'DATE'],
    ['TIME', TIME, 'TIME'],
    ['TIMESTAMP', TIMESTAMP, 'DATETIME'],
    ['TIMESTAMP_NS', TIMESTAMP_NS, 'DATETIME'],
    ['TIMESTAMPTZ', TIMESTAMPTZ, 'TIMESTAMP'],
    ['INTERVAL', INTERVAL, 'INTERVAL'],
    ['UUID', UUID, 'STRING'],
    ['SQLNULL', SQLNULL, 'INTEGER'],
  ])('%s → %s', (_name, type, expected) => {
    expect(fieldFor('c', type)).toEqual({ name: 'c', type: expected, mode: 'NULLABLE' });
  });

  it('maps lists to REPEATED and structs to RECORD with fields', () => {
    expect(fieldFor('tags', LIST(VARCHAR))).toEqual({ name: 'tags', type: 'STRING', mode: 'REPEATED' });
    expect(fieldFor('s', STRUCT({ a: BIGINT, b: LIST(DOUBLE) }))).toEqual({
      name: 's',
      type: 'RECORD',
      mode: 'NULLABLE',
      fields: [
        { name: 'a', type: 'INTEGER', mode: 'NULLABLE' },
        { name: 'b', type: 'FLOAT', mode: 'REPEATED' },
      ],
    });
    expect(fieldFor('items', LIST(STRUCT({ sku: VARCHAR })))).toEqual({
      name: 'items',
      type: 'RECORD',
      mode: 'REPEATED',
      fields: [{ name: 'sku', type: 'STRING', mode: 'NULLABLE' }],
    });
    expect(fieldFor('m', MAP(VARCHAR, BIGINT))).toEqual({
      name: 'm',
      type: 'RECORD',
      mode: 'REPEATED',
      fields: [
        { name: 'key', type: 'STRING', mode: 'NULLABLE' },
        { name: 'value', type: 'INTEGER', mode: 'NULLABLE' },
      ],
    });
  });

  it('rejects arrays of arrays as BigQuery does', () => {
    expect(thrown(() => fieldFor('nested', LIST(LIST(BIGINT)))).reason).toBe('invalidQuery');
  });
});

describe('wire values', () => {
  it('encodes booleans and integers exactly, beyond 2^53 too', () => {
    expect(wire(BOOLEAN, true)).toBe('true');
    expect(wire(BOOLEAN, false)).toBe('false');
    expect(wire(INTEGER, 42)).toBe('42');
    expect(wire(BIGINT, 9007199254740993n)).toBe('9007199254740993');
    expect(wire(UBIGINT, 18446744073709551615n)).toBe('18446744073709551615');
    expect(wire(HUGEINT, -170141183460469231731687303715884105728n)).toBe('-170141183460469231731687303715884105728');
  });

  it('spells floats the way BigQuery (Java) does', () => {
    expect(wire(DOUBLE, 1.5)).toBe('1.5');
    expect(wire(DOUBLE, 3)).toBe('3.0');
    expect(wire(DOUBLE, 0.1 + 0.2)).toBe('0.30000000000000004');
    expect(wire(DOUBLE, 1e20)).toBe('1.0E20');
    expect(wire(DOUBLE, 123456789)).toBe('1.23456789E8');
    expect(wire(DOUBLE, 0.0001)).toBe('1.0E-4');
    expect(wire(DOUBLE, NaN)).toBe('NaN');
    expect(wire(DOUBLE, Infinity)).toBe('Infinity');
    expect(wire(DOUBLE, -Infinity)).toBe('-Infinity');
    expect(wire(FLOAT, Math.fround(0.1))).toBe('0.1');
    expect(javaDouble(-0)).toBe('-0.0');
  });

  it('keeps decimals exact, without trailing zeros', () => {
    expect(wire(DECIMAL(18, 3), decimalValue(1500n, 18, 3))).toBe('1.5');
    expect(wire(DECIMAL(38, 9), decimalValue(123456789012345678901234567890123456n, 38, 9))).toBe('123456789012345678901234567.890123456');
    expect(wire(DECIMAL(10, 2), decimalValue(-200n, 10, 2))).toBe('-2');
    expect(canonicalDecimal('-0.000')).toBe('0');
  });

  it('encodes strings, JSON and bytes (base64)', () => {
    expect(wire(VARCHAR, 'héllo')).toBe('héllo');
    expect(wire(JSON_TYPE, '{"a":1}')).toBe('{"a":1}');
    expect(wire(BLOB, blobValue(new Uint8Array([0, 1, 254, 255])))).toBe('AAH+/w==');
  });

  it('encodes civil dates and times in BigQuery\'s canonical formats', () => {
    expect(wire(DATE, dateValue(DAYS))).toBe('2024-01-02');
    expect(wire(TIME, timeValue(((3n * 60n + 4n) * 60n + 5n) * 1_000_000n))).toBe('03:04:05');
    expect(wire(TIME, timeValue(((3n * 60n + 4n) * 60n + 5n) * 1_000_000n + 123_456n))).toBe('03:04:05.123456');
    expect(wire(TIMESTAMP, timestampValue(MICROS - 123_456n))).toBe('2024-01-02T03:04:05');
    expect(wire(TIMESTAMP, timestampValue(MICROS))).toBe('2024-01-02T03:04:05.123456');
    expect(wire(TIMESTAMP, timestampValue(-500_000n))).toBe('1969-12-31T23:59:59.500000');
  });

  it('stores TIMESTAMP as int64 micros and renders it per formatOptions', () => {
    const stored = wire(TIMESTAMPTZ, timestampTZValue(MICROS));
    expect(stored).toBe(MICROS.toString());
    expect(timestampWire(String(stored), 'INT64')).toBe('1704164645123456');
    expect(timestampWire(String(stored), 'FLOAT64')).toBe('1.704164645123456E9');
    expect(timestampWire(String(stored), 'ISO8601_STRING')).toBe('2024-01-02T03:04:05.123456Z');
    expect(timestampWire('0', 'FLOAT64')).toBe('0.0');
  });

  it('encodes INTERVAL in BigQuery\'s Y-M D H:M:S form', () => {
    expect(wire(INTERVAL, intervalValue(14, 3, ((4n * 60n + 5n) * 60n + 6n) * 1_000_000n + 500_000n))).toBe('1-2 3 4:5:6.500000');
    expect(intervalText(-14, -3, -1_000_000n)).toBe('-1-2 -3 -0:0:1');
  });

  it('encodes lists, structs and maps as nested cells; NULL arrays are empty', () => {
    expect(wire(LIST(BIGINT), listValue([1n, 2n]))).toEqual(['1', '2']);
    expect(wire(LIST(BIGINT), null)).toEqual([]);
    expect(wire(STRUCT({ a: BIGINT, b: LIST(VARCHAR) }), structValue({ a: 1n, b: listValue(['x']) }))).toEqual(['1', ['x']]);
    expect(wire(STRUCT({ a: BIGINT }), null)).toBeNull();
    expect(wire(MAP(VARCHAR, BIGINT), mapValue([{ key: 'k', value: 7n }]))).toEqual([['k', '7']]);
  });

  it('rejects a NULL array element as BigQuery does', () => {
    const err = thrown(() => toWire(LIST(BIGINT), listValue([1n, null]), 'tags'));
    expect(err.status).toBe(400);
    expect(err.message).toBe('Array cannot have a null element; error in writing field tags');
  });

  it('tells which integers fit INT64', () => {
    expect(fitsInt64('9223372036854775807')).toBe(true);
    expect(fitsInt64('9223372036854775808')).toBe(false);
    expect(fitsInt64(null)).toBe(true);
    expect(fitsInt64('1.5')).toBe(false);
  });
});

describe('rendered rows', () => {
  const fields: FieldSchema[] = [
    fieldFor('id', BIGINT),
    fieldFor('at', TIMESTAMPTZ),
    fieldFor('tags', LIST(VARCHAR)),
    fieldFor('s', STRUCT({ a: BIGINT, when: TIMESTAMPTZ })),
    fieldFor('items', LIST(STRUCT({ sku: VARCHAR }))),
    fieldFor('gone', VARCHAR),
  ];
  const cells = [
    wire(BIGINT, 1n),
    wire(TIMESTAMPTZ, timestampTZValue(MICROS)),
    wire(LIST(VARCHAR), listValue(['a', 'b'])),
    wire(STRUCT({ a: BIGINT, when: TIMESTAMPTZ }), structValue({ a: 2n, when: timestampTZValue(MICROS) })),
    wire(LIST(STRUCT({ sku: VARCHAR })), listValue([structValue({ sku: 'x' })])),
    wire(VARCHAR, null),
  ] as Parameters<typeof renderRow>[1];

  it('renders {f: [{v}]} with REPEATED as [{v}] and RECORD as {f}', () => {
    expect(renderRow(fields, cells, 'INT64')).toEqual({
      f: [
        { v: '1' },
        { v: '1704164645123456' },
        { v: [{ v: 'a' }, { v: 'b' }] },
        { v: { f: [{ v: '2' }, { v: '1704164645123456' }] } },
        { v: [{ v: { f: [{ v: 'x' }] } }] },
        { v: null },
      ],
    });
    expect(renderRow(fields, cells, 'FLOAT64').f[3]).toEqual({ v: { f: [{ v: '2' }, { v: '1.704164645123456E9' }] } });
  });

  it('is read back by the official client as typed values, in both timestamp encodings', () => {
    const schema = { fields };
    const [fromInt] = BigQuery.mergeSchemaWithRows_(schema, [renderRow(fields, cells, 'INT64')], {
      wrapIntegers: false,
      listParams: { 'formatOptions.useInt64Timestamp': true },
    });
    const [fromFloat] = BigQuery.mergeSchemaWithRows_(schema, [renderRow(fields, cells, 'FLOAT64')], {
      wrapIntegers: false,
      listParams: { 'formatOptions.useInt64Timestamp': false },
    });
    expect(fromInt.id).toBe(1);
    expect(fromInt.at).toBeInstanceOf(BigQueryTimestamp);
    expect(fromInt.at.value).toBe('2024-01-02T03:04:05.123456000Z');
    expect(fromFloat.at.value).toBe(fromInt.at.value);
    expect(fromInt.tags).toEqual(['a', 'b']);
    expect(fromInt.s.a).toBe(2);
    expect(fromInt.items).toEqual([{ sku: 'x' }]);
    expect(fromInt.gone).toBeNull();
  });
});
