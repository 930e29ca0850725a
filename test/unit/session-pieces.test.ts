import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBackend, InvalidBackend } from '../../activities/backend.js';
import { mergeConditions } from '../../activities/sessions.js';
import { retentionArgs } from '../../activities/repository.js';
import { referencedVars, substitute } from '../../activities/stash-vars.js';
import { appBindingEnv, appBindingUrl, TARGET_ENV } from '../../activities/target-env.js';
import type { AppBinding, Repository } from '../../api/types.js';
import { parseHostStats } from '../../workflows/session-steps.js';

test("Stash's ${VAR:=default} substitution", () => {
  const vars = { NAMESPACE: 'demo', EMPTY: '' };
  assert.equal(substitute('--namespace=${NAMESPACE:=default}', vars), '--namespace=demo');
  assert.equal(substitute('--bucket=${REPOSITORY_BUCKET:=}', vars), '--bucket=');
  assert.equal(substitute('--cache=${ENABLE_CACHE:=true} ${EMPTY:=x}', vars), '--cache=true x');
  assert.equal(substitute('${UNKNOWN}', vars), '');
  assert.deepEqual(referencedVars('${A} ${B:=1} ${A}'), ['A', 'B']);
});

const repo = (backend: Repository['spec']['backend']): Repository => ({
  apiVersion: 'stash.appscode.com/v1alpha1',
  kind: 'Repository',
  metadata: { name: 'r', namespace: 'demo' },
  spec: { backend },
});

test('backends become a restic repository address, credentials only by reference', () => {
  const s3 = resolveBackend(
    repo({ storageSecretName: 's', s3: { endpoint: 'minio.demo.svc:9000', bucket: 'b', prefix: '/x/y/' } }),
  );
  assert.equal(s3.repository, 's3:https://minio.demo.svc:9000/b/x/y');
  const pw = s3.env.find((e) => e.name === 'RESTIC_PASSWORD');
  assert.deepEqual(pw?.valueFrom?.secretKeyRef, { name: 's', key: 'RESTIC_PASSWORD' });
  assert.ok(
    s3.env.every((e) => e.name === 'RESTIC_REPOSITORY' || e.value === undefined),
    'no value but the address',
  );
  const rest = resolveBackend(repo({ storageSecretName: 's', rest: { url: 'http://rest:8000/repo' } }));
  assert.equal(rest.repository, 'rest:http://rest:8000/repo');
  assert.ok(rest.env.some((e) => e.name === 'RESTIC_REST_PASSWORD' && e.valueFrom?.secretKeyRef?.key === 'REST_SERVER_PASSWORD'));
  const local = resolveBackend(
    repo({ storageSecretName: 's', local: { mountPath: '/safe/data', subPath: 'demo', hostPath: { path: '/data' } } }),
  );
  assert.equal(local.repository, '/safe/data/demo');
  assert.deepEqual(local.volumeMounts, [{ name: 'stash-local-backend', mountPath: '/safe/data' }]);
  assert.deepEqual(local.volumes[0]?.hostPath, { path: '/data' });
  assert.throws(() => resolveBackend(repo({ storageSecretName: 's' })), InvalidBackend);
  assert.throws(() => resolveBackend(repo({ s3: { endpoint: 'e', bucket: 'b' } })), /storageSecretName is required/);
});

test('AppBinding URL and env: by value what is public, by reference what is secret', () => {
  const ab: AppBinding = {
    apiVersion: 'appcatalog.appscode.com/v1alpha1',
    kind: 'AppBinding',
    metadata: { name: 'es', namespace: 'demo' },
    spec: {
      clientConfig: { service: { scheme: 'https', name: 'es', port: 9200 }, caBundle: Buffer.from('PEM').toString('base64') },
      secret: { name: 'es-auth' },
    },
  };
  assert.equal(appBindingUrl(ab), 'https://es.demo.svc:9200');
  const env = appBindingEnv(ab, ['ADMIN_USERNAME', 'ADMIN_PASSWORD']);
  assert.equal(env.find((e) => e.name === TARGET_ENV.caCert)?.value, 'PEM');
  assert.deepEqual(env.find((e) => e.name === TARGET_ENV.password)?.valueFrom?.secretKeyRef, {
    name: 'es-auth',
    key: 'ADMIN_PASSWORD',
  });
  assert.equal(
    appBindingEnv(ab, ['username', 'password', 'ADMIN_PASSWORD']).find((e) => e.name === TARGET_ENV.password)?.valueFrom
      ?.secretKeyRef?.key,
    'password',
  );
});

test('conditions merge by type and keep their transition time while the status holds', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const cur = [{ type: 'A', status: 'True' as const, lastTransitionTime: t0 }];
  const next = mergeConditions(
    cur,
    [
      { type: 'A', status: 'True', message: 'again' },
      { type: 'B', status: 'False' },
    ],
    'now',
  );
  assert.deepEqual(next, [
    { type: 'A', status: 'True', message: 'again', lastTransitionTime: t0 },
    { type: 'B', status: 'False', lastTransitionTime: 'now' },
  ]);
  assert.equal(mergeConditions(next, [{ type: 'A', status: 'False' }], 'later')[0]?.lastTransitionTime, 'later');
});

test('retention policy → restic forget flags', () => {
  assert.deepEqual(retentionArgs({ name: 'p', keepLast: 5, keepDaily: 7, keepTags: ['x'], prune: true, dryRun: true }), [
    '--keep-last=5',
    '--keep-daily=7',
    '--keep-tag=x',
    '--prune',
    '--dry-run',
  ]);
  assert.deepEqual(retentionArgs(undefined), []);
});

test('a termination message becomes host stats; a log tail is the error', () => {
  const ok = parseHostStats(JSON.stringify({ backup: { snapshots: [{ name: 'abc' }], duration: '2s' } }), 'host-0');
  assert.deepEqual(ok, {
    hostname: 'host-0',
    phase: 'Succeeded',
    snapshots: [{ name: 'abc' }],
    duration: '2s',
    error: undefined,
  });
  const bad = parseHostStats('restic: wrong password', 'host-0');
  assert.equal(bad.phase, 'Failed');
  assert.equal(bad.error, 'restic: wrong password');
  assert.equal(parseHostStats(JSON.stringify({ phase: 'Failed', error: 'x' }), 'h').phase, 'Failed');
});
