// activities/events.ts against the real kube-apiserver: `kubectl describe` shows the Event; the same key twice is
// one Event with count 2; secrets are redacted; a Stash CR (BackupSession) gets Events too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEventRecorder } from '../../activities/events.js';
import { createKubeClients, loadKubeConfig } from '../../lib/kube.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';
import { tempNamespace } from '../helpers/temporal.js';

const run = promisify(execFile);

async function kubectl(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    KUBECONFIG: stackEnv('KUBECONFIG'),
    PATH: `${join(repoRoot, '.stack', 'bin')}:${process.env.PATH}`,
  };
  const { stdout } = await run('kubectl', args, { env, maxBuffer: 4 << 20 });
  return stdout;
}

test('events: describe shows them, same key bumps count, secrets redacted', async () => {
  const kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  const ns = await tempNamespace(kube, 'events');
  try {
    const cm = await kube.core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'sample-target' }, data: { a: 'b' } },
    });
    const involved = { apiVersion: 'v1', kind: 'ConfigMap', name: 'sample-target', namespace: ns.name, uid: cm.metadata!.uid! };
    const events = createEventRecorder(kube, 'stashflow-test');

    const first = await events.record(involved, 'Normal', 'BackupSessionSucceeded', 'Backup session completed', 'attempt-1');
    assert.equal(first.created, true);
    assert.equal(first.count, 1);
    const second = await events.record(involved, 'Normal', 'BackupSessionSucceeded', 'Backup session completed', 'attempt-1');
    assert.equal(second.created, false);
    assert.equal(second.count, 2);
    assert.equal(second.name, first.name);
    const other = await events.record(
      involved,
      'Warning',
      'BackupSessionFailed',
      `restic failed: RESTIC_PASSWORD=topsecret123 rest:http://u:pw9876@h:8000/r ${'x'.repeat(3000)}`,
      'attempt-2',
    );
    assert.equal(other.created, true);

    const list = await kube.core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.uid=${involved.uid}` });
    assert.equal(list.items.length, 2, list.items.map((e) => `${e.reason}`).join(','));
    const ok = list.items.find((e) => e.reason === 'BackupSessionSucceeded');
    assert.equal(ok?.count, 2);
    assert.equal(ok?.type, 'Normal');
    assert.equal(ok?.source?.component, 'stashflow-test');
    assert.ok(ok?.lastTimestamp && ok.firstTimestamp && ok.lastTimestamp >= ok.firstTimestamp);
    const warn = list.items.find((e) => e.reason === 'BackupSessionFailed');
    assert.ok(warn?.message && Buffer.byteLength(warn.message) <= 1024, 'message capped at 1 KiB');
    assert.ok(!warn.message.includes('topsecret123') && !warn.message.includes('pw9876'), warn.message.slice(0, 120));
    assert.match(warn.message, /RESTIC_PASSWORD=\*\*\* rest:http:\/\/u:\*\*\*@h:8000\/r/);

    const described = await kubectl('describe', 'configmap', 'sample-target', '-n', ns.name);
    assert.match(described, /Events:/);
    assert.match(described, /Normal\s+BackupSessionSucceeded\s+.*\(x2 over .*\)\s+stashflow-test\s+Backup session completed/);
    assert.match(described, /Warning\s+BackupSessionFailed\s+.*stashflow-test\s+restic failed: RESTIC_PASSWORD=\*\*\*/);

    // a Stash custom resource: a BackupSession
    await kubectl('apply', '--server-side', '-f', join(repoRoot, 'deploy/crds/stash.appscode.com_backupsessions.yaml'));
    await kubectl('wait', '--for', 'condition=established', '--timeout=60s', 'crd/backupsessions.stash.appscode.com');
    const bs = (await kube.custom.createNamespacedCustomObject({
      group: 'stash.appscode.com',
      version: 'v1beta1',
      namespace: ns.name,
      plural: 'backupsessions',
      body: {
        apiVersion: 'stash.appscode.com/v1beta1',
        kind: 'BackupSession',
        metadata: { name: 'sample-session' },
        spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'sample' } },
      },
    })) as { metadata: { uid: string } };
    await events.record(
      {
        apiVersion: 'stash.appscode.com/v1beta1',
        kind: 'BackupSession',
        name: 'sample-session',
        namespace: ns.name,
        uid: bs.metadata.uid,
      },
      'Normal',
      'BackupJobCreated',
      'Backup job stash-backup-sample-session-0 created',
    );
    const bsDescribed = await kubectl('describe', 'backupsession', 'sample-session', '-n', ns.name);
    assert.match(bsDescribed, /Normal\s+BackupJobCreated\s+.*stashflow-test\s+Backup job stash-backup-sample-session-0 created/);
  } finally {
    await ns.remove();
  }
});
