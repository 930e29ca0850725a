// activities/events.ts pure parts: deterministic names, secret redaction, 1 KiB messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_MESSAGE_LIMIT, eventName, redactSecrets, truncateMessage } from '../../activities/events.js';

test('event names are deterministic per (uid, reason, key) and valid object names', () => {
  const o = { name: 'sample-es-backup-1700000000', uid: '6f1c-aa' };
  const a = eventName(o, 'BackupSessionSucceeded', 'attempt-1');
  assert.equal(a, eventName(o, 'BackupSessionSucceeded', 'attempt-1'));
  assert.notEqual(a, eventName(o, 'BackupSessionSucceeded', 'attempt-2'));
  assert.notEqual(a, eventName(o, 'BackupSessionFailed', 'attempt-1'));
  assert.notEqual(a, eventName({ ...o, uid: 'other' }, 'BackupSessionSucceeded', 'attempt-1'));
  assert.match(a, /^sample-es-backup-1700000000\.[0-9a-f]{16}$/);
  const long = eventName({ name: 'x'.repeat(300), uid: 'u' }, 'R', 'k');
  assert.ok(long.length <= 253, `${long.length}`);
  assert.match(eventName({ name: 'Weird_Name', uid: 'u' }, 'R', 'k'), /^weird-name\.[0-9a-f]{16}$/);
});

test('obvious secrets are redacted', () => {
  const cases: Array<[string, string]> = [
    ['login failed: password=hunter22 for user', 'login failed: password=*** for user'],
    ['RESTIC_PASSWORD=abc123 restic init', 'RESTIC_PASSWORD=*** restic init'],
    ['env AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG"', 'env AWS_SECRET_ACCESS_KEY: "***"'],
    ['{"token":"eyJhbGciOi","user":"x"}', '{"token":"***","user":"x"}'],
    ['Authorization: Bearer abcdef123456', 'Authorization: Bearer ***'],
    ['repo rest:http://restic:s3cr3t@10.0.0.1:8000/repo down', 'repo rest:http://restic:***@10.0.0.1:8000/repo down'],
    ['wrong repository password (or no key found)', 'wrong repository password (or no key found)'],
  ];
  for (const [input, want] of cases) assert.equal(redactSecrets(input), want);
});

test('messages are capped at 1 KiB on a character boundary', () => {
  assert.equal(truncateMessage('short'), 'short');
  const big = 'é'.repeat(2000); // 2 bytes each
  const cut = truncateMessage(big);
  assert.ok(Buffer.byteLength(cut) <= EVENT_MESSAGE_LIMIT);
  assert.ok(cut.endsWith('...'));
  assert.ok(!cut.includes('\uFFFD'));
  assert.equal(truncateMessage('a'.repeat(1024)), 'a'.repeat(1024));
});
