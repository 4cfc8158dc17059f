import { fingerprint } from '../../src/diff/fingerprint';
import { keyOf, mapRow, missingColumns, targetOf } from '../../src/diff/mapping';
import { UnreadableValue } from '../../src/sources/source';

const spec = {
  primaryKey: 'id',
  mappings: [
    { from: 'name', to: 'Name' },
    { from: 'health', to: 'Health_Score__c' },
  ],
};

describe('mapRow', () => {
  it('maps columns onto destination fields and ignores unmapped ones', () => {
    expect(mapRow({ id: 1, name: 'Acme', health: 38, notes: 'x' }, spec)).toEqual({
      ok: true,
      key: '1',
      payload: { Name: 'Acme', Health_Score__c: 38 },
    });
  });

  it('rejects NULL and empty primary keys', () => {
    expect(mapRow({ id: null, name: 'Acme', health: 1 }, spec)).toMatchObject({ ok: false, reason: 'NULL_PRIMARY_KEY' });
    expect(mapRow({ id: '  ', name: 'Acme', health: 1 }, spec)).toMatchObject({ ok: false, reason: 'NULL_PRIMARY_KEY' });
  });

  it('rejects a key holding U+0000 or longer than 1,024 UTF-8 bytes, which PostgreSQL cannot store or index', () => {
    expect(mapRow({ id: 'a\u0000b', name: 'Acme', health: 1 }, spec)).toMatchObject({ ok: false, reason: 'UNUSABLE_PRIMARY_KEY' });
    // 512 two-byte characters are 1,024 bytes: kept; one more is not.
    expect(mapRow({ id: 'é'.repeat(512), name: 'Acme', health: 1 }, spec)).toMatchObject({ ok: true });
    expect(mapRow({ id: 'é'.repeat(513), name: 'Acme', health: 1 }, spec)).toMatchObject({ ok: false, reason: 'UNUSABLE_PRIMARY_KEY', message: expect.stringContaining('is 1026 bytes long') as unknown });
  });

  it('reports a row with an unreadable mapped value invalid, naming the column and the value', () => {
    const row = { id: 7, name: 'Acme', health: new UnreadableValue('decimal', 'NaN') };
    expect(mapRow(row, spec)).toEqual({
      ok: false,
      reason: 'UNREADABLE_VALUE',
      key: '7',
      message: 'column health: cannot read "NaN" as decimal',
    });
    expect(mapRow({ ...row, id: new UnreadableValue('integer', 'x') }, spec)).toMatchObject({
      reason: 'UNREADABLE_VALUE',
      key: null,
      message: 'column id: cannot read "x" as integer; column health: cannot read "NaN" as decimal',
    });
  });

  it('says why a value is unreadable when its text does not show it: a JSON key given twice, and which', () => {
    const row = { id: 7, name: new UnreadableValue('json', '{"tier":"gold","tier":"silver"}', 'key "tier" appears twice with different values'), health: 1 };
    expect(mapRow(row, spec)).toEqual({
      ok: false,
      reason: 'UNREADABLE_VALUE',
      key: '7',
      message: 'column name: cannot read "{\\"tier\\":\\"gold\\",\\"tier\\":\\"silver\\"}" as json: key "tier" appears twice with different values',
    });
  });

  it('ignores an unreadable value in a column the sync does not send', () => {
    expect(mapRow({ id: 1, name: 'Acme', health: 38, seen: new UnreadableValue('timestamp', 'infinity') }, spec)).toEqual({
      ok: true,
      key: '1',
      payload: { Name: 'Acme', Health_Score__c: 38 },
    });
  });

  it('keeps big integer keys exact', () => {
    expect(keyOf('9007199254740993')).toBe('9007199254740993');
    expect(keyOf(42)).toBe('42');
  });
});

describe('fingerprint', () => {
  const target = 'salesforce/Account/External_Id__c';
  it('ignores key order and unmapped columns, changes with any mapped value or the target', () => {
    const a = fingerprint(target, { Name: 'Acme', Health_Score__c: 38 });
    expect(fingerprint(target, { Health_Score__c: 38, Name: 'Acme' })).toBe(a);
    const unmappedChange = mapRow({ id: 1, name: 'Acme', health: 38, notes: 'changed' }, spec);
    expect(unmappedChange.ok && fingerprint(target, unmappedChange.payload)).toBe(a);
    expect(fingerprint(target, { Name: 'Acme', Health_Score__c: 30 })).not.toBe(a);
    expect(fingerprint(target, { Name: 'Acme', Health_Score__c: '38' })).not.toBe(a);
    expect(fingerprint('salesforce/Contact/External_Id__c', { Name: 'Acme', Health_Score__c: 38 })).not.toBe(a);
  });

  it('stays what earlier versions stored: a new hashing would make every store re-send everything', () => {
    // Computed with createHash('sha256') over safe-stable-stringify({ target, payload }), as first released.
    const payload = { Name: 'Acme', Health_Score__c: 38, Tags: ['a', 'b'], Meta: { z: 1, a: null } };
    expect(fingerprint('{"connection":"sf","object":"Account"}', payload)).toBe('0Z6vYFPYmrX2a765NjrY2gKHwwTDy1UtImb76W4qQO4');
  });

  it('changes when the mapping changes (a newly mapped field re-sends the row)', () => {
    const before = mapRow({ id: 1, name: 'Acme', health: 38, segment: 'at-risk' }, spec);
    const after = mapRow({ id: 1, name: 'Acme', health: 38, segment: 'at-risk' }, {
      ...spec,
      mappings: [...spec.mappings, { from: 'segment', to: 'Segment__c' }],
    });
    expect(before.ok && after.ok && fingerprint(target, before.payload) !== fingerprint(target, after.payload)).toBe(true);
  });
});

describe('missingColumns', () => {
  it('names the config path of every column the model does not return', () => {
    expect(missingColumns(spec, ['name'])).toEqual([
      { path: 'primaryKey', column: 'id' },
      { path: 'mappings[1].from', column: 'health' },
    ]);
    expect(missingColumns(spec, ['id', 'name', 'health'])).toEqual([]);
  });
});

describe('targetOf', () => {
  const destination = { connection: 'sf', object: 'Account', externalIdField: 'External_Id__c' };

  it('changes with any setting of the destination block, so a retargeted sync re-sends', () => {
    expect(targetOf({ destination })).not.toBe(targetOf({ destination: { ...destination, object: 'Contact' } }));
    expect(targetOf({ destination })).not.toBe(targetOf({ destination: { ...destination, template: 'x' } }));
  });

  it('leaves out what says how records travel or which rows go, so changing it re-sends nothing', () => {
    for (const setting of [{ bulkThreshold: 5000 }, { delivery: 'batch' }, { when: { field: 'segment', in: ['at-risk'] } }, { onChange: 'thread' }]) {
      expect(targetOf({ destination: { ...destination, ...setting } })).toBe(targetOf({ destination }));
    }
  });

  it('ignores the order keys were written in', () => {
    expect(targetOf({ destination })).toBe(
      targetOf({ destination: { externalIdField: 'External_Id__c', object: 'Account', connection: 'sf' } }),
    );
  });
});
