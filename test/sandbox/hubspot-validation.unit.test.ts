/** Property value validation of the HubSpot sandbox: HubSpot's error codes and stored forms. */
import { defineProperty } from '../../src/sandbox/hubspot/properties';
import { AccountSchema } from '../../src/sandbox/hubspot/schema';
import { propertyErrorsMessage, validateProperties, validateValue } from '../../src/sandbox/hubspot/validation';

const number = defineProperty({ name: 'mrr', type: 'number' }, false, 0);
const segment = defineProperty({ name: 'segment', type: 'enumeration', options: ['at-risk', 'healthy'] }, false, 0);
const tags = defineProperty({ name: 'tags', type: 'enumeration', fieldType: 'checkbox', options: ['a', 'b'] }, false, 0);
const email = defineProperty({ name: 'email', type: 'string' }, true, 0);
const flag = defineProperty({ name: 'vip', type: 'bool' }, false, 0);
const when = defineProperty({ name: 'renewal', type: 'date' }, false, 0);
const at = defineProperty({ name: 'seen_at', type: 'datetime' }, false, 0);

function errorCode(def: Parameters<typeof validateValue>[0], raw: unknown): string | undefined {
  const result = validateValue(def, raw);
  return result.ok ? undefined : result.error.error;
}

describe('validateValue', () => {
  it('accepts plain decimal numbers (string or JSON number) and refuses the rest with INVALID_INTEGER', () => {
    expect(validateValue(number, '900.50')).toEqual({ ok: true, value: '900.50' });
    expect(validateValue(number, 42)).toEqual({ ok: true, value: '42' });
    expect(validateValue(number, '-3')).toEqual({ ok: true, value: '-3' });
    for (const bad of ['lots', '1.4e-14', '1,000']) expect([bad, errorCode(number, bad)]).toEqual([bad, 'INVALID_INTEGER']);
    expect(validateValue(number, 'lots')).toMatchObject({ error: { message: 'lots was not a valid number.', propertyValue: 'lots' } });
  });

  it('clears any property with an empty string or null', () => {
    expect(validateValue(number, '')).toEqual({ ok: true, value: '' });
    expect(validateValue(segment, null)).toEqual({ ok: true, value: '' });
  });

  it('checks enumeration values against the option values (each part of a multi-select)', () => {
    expect(validateValue(segment, 'healthy')).toEqual({ ok: true, value: 'healthy' });
    expect(errorCode(segment, 'Healthy')).toBe('INVALID_OPTION');
    expect(validateValue(tags, 'a;b')).toEqual({ ok: true, value: 'a;b' });
    expect(errorCode(tags, 'a;c')).toBe('INVALID_OPTION');
    const result = validateValue(segment, 'gone');
    expect(result.ok ? '' : result.error.message).toBe(
      'gone was not one of the allowed options: [label: "at-risk"\nvalue: "at-risk"\ndisplay_order: 0\nhidden: false\nread_only: false\n, label: "healthy"\nvalue: "healthy"\ndisplay_order: 1\nhidden: false\nread_only: false\n]',
    );
  });

  it('lower-cases valid email addresses and refuses malformed ones with INVALID_EMAIL', () => {
    expect(validateValue(email, 'Ada@Example.COM')).toEqual({ ok: true, value: 'ada@example.com' });
    for (const bad of ['not-an-email', 'a@b', 'a b@example.com', 'a@example.c']) expect([bad, errorCode(email, bad)]).toEqual([bad, 'INVALID_EMAIL']);
    expect(validateValue(email, 'x@y')).toMatchObject({ error: { message: 'Email address x@y is invalid' } });
  });

  it('refuses a non-string value with leading or trailing whitespace, invisible characters too, with LEADING_TRAILING_WHITESPACE', () => {
    for (const [def, bad] of [
      [number, ' 12'],
      [number, '12\n'],
      [segment, 'healthy '],
      [segment, '\u00a0healthy'],
      [segment, 'healthy\u200b'],
      [tags, 'a; b'],
      [flag, 'true\t'],
      [when, ' 2024-05-01'],
      [at, '2024-05-01T10:00:00Z '],
    ] as const) {
      expect([bad, validateValue(def, bad)]).toEqual([
        bad,
        { ok: false, error: { name: def.name, error: 'LEADING_TRAILING_WHITESPACE', message: `"${bad}" includes leading or trailing whitespace.` } },
      ]);
    }
    // Text properties keep their whitespace as written.
    const notes = defineProperty({ name: 'notes', type: 'string' }, false, 0);
    expect(validateValue(notes, ' indented ')).toEqual({ ok: true, value: ' indented ' });
  });

  it('takes a text value of up to 65,536 characters and refuses a longer one, naming the property and the limit', () => {
    const notes = defineProperty({ name: 'notes', type: 'string', fieldType: 'textarea' }, false, 0);
    const longest = 'x'.repeat(65_536);
    expect(validateValue(notes, longest).ok).toBe(true);
    const result = validateValue(notes, `${longest}y`);
    // Compared as 'stored' or the error, so a failure does not print 65,537 characters.
    expect(result.ok ? 'stored' : result.error).toEqual({
      name: 'notes',
      error: 'VALUE_TOO_LONG',
      message: 'Property "notes" value is 65537 characters long; the limit is 65536 characters.',
    });
    // The offending value is not echoed back: the message stays short.
    expect(propertyErrorsMessage(result.ok ? [] : [result.error], 1).length).toBeLessThan(400);
    // Every text property has it, the email too.
    expect(errorCode(email, `${'a'.repeat(65_530)}@example.com`)).toBe('VALUE_TOO_LONG');
  });

  it('normalises booleans, datetimes and midnight dates', () => {
    expect(validateValue(flag, 'TRUE')).toEqual({ ok: true, value: 'true' });
    expect(errorCode(flag, 'yes')).toBe('INVALID_BOOLEAN');
    expect(validateValue(at, 0)).toEqual({ ok: true, value: '1970-01-01T00:00:00.000Z' });
    expect(validateValue(at, '2024-05-01T10:00:00+02:00')).toEqual({ ok: true, value: '2024-05-01T08:00:00.000Z' });
    // ISO 8601 with any fraction of a second (a warehouse's microseconds).
    expect(validateValue(at, '2024-01-15T10:00:00.123456Z')).toEqual({ ok: true, value: '2024-01-15T10:00:00.123Z' });
    expect(errorCode(at, 'next tuesday')).toBe('INVALID_LONG');
    expect(validateValue(when, '2024-05-01')).toEqual({ ok: true, value: '2024-05-01' });
    expect(errorCode(when, '2024-05-01T10:00:00Z')).toBe('INVALID_DATE');
  });
});

describe('validateProperties', () => {
  const contacts = new AccountSchema(1).resolve('contacts');

  it('keeps the valid values and reports unknown, calculated and invalid ones', () => {
    if (contacts === undefined) throw new Error('contacts missing');
    const { values, errors } = validateProperties(contacts.properties, {
      firstname: 'Ada',
      nope: 'x',
      hs_object_id: '1',
      createdate: '2020-01-01',
      lifecyclestage: 'champion',
    });
    expect(values).toEqual({ firstname: 'Ada' });
    expect(errors.map((e) => [e.name, e.error])).toEqual([
      ['nope', 'PROPERTY_DOESNT_EXIST'],
      ['hs_object_id', 'READ_ONLY_VALUE'],
      ['createdate', 'READ_ONLY_VALUE'],
      ['lifecyclestage', 'INVALID_OPTION'],
    ]);
  });

  it('refuses writes to a custom property marked read-only', () => {
    const schema = new AccountSchema(1, { companies: [{ name: 'score', type: 'number', readOnlyValue: true }] });
    const companies = schema.resolve('companies');
    if (companies === undefined) throw new Error('companies missing');
    expect(validateProperties(companies.properties, { score: '1' }).errors).toEqual([
      { name: 'score', error: 'READ_ONLY_VALUE', message: '"score" is a read only property; its value cannot be set.' },
    ]);
  });

  it('renders the "Property values were not valid" message HubSpot sends', () => {
    expect(propertyErrorsMessage([{ name: 'foo', error: 'PROPERTY_DOESNT_EXIST', message: 'Property "foo" does not exist' }], 99)).toBe(
      'Property values were not valid: [{"isValid":false,"message":"Property \\"foo\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"foo","localizedErrorMessage":"Property \\"foo\\" does not exist","portalId":99}]',
    );
  });
});

describe('AccountSchema', () => {
  const schema = new AccountSchema(777, {}, [
    { objectTypeId: '2-1234567', name: 'accounts', properties: [{ name: 'external_id', type: 'string', hasUniqueValue: true }] },
  ]);

  it('resolves standard types by name, singular and id, and custom ones by id or fully qualified name only', () => {
    expect(schema.resolve('contacts')?.objectTypeId).toBe('0-1');
    expect(schema.resolve('CONTACT')?.objectTypeId).toBe('0-1');
    expect(schema.resolve('0-2')?.name).toBe('companies');
    for (const name of ['2-1234567', 'p777_accounts', 'p_accounts']) expect(schema.resolve(name)?.name).toBe('accounts');
    expect(schema.resolve('accounts')).toBeUndefined();
  });

  it('allows upserts by email on contacts and by hasUniqueValue properties', () => {
    expect([...(schema.resolve('contacts')?.idProperties ?? [])]).toEqual(['email']);
    expect([...(schema.resolve('p_accounts')?.idProperties ?? [])]).toEqual(['external_id']);
    expect(schema.resolve('companies')?.idProperties.size).toBe(0);
  });

  it('refuses malformed custom object ids and clashing names', () => {
    expect(() => new AccountSchema(1, {}, [{ objectTypeId: '1234567', name: 'x', properties: [] }])).toThrow(/2-1234567/);
    expect(
      () =>
        new AccountSchema(1, {}, [
          { objectTypeId: '2-1', name: 'x', properties: [] },
          { objectTypeId: '2-2', name: 'x', properties: [] },
        ]),
    ).toThrow(/defined twice/);
  });
});
