import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parsePayloadKey } from '../env';

/** The metadata Temporal's encryption sample uses, so its tooling recognises ours. */
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
 * codec (e.g. written before the key was set) pass through decode unchanged.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new ValueError(`AES-256-GCM needs a 32-byte key, got ${key.length} bytes`);
    this.keyId = payloadKeyId(key);
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
        const plain = temporal.api.common.v1.Payload.encodeDelimited(payload).finish();
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
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || text(encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!keyIdBytes) throw new ValueError(`encrypted payload has no ${KEY_ID_METADATA}: cannot tell which key it needs`);
    const keyId = text(keyIdBytes);
    if (keyId !== this.keyId) {
      throw new ValueError(
        `payload was encrypted with key ${keyId}, but BACKFLOW_PAYLOAD_KEY is key ${this.keyId}: set the key the payload was written with`,
      );
    }
    const data = payload.data;
    if (!data || data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`encrypted payload (key ${keyId}) is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ValueError(`encrypted payload (key ${keyId}) failed authentication: it was altered or is corrupt`);
    }
    return temporal.api.common.v1.Payload.decodeDelimited(plain);
  }
}

/** The codecs BACKFLOW_PAYLOAD_KEY asks for: none when unset. */
export function payloadCodecsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadCodec[] {
  const key = parsePayloadKey(env);
  return key ? [new AesGcmPayloadCodec(key)] : [];
}

/** For every `new Client(…)` and `Worker.create(…)`: one env var turns encryption on for all of them. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return { payloadCodecs: payloadCodecsFromEnv(env) };
}

function utf8(value: string): Uint8Array {
  return Buffer.from(value, 'utf8');
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}
