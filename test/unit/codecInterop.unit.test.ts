import { createCipheriv, randomBytes, webcrypto } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';
import { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, payloadKeyId } from '../../src/temporal/codec';

/**
 * The logic of Temporal's encryption sample, copied from temporalio/samples-typescript:
 * encryption/src/encryption-codec.ts (EncryptionCodec.encode/decode, commit a0026de7b937186ce363d795f9bf8a430f7f1351,
 * the version on main) and encryption/src/crypto.ts (encrypt/decrypt, commit 0c5fb505be22e75ff5ec04fbf8aa8a62ec68b304).
 * Kept: metadata `encoding: binary/encrypted` + `encryption-key-id` (utf-8), `Payload.encode` / `Payload.decode`,
 * WebCrypto AES-GCM with the raw key imported as is, a random 12-byte IV prepended, a 128-bit tag
 * (WebCrypto appends it). Dropped: the key map / fetchKey (one key here) and the console.log.
 */
class SampleEncryptionCodec implements PayloadCodec {
  private constructor(
    private readonly key: webcrypto.CryptoKey,
    private readonly keyId: string,
  ) {}

  static async create(rawKey: Buffer, keyId: string): Promise<SampleEncryptionCodec> {
    const key = await webcrypto.subtle.importKey('raw', rawKey, { name: 'AES-GCM' }, true, ['encrypt', 'decrypt']);
    return new SampleEncryptionCodec(key, keyId);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => ({
        metadata: { [METADATA_ENCODING_KEY]: encode(ENCODING), [METADATA_ENCRYPTION_KEY_ID]: encode(this.keyId) },
        data: await sampleEncrypt(temporal.api.common.v1.Payload.encode(payload).finish(), this.key),
      })),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (!payload.metadata || decode(payload.metadata[METADATA_ENCODING_KEY]!) !== ENCODING) return payload;
        if (!payload.data) throw new ValueError('Payload data is missing');
        const keyIdBytes = payload.metadata[METADATA_ENCRYPTION_KEY_ID];
        if (!keyIdBytes) throw new ValueError('Unable to decrypt Payload without encryption key id');
        if (decode(keyIdBytes) !== this.keyId) throw new ValueError(`no key ${decode(keyIdBytes)}`);
        return temporal.api.common.v1.Payload.decode(await sampleDecrypt(payload.data, this.key));
      }),
    );
  }
}

const ENCODING = 'binary/encrypted';
const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';
const IV_LENGTH_BYTES = 12;
const TAG_LENGTH_BYTES = 16;

async function sampleEncrypt(data: Uint8Array, key: webcrypto.CryptoKey): Promise<Uint8Array> {
  const iv = webcrypto.getRandomValues(new Uint8Array(IV_LENGTH_BYTES));
  const encrypted = await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: TAG_LENGTH_BYTES * 8 }, key, data);
  return Buffer.concat([iv, new Uint8Array(encrypted)]);
}

async function sampleDecrypt(encryptedData: Uint8Array, key: webcrypto.CryptoKey): Promise<Uint8Array> {
  const iv = encryptedData.subarray(0, IV_LENGTH_BYTES);
  const ciphertext = encryptedData.subarray(IV_LENGTH_BYTES);
  const decrypted = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: TAG_LENGTH_BYTES * 8 }, key, ciphertext);
  return new Uint8Array(decrypted);
}

/**
 * Our encode before it matched the sample (and the sample's own before it moved to `Payload.encode`):
 * the same cipher layout over `Payload.encodeDelimited`. Histories written then hold these.
 */
function legacyEncode(payload: Payload, key: Buffer): Payload {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const plain = temporal.api.common.v1.Payload.encodeDelimited(payload).finish();
  return {
    metadata: { [METADATA_ENCODING_KEY]: encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encode(payloadKeyId(key)) },
    data: Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]),
  };
}

const key = randomBytes(32);
const ours = new AesGcmPayloadCodec(key);
const summary = { sync: 'accounts_to_salesforce', counts: { synced: 4 } };

/** Values whose payloads span binary/null, binary/plain and json/plain, and proto sizes across the 1→2 byte varint boundary. */
const values: unknown[] = [undefined, null, 0, '', new Uint8Array([1, 2, 3]), new Uint8Array(200), summary];
for (let n = 0; n <= 300; n += 7) values.push('x'.repeat(n), { n, s: 'y'.repeat(n) });

describe('payload codec interop with Temporal’s encryption sample', () => {
  it('(a) decodes what the sample’s codec encodes', async () => {
    const sample = await SampleEncryptionCodec.create(key, payloadKeyId(key));
    for (const value of values) {
      const encoded = await sample.encode([defaultPayloadConverter.toPayload(value)]);
      const [decoded] = await ours.decode(encoded);
      expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(value);
    }
  });

  it('(b) encodes what the sample’s codec decodes, with the sample’s metadata', async () => {
    const sample = await SampleEncryptionCodec.create(key, payloadKeyId(key));
    for (const value of values) {
      const [encoded] = await ours.encode([defaultPayloadConverter.toPayload(value)]);
      expect(Object.keys(encoded!.metadata!).sort()).toEqual([METADATA_ENCODING_KEY, METADATA_ENCRYPTION_KEY_ID]);
      expect(decode(encoded!.metadata![METADATA_ENCODING_KEY]!)).toBe(ENCODING);
      const [decoded] = await sample.decode([encoded!]);
      expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(value);
    }
  });

  it('(c) still decodes payloads in the old length-delimited format (a fixture written by the previous code)', async () => {
    // Written by src/temporal/codec.ts as it was before this change (encodeDelimited), key = 32 bytes of 0x07, value `summary`.
    const fixtureKey = Buffer.alloc(32, 7);
    const fixture: Payload = {
      metadata: { encoding: encode('binary/encrypted'), 'encryption-key-id': encode('4bb06f8e') },
      data: Buffer.from(
        'jM/TPcU2Wl8iOl/MHmcO54L885jxqo7z50w7th9xDwGyraiZ74QWI29yQA3uksZoI2oAv00jdf+XSH+qI51LZLtL8E2UWwOk+lKYvsGr/pG1H7wiprLOY2vtbyNgkPSw84wk1VrRRtYZxqSUKrM=',
        'base64',
      ),
    };
    // The same, with a payload over 127 bytes (a two-byte length prefix): { sync, note: 'x' × 200 }.
    const large: Payload = {
      ...fixture,
      data: Buffer.from(
        'ItaZf0ntcro8i3mPozJD0W/1GMugjnVPDT6P3Pws5OrndJ8zwqV7OrvZwaqmV8TkWk5qKJTxGZxBwF55cfb0onKKt3PbXTELWT4M8xA+u9rnEScqBuGrbxOTb0VHLZ8KRYWg8AseAcGAHVcWIbmoOJJ5NBSbcrp/XsyTmrQTv/4f3Dv15dm0Eom8Mq1aQPD1SFnqYT2yVspqan3JESYxguZ9IwxOBkS/fO+XZhzxFUE5PYFQu/xKrckpyq4n6W5Xurkw+CoORFooBPK0y0uUIDEKOt8lV+Lm75b7TdV0V1K1NUCscTahhfLw/RTFM+tIC9IsKipIHD3EU5S2sbe8Yv0g6hdTbT2y7ahPFxnXqpJfDT74P3o87a9iPh4meWkaGBngcHAiFYOOskZd',
        'base64',
      ),
    };
    const codec = new AesGcmPayloadCodec(fixtureKey);
    expect(codec.keyId).toBe('4bb06f8e');
    const [small, big] = await codec.decode([fixture, large]);
    expect(defaultPayloadConverter.fromPayload(small!)).toEqual(summary);
    expect(defaultPayloadConverter.fromPayload(big!)).toEqual({ sync: 'accounts_to_salesforce', note: 'x'.repeat(200) });
  });

  it('tells the old format from the new for every value, mixed in one batch', async () => {
    const sample = await SampleEncryptionCodec.create(key, payloadKeyId(key));
    for (const value of values) {
      const payload = defaultPayloadConverter.toPayload(value);
      const [fromSample] = await sample.encode([payload]);
      const [fromOurs] = await ours.encode([payload]);
      const decoded = await ours.decode([legacyEncode(payload, key), fromSample!, fromOurs!]);
      expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([value, value, value]);
    }
  });
});
