// Verified backups, pure parts: the order-independent checksum, the manifest summary, the per-index comparison,
// the outcome cut to a termination message, scratch names, the verify Job's pod, the verdict the workflow records
// and the metric family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDocLine } from '../../functions/elasticsearch/dump-format.js';
import {
  ChecksumAccumulator,
  combineChecksums,
  docHash,
  summarizeManifest,
} from '../../functions/elasticsearch/manifest-checksum.js';
import {
  compactOutcome,
  compareIndex,
  outcomeOf,
  scratchName,
  summaryMismatch,
} from '../../functions/elasticsearch/verify-compare.js';
import { formatReported, parseReported } from '../../functions/elasticsearch/verify.js';
import { backupVerifiedMetrics, renderText } from '../../lib/metrics.js';
import { isVerifyAnnotated, VERIFY_BACKUP_ANNOTATION, type VerifyOutcome } from '../../api/verification.js';
import { manifestOf, verdictOf, verifiedCondition, verifyPod } from '../../workflows/backup-verification.js';
import type { SessionPlan } from '../../activities/session-plan.js';

const docs = Array.from({ length: 50 }, (_, i) => ({
  id: `d${i}`,
  routing: i % 7 ? undefined : 'r',
  src: JSON.stringify({ i }),
}));
const sumOf = (list: typeof docs) => {
  const a = new ChecksumAccumulator();
  for (const d of list) a.add(d.id, d.routing, d.src);
  return a;
};

test('the checksum does not depend on document order, and changes with any id, routing or source', () => {
  const a = sumOf(docs);
  const b = sumOf([...docs].reverse());
  const c = sumOf([...docs.slice(25), ...docs.slice(0, 25)]);
  assert.equal(a.hex, b.hex);
  assert.equal(a.hex, c.hex);
  assert.equal(a.count, 50);
  assert.match(a.hex, /^[0-9a-f]{16}$/);
  const edited = docs.map((d, i) => (i === 10 ? { ...d, src: JSON.stringify({ i: 11 }) } : d));
  assert.notEqual(sumOf(edited).hex, a.hex, 'source');
  assert.notEqual(sumOf(docs.map((d, i) => (i === 3 ? { ...d, id: 'x' } : d))).hex, a.hex, 'id');
  assert.notEqual(sumOf(docs.map((d, i) => (i === 3 ? { ...d, routing: 'q' } : d))).hex, a.hex, 'routing');
  // two equal documents do not cancel each other (they would with xor)
  assert.notEqual(sumOf([docs[0]!, docs[0]!]).hex, sumOf([]).hex);
  assert.notEqual(docHash('a', undefined, '{}'), docHash('a', '', '{"x":1}'));
});

test('the dump line built from a precomputed source is byte-identical to the plain one', () => {
  for (const hit of [
    { _id: 'a"b', _source: { x: [1, 'é', null], y: { z: true } } },
    { _id: '7', _routing: 'r"1', _source: {} },
  ]) {
    assert.equal(formatDocLine('idx', hit, JSON.stringify(hit._source)), formatDocLine('idx', hit));
  }
});

test('the manifest summary: counts, and a combined checksum sensitive to which index holds which data', () => {
  const s = summarizeManifest([
    { name: 'a', docs: 2, checksum: '00000000000000ff' },
    { name: 'b', docs: 3, checksum: '0000000000000001' },
  ]);
  assert.equal(s.indices, 2);
  assert.equal(s.docs, 5);
  const swapped = combineChecksums([
    { name: 'a', checksum: '0000000000000001' },
    { name: 'b', checksum: '00000000000000ff' },
  ]);
  assert.notEqual(swapped, s.checksum);
  assert.equal(summaryMismatch(s, { ...s }), undefined);
  assert.equal(summaryMismatch(undefined, s), undefined);
  assert.match(summaryMismatch({ ...s, docs: 6 }, s) ?? '', /5 documents.*6 documents/);
  assert.deepEqual(parseReported(formatReported(s)), s);
  assert.equal(parseReported('1:2:zz'), undefined);
  assert.equal(parseReported(undefined), undefined);
});

test('compareIndex names what differs', () => {
  const m = { name: 'logs', docs: 10, bytes: 1, checksum: 'aaaaaaaaaaaaaaaa' };
  assert.equal(compareIndex(m, { docs: 10, checksum: 'aaaaaaaaaaaaaaaa' }).ok, true);
  const bad = compareIndex(m, { docs: 9, checksum: 'bbbbbbbbbbbbbbbb' });
  assert.equal(bad.ok, false);
  assert.equal(bad.reason, '9 documents restored, 10 dumped; checksum bbbbbbbbbbbbbbbb, dumped aaaaaaaaaaaaaaaa');
  assert.equal(compareIndex(m, undefined, 'could not be restored: boom').reason, 'could not be restored: boom');
  assert.equal(compareIndex(m, { docs: 10, checksum: 'aaaaaaaaaaaaaaaa' }, '1 documents failed to load').ok, false);
  assert.equal(
    compareIndex({ name: 'x', docs: 0, bytes: 0 }, { docs: 0, checksum: '0' }).reason,
    'the manifest has no checksum for it',
  );
});

test('outcome: verified only when every index matched and no error; compacted with failures first under the cap', () => {
  const ok = (i: number) => compareIndex({ name: `ok-${i}`, docs: 1, bytes: 1, checksum: 'a' }, { docs: 1, checksum: 'a' });
  const bad = compareIndex({ name: 'broken', docs: 1, bytes: 1, checksum: 'a' }, { docs: 1, checksum: 'b' });
  assert.equal(outcomeOf('s', [ok(1), ok(2)]).verified, true);
  assert.equal(outcomeOf('s', [ok(1), bad]).verified, false);
  assert.equal(outcomeOf('s', [ok(1)], 'manifest swapped').verified, false);
  const many = outcomeOf('s', [...Array.from({ length: 200 }, (_, i) => ok(i)), bad]);
  const c = compactOutcome(many, 3000);
  assert.ok(Buffer.byteLength(JSON.stringify(c)) <= 3000);
  assert.equal(c.indices[0]?.index, 'broken', 'the failing index is kept first');
  assert.equal(c.indices.length + (c.omitted ?? 0), 201);
  assert.equal(c.verified, false);
});

test('scratch names: prefixed with the verification id, within 255 bytes', () => {
  assert.equal(scratchName('AB12-cd', 'logs-2026'), 'stashflow-verify-ab12cd-logs-2026');
  const long = scratchName('ab12cd34', 'x'.repeat(250));
  assert.ok(Buffer.byteLength(long) <= 255);
  assert.match(long, /^stashflow-verify-ab12cd34-[0-9a-f]{32}$/);
  assert.notEqual(scratchName('ab12cd34', 'y'.repeat(250)), long);
});

test('the annotation opts in only with "true"', () => {
  assert.equal(isVerifyAnnotated({ [VERIFY_BACKUP_ANNOTATION]: 'true' }), true);
  assert.equal(isVerifyAnnotated({ [VERIFY_BACKUP_ANNOTATION]: 'TRUE' }), true);
  assert.equal(isVerifyAnnotated({ [VERIFY_BACKUP_ANNOTATION]: 'yes' }), false);
  assert.equal(isVerifyAnnotated(undefined), false);
});

test('the workflow reads the manifest summary from the backup result and builds a secret-free verify pod', () => {
  const summary = { indices: 2, docs: 5, checksum: '00000000000000aa' };
  assert.deepEqual(manifestOf(JSON.stringify({ phase: 'Succeeded', manifest: summary })), summary);
  assert.equal(manifestOf('not json'), undefined);
  assert.equal(manifestOf(JSON.stringify({ phase: 'Succeeded' })), undefined);
  const env = [{ name: 'RESTIC_PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'RESTIC_PASSWORD' } } }];
  const plan = {
    image: 'stashflow/stashflow:latest',
    pod: {
      containers: [
        {
          name: 'elasticsearch-backup-8-2-0',
          image: 'stashflow/stashflow:latest',
          args: ['function', 'elasticsearch', 'backup-es'],
          env,
          volumeMounts: [
            { name: 'tmp-dir', mountPath: '/stash-tmp' },
            { name: 'stash-interim-volume', mountPath: '/stash-interim' },
          ],
        },
      ],
      volumes: [{ name: 'tmp-dir', emptyDir: {} }],
    },
  } as unknown as SessionPlan;
  const pod = verifyPod(plan, { namespace: 'n', name: 'b-1', uid: '1234abcd-ffff' }, 'deadbeef', summary);
  const c = pod.containers[0]!;
  assert.deepEqual(c.args, [
    'function',
    'elasticsearch',
    'verify-es',
    '--interim-data-dir=/stash-interim/verify',
    '--snapshot=deadbeef',
    '--verify-id=1234abcd',
    '--reported=2:5:00000000000000aa',
  ]);
  assert.equal(c.env, env);
  assert.deepEqual(pod.volumes, plan.pod.volumes);
});

test('the verdict: True when every index matched; False naming mismatching indices, or saying why it could not verify', () => {
  const outcome = (o: Partial<VerifyOutcome>) =>
    JSON.stringify({ phase: 'Succeeded', verify: { verified: false, snapshot: 'abcd1234', indices: [], ...o } });
  const good = verdictOf({
    succeeded: true,
    terminationMessage: outcome({
      verified: true,
      indices: [{ index: 'a', expected: { docs: 1 }, actual: { docs: 1, checksum: 'c' }, ok: true }],
    }),
  });
  assert.deepEqual({ v: good.verified, r: good.reason }, { v: true, r: 'SnapshotMatchesSource' });
  assert.match(good.message, /abcd1234.*1 indices/);
  const bad = verdictOf({
    succeeded: true,
    terminationMessage: outcome({
      indices: [
        { index: 'a', expected: { docs: 1 }, ok: true },
        { index: 'logs-1', expected: { docs: 2 }, ok: false, reason: 'checksum x, dumped y' },
      ],
      omitted: 3,
    }),
  });
  assert.equal(bad.verified, false);
  assert.equal(bad.reason, 'SnapshotMismatch');
  assert.match(bad.message, /logs-1: checksum x, dumped y/);
  assert.match(bad.message, /3 more indices/);
  assert.doesNotMatch(bad.message, /\ba:/);
  const failed = verdictOf({ succeeded: false, terminationMessage: outcome({ error: 'snapshot deadbeef not found' }) });
  assert.deepEqual(failed, {
    verified: false,
    reason: 'VerificationFailed',
    message: 'could not verify the backup: snapshot deadbeef not found',
  });
  assert.equal(
    verdictOf({ succeeded: false, reason: 'BackoffLimitExceeded' }).message,
    'could not verify the backup: BackoffLimitExceeded',
  );
  const cond = verifiedCondition(bad, '2026-01-01T00:00:00Z');
  assert.deepEqual(
    { type: cond.type, status: cond.status, reason: cond.reason },
    { type: 'BackupVerified', status: 'False', reason: 'SnapshotMismatch' },
  );
});

test('stashflow_backup_verified carries the BackupConfiguration labels, 1 or 0', () => {
  const invoker = { kind: 'BackupConfiguration', name: 'es-backup', namespace: 'demo' };
  const text = renderText(backupVerifiedMetrics({ invoker, repository: 'es-repo', verified: true }));
  assert.match(
    text,
    /^stashflow_backup_verified\{driver="Restic",invoker_kind="BackupConfiguration",invoker_name="es-backup",namespace="demo",repository="es-repo"\} 1$/m,
  );
  assert.match(renderText(backupVerifiedMetrics({ invoker, verified: false })), / 0\n$/);
});
