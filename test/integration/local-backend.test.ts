// Issue 3's round trip on a `local` backend (a hostPath volume mounted into the Jobs), with the small `dir` function
// from deploy/catalog/dir: a PVC's files → BackupSession → restic snapshot → RestoreSession into another PVC → same
// files. The backend path is a directory of this test; the Jobs reach it only through the Repository's volume.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Repository, RestoreSession, StashFunction, Task } from '../../api/types.js';
import { createObject, getObject } from '../../lib/objects.js';
import { ensureCrds } from '../helpers/crds.js';
import {
  backupConfiguration,
  createBackupSession,
  createClusterObject,
  createRestoreSession,
  createStorageSecret,
  getBackupSession,
  rand,
  runBackupSession,
  runRestoreSession,
} from '../helpers/sessions.js';
import { repoRoot } from '../helpers/stack.js';
import { startHarness, tempNamespace, type Harness } from '../helpers/temporal.js';

let h: Harness;
let ns: { name: string; remove: () => Promise<void> };
const cleanups: Array<() => Promise<void>> = [];
const id = rand();
const backendDir = mkdtempSync(join(tmpdir(), 'stashflow-local-backend-'));

/** Binds a claim (the node agent provisions a hostPath PV) and returns its directory on this node. */
async function claimDir(claim: string): Promise<string> {
  await h.kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: claim }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  for (let i = 0; i < 240; i++) {
    const pvc = await h.kube.core.readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: claim });
    if (pvc.status?.phase === 'Bound' && pvc.spec?.volumeName) {
      const path = (await h.kube.core.readPersistentVolume({ name: pvc.spec.volumeName })).spec?.hostPath?.path;
      if (path) return path;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`PVC ${claim} not Bound`);
}

const tree = (dir: string, base = dir): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? Object.entries(tree(join(dir, e.name), base))
        : [[join(dir, e.name).slice(base.length), readFileSync(join(dir, e.name), 'utf8')]],
    ),
  );

before(async () => {
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  ns = await tempNamespace(h.kube, 'local');
  // the dir catalog under names private to this test
  for (const f of k8s.loadAllYaml(readFileSync(join(repoRoot, 'deploy/catalog/dir/functions.yaml'), 'utf8')) as StashFunction[])
    cleanups.push(await createClusterObject(h, 'Function', { ...f, metadata: { name: `${f.metadata.name}-${id}` } }));
  for (const t of k8s.loadAllYaml(readFileSync(join(repoRoot, 'deploy/catalog/dir/tasks.yaml'), 'utf8')) as Task[]) {
    const steps = t.spec.steps.map((s) => (s.name === 'update-status' ? s : { ...s, name: `${s.name}-${id}` }));
    cleanups.push(
      await createClusterObject(h, 'Task', { ...t, metadata: { name: `${t.metadata.name}-${id}` }, spec: { ...t.spec, steps } }),
    );
  }
  await createStorageSecret(h, ns.name);
  await createObject<Repository>(h.kube, 'Repository', ns.name, {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'repo', namespace: ns.name },
    spec: {
      backend: {
        local: { mountPath: '/stash-backend', subPath: 'demo', hostPath: { path: backendDir } },
        storageSecretName: 'repo-secret',
      },
    },
  });
});

after(async () => {
  for (const c of cleanups) await c();
  await ns?.remove();
  await h?.close();
  rmSync(backendDir, { recursive: true, force: true });
});

test('a PVC backed up to a local (hostPath) backend and restored into another PVC has the same files', async () => {
  const dataDir = await claimDir('data');
  writeFileSync(join(dataDir, 'a.txt'), 'alpha\n');
  mkdirSync(join(dataDir, 'sub'));
  writeFileSync(join(dataDir, 'sub', 'ü.txt'), 'ünïcode ✓\n');
  const restoredDir = await claimDir('restored');
  const target = (claim: string) => ({
    ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: claim },
    volumeMounts: [{ name: claim, mountPath: '/data' }],
  });

  await createObject(
    h.kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'files', {
      task: { name: `dir-backup-${id}` },
      target: { ...target('data'), paths: ['/data'] },
    }),
  );
  const ref = await createBackupSession(h, ns.name, 'files');
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Succeeded', JSON.stringify(result));
  const bs = await getBackupSession(h, ref);
  const snap = bs?.status?.targets?.[0]?.stats?.[0]?.snapshots?.[0];
  assert.ok(snap?.name && snap.totalSize, JSON.stringify(bs?.status));
  // the restic repository lives where the Repository's local backend points, below subPath
  assert.ok(readdirSync(join(backendDir, 'demo')).includes('config'), 'restic repository in the local backend');
  const repo = await getObject<Repository>(h.kube, 'Repository', ns.name, 'repo');
  assert.equal(repo?.status?.snapshotCount, 1);

  const restore = await createRestoreSession(h, ns.name, 'files-restore', {
    task: { name: `dir-restore-${id}` },
    repository: { name: 'repo' },
    target: { ...target('restored'), rules: [{ snapshots: ['latest'] }] },
  } as RestoreSession['spec']);
  const r = await h.withWorker(() => runRestoreSession(h, restore));
  assert.equal(r.phase, 'Succeeded', JSON.stringify(r));
  assert.deepEqual(tree(restoredDir), tree(dataDir));
  assert.deepEqual(Object.keys(tree(restoredDir)).sort(), ['/a.txt', '/sub/ü.txt']);
});
