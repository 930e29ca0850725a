// Load and the never-ending session, with Stashflow as real processes:
// - a burst of 50 BackupSessions created at once: all Succeeded, one workflow and one Job each, 50 restic snapshots;
// - a session whose Job never finishes, with its worker killed (-9) and kept down past spec.timeOut: once a worker
//   is back the session ends Failed with DeadlineExceeded and its Job is removed — it never stays Running.
// A tiny busybox function (restic backup of a line from stdin) keeps the burst about orchestration, not data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Client } from '@temporalio/client';
import type { BackupConfiguration, BackupSession, Repository, StashFunction, Task } from '../../api/types.js';
import { waitFinal } from '../../dev/demo/es-scenario.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createObject, deleteObject, getObject, listObjects } from '../../lib/objects.js';
import * as restic from '../../lib/restic.js';
import { connectClient } from '../../lib/temporal.js';
import { ensureCrds } from '../helpers/crds.js';
import { stackDir, stackEnv } from '../helpers/stack.js';
import { watcherProcess, workerProcess, type SupervisedProcess } from './product.js';
import { restoreStack, runningPods } from './stack-control.js';

process.env.PATH = `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const id = randomUUID().slice(0, 6);
const ns = `chaos-burst-${id}`;
const password = randomBytes(18).toString('base64url');
const repoUrl = `${stackEnv('RESTIC_REST_URL')}/${ns}-repo`;
let kube: KubeClients;
let client: Client;
let worker: SupervisedProcess;
let watcher: SupervisedProcess;
const cleanups: Array<() => Promise<unknown>> = [];

const stashlineScript = `set -e
out=$(echo "$HOSTNAME" | restic --retry-lock 2m backup --stdin --stdin-filename session.txt --host host-0 --json)
sid=$(echo "$out" | grep '"summary"' | sed 's/.*"snapshot_id":"\\([^"]*\\)".*/\\1/')
printf '{"phase":"Succeeded","backup":{"snapshots":[{"name":"%s","path":"/session.txt"}]}}' "$sid" > /dev/termination-log`;

async function clusterObject(kind: 'Task' | 'Function', body: Task | StashFunction): Promise<void> {
  const r = { group: 'stash.appscode.com', version: 'v1beta1', plural: kind === 'Task' ? 'tasks' : 'functions' };
  await kube.custom.createClusterCustomObject({ ...r, body });
  cleanups.push(() => kube.custom.deleteClusterCustomObject({ ...r, name: body.metadata.name }).catch(() => undefined));
}

async function taskWith(name: string, script: string): Promise<void> {
  await clusterObject('Function', {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Function',
    metadata: { name },
    spec: { image: 'busybox', command: ['sh', '-c'], args: [script] },
  });
  await clusterObject('Task', {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Task',
    metadata: { name },
    spec: { steps: [{ name }, { name: 'update-status' }] },
  });
}

async function config(name: string, task: string, extra: Partial<BackupConfiguration['spec']>): Promise<void> {
  await createObject<BackupConfiguration>(kube, 'BackupConfiguration', ns, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    metadata: { name, namespace: ns },
    spec: {
      schedule: '0 0 1 1 *',
      task: { name: task },
      repository: { name: 'repo' },
      target: { ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' } },
      retentionPolicy: { name: 'keep-last-100', keepLast: 100, prune: false },
      backupHistoryLimit: 100,
      ...extra,
    },
  });
}

async function trigger(configName: string, name: string): Promise<string> {
  await createObject<BackupSession>(kube, 'BackupSession', ns, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name, namespace: ns },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: configName } },
  });
  return name;
}

before(async () => {
  kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
  await ensureCrds(kube.kc);
  await kube.core.createNamespace({ body: { metadata: { name: ns } } });
  await kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'repo-secret' }, stringData: { RESTIC_PASSWORD: password } },
  });
  await kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns,
    body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  await createObject<Repository>(kube, 'Repository', ns, {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'repo', namespace: ns },
    spec: { backend: { rest: { url: repoUrl }, storageSecretName: 'repo-secret' } },
  });
  // initialised once here: 50 concurrent `restic init` would race
  await restic.init({ repository: `rest:${repoUrl}`, password, noCache: true });
  await taskWith(`stashline-${id}`, stashlineScript);
  await taskWith(`sleepy-${id}`, 'sleep 600');
  await config('burst', `stashline-${id}`, {});
  await config('stuck', `sleepy-${id}`, { timeOut: '90s' }); // long enough for the Job to run first on a busy machine
  const p = {
    taskQueue: `chaos-burst-${id}`,
    watchNamespace: ns,
    leaseName: `chaos-burst-${id}`,
    logDir: join(tmpdir(), `stashflow-chaos-burst-${id}`),
  };
  worker = workerProcess(p);
  watcher = watcherProcess(p, 0);
  worker.start();
  watcher.start();
});

after(async () => {
  for (const name of ['burst', 'stuck']) await deleteObject(kube, 'BackupConfiguration', ns, name).catch(() => undefined);
  for (let i = 0; i < 40 && (await getObject(kube, 'BackupConfiguration', ns, 'burst').catch(() => 1)); i++) await sleep(250);
  await watcher?.stop();
  await worker?.stop();
  await kube?.core.deleteNamespace({ name: ns }).catch(() => undefined);
  for (const c of cleanups) await c();
  await client?.connection.close();
  await restoreStack();
});

test('a burst of 50 BackupSessions at once: all Succeeded, one workflow and one Job each, 50 snapshots', async () => {
  const t0 = Date.now();
  const names = await Promise.all(Array.from({ length: 50 }, (_, i) => trigger('burst', `burst-${String(i).padStart(2, '0')}`)));
  const phases: Record<string, number> = {};
  for (const name of names) {
    const bs = await waitFinal<BackupSession>(kube, 'BackupSession', ns, name, 420_000);
    phases[bs.status?.phase ?? 'none'] = (phases[bs.status?.phase ?? 'none'] ?? 0) + 1;
  }
  const totalMs = Date.now() - t0;
  assert.deepEqual(phases, { Succeeded: 50 });
  const sessions = await listObjects<BackupSession>(kube, 'BackupSession', ns);
  assert.equal(sessions.filter((b) => b.spec.invoker.name === 'burst').length, 50, 'no BackupSession lost or added');
  // one workflow per session (REJECT_DUPLICATE ids), as Temporal's visibility counts them
  let count = 0;
  for (let i = 0; i < 20; i++) {
    count = (await client.workflow.count(`StashNamespace = '${ns}' AND StashInvokerName = 'burst'`)).count;
    if (count >= 50) break;
    await sleep(500); // visibility is eventually consistent
  }
  assert.equal(count, 50, 'session workflows');
  const jobs = await kube.batch.listNamespacedJob({ namespace: ns });
  // one Job per attempt: attempt 1 of every session, further attempts only numbered on from it (no duplicate Job)
  const backupJobs = jobs.items.map((j) => j.metadata!.name!).filter((n) => n.startsWith('stash-backup-burst-'));
  for (const n of names) {
    const mine = backupJobs.filter((j) => j.startsWith(`stash-backup-${n}-`)).map((j) => Number(j.split('-').at(-1)));
    assert.deepEqual(
      mine.sort((a, b) => a - b),
      mine.map((_, i) => i + 1),
      `${n}: Jobs by attempt`,
    );
  }
  const retried = backupJobs.length - names.length;
  const snaps = await restic.snapshots({ repository: `rest:${repoUrl}`, password, noCache: true });
  assert.equal(snaps.length, 50, 'one snapshot per session');
  console.log(
    `chaos-row ${JSON.stringify({ what: 'burst of 50 BackupSessions', totalMs, phases, workflows: count, retried, snapshots: snaps.length })}`,
  );
});

test('a Job that never finishes, its worker killed past spec.timeOut: Failed with DeadlineExceeded once a worker is back', async () => {
  const name = await trigger('stuck', `stuck-${id}`);
  const end = Date.now() + 240_000; // a worker's first start bundles its workflows: slow on a busy machine
  while (!runningPods(ns).some((p) => p.name.startsWith(`stash-backup-${name}-`))) {
    assert.ok(Date.now() < end, 'the stuck Job runs');
    await sleep(100);
  }
  const bs0 = await getObject<BackupSession>(kube, 'BackupSession', ns, name);
  const deadline = Date.parse(bs0?.status?.sessionDeadline ?? '');
  assert.ok(Number.isFinite(deadline), 'sessionDeadline recorded before the Job runs');
  // the only worker dies before the deadline and stays down until 10 s past it
  const live = await getObject<BackupSession>(kube, 'BackupSession', ns, name);
  assert.equal(live?.status?.phase, 'Running', 'the session still runs when its worker is killed');
  assert.ok(Date.now() < deadline - 2000, 'the worker is killed before the deadline');
  const pid = await worker.kill9(Math.max(0, deadline - Date.now()) + 10_000);
  await worker.waitRestarted(pid, 120_000);
  const restartedAt = Date.now();
  const bs = await waitFinal<BackupSession>(kube, 'BackupSession', ns, name, 240_000);
  const finalAt = Date.now();
  assert.equal(bs.status?.phase, 'Failed');
  const cond = bs.status?.conditions?.find((c) => c.type === 'DeadlineExceeded');
  assert.equal(cond?.status, 'True', JSON.stringify(bs.status?.conditions));
  assert.equal(cond?.reason, 'FailedToCompleteWithinDeadline');
  // the stuck Job is gone (cancellation deletes it), nothing keeps running
  let left = 1;
  for (let i = 0; i < 60 && left; i++) {
    const jobs = await kube.batch.listNamespacedJob({ namespace: ns, labelSelector: `stashflow.dev/session=${name}` });
    left = jobs.items.filter((j) => !j.metadata?.deletionTimestamp).length;
    if (left) await sleep(500);
  }
  assert.equal(left, 0, 'the stuck Job was deleted');
  console.log(
    `chaos-row ${JSON.stringify({ what: 'worker down past spec.timeOut (90s)', finalAfterDeadlineMs: finalAt - deadline, finalAfterWorkerBackMs: finalAt - restartedAt })}`,
  );
});
