import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { parseEnv, parsePayloadKey, parsePreviousPayloadKeys } from '../../src/env';
import { AesGcmPayloadCodec, dataConverterFromEnv, ENCRYPTED_ENCODING, KEY_ID_METADATA, payloadCodecsFromEnv, payloadKeyId } from '../../src/temporal/codec';

const key = randomBytes(32);
const codec = new AesGcmPayloadCodec(key);
const summary = { sync: 'accounts_to_salesforce', counts: { synced: 4 } };

function text(bytes: Uint8Array | null | undefined): string {
  return Buffer.from(bytes ?? []).toString('utf8');
}

describe('AesGcmPayloadCodec', () => {
  it('round-trips a payload, metadata included, and hides its bytes', async () => {
    const payload = defaultPayloadConverter.toPayload(summary);
    const [encoded] = await codec.encode([payload]);
    expect(text(encoded?.metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded?.metadata?.[KEY_ID_METADATA])).toBe(payloadKeyId(key));
    expect(payloadKeyId(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(text(encoded?.data)).not.toContain('accounts_to_salesforce');
    const [decoded] = await codec.decode([encoded!]);
    expect(text(decoded?.metadata?.[METADATA_ENCODING_KEY])).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(summary);
  });

  it('uses a fresh IV per payload: the same value encrypts differently', async () => {
    const payload = defaultPayloadConverter.toPayload(summary);
    const [a, b] = await codec.encode([payload, payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes payloads it did not encrypt through decode', async () => {
    const plain = defaultPayloadConverter.toPayload(summary);
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('refuses another key with an error naming both key ids', async () => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(summary)]);
    const other = new AesGcmPayloadCodec(randomBytes(32));
    await expect(other.decode([encoded!])).rejects.toThrow(
      `payload was encrypted with key ${codec.keyId}, but BACKFLOW_PAYLOAD_KEY is key ${other.keyId}`,
    );
  });

  it('rejects altered ciphertext', async () => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(summary)]);
    const data = Buffer.from(encoded!.data!);
    data[20] = data[20]! ^ 0x01;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(`encrypted payload (key ${codec.keyId}) failed authentication`);
  });
});

describe('BACKFLOW_PAYLOAD_KEY', () => {
  it('turns the codec on only when set', () => {
    expect(payloadCodecsFromEnv({})).toEqual([]);
    const [one] = payloadCodecsFromEnv({ BACKFLOW_PAYLOAD_KEY: key.toString('base64') });
    expect((one as AesGcmPayloadCodec).keyId).toBe(payloadKeyId(key));
  });

  it('unset, an encrypted payload met fails naming the variable (the SDK alone says only "Unknown encoding")', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(summary)]);
    await expect(decodeFromPayloadsAtIndex(loadDataConverter({}), 0, [encrypted!])).rejects.toThrow(`Unknown encoding: ${ENCRYPTED_ENCODING}`);
    const withoutKey = loadDataConverter(dataConverterFromEnv({}));
    await expect(decodeFromPayloadsAtIndex(withoutKey, 0, [encrypted!])).rejects.toThrow(
      `payload is encrypted (${ENCRYPTED_ENCODING} with key ${codec.keyId}) but BACKFLOW_PAYLOAD_KEY is not set`,
    );
    // Unencrypted payloads still pass both ways.
    const [plain] = await withoutKey.payloadCodecs[0]!.encode([defaultPayloadConverter.toPayload(summary)]);
    expect(await decodeFromPayloadsAtIndex(withoutKey, 0, [plain!])).toEqual(summary);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['not base64', 'not a key!'],
    ['empty', ''],
  ])('a malformed key (%s) is a clear error naming the variable', (_name, value) => {
    expect(() => parsePayloadKey({ BACKFLOW_PAYLOAD_KEY: value })).toThrow(/BACKFLOW_PAYLOAD_KEY: must be base64 of 32 bytes/);
    expect(() => parseEnv({ BACKFLOW_PAYLOAD_KEY: value })).toThrow(/BACKFLOW_PAYLOAD_KEY: must be base64 of 32 bytes/);
  });
});

describe('BACKFLOW_PAYLOAD_PREVIOUS_KEYS (rotating the key)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const rotatedEnv = { BACKFLOW_PAYLOAD_KEY: newKey.toString('base64'), BACKFLOW_PAYLOAD_PREVIOUS_KEYS: ` ${randomBytes(32).toString('base64')}, ${oldKey.toString('base64')}` };

  it('decodes payloads written under a previous key, and encodes with the current one only', async () => {
    const [written] = await new AesGcmPayloadCodec(oldKey).encode([defaultPayloadConverter.toPayload(summary)]);
    const [rotated] = payloadCodecsFromEnv(rotatedEnv) as [AesGcmPayloadCodec];
    const [decoded] = await rotated.decode([written!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(summary);
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(summary)]);
    expect(text(fresh?.metadata?.[KEY_ID_METADATA])).toBe(payloadKeyId(newKey));
  });

  it('a key held by neither is refused naming the payload’s key, the current one and the previous ones', async () => {
    const stranger = new AesGcmPayloadCodec(randomBytes(32));
    const [written] = await stranger.encode([defaultPayloadConverter.toPayload(summary)]);
    const [rotated] = payloadCodecsFromEnv(rotatedEnv) as [AesGcmPayloadCodec];
    await expect(rotated.decode([written!])).rejects.toThrow(
      new RegExp(`payload was encrypted with key ${stranger.keyId}, but BACKFLOW_PAYLOAD_KEY is key ${payloadKeyId(newKey)} \\(BACKFLOW_PAYLOAD_PREVIOUS_KEYS: [0-9a-f]{8}, ${payloadKeyId(oldKey)}\\)`),
    );
  });

  it('without BACKFLOW_PAYLOAD_KEY is refused (history would silently be written in the clear)', () => {
    expect(() => payloadCodecsFromEnv({ BACKFLOW_PAYLOAD_PREVIOUS_KEYS: oldKey.toString('base64') })).toThrow(
      /BACKFLOW_PAYLOAD_PREVIOUS_KEYS: set without BACKFLOW_PAYLOAD_KEY/,
    );
  });

  it('a malformed previous key is a clear error naming the variable', () => {
    const value = `${oldKey.toString('base64')},${randomBytes(16).toString('base64')}`;
    expect(() => parsePreviousPayloadKeys({ BACKFLOW_PAYLOAD_PREVIOUS_KEYS: value })).toThrow(/BACKFLOW_PAYLOAD_PREVIOUS_KEYS: must be base64 keys of 32 bytes each/);
    expect(() => parseEnv({ BACKFLOW_PAYLOAD_PREVIOUS_KEYS: value })).toThrow(/BACKFLOW_PAYLOAD_PREVIOUS_KEYS: must be base64 keys of 32 bytes each/);
  });
});
