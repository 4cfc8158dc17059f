import { fromWire, labelValue, readWire } from '../../src/sources/bigquery';
import { normalizeInterval } from '../../src/sources/normalize';
import { UnreadableValue } from '../../src/sources/source';
import { intervalText } from '../../src/sandbox/bigquery/wire';

describe('BigQuery wire values', () => {
  it('normalises scalars like every other source', () => {
    expect(fromWire({ type: 'INTEGER' }, '9007199254740993')).toBe('9007199254740993');
    expect(fromWire({ type: 'INT64' }, '42')).toBe(42);
    expect(fromWire({ type: 'NUMERIC' }, '12.5')).toBe('12.5');
    expect(fromWire({ type: 'FLOAT' }, 'NaN')).toBe('NaN');
    expect(fromWire({ type: 'BOOLEAN' }, 'true')).toBe(true);
    expect(fromWire({ type: 'DATETIME' }, '2024-01-02T03:04:05.5')).toBe('2024-01-02T03:04:05.500000');
    expect(fromWire({ type: 'BYTES' }, 'qw==')).toBe('qw==');
    expect(fromWire({ type: 'STRING' }, null)).toBeNull();
    expect(fromWire({ type: 'STRING' }, '')).toBe('');
  });

  it('reads INTERVAL (`Y-M D H:M:S.F`, each part signed) as the ISO duration DuckDB and PostgreSQL give', () => {
    expect(fromWire({ type: 'INTERVAL' }, '1-2 3 4:5:6.789')).toBe('P1Y2M3DT4H5M6.789S');
    expect(fromWire({ type: 'INTERVAL' }, '-1-2 -3 -4:5:6.5')).toBe('P-1Y-2M-3DT-4H-5M-6.5S');
    expect(fromWire({ type: 'INTERVAL' }, '0-0 0 0:0:0')).toBe('PT0S');
    expect(fromWire({ type: 'INTERVAL' }, '0-0 0 1000000:0:0')).toBe('PT1000000H');
    // The BigQuery sandbox writes DuckDB's intervals in BigQuery's form: read back, they are DuckDB's.
    for (const parts of [
      { months: 14, days: 3, micros: 14_706_789_000n },
      { months: -14, days: -3, micros: -14_706_500_000n },
      { months: 0, days: 31, micros: 1n },
    ]) {
      expect(fromWire({ type: 'INTERVAL' }, intervalText(parts.months, parts.days, parts.micros))).toBe(normalizeInterval(parts));
    }
    expect(readWire({ name: 'gap', type: 'INTERVAL' }, 'P1D')).toBeInstanceOf(UnreadableValue);
  });

  it('reads TIMESTAMP as int64 microseconds or as float seconds', () => {
    expect(fromWire({ type: 'TIMESTAMP' }, '1704157445123000')).toBe('2024-01-02T01:04:05.123000Z');
    expect(fromWire({ type: 'TIMESTAMP' }, '1.704157445123E9')).toBe('2024-01-02T01:04:05.123000Z');
  });

  it('turns REPEATED into arrays and RECORD into objects', () => {
    expect(fromWire({ type: 'INTEGER', mode: 'REPEATED' }, [{ v: '1' }, { v: '2' }])).toEqual([1, 2]);
    const record = { type: 'RECORD', fields: [{ name: 'a', type: 'INTEGER' }, { name: 'b', type: 'STRING', mode: 'REPEATED' }] };
    expect(fromWire(record, { f: [{ v: '7' }, { v: [{ v: 'x' }] }] })).toEqual({ a: 7, b: ['x'] });
  });

  it('makes label values BigQuery accepts', () => {
    expect(labelValue('sync:Accounts_to_SF:20261125T070102Z')).toBe('sync_accounts_to_sf_20261125t070102z');
    expect(labelValue('x'.repeat(80))).toHaveLength(63);
  });
});

describe('readWire', () => {
  it('gives a cell it cannot read as an UnreadableValue (the row is reported invalid), not a failed stream', () => {
    expect(readWire({ name: 'd', type: 'DATE' }, '2024-02-03')).toBe('2024-02-03');
    const unreadable = readWire({ name: 'd', type: 'DATE' }, 'not a date');
    expect(unreadable).toBeInstanceOf(UnreadableValue);
    expect(unreadable).toMatchObject({ kind: 'date', raw: '"not a date"' });
  });
});
