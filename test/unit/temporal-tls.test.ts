import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../lib/config.js';
import { temporalTlsFromEnv } from '../../lib/temporal-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const put = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
};

test('no TLS env: plaintext, as the local stack runs', () => {
  assert.equal(temporalTlsFromEnv({}), undefined);
  assert.equal(temporalTlsFromEnv({ TEMPORAL_TLS: 'false' }), undefined);
});

test('TEMPORAL_TLS=true: server TLS with the system roots', () => {
  assert.deepEqual(temporalTlsFromEnv({ TEMPORAL_TLS: 'true' }), {});
});

test('mTLS (Temporal Cloud): the client pair and an optional CA and server name, read from the mounted files', () => {
  const tls = temporalTlsFromEnv({
    TEMPORAL_TLS_CERT_FILE: put('tls.crt', 'CERT'),
    TEMPORAL_TLS_KEY_FILE: put('tls.key', 'KEY'),
    TEMPORAL_TLS_CA_FILE: put('ca.crt', 'CA'),
    TEMPORAL_TLS_SERVER_NAME: 'frontend.example',
  });
  assert.equal(Buffer.from(tls!.clientCertPair!.crt).toString(), 'CERT');
  assert.equal(Buffer.from(tls!.clientCertPair!.key).toString(), 'KEY');
  assert.equal(Buffer.from(tls!.serverRootCACertificate!).toString(), 'CA');
  assert.equal(tls!.serverNameOverride, 'frontend.example');
});

test('errors name the variable, never the key material', () => {
  const key = put('only.key', 'SECRET-KEY-BYTES');
  assert.throws(
    () => temporalTlsFromEnv({ TEMPORAL_TLS_KEY_FILE: key }),
    (e: Error) => {
      assert.ok(e instanceof ConfigError && /TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE/.test(e.message));
      assert.ok(!e.message.includes('SECRET-KEY-BYTES'));
      return true;
    },
  );
  assert.throws(
    () => temporalTlsFromEnv({ TEMPORAL_TLS_CA_FILE: join(dir, 'missing.crt') }),
    /TEMPORAL_TLS_CA_FILE: cannot read .*ENOENT/,
  );
  assert.throws(() => temporalTlsFromEnv({ TEMPORAL_TLS: 'yes' }), /TEMPORAL_TLS must be true or false/);
});
