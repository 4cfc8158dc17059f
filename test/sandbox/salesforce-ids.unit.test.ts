import { IdGenerator, idChecksum, normalizeId, to18 } from '../../src/sandbox/salesforce/ids';

describe('Salesforce id checksum', () => {
  it('matches real 15 → 18 conversions', () => {
    // Published conversions (Salesforce docs / community references of CASESAFEID()).
    expect(to18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(to18('a0D30000001n7Pi')).toBe('a0D30000001n7PiEAI');
    expect(to18('a0RE000000IJmcN')).toBe('a0RE000000IJmcNMAT');
    expect(to18('001M000000qfPyS')).toBe('001M000000qfPySIAU');
  });

  it.each([
    ['a01M00000062mPg', 'IAI'],
    ['a0FE000000D6r3F', 'MAR'],
    ['0F9E000000092w2', 'KAA'],
    ['aaaaaaaaaaaaaaa', 'AAA'],
    ['AbCdEfGhIjKlMnO', 'VKV'],
    ['aBcDEfgHIJKLMNO', '025'],
  ])('%s → suffix %s', (id15, suffix) => {
    expect(idChecksum(id15)).toBe(suffix);
  });

  it('rejects input that is not a 15-character id', () => {
    expect(() => idChecksum('001A0000006Vm9')).toThrow();
    expect(() => idChecksum('001A0000006Vm9!')).toThrow();
  });
});

describe('normalizeId', () => {
  it('turns 15-char ids into their 18-char form and keeps valid 18-char ids', () => {
    expect(normalizeId('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('001A0000006Vm9rIAC')).toBe('001A0000006Vm9rIAC');
  });

  it('rejects malformed ids and 18-char ids whose suffix does not match', () => {
    expect(normalizeId('001A0000006Vm9rAAA')).toBeNull();
    expect(normalizeId('not-an-id')).toBeNull();
    expect(normalizeId('001A0000006Vm9rI')).toBeNull();
    expect(normalizeId('')).toBeNull();
  });
});

describe('IdGenerator', () => {
  it('hands out unique, well-formed 18-char ids with the key prefix', () => {
    const ids = new IdGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i += 1) {
      const id = ids.next(i % 2 === 0 ? '001' : '003');
      expect(id).toMatch(/^00[13][0-9A-Za-z]{15}$/);
      expect(id.startsWith(i % 2 === 0 ? '001' : '003')).toBe(true);
      // The suffix must be the real checksum of the body.
      expect(normalizeId(id.slice(0, 15))).toBe(id);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
  });

  it('encodes the counter in base62 so ids differ only by case in the body', () => {
    const ids = new IdGenerator(10);
    const a = ids.next('001'); // counter 10 → 'A'
    const b = new IdGenerator(36).next('001'); // counter 36 → 'a'
    expect(a.slice(0, 15).toLowerCase()).toBe(b.slice(0, 15).toLowerCase());
    // Case-safe suffixes keep them distinct even case-insensitively.
    expect(a.toLowerCase()).not.toBe(b.toLowerCase());
  });
});
