/**
 * Salesforce record ids: 15 case-sensitive characters (3-char key prefix, 2-char pod,
 * 1 reserved char, 9-char base62 counter) plus the 3-char case-safe checksum that the
 * API always returns, giving the 18-character form.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const ID_BODY = /^[0-9A-Za-z]{15}$/;
const ID_ANY = /^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$/;

/** Pod identifier baked into every sandbox id (real orgs use their instance's pod). */
const POD = '5g';
const RESERVED = '0';
const COUNTER_WIDTH = 9;

/**
 * Case-safe suffix for a 15-char id: for each 5-char chunk, bit i is set when char i is
 * an uppercase A-Z; the 5-bit number indexes into A-Z0-5.
 */
export function idChecksum(id15: string): string {
  if (!ID_BODY.test(id15)) {
    throw new Error(`not a 15-character Salesforce id: ${id15}`);
  }
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    let bits = 0;
    for (let i = 0; i < 5; i += 1) {
      const ch = id15.charAt(chunk * 5 + i);
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET.charAt(bits);
  }
  return suffix;
}

/** 15 → 18 characters (18-char input is returned unchanged). */
export function to18(id: string): string {
  if (id.length === 18) return id;
  return id + idChecksum(id);
}

/**
 * Canonical 18-char form of a 15/18-char id, or null when the text is not a well-formed id
 * (wrong length, bad characters, or an 18-char id whose suffix does not match its body).
 * Salesforce accepts the suffix in any letter case because it only encodes case.
 */
export function normalizeId(text: string): string | null {
  if (!ID_ANY.test(text)) return null;
  const body = text.slice(0, 15);
  const expected = idChecksum(body);
  if (text.length === 18 && text.slice(15).toUpperCase() !== expected) return null;
  return body + expected;
}

export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}

function base62(n: number, width: number): string {
  let out = '';
  let rest = n;
  do {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  if (out.length > width) throw new Error('Salesforce id counter overflow');
  return out.padStart(width, '0');
}

/** Hands out unique 18-char ids; one counter for the whole org, as Salesforce does per pod. */
export class IdGenerator {
  private counter: number;

  constructor(start = 1) {
    this.counter = start;
  }

  next(keyPrefix: string): string {
    if (!/^[0-9A-Za-z]{3}$/.test(keyPrefix)) throw new Error(`bad key prefix: ${keyPrefix}`);
    const id15 = keyPrefix + POD + RESERVED + base62(this.counter, COUNTER_WIDTH);
    this.counter += 1;
    return to18(id15);
  }
}
