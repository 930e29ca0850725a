// Temporal payload encryption at rest: an AES-256-GCM PayloadCodec. The Temporal server (and anyone reading its
// database or history exports) then sees only `binary/encrypted` payloads; workers and clients holding the key, and
// the codec server (cli/commands/codec-server.ts) for the UI, see the plain ones.
// Workflows carry only references anyway (no secrets); this protects names, paths and results from the server side.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const PayloadPb = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** the mounted Secret's key file (32 raw bytes or their base64); unset = no encryption */
export const KEY_FILE_ENV = 'STASHFLOW_PAYLOAD_KEY_FILE';
/** comma-separated files of earlier keys, kept so histories written before a rotation still decode */
export const OLD_KEY_FILES_ENV = 'STASHFLOW_PAYLOAD_OLD_KEY_FILES';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class PayloadKeyError extends Error {}

export interface PayloadKey {
  id: string;
  key: Buffer;
}

/**
 * A key's id is a fingerprint of the key itself, so rotating is only "mount a new key, keep the old one for
 * decoding": no id to configure or mismatch. 48 bits of a SHA-256 reveal nothing usable about a 256-bit key.
 */
export function keyId(key: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Parses a key file's bytes: exactly 32 raw bytes, or base64 text of 32 bytes. The message never holds key bytes. */
export function parseKey(bytes: Buffer, source: string): PayloadKey {
  let key: Buffer | undefined;
  const text = bytes.toString('latin1').trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === 32) key = b;
  }
  if (!key && bytes.length === 32) key = Buffer.from(bytes);
  if (!key)
    throw new PayloadKeyError(
      `${source}: a payload key must be 32 raw bytes or the base64 of 32 bytes (the file has ${bytes.length} bytes)`,
    );
  return { id: keyId(key), key };
}

export function readKeyFile(file: string, what = KEY_FILE_ENV): PayloadKey {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new PayloadKeyError(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseKey(bytes, `${what} ${file}`);
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `current` encrypts; it and `older` decrypt. */
  constructor(
    private readonly current: PayloadKey,
    older: PayloadKey[] = [],
  ) {
    this.byId = new Map([...older, current].map((k) => [k.id, k.key]));
  }

  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      // the key id is authenticated too, so it cannot be swapped to steer decoding
      cipher.setAAD(enc(this.current.id));
      const body = Buffer.concat([cipher.update(PayloadPb.encode(p).finish()), cipher.final()]);
      return {
        metadata: { encoding: enc(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: enc(this.current.id) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      // histories written before encryption was turned on stay readable
      if (dec(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const id = dec(p.metadata?.[KEY_ID_METADATA]) ?? '(none)';
      const key = this.byId.get(id);
      if (!key)
        throw new PayloadKeyError(
          `payload encrypted with key ${id}, which is not loaded (loaded: ${[...this.byId.keys()].join(', ')}); ` +
            `mount that key and list its file in ${OLD_KEY_FILES_ENV}`,
        );
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadKeyError(`encrypted payload (key ${id}) is truncated`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(enc(id));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return PayloadPb.decode(plain);
      } catch {
        throw new PayloadKeyError(`encrypted payload (key ${id}) failed authentication: wrong key or tampered data`);
      }
    });
  }
}

/** The codec the environment asks for: undefined when STASHFLOW_PAYLOAD_KEY_FILE is unset (local demo, tests). */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const file = env[KEY_FILE_ENV]?.trim();
  if (!file) return undefined;
  const older = (env[OLD_KEY_FILES_ENV] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => readKeyFile(f, OLD_KEY_FILES_ENV));
  return new AesGcmPayloadCodec(readKeyFile(file), older);
}

/** The DataConverter for clients and workers: encrypting when a key is configured, Temporal's default otherwise. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = payloadCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
