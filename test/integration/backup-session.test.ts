// The backupSession workflow on the real stack: missing objects fail the session with a condition naming them;
// a Job that fails twice then succeeds ends Succeeded with every attempt recorded; spec.timeOut ends a stuck
// session with DeadlineExceeded and removes its Job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StashFunction, Task } from '../../api/types.js';
import { createObject } from '../../lib/objects.js';
import { ensureCrds } from '../helpers/crds.js';
import {
  backupConfiguration,
  createBackupSession,
  createClusterObject,
  createRestRepository,
  createStorageSecret,
  eventsFor,
  getBackupSession,
  rand,
  runBackupSession,
} from '../helpers/sessions.js';
import { startHarness, tempNamespace, type Harness } from '../helpers/temporal.js';
import { stackEnv } from '../helpers/stack.js';

let h: Harness;
let ns: { name: string; remove: () => Promise<void> };
const cleanups: Array<() => Promise<void>> = [];
const id = rand();
const interim = {
  metadata: { name: 'interim' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
};

// A real function, deliberately flaky: counts its runs on the session's interim volume, fails the first two, and on
// the third backs the counter up with restic (the repository arrives as env from the Job) and reports the snapshot.
const flakyScript = `set -e
n=$(cat /stash-interim/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /stash-interim/count
if [ "$n" -lt 3 ]; then echo "attempt $n fails on purpose" >&2; exit 1; fi
restic cat config >/dev/null 2>&1 || restic init >/dev/null
id=$(restic backup /stash-interim/count --host host-0 --json | grep '"summary"' | sed 's/.*"snapshot_id":"\\([^"]*\\)".*/\\1/')
printf '{"phase":"Succeeded","backup":{"snapshots":[{"name":"%s","path":"/stash-interim"}]}}' "$id" > /dev/termination-log`;

function fn(name: string, args: string[]): StashFunction {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Function',
    metadata: { name },
    spec: { image: 'busybox', command: ['sh', '-c'], args },
  };
}
function task(name: string, fnName: string): Task {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Task',
    metadata: { name },
    spec: { steps: [{ name: fnName }, { name: 'update-status' }] },
  };
}

before(async () => {
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  ns = await tempNamespace(h.kube, 'bsess');
  await createStorageSecret(h, ns.name);
  await createRestRepository(h, ns.name);
  await h.kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  cleanups.push(await createClusterObject(h, 'Function', fn(`flaky-${id}`, [flakyScript])));
  cleanups.push(await createClusterObject(h, 'Task', task(`flaky-${id}`, `flaky-${id}`)));
  cleanups.push(await createClusterObject(h, 'Function', fn(`sleepy-${id}`, ['sleep 120'])));
  cleanups.push(await createClusterObject(h, 'Task', task(`nofn-${id}`, `no-fn-${id}`)));
  cleanups.push(await createClusterObject(h, 'Task', task(`sleepy-${id}`, `sleepy-${id}`)));
});

after(async () => {
  for (const c of cleanups) await c();
  await ns?.remove();
  await h?.close();
});

const target = { ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' } };

describe('a session whose inputs are missing fails with a condition naming the missing object', () => {
  const rows = [
    {
      what: 'Repository',
      spec: { repository: { name: 'nope' } },
      condition: 'RepositoryFound',
      mentions: /Repository .*\/nope \(spec\.repository\) not found/,
    },
    {
      what: 'Task',
      spec: { task: { name: `no-task-${id}` } },
      condition: 'ValidationPassed',
      mentions: new RegExp(`Task no-task-${id} \\(spec\\.task\\.name\\) not found`),
    },
    {
      what: 'Function',
      spec: { task: { name: `nofn-${id}` } },
      condition: 'ValidationPassed',
      mentions: new RegExp(`Function no-fn-${id} \\(Task nofn-${id} spec\\.steps\\) not found`),
    },
    {
      what: 'AppBinding',
      spec: { target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'no-db' } } },
      condition: 'BackupTargetFound',
      mentions: /AppBinding .*\/no-db \(spec\.target\.ref\) not found/,
    },
  ];
  for (const row of rows) {
    test(`missing ${row.what}`, async () => {
      const name = `missing-${row.what.toLowerCase()}`;
      await createObject(
        h.kube,
        'BackupConfiguration',
        ns.name,
        backupConfiguration(ns.name, name, { task: { name: `flaky-${id}` }, target, ...row.spec }),
      );
      const ref = await createBackupSession(h, ns.name, name);
      const result = await h.withWorker(() => runBackupSession(h, ref));
      assert.equal(result.phase, 'Failed');
      assert.match(result.error ?? '', row.mentions);
      const s = await getBackupSession(h, ref);
      assert.equal(s?.status?.phase, 'Failed');
      const cond = s?.status?.conditions?.find((c) => c.type === row.condition);
      assert.equal(cond?.status, 'False', JSON.stringify(s?.status?.conditions));
      assert.match(cond?.message ?? '', row.mentions);
      const ev = await eventsFor(h, ns.name, ref.name);
      assert.ok(
        ev.some((e) => e.type === 'Warning' && e.reason === 'BackupSessionFailed' && row.mentions.test(e.message)),
        JSON.stringify(ev),
      );
      const jobs = await h.kube.batch.listNamespacedJob({
        namespace: ns.name,
        labelSelector: `stashflow.dev/session=${ref.name}`,
      });
      assert.equal(jobs.items.length, 0, 'no Job is created for an invalid session');
    });
  }

  test('missing storage Secret', async () => {
    await createRestRepository(h, ns.name, 'repo-nosecret', 'no-such-secret');
    await createObject(
      h.kube,
      'BackupConfiguration',
      ns.name,
      backupConfiguration(ns.name, 'missing-secret', {
        task: { name: `flaky-${id}` },
        target,
        repository: { name: 'repo-nosecret' },
      }),
    );
    const ref = await createBackupSession(h, ns.name, 'missing-secret');
    const result = await h.withWorker(() => runBackupSession(h, ref));
    assert.equal(result.phase, 'Failed');
    const cond = (await getBackupSession(h, ref))?.status?.conditions?.find((c) => c.type === 'BackendSecretFound');
    assert.equal(cond?.status, 'False');
    assert.match(cond?.message ?? '', /Secret .*\/no-such-secret .*not found/);
  });
});

test('a Job that fails twice then succeeds ends Succeeded with the attempts recorded', async () => {
  await createObject(
    h.kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'flaky', {
      task: { name: `flaky-${id}` },
      target,
      interimVolumeTemplate: interim,
      retryConfig: { maxRetry: 2, delay: '1s' },
    }),
  );
  const ref = await createBackupSession(h, ns.name, 'flaky');
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Succeeded', JSON.stringify(result));
  assert.equal(result.attempts, 3);
  assert.match(result.snapshot ?? '', /^[0-9a-f]{64}$/, 'the snapshot id restic reported');

  const jobs = await h.kube.batch.listNamespacedJob({ namespace: ns.name, labelSelector: `stashflow.dev/session=${ref.name}` });
  const backupJobs = jobs.items
    .map((j) => j.metadata!.name!)
    .filter((n) => n.startsWith('stash-backup-'))
    .sort();
  assert.deepEqual(
    backupJobs,
    [1, 2, 3].map((a) => `stash-backup-${ref.name}-${a}`),
    'one Job per attempt, named by attempt',
  );

  const s = await getBackupSession(h, ref);
  assert.equal(s?.status?.phase, 'Succeeded');
  assert.equal(s?.status?.retried, true);
  assert.match(s?.status?.sessionDuration ?? '', /^\d+(\.\d+)?s$|m/);
  assert.equal(s?.status?.targets?.[0]?.stats?.[0]?.snapshots?.[0]?.name, result.snapshot);
  assert.equal(s?.status?.conditions?.find((c) => c.type === 'RetentionPolicyApplied')?.status, 'True');

  const ev = await eventsFor(h, ns.name, ref.name);
  const retries = ev.filter((e) => e.reason === 'BackupAttemptFailed');
  assert.equal(retries.length, 2, JSON.stringify(ev));
  assert.ok(
    retries.some((e) => /attempt 1\/3: .*attempt 1 fails on purpose/.test(e.message)),
    JSON.stringify(retries),
  );
  assert.ok(ev.some((e) => e.reason === 'BackupSessionSucceeded'));

  const repo = await h.kube.custom.getNamespacedCustomObjectStatus({
    group: 'stash.appscode.com',
    version: 'v1alpha1',
    plural: 'repositories',
    namespace: ns.name,
    name: 'repo',
  });
  const rs = (repo as { status?: { snapshotCount?: number; lastBackupTime?: string; totalSize?: string } }).status;
  assert.equal(rs?.snapshotCount, 1);
  assert.ok(rs?.lastBackupTime && rs.totalSize, JSON.stringify(rs));

  // Stash's metrics, read back from the real Pushgateway
  const metrics = await (await fetch(`${stackEnv('PUSHGATEWAY_URL')}/metrics`)).text();
  const line = metrics
    .split('\n')
    .find(
      (l) =>
        l.startsWith('stash_backup_session_success{') &&
        l.includes(`invoker_name="flaky"`) &&
        l.includes(`namespace="${ns.name}"`),
    );
  assert.ok(line?.endsWith(' 1'), line);
  assert.ok(
    metrics.includes(`stash_repository_snapshot_count{`) &&
      metrics
        .split('\n')
        .some(
          (l) => l.startsWith('stash_repository_snapshot_count{') && l.includes(`namespace="${ns.name}"`) && l.endsWith(' 1'),
        ),
  );
});

test('spec.timeOut: a stuck backup ends Failed with DeadlineExceeded and its Job is removed', async () => {
  await createObject(
    h.kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'sleepy', { task: { name: `sleepy-${id}` }, target, timeOut: '5s' }),
  );
  const ref = await createBackupSession(h, ns.name, 'sleepy');
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Failed');
  const s = await getBackupSession(h, ref);
  const cond = s?.status?.conditions?.find((c) => c.type === 'DeadlineExceeded');
  assert.equal(cond?.status, 'True');
  assert.equal(cond?.reason, 'FailedToCompleteWithinDeadline');
  assert.ok(s?.status?.sessionDeadline, 'sessionDeadline is recorded');
  const deadline = Date.now() + 30_000;
  let left = 1;
  while (left && Date.now() < deadline) {
    const jobs = await h.kube.batch.listNamespacedJob({ namespace: ns.name, labelSelector: `stashflow.dev/session=${ref.name}` });
    left = jobs.items.filter((j) => !j.metadata?.deletionTimestamp).length;
    if (left) await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(left, 0, 'the running Job was deleted');
});
