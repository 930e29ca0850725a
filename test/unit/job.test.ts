import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildJob } from '../../activities/jobs.js';

test('buildJob: deterministic, owned, never retried by Kubernetes unless asked, env by reference', () => {
  const req = {
    namespace: 'demo',
    name: 'sample-backup-1700000000-a1',
    image: 'stashflow/stashflow:latest',
    args: ['function', 'smoke', '--message', 'hi'],
    env: [{ name: 'RESTIC_PASSWORD', valueFrom: { secretKeyRef: { name: 'repo-secret', key: 'RESTIC_PASSWORD' } } }],
    owner: { apiVersion: 'stash.appscode.com/v1beta1', kind: 'BackupSession', name: 's', uid: 'u-1' },
  };
  const job = buildJob(req);
  assert.deepEqual(buildJob(req), job);
  assert.equal(job.metadata?.name, req.name);
  assert.equal(job.spec?.backoffLimit, 0);
  assert.equal(job.spec?.template.spec?.restartPolicy, 'Never');
  assert.deepEqual(job.metadata?.ownerReferences, [{ ...req.owner, controller: true, blockOwnerDeletion: true }]);
  const env = job.spec?.template.spec?.containers[0]?.env ?? [];
  assert.equal(env[0]?.value, undefined, 'secret values are never inlined');
  assert.equal(env[0]?.valueFrom?.secretKeyRef?.name, 'repo-secret');
  assert.equal(job.metadata?.labels?.['app.kubernetes.io/managed-by'], 'stashflow');
});
