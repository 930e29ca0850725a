import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../lib/config.js';

test('defaults point at the local stack', () => {
  const cfg = loadConfig({});
  assert.equal(cfg.temporalAddress, '127.0.0.1:7233');
  assert.equal(cfg.temporalNamespace, 'default');
  assert.equal(cfg.taskQueue, 'stashflow');
  assert.equal(cfg.pushgatewayUrl, undefined);
});

test('a malformed address names the variable', () => {
  assert.throws(
    () => loadConfig({ TEMPORAL_ADDRESS: 'no-port' }),
    (e: unknown) => e instanceof ConfigError && /TEMPORAL_ADDRESS/.test(e.message),
  );
  assert.throws(() => loadConfig({ PUSHGATEWAY_URL: 'ftp://x' }), /PUSHGATEWAY_URL must be an http\(s\) URL/);
});
