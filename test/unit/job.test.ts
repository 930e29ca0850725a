import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildJob } from '../../activities/jobs.js';
import { jobName } from '../../api/names.js';

test('buildJob: deterministic, owned, never retried by Kubernetes unless asked, env by reference', () => {
  const req = {
    namespace: 'demo',
    name: 'sample-backup-1700000000-a1',
    pod: {
      containers: [
        {
          name: 'main',
          image: 'stashflow/stashflow:latest',
          args: ['function', 'smoke', '--message', 'hi'],
          env: [{ name: 'RESTIC_PASSWORD', valueFrom: { secretKeyRef: { name: 'repo-secret', key: 'RESTIC_PASSWORD' } } }],
        },
      ],
    },
    owner: { apiVersion: 'stash.appscode.com/v1beta1', kind: 'BackupSession', name: 's', uid: 'u-1' },
  };
  const job = buildJob(req);
  assert.deepEqual(buildJob(req), job);
  assert.equal(job.metadata?.name, req.name);
  assert.equal(job.spec?.backoffLimit, 0);
  assert.equal(job.spec?.template.spec?.restartPolicy, 'Never');
  assert.equal(job.spec?.template.spec?.automountServiceAccountToken, false, 'no API token in backup pods');
  assert.deepEqual(job.metadata?.ownerReferences, [{ ...req.owner, controller: true, blockOwnerDeletion: true }]);
  const env = job.spec?.template.spec?.containers[0]?.env ?? [];
  assert.equal(env[0]?.value, undefined, 'secret values are never inlined');
  assert.equal(env[0]?.valueFrom?.secretKeyRef?.name, 'repo-secret');
  assert.equal(job.metadata?.labels?.['app.kubernetes.io/managed-by'], 'stashflow');
});

test('jobName: short names kept, long ones cut to 63 chars with a stable hash', () => {
  assert.equal(jobName('stash-backup', 'db-1700000000', 1), 'stash-backup-db-1700000000-1');
  const long = jobName('stash-backup', 'a'.repeat(80), 2);
  assert.ok(long.length <= 63);
  assert.ok(long.endsWith('-2'));
  assert.equal(jobName('stash-backup', 'a'.repeat(80), 2), long);
  assert.notEqual(jobName('stash-backup', 'a'.repeat(80), 3).slice(0, -2), long.slice(0, -2));
});
