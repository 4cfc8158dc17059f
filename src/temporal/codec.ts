import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parsePayloadKey, parsePreviousPayloadKeys } from '../env';

/**
 * The layout of Temporal's encryption sample (temporalio/samples-typescript, encryption/src/encryption-codec.ts
 * and crypto.ts), so a codec built from the sample decodes ours and ours decodes its: metadata
 * `encoding: binary/encrypted` and `encryption-key-id` (UTF-8), data = AES-256-GCM of
 * `Payload.encode(payload)` laid out IV(12) ‖ ciphertext ‖ tag(16), the raw 32-byte key (no derivation).
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Names a key without revealing it: the first 8 hex digits of its SHA-256. */
export function payloadKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM over the whole proto-encoded payload (metadata included), a fresh 12-byte IV per
 * payload: data = IV ‖ ciphertext ‖ tag, as WebCrypto lays it out. Payloads not encrypted by a
 * codec (e.g. written before the key was set) pass through decode unchanged. Decode picks the key by
 * the payload's key id, among `key` and `previousKeys` (the keys it replaced): a rotated key still
 * reads the histories, in-flight runs and schedules written under the old one.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;
  private readonly decodeKeys: Map<string, Buffer>;

  constructor(
    private readonly key: Buffer,
    previousKeys: readonly Buffer[] = [],
  ) {
    for (const k of [key, ...previousKeys]) {
      if (k.length !== 32) throw new ValueError(`AES-256-GCM needs a 32-byte key, got ${k.length} bytes`);
    }
    this.keyId = payloadKeyId(key);
    this.decodeKeys = new Map([...previousKeys, key].map((k) => [payloadKeyId(k), k]));
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        return {
          metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.keyId) },
          data: Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]),
        };
      }),
    );
  }

  // async so a payload that fails to decode rejects the promise rather than throwing at the call.
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    if (!isEncrypted(payload)) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!keyIdBytes) throw new ValueError(`encrypted payload has no ${KEY_ID_METADATA}: cannot tell which key it needs`);
    const keyId = text(keyIdBytes);
    const key = this.decodeKeys.get(keyId);
    if (!key) {
      const previous = [...this.decodeKeys.keys()].filter((id) => id !== this.keyId);
      const held = previous.length > 0 ? ` (BACKFLOW_PAYLOAD_PREVIOUS_KEYS: ${previous.join(', ')})` : '';
      throw new ValueError(
        `payload was encrypted with key ${keyId}, but BACKFLOW_PAYLOAD_KEY is key ${this.keyId}${held}: set the key the payload was written with, or add it to BACKFLOW_PAYLOAD_PREVIOUS_KEYS`,
      );
    }
    const data = payload.data;
    if (!data || data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`encrypted payload (key ${keyId}) is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ValueError(`encrypted payload (key ${keyId}) failed authentication: it was altered or is corrupt`);
    }
    return decodeInnerPayload(plain);
  }
}

/**
 * The decrypted bytes are one proto Payload in one of two framings:
 * - `Payload.encode`: the sample's, and ours now;
 * - `Payload.encodeDelimited` (a varint length, then those same bytes): ours until we matched the
 *   sample (and the sample's own before it moved to `encode`), still in the histories of runs
 *   started then, so it must keep decoding.
 * The length prefix tells them apart. Delimited bytes always start with a varint equal to the
 * length of the rest. Plain bytes start with a field tag instead, one byte of value 10, 18 or 26
 * (metadata, data, externalPayloads), so they pass that test only if exactly 11, 19 or 27 bytes
 * long. A payload from a Temporal payload converter never is: it has `encoding` metadata, and
 * metadata (field 1) is written first, so its first byte is 10 and it would have to be 11 bytes in
 * all, but that record alone takes ≥ 14. GCM authentication means the bytes are exactly what an
 * encoder wrote. (Trying `Payload.decode` first and falling back is weaker: protobufjs skips
 * unknown fields, so whether a delimited buffer fails to parse as plain depends on its content.)
 */
function decodeInnerPayload(plain: Uint8Array): Payload {
  const Proto = temporal.api.common.v1.Payload;
  return isLengthDelimited(plain) ? Proto.decodeDelimited(plain) : Proto.decode(plain);
}

/** Whether `bytes` is a varint (≤ 5 bytes, as protobufjs writes lengths) followed by exactly that many bytes. */
function isLengthDelimited(bytes: Uint8Array): boolean {
  let length = 0;
  for (let i = 0; i < Math.min(bytes.length, 5); i++) {
    const byte = bytes[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return length === bytes.length - (i + 1);
  }
  return false;
}

/**
 * Installed when BACKFLOW_PAYLOAD_KEY is unset: passes payloads through, but an encrypted one
 * fails naming the variable (without it the SDK's payload converter says only
 * `Unknown encoding: binary/encrypted`). It fails where that error would: clients and activities
 * decode a payload right before converting it; a worker decodes a workflow activation whole, and
 * either error fails that workflow task.
 */
export class MissingPayloadKeyCodec implements PayloadCodec {
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const payload of payloads) {
      if (!isEncrypted(payload)) continue;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? ` with key ${text(keyIdBytes)}` : '';
      throw new ValueError(`payload is encrypted (${ENCRYPTED_ENCODING}${keyId}) but BACKFLOW_PAYLOAD_KEY is not set: set it to the key the payload was written with`);
    }
    return payloads;
  }
}

/** The codecs BACKFLOW_PAYLOAD_KEY (and BACKFLOW_PAYLOAD_PREVIOUS_KEYS) ask for: none when unset. */
export function payloadCodecsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadCodec[] {
  const key = parsePayloadKey(env);
  const previous = parsePreviousPayloadKeys(env);
  if (!key && previous.length > 0) {
    // Dropping the key while keeping old ones would silently write history in the clear.
    throw new Error('invalid environment:\n  BACKFLOW_PAYLOAD_PREVIOUS_KEYS: set without BACKFLOW_PAYLOAD_KEY: previous keys only decode; set the key new payloads are encrypted with');
  }
  return key ? [new AesGcmPayloadCodec(key, previous)] : [];
}

/**
 * For every `new Client(…)` and `Worker.create(…)`: one env var turns encryption on for all of
 * them; without it, an encrypted payload met fails naming the variable.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const codecs = payloadCodecsFromEnv(env);
  return { payloadCodecs: codecs.length > 0 ? codecs : [new MissingPayloadKeyCodec()] };
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && text(encoding) === ENCRYPTED_ENCODING;
}

function utf8(value: string): Uint8Array {
  return Buffer.from(value, 'utf8');
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}
