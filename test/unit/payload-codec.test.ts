// The AES-256-GCM payload codec (lib/payload-codec.ts): round trip, fresh IVs, tamper detection, pass-through of
// plain payloads (histories from before encryption), rotation, and key errors that never print key bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadKeyError,
  dataConverterFromEnv,
  keyId,
  parseKey,
  payloadCodecFromEnv,
} from '../../lib/payload-codec.js';

const newKey = () => parseKey(Buffer.from(randomBytes(32).toString('base64')), 'test key');
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const plain = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const input = { namespace: 'prod', name: 'nightly-es-backup', uid: 'a1b2c3' };

test('encode then decode gives back the same payloads; the encoded ones hide the plaintext', async () => {
  const codec = new AesGcmPayloadCodec(newKey());
  const payloads = [plain(input), plain('second'), plain(null), plain(undefined)];
  const encoded = await codec.encode(payloads);
  assert.equal(encoded.length, payloads.length);
  for (const p of encoded) {
    assert.equal(text(p.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(p.metadata?.[KEY_ID_METADATA]), codec.keyId);
    assert.ok(
      !text(p.data).includes('nightly-es-backup') && !Buffer.from(p.data!).toString('base64').includes('bmlnaHRseS1lcy1i'),
    );
    assert.deepEqual(Object.keys(p.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA].sort(), 'no plaintext metadata');
  }
  const decoded = await codec.decode(encoded);
  assert.deepEqual(
    decoded.map((p) => defaultPayloadConverter.fromPayload(p)),
    [input, 'second', null, undefined],
  );
  assert.equal(text(decoded[0]!.metadata?.encoding), 'json/plain');
});

test('every encode uses a fresh IV (same payload, different ciphertext)', async () => {
  const codec = new AesGcmPayloadCodec(newKey());
  const [a] = await codec.encode([plain(input)]);
  const [b] = await codec.encode([plain(input)]);
  assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
  assert.notDeepEqual(Buffer.from(a!.data!).subarray(0, 12), Buffer.from(b!.data!).subarray(0, 12));
});

test('a tampered ciphertext, IV, tag or key id is rejected', async () => {
  const codec = new AesGcmPayloadCodec(newKey());
  const [enc] = await codec.encode([plain(input)]);
  const data = Buffer.from(enc!.data!);
  for (const at of [0, 12, 20, data.length - 1]) {
    const bad = Buffer.from(data);
    bad[at] = bad[at]! ^ 0x01;
    await assert.rejects(
      codec.decode([{ ...enc, data: bad }]),
      /failed authentication: wrong key or tampered data/,
      `byte ${at}`,
    );
  }
  await assert.rejects(codec.decode([{ ...enc, data: data.subarray(0, 20) }]), /truncated/);
  // a key id pointed at another loaded key fails authentication; an unknown one is named
  const a = newKey();
  const b = newKey();
  const two = new AesGcmPayloadCodec(a, [b]);
  const [enc2] = await two.encode([plain(input)]);
  const relabel = (id: string) => ({ ...enc2, metadata: { ...enc2!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode(id) } });
  await assert.rejects(two.decode([relabel(b.id)]), /key sha256:[0-9a-f]{12}\) failed authentication/);
  await assert.rejects(two.decode([relabel('sha256:000000000000')]), /key sha256:000000000000, which is not loaded/);
});

test('payloads that are not encrypted pass through decode unchanged', async () => {
  const codec = new AesGcmPayloadCodec(newKey());
  const payloads = [plain(input), plain([1, 2, 3]), { metadata: { encoding: new TextEncoder().encode('binary/null') } }];
  const out = await codec.decode(payloads);
  assert.equal(out.length, 3);
  for (let i = 0; i < 3; i++) assert.equal(out[i], payloads[i], 'the same object');
});

test('a wrong key fails clearly and never prints the key', async () => {
  const right = newKey();
  const wrong = newKey();
  const [enc] = await new AesGcmPayloadCodec(right).encode([plain(input)]);
  // a different key is a different id: the message names the ids and what to do
  const err = await new AesGcmPayloadCodec(wrong).decode([enc!]).then(
    () => assert.fail('decoded with the wrong key'),
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof PayloadKeyError);
  assert.match(err.message, new RegExp(`key ${right.id}, which is not loaded \\(loaded: ${wrong.id}\\)`));
  assert.match(err.message, /STASHFLOW_PAYLOAD_OLD_KEY_FILES/);
  // same id, different bytes (forged id): authentication fails
  const forged = new AesGcmPayloadCodec({ id: right.id, key: wrong.key });
  const err2 = await forged.decode([enc!]).then(
    () => assert.fail('decoded with the wrong key'),
    (e: unknown) => e as Error,
  );
  assert.match(err2.message, /failed authentication/);
  for (const k of [right.key, wrong.key])
    for (const m of [err.message, err2.message, String(err.stack), String(err2.stack)])
      for (const f of [k.toString('base64'), k.toString('hex'), k.toString('base64url'), k.toString('latin1')])
        assert.ok(!m.includes(f), 'no key bytes in the error');
});

test('rotation: the current key encrypts, older keys still decrypt', async () => {
  const oldKey = newKey();
  const newer = newKey();
  const [before] = await new AesGcmPayloadCodec(oldKey).encode([plain(input)]);
  const rotated = new AesGcmPayloadCodec(newer, [oldKey]);
  assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([before!]))[0]!), input);
  const [after] = await rotated.encode([plain(input)]);
  assert.equal(text(after!.metadata?.[KEY_ID_METADATA]), newer.id);
  await assert.rejects(new AesGcmPayloadCodec(oldKey).decode([after!]), /not loaded/);
});

test('key files: 32 raw bytes or base64 of 32 bytes; anything else is an error without the content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'payload-key-'));
  const raw = randomBytes(32);
  const files = { raw: join(dir, 'raw'), b64: join(dir, 'b64'), short: join(dir, 'short'), old: join(dir, 'old') };
  writeFileSync(files.raw, raw);
  writeFileSync(files.b64, raw.toString('base64') + '\n');
  writeFileSync(files.short, 'hunter2-not-a-key');
  writeFileSync(files.old, randomBytes(32).toString('base64'));
  assert.equal(payloadCodecFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: files.raw })?.keyId, keyId(raw));
  assert.equal(payloadCodecFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: files.b64 })?.keyId, keyId(raw));
  assert.equal(payloadCodecFromEnv({}), undefined, 'off when unset');
  assert.equal(dataConverterFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: ' ' }), undefined);
  assert.equal(dataConverterFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: files.b64 })?.payloadCodecs?.length, 1);
  assert.ok(
    payloadCodecFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: files.b64, STASHFLOW_PAYLOAD_OLD_KEY_FILES: `${files.old}, ${files.raw}` }),
  );
  assert.throws(
    () => payloadCodecFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: files.short }),
    (e: Error) =>
      e instanceof PayloadKeyError &&
      /32 raw bytes or the base64 of 32 bytes \(the file has 17 bytes\)/.test(e.message) &&
      !e.message.includes('hunter2'),
  );
  assert.throws(
    () => payloadCodecFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: join(dir, 'missing') }),
    /STASHFLOW_PAYLOAD_KEY_FILE: cannot read .*missing: ENOENT/,
  );
  assert.throws(
    () => payloadCodecFromEnv({ STASHFLOW_PAYLOAD_KEY_FILE: files.raw, STASHFLOW_PAYLOAD_OLD_KEY_FILES: files.short }),
    /STASHFLOW_PAYLOAD_OLD_KEY_FILES/,
  );
});
