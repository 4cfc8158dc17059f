import { createHash } from 'node:crypto';
import { hashRow, hashValue, memberId, normalize, parseMemberId, payloadData, schemaOf, unusableIdentifiers } from '../../src/destinations/metaHashing';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('Meta customer-file normalisation (Marketing API "Hashing and Normalizing Data")', () => {
  it('trims and lowercases emails', () => {
    expect(normalize('EMAIL', '  John_Smith@Gmail.COM ')).toBe('john_smith@gmail.com');
  });

  it('keeps phone digits only, with the country code and no leading zeros', () => {
    // Meta's customer-list examples: 1-234-567-8910 and +44 844 412 4653.
    expect(normalize('PHONE', '1-234-567-8910')).toBe('12345678910');
    expect(normalize('PHONE', '+44 844 412 4653')).toBe('448444124653');
    expect(normalize('PHONE', '+1 (650) 555-1212')).toBe('16505551212');
    expect(normalize('PHONE', '0044 844 412 4653')).toBe('448444124653');
  });

  it('lowercases names to letters only, keeping other alphabets (UTF-8)', () => {
    expect(normalize('FN', 'Mary-Ann')).toBe('maryann');
    expect(normalize('LN', "O'Brien Jr.")).toBe('obrienjr');
    expect(normalize('FN', 'Valéria')).toBe('valéria');
    expect(normalize('FI', ' Jane')).toBe('j');
    expect(normalize('CT', 'San Francisco')).toBe('sanfrancisco');
  });

  it('cuts US zip codes to 5 digits, lowercases others without spaces, and takes 2-letter countries', () => {
    expect(normalize('ZIP', '94035-1234')).toBe('94035');
    expect(normalize('ZIP', 'WC2H 8LG')).toBe('wc2h8lg');
    expect(normalize('COUNTRY', 'US')).toBe('us');
    expect(normalize('COUNTRY', 'USA')).toBe('');
    expect(normalize('ST', 'CA')).toBe('ca');
  });

  it("turns a US state's full name into the 2-letter code Meta matches US states by; other regions stay compacted", () => {
    expect(normalize('ST', 'California')).toBe('ca');
    expect(normalize('ST', ' New York ')).toBe('ny');
    expect(normalize('ST', 'District of Columbia')).toBe('dc');
    expect(normalize('ST', 'puerto rico')).toBe('pr');
    expect(hashValue('ST', 'West Virginia')).toBe(sha('wv'));
    expect(normalize('ST', 'Ontario')).toBe('ontario');
    expect(normalize('ST', 'Île-de-France')).toBe('îledefrance');
  });

  it('maps gender to m/f and pads birth month and day', () => {
    expect(normalize('GEN', 'Female')).toBe('f');
    expect(normalize('GEN', 'x')).toBe('');
    expect(normalize('DOBM', '7')).toBe('07');
    expect(normalize('DOBD', '31')).toBe('31');
    expect(normalize('DOBD', '32')).toBe('');
    expect(normalize('DOBY', '1984')).toBe('1984');
    // A DATE column mapped to each part: its year, month and day.
    expect(['DOBY', 'DOBM', 'DOBD'].map((key) => normalize(key as 'DOBY', '1990-05-07'))).toEqual(['1990', '05', '07']);
    expect(normalize('DOBD', '1990-05-17T00:00:00.000000Z')).toBe('17');
  });

  it('takes a birth year from 1900 to this year only, as Meta documents DOBY; a later one (a typo, a 2099-12-31 placeholder date) is reported', () => {
    const thisYear = new Date().getUTCFullYear();
    expect(normalize('DOBY', '1900')).toBe('1900');
    expect(normalize('DOBY', String(thisYear))).toBe(String(thisYear));
    for (const bad of ['1899', String(thisYear + 1), '2099', '2099-12-31']) expect([bad, normalize('DOBY', bad)]).toEqual([bad, '']);
    expect(unusableIdentifiers({ EMAIL: 'a@b.example', DOBY: '2099-12-31' }, schemaOf(['EMAIL', 'DOBY']))).toEqual({
      code: 'INVALID_FIELD_VALUE',
      message: `DOBY: "2099-12-31" is not a year from 1900 to ${thisYear} (YYYY) or a date (write it in the model, or map NULL to leave it out)`,
      fields: ['DOBY'],
    });
  });

  it('names the identifiers whose value normalises to nothing; empty and NULL ones are simply unknown', () => {
    const schema = schemaOf(['EMAIL', 'COUNTRY', 'GEN', 'PHONE']);
    expect(unusableIdentifiers({ EMAIL: 'a@b.example', COUNTRY: 'us', GEN: '', PHONE: null }, schema)).toBeUndefined();
    expect(unusableIdentifiers({ EMAIL: 'a@b.example', COUNTRY: 'USA', GEN: 'f', PHONE: 'n/a' }, schema)).toEqual({
      code: 'INVALID_FIELD_VALUE',
      message: 'PHONE: "n/a" is not a phone number with its country code; COUNTRY: "USA" is not a two-letter ISO 3166-1 code (us, gb) (write it in the model, or map NULL to leave it out)',
      fields: ['PHONE', 'COUNTRY'],
    });
  });

  it('hashes the normalised value as lowercase SHA-256 hex, and sends EXTERN_ID as it is', () => {
    expect(hashValue('EMAIL', ' Ops@Acme.example ')).toBe(sha('ops@acme.example'));
    expect(hashValue('EMAIL', 'test@example.com')).toBe('973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b');
    expect(hashValue('PHONE', '+1 (650) 555-1212')).toBe(sha('16505551212'));
    expect(hashValue('EXTERN_ID', 'acct-1')).toBe('acct-1');
    expect(hashValue('EMAIL', '   ')).toBe('');
    expect(hashValue('PHONE', null)).toBe('');
  });

  it('sends a value the warehouse already hashed (SHA-256 hex) as it is, lowercased, never hashed twice or normalised away', () => {
    const email = sha('jane@acme.com');
    expect(hashValue('EMAIL', email)).toBe(email);
    expect(hashValue('EMAIL', ` ${email.toUpperCase()} `)).toBe(email);
    // Normalised, a hashed country is no 2-letter code and a hashed gender no m/f: neither is refused.
    const fields = { EMAIL: email, COUNTRY: sha('us'), GEN: sha('f'), PHONE: sha('16505551212') };
    const schema = schemaOf(Object.keys(fields));
    expect(unusableIdentifiers(fields, schema)).toBeUndefined();
    expect(hashRow(fields, schema)).toEqual(fields);
    // EXTERN_ID and MADID are never hashed: a 64-hex one stays exactly as given.
    expect(hashValue('EXTERN_ID', email.toUpperCase())).toBe(email.toUpperCase());
  });

  it('restores the leading zeros a numeric column dropped from a US zip, only in a row whose country is the US', () => {
    const schema = schemaOf(['ZIP', 'COUNTRY', 'EMAIL']);
    expect(hashRow({ EMAIL: 'a@b.example', ZIP: 2134, COUNTRY: 'US' }, schema)['ZIP']).toBe(sha('02134'));
    expect(hashRow({ EMAIL: 'a@b.example', ZIP: '501', COUNTRY: 'us' }, schema)['ZIP']).toBe(sha('00501'));
    expect(hashRow({ EMAIL: 'a@b.example', ZIP: 21341234, COUNTRY: 'US' }, schema)['ZIP']).toBe(sha('02134'));
    expect(hashRow({ EMAIL: 'a@b.example', ZIP: '94035', COUNTRY: 'US' }, schema)['ZIP']).toBe(sha('94035'));
    // A 4-digit postcode elsewhere (Australia, Denmark) is whole, and without a country nothing says it is American.
    expect(hashRow({ EMAIL: 'a@b.example', ZIP: 2000, COUNTRY: 'AU' }, schema)['ZIP']).toBe(sha('2000'));
    expect(hashRow({ EMAIL: 'a@b.example', ZIP: 2134 }, schemaOf(['ZIP', 'EMAIL']))['ZIP']).toBe(sha('2134'));
  });

  it('builds rows in schema order with "" for unknown values, and member ids that round-trip', () => {
    const schema = schemaOf(['PHONE', 'EMAIL', 'EXTERN_ID']);
    expect(schema).toEqual(['EXTERN_ID', 'EMAIL', 'PHONE']);
    const row = hashRow({ EMAIL: 'A@B.example', PHONE: null, EXTERN_ID: 7 }, schema);
    expect(row).toEqual({ EMAIL: sha('a@b.example'), EXTERN_ID: '7' });
    expect(payloadData([row], schema)).toEqual([['7', sha('a@b.example'), '']]);
    expect(parseMemberId(memberId(row))).toEqual(row);
    expect(parseMemberId(null)).toBeNull();
  });
});

describe('identifiers given as a list or an object', () => {
  it('rejects the row naming the field: a list of emails is not one email, and dropping it would add the person on less', () => {
    expect(unusableIdentifiers({ EMAIL: ['Ops@Acme.example'], PHONE: '+1 650 555 0101' }, ['EMAIL', 'PHONE'])).toEqual({
      code: 'INVALID_FIELD_VALUE',
      message: 'EMAIL: ["Ops@Acme.example"] is a list, not an email address (write it in the model, or map NULL to leave it out)',
      fields: ['EMAIL'],
    });
    expect(unusableIdentifiers({ CT: { name: 'Springfield' } }, ['CT'])).toMatchObject({ message: 'CT: {"name":"Springfield"} is an object, not a city with letters (write it in the model, or map NULL to leave it out)' });
    // NULL, blank text and an empty list or object are unknown, not wrong (an opt-out may empty a list).
    expect(unusableIdentifiers({ EMAIL: null, PHONE: '  ', CT: [], ST: {} }, ['EMAIL', 'PHONE', 'CT', 'ST'])).toBeUndefined();
  });
});
