// The `stashflow` CLI against the real stack, run as a user runs it (a child process with a kubeconfig): status,
// snapshots of a real restic snapshot on the REST server, restore (--no-wait and following a session to its end),
// pause/resume, missing objects, --help. Following a session to Succeeded/Failed: the test writes the status a worker
// would write (no restore Job runs); and once a real worker (test harness) runs the session the CLI created.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupConfiguration, BackupSession, Repository, RestoreSession } from '../../api/types.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createObject, getObject, patchStatus } from '../../lib/objects.js';
import * as restic from '../../lib/restic.js';
import { ensureCrds } from '../helpers/crds.js';
import { runProcess, type Run } from '../helpers/process.js';
import { backupConfiguration, rand, runRestoreSession } from '../helpers/sessions.js';
import { repoRoot, stackDir, stackEnv } from '../helpers/stack.js';
import { startHarness, tempNamespace, type Harness } from '../helpers/temporal.js';

const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
const PATH = `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`;
const id = rand();
const backupTask = `cli-backup-${id}`;
const restoreTask = `cli-restore-${id}`;
const taskRes = { group: 'stash.appscode.com', version: 'v1beta1', plural: 'tasks' };
let kube: KubeClients;
let ns: { name: string; remove: () => Promise<void> };
let password: string;
let snapshotId: string;
let h: Harness | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'stashflow-cli-data-'));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runProcess(tsx, ['cli/main.ts', ...args], { cwd: repoRoot, env: { KUBECONFIG: stackEnv('KUBECONFIG'), PATH, ...env } });
}

async function eventually<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  await ensureCrds(kube.kc);
  ns = await tempNamespace(kube, 'cli');
  password = randomBytes(18).toString('base64url');
  await kube.core.createNamespacedSecret({
    namespace: ns.name,
    body: { metadata: { name: 'repo-secret' }, stringData: { RESTIC_PASSWORD: password } },
  });
  const url = `${stackEnv('RESTIC_REST_URL')}/cli-${id}`;
  await createObject<Repository>(kube, 'Repository', ns.name, {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'repo', namespace: ns.name },
    spec: { backend: { rest: { url }, storageSecretName: 'repo-secret' } },
  });
  // a real snapshot, made directly with lib/restic.ts (restic from the stack's bin)
  process.env.PATH = PATH;
  const repo = { repository: `rest:${url}`, password, noCache: true };
  await restic.init(repo);
  writeFileSync(join(dataDir, 'hello.txt'), 'hello from the cli test\n');
  snapshotId = (await restic.backup(repo, [dataDir], { host: 'host-0', tags: ['cli-test'] })).snapshotId;
  await createObject(
    kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'bc', {
      task: { name: backupTask },
      target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es' } },
    }),
  );
  await kube.custom.createClusterCustomObject({
    ...taskRes,
    body: {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'Task',
      metadata: { name: restoreTask },
      spec: { steps: [{ name: `no-fn-${id}` }] },
    },
  });
  await createObject(kube, 'AppBinding', ns.name, {
    apiVersion: 'appcatalog.appscode.com/v1alpha1',
    kind: 'AppBinding',
    metadata: { name: 'es', namespace: ns.name },
    spec: { type: 'elasticsearch', clientConfig: { url: 'http://127.0.0.1:1' } },
  });
});

after(async () => {
  await h?.close();
  await kube.custom.deleteClusterCustomObject({ ...taskRes, name: restoreTask }).catch(() => undefined);
  await ns.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

test('--help exits 0 for every command; usage errors exit 2', async () => {
  for (const cmd of ['status', 'snapshots', 'restore', 'pause', 'resume', 'trigger']) {
    const r = await cli([cmd, '--help']);
    assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`usage: stashflow ${cmd}`));
  }
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  for (const cmd of ['status', 'snapshots', 'restore', 'pause', 'resume', 'trigger'])
    assert.match(top.stdout, new RegExp(`\\n  ${cmd} `));
  const unknown = await cli(['bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'bogus'/);
  const bad = await cli(['status', '--output', 'yaml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--output must be json or table/);
  assert.equal((await cli(['restore', `${ns.name}/repo`])).code, 2, 'restore without --to');
  assert.equal((await cli(['snapshots'])).code, 2);
  assert.equal((await cli(['pause', 'a/b/c'])).code, 2);
});

test('no cluster access: exit 1 with the reason, for every command', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stashflow-kc-'));
  const bad = join(dir, 'kubeconfig');
  writeFileSync(
    bad,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  try {
    for (const args of [
      ['status', '-n', 'x'],
      ['snapshots', 'x/r'],
      ['restore', 'x/r', '--to', 'a', '--no-wait'],
      ['pause', 'x/b'],
      ['resume', 'x/b'],
      ['trigger', 'x/b'],
    ]) {
      const r = await cli(args, { KUBECONFIG: bad });
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`^stashflow ${args[0]}: cannot reach the Kubernetes API \\(ECONNREFUSED\\)`));
    }
    const none = await cli(['status', '-n', 'x'], { KUBECONFIG: join(dir, 'missing') });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no cluster access: cannot load a kubeconfig/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status: lists a BackupSession with its snapshot and size, newest first, in json and table', async () => {
  const old = await createObject<BackupSession>(kube, 'BackupSession', ns.name, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name: 'bc-1000000000', namespace: ns.name },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'bc' } },
  });
  assert.ok(old.metadata.uid);
  await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has second resolution
  await createObject<BackupSession>(kube, 'BackupSession', ns.name, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name: 'bc-2000000000', namespace: ns.name },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'bc' } },
  });
  await patchStatus(kube, 'BackupSession', ns.name, 'bc-2000000000', {
    phase: 'Succeeded',
    sessionDuration: '12s',
    targets: [
      {
        phase: 'Succeeded',
        stats: [{ hostname: 'host-0', phase: 'Succeeded', snapshots: [{ name: snapshotId.slice(0, 8), totalSize: '24 B' }] }],
      },
    ],
  });
  const r = await cli(['status', '-n', ns.name, '--output', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  const backups = rows.filter((x) => x.kind === 'BackupSession');
  assert.deepEqual(
    backups.map((x) => x.name),
    ['bc-2000000000', 'bc-1000000000'],
  );
  assert.equal(backups[0]!.phase, 'Succeeded');
  assert.equal(backups[0]!.duration, '12s');
  assert.deepEqual(backups[0]!.snapshots, [snapshotId.slice(0, 8)]);
  assert.equal(backups[0]!.size, '24 B');
  assert.equal(backups[0]!.invoker, 'BackupConfiguration/bc');
  assert.equal(backups[1]!.phase, 'Pending');

  const t = await cli(['status', `${ns.name}/bc`]);
  assert.equal(t.code, 0, t.stderr);
  const lines = t.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^KIND\s+NAME\s+INVOKER\s+PHASE\s+DURATION\s+SNAPSHOT\s+SIZE\s+AGE$/);
  assert.match(
    lines[1]!,
    new RegExp(
      `^BackupSession\\s+bc-2000000000\\s+BackupConfiguration/bc\\s+Succeeded\\s+12s\\s+${snapshotId.slice(0, 8)}\\s+24 B\\s+\\d+s$`,
    ),
  );

  const all = await cli(['status', '-A', '-o', 'json']);
  assert.equal(all.code, 0, all.stderr);
  assert.ok((JSON.parse(all.stdout) as Array<{ namespace: string }>).some((x) => x.namespace === ns.name));

  const missing = await cli(['status', `${ns.name}/nope`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, new RegExp(`BackupConfiguration ${ns.name}/nope not found`));
});

test('snapshots: lists the real restic snapshot; never prints the password', async () => {
  const r = await cli(['snapshots', `${ns.name}/repo`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ id: string; host: string; tags: string[]; paths: string[]; size?: number }>;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.id, snapshotId);
  assert.equal(rows[0]!.host, 'host-0');
  assert.deepEqual(rows[0]!.tags, ['cli-test']);
  assert.deepEqual(rows[0]!.paths, [dataDir]);
  assert.equal(rows[0]!.size, 'hello from the cli test\n'.length);
  const t = await cli(['snapshots', `${ns.name}/repo`]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^ID\s+TIME\s+HOST\s+TAGS\s+PATHS\s+SIZE\n/);
  assert.match(t.stdout, new RegExp(`${snapshotId.slice(0, 8)}\\s+\\S+Z\\s+host-0\\s+cli-test\\s+${dataDir}\\s+24 B`));
  for (const out of [r.stdout, r.stderr, t.stdout, t.stderr]) assert.ok(!out.includes(password), 'password printed');

  const missing = await cli(['snapshots', `${ns.name}/nope`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, new RegExp(`Repository ${ns.name}/nope not found`));
});

test('snapshots: a local (hostPath) backend on this machine is read in place', async () => {
  const backend = mkdtempSync(join(tmpdir(), 'stashflow-cli-local-'));
  try {
    const repo = { repository: join(backend, 'demo'), password, noCache: true };
    await restic.init(repo);
    const snap = (await restic.backup(repo, [dataDir], { host: 'host-1' })).snapshotId;
    await createObject<Repository>(kube, 'Repository', ns.name, {
      apiVersion: 'stash.appscode.com/v1alpha1',
      kind: 'Repository',
      metadata: { name: 'near', namespace: ns.name },
      spec: {
        backend: {
          local: { mountPath: '/stash', subPath: 'demo', hostPath: { path: backend } },
          storageSecretName: 'repo-secret',
        },
      },
    });
    const r = await cli(['snapshots', `${ns.name}/near`, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ id: string; host: string }>;
    assert.deepEqual(
      rows.map((x) => [x.id, x.host]),
      [[snap, 'host-1']],
    );
  } finally {
    rmSync(backend, { recursive: true, force: true });
  }
});

test('snapshots: a local backend whose hostPath is not on this machine is a clear error', async () => {
  await createObject<Repository>(kube, 'Repository', ns.name, {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'far', namespace: ns.name },
    spec: {
      backend: {
        local: { mountPath: '/stash', subPath: 'x', hostPath: { path: `/nonexistent-${id}` } },
        storageSecretName: 'repo-secret',
      },
    },
  });
  const r = await cli(['snapshots', `${ns.name}/far`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`hostPath /nonexistent-${id}/x on the node, which is not on this machine`));
});

test('restore --no-wait: creates a RestoreSession with the derived Task, the AppBinding target and the snapshot', async () => {
  const r = await cli([
    'restore',
    `${ns.name}/repo`,
    '--to',
    'es',
    '--snapshot',
    snapshotId.slice(0, 8),
    '--name',
    'r-nowait',
    '--no-wait',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'r-nowait');
  const rs = await getObject<RestoreSession>(kube, 'RestoreSession', ns.name, 'r-nowait');
  assert.ok(rs);
  assert.deepEqual(rs.spec.repository, { name: 'repo' });
  assert.deepEqual(rs.spec.task, { name: restoreTask });
  assert.deepEqual(rs.spec.target?.ref, { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es' });
  assert.deepEqual(rs.spec.target?.rules, [{ snapshots: [snapshotId.slice(0, 8)] }]);

  const st = await cli(['status', `${ns.name}/bc`, '-o', 'json']);
  assert.ok(
    (JSON.parse(st.stdout) as Array<{ name: string }>).some((x) => x.name === 'r-nowait'),
    'status lists the restore of the repository',
  );

  const noRepo = await cli(['restore', `${ns.name}/nope`, '--to', 'es', '--no-wait']);
  assert.equal(noRepo.code, 1);
  assert.match(noRepo.stderr, new RegExp(`Repository ${ns.name}/nope not found`));
  const noApp = await cli(['restore', `${ns.name}/repo`, '--to', 'nope', '--no-wait']);
  assert.equal(noApp.code, 1);
  assert.match(noApp.stderr, new RegExp(`AppBinding ${ns.name}/nope not found`));
  const noTask = await cli(['restore', `${ns.name}/repo`, '--to', 'es', '--task', `nope-${id}`, '--no-wait']);
  assert.equal(noTask.code, 1);
  assert.match(noTask.stderr, new RegExp(`Task nope-${id} not found`));
  const far = await cli(['restore', `${ns.name}/far`, '--to', 'es', '--no-wait']);
  assert.equal(far.code, 1);
  assert.match(far.stderr, /no BackupConfiguration .* uses Repository far: name the restore Task with --task/);
});

/** Runs `restore` (waiting) and plays the worker: Running, then the final phase. */
async function restoreFollowed(name: string, final: RestoreSession['status']): Promise<Run> {
  const running = cli(['restore', `${ns.name}/repo`, '--to', 'es', '--name', name, '--timeout', '90s']);
  await eventually(`RestoreSession ${name}`, 30_000, () => getObject<RestoreSession>(kube, 'RestoreSession', ns.name, name));
  await patchStatus(kube, 'RestoreSession', ns.name, name, { phase: 'Running', totalHosts: 1 });
  await new Promise((r) => setTimeout(r, 2500));
  await patchStatus(kube, 'RestoreSession', ns.name, name, { sessionDuration: '3s', ...final });
  return running;
}

test('restore: follows the RestoreSession to Succeeded (exit 0) with progress lines', async () => {
  const r = await restoreFollowed('r-ok', { phase: 'Succeeded' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`created RestoreSession ${ns.name}/r-ok \\(Task ${restoreTask}\\)`));
  assert.match(r.stdout, /RestoreSession r-ok: Running\s+\d+s\n/);
  assert.match(r.stdout, /RestoreSession r-ok: Succeeded\s+\d+s\n$/);
});

test('restore: the progress of the running restore Job (its JSON progress lines) shows as a bar, per 10 % in a pipe', async () => {
  const name = 'r-bar';
  const running = cli(['restore', `${ns.name}/repo`, '--to', 'es', '--name', name, '--timeout', '3m']);
  // a CLI child under tsx takes seconds to start on 2 busy cores
  await eventually(`RestoreSession ${name}`, 90_000, () => getObject<RestoreSession>(kube, 'RestoreSession', ns.name, name));
  // a real Job with the restore Job's name prefix and labels, whose container prints what our function prints
  const line = (done: number) =>
    JSON.stringify({ progress: { index: 'i1', docsDone: done, docsTotal: 2000, bytesDone: done * 10, phase: 'load' } });
  await kube.batch.createNamespacedJob({
    namespace: ns.name,
    body: {
      metadata: {
        name: `stash-restore-${name}-1`,
        labels: { 'stash.appscode.com/invoker-name': name, 'stashflow.dev/session': name },
      },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'restore',
                image: 'busybox',
                command: ['sh', '-c', `echo '${line(500)}'; sleep 3; echo '${line(2000)}'; sleep 60`],
              },
            ],
          },
        },
      },
    },
  });
  await patchStatus(kube, 'RestoreSession', ns.name, name, { phase: 'Running', totalHosts: 1 });
  // wait until the Job printed its last line, then finish the session as the worker would
  await eventually('the last progress line', 60_000, async () => {
    const pods = await kube.core.listNamespacedPod({ namespace: ns.name, labelSelector: `job-name=stash-restore-${name}-1` });
    const pod = pods.items[0]?.metadata?.name;
    const log = pod ? String(await kube.core.readNamespacedPodLog({ namespace: ns.name, name: pod }).catch(() => '')) : '';
    return log.includes('"docsDone":2000') ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 2500)); // a poll of the CLI sees it
  await patchStatus(kube, 'RestoreSession', ns.name, name, { sessionDuration: '5s', phase: 'Succeeded' });
  const r = await running;
  await kube.batch
    .deleteNamespacedJob({ namespace: ns.name, name: `stash-restore-${name}-1`, propagationPolicy: 'Background' })
    .catch(() => undefined);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /RestoreSession r-bar: Running\s+\d+s {2}\[######\.{18}\] {2}25% {2}500\/2000 docs\n/);
  assert.match(r.stdout, /RestoreSession r-bar: Running\s+\d+s {2}\[#{24}\] 100% {2}2000\/2000 docs\n/);
  assert.match(r.stdout, /RestoreSession r-bar: Succeeded\s+\d+s {2}\[#{24}\] 100% {2}2000\/2000 docs\n$/);
  // a pipe gets one line per phase and per 10 %: no repeated 25 % lines
  assert.equal(r.stdout.match(/ 25%/g)?.length, 1, r.stdout);
});

test('restore: a Failed RestoreSession exits 1 with the failing condition', async () => {
  const r = await restoreFollowed('r-fail', {
    phase: 'Failed',
    conditions: [
      {
        type: 'RestoreCompleted',
        status: 'False',
        reason: 'Failed',
        message: 'elasticsearch refused the restore',
        lastTransitionTime: new Date().toISOString(),
      },
    ],
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /RestoreSession r-fail: Failed/);
  assert.match(
    r.stderr,
    new RegExp(`RestoreSession ${ns.name}/r-fail Failed: RestoreCompleted: elasticsearch refused the restore`),
  );
});

test('restore: a real worker runs the RestoreSession; its Task names a missing Function, so it is Invalid and the CLI says why', async () => {
  h = await startHarness();
  const running = cli(['restore', `${ns.name}/repo`, '--to', 'es', '--name', 'r-worker', '--timeout', '3m']);
  const rs = await eventually('RestoreSession r-worker', 30_000, () =>
    getObject<RestoreSession>(kube, 'RestoreSession', ns.name, 'r-worker'),
  );
  // started the way the watcher starts it
  const harness = h;
  const result = await harness.withWorker(() =>
    runRestoreSession(harness, { namespace: ns.name, name: 'r-worker', uid: rs.metadata.uid! }),
  );
  assert.equal(result.phase, 'Invalid', JSON.stringify(result));
  const r = await running;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /RestoreSession r-worker: Invalid/);
  assert.match(
    r.stderr,
    new RegExp(
      `RestoreSession ${ns.name}/r-worker Invalid: \\w+: .*Function no-fn-${id} \\(Task ${restoreTask} spec\\.steps\\) not found`,
    ),
  );
});

test('pause and resume flip spec.paused; a missing BackupConfiguration exits 1', async () => {
  const get = async () => (await getObject<BackupConfiguration>(kube, 'BackupConfiguration', ns.name, 'bc'))!.spec.paused;
  const p = await cli(['pause', `${ns.name}/bc`]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /paused/);
  assert.equal(await get(), true);
  const again = await cli(['pause', 'bc', '-n', ns.name]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /already paused/);
  const r = await cli(['resume', `${ns.name}/bc`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /resumed/);
  assert.equal(await get(), false);
  const missing = await cli(['resume', `${ns.name}/nope`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, new RegExp(`BackupConfiguration ${ns.name}/nope not found`));
});
