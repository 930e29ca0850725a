// The dir function as real Jobs on the local cluster (the node agent runs `stashflow function dir ...`): env from a
// Secret by secretKeyRef, REST backend. Backup Job → Complete → termination message → the restic snapshot exists;
// restore Job → the files are equal; a wrong password → Job Failed with a clear message and no secret in it.
// Needs a build first (test/run.sh does it): the stashflow image runs dist/cli/main.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import * as restic from '../../lib/restic.js';
import { repoRoot, stackDir, stackEnv } from '../helpers/stack.js';
import { tempNamespace } from '../helpers/temporal.js';

// restic for the test's own checks: the stack's binary (test/run.sh puts it on PATH; a single-file run may not)
process.env.PATH = `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`;

interface Outcome {
  status: 'Complete' | 'Failed';
  message?: string;
  log: string;
}

async function runJob(kube: KubeClients, namespace: string, job: k8s.V1Job, timeoutMs = 180_000): Promise<Outcome> {
  await kube.batch.createNamespacedJob({ namespace, body: job });
  const name = job.metadata!.name!;
  const deadline = Date.now() + timeoutMs;
  let status: Outcome['status'] | undefined;
  while (!status) {
    if (Date.now() > deadline) throw new Error(`Job ${namespace}/${name} did not finish in ${timeoutMs} ms`);
    const j = await kube.batch.readNamespacedJob({ namespace, name });
    const c = j.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
    if (c) status = c.type as Outcome['status'];
    else await new Promise((r) => setTimeout(r, 500));
  }
  const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
  const pod = pods.items[0];
  assert.ok(pod, `a pod of Job ${name}`);
  const message = pod.status?.containerStatuses?.[0]?.state?.terminated?.message;
  const log = await kube.core.readNamespacedPodLog({ namespace, name: pod.metadata!.name! }).catch(() => '');
  return { status, message, log: String(log) };
}

function dirJob(
  name: string,
  args: string[],
  secretName: string,
  mounts: { name: string; hostPath: string; mountPath: string }[],
  env: k8s.V1EnvVar[] = [],
): k8s.V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'stashflow',
              image: 'stashflow/stashflow:latest',
              args: ['function', 'dir', ...args],
              env: [
                { name: 'RESTIC_PASSWORD', valueFrom: { secretKeyRef: { name: secretName, key: 'RESTIC_PASSWORD' } } },
                ...env,
              ],
              volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath })),
            },
          ],
          volumes: mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: 'DirectoryOrCreate' } })),
        },
      },
    },
  };
}

async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        out[`${relative(root, p)}/`] = '';
        await walk(p);
      } else out[relative(root, p)] = (await readFile(p)).toString('base64');
    }
  }
  await walk(root);
  return out;
}

test('dir function Jobs: backup to a REST repository, restore, equal files; failure is clear', async () => {
  assert.ok(
    existsSync(join(repoRoot, 'dist/functions/dir/cli.js')),
    'dist/functions/dir/cli.js is missing: run `npx tsc -p tsconfig.json` (the stashflow image runs dist/)',
  );
  const kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  const ns = await tempNamespace(kube, 'dirfn');
  const work = await mkdtemp(join(tmpdir(), 'stashflow-dirfn-'));
  const id = randomBytes(4).toString('hex');
  const restUrl = stackEnv('RESTIC_REST_URL');
  const repoPath = `stashflow-dirfn-${id}`;
  const password = randomBytes(12).toString('hex');
  try {
    // the data: nested dirs, an empty file, binary content
    const src = join(work, 'src');
    await mkdir(join(src, 'nested/deeper'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'hello stash\n');
    await writeFile(join(src, 'nested/empty'), '');
    await writeFile(join(src, 'nested/deeper/blob.bin'), randomBytes(300_000));
    const podData = join(work, 'pod/data'); // where the pod sees it (a hostPath mount)
    const podOut = join(work, 'pod/output');
    const hostOut = join(work, 'out');

    await kube.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'dir-repo' }, stringData: { RESTIC_PASSWORD: password } },
    });
    await kube.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'wrong-repo' }, stringData: { RESTIC_PASSWORD: `wrong-${password}` } },
    });

    // backup: Stash-style flags, the repository does not exist yet (the function runs restic init first)
    const backup = await runJob(
      kube,
      ns.name,
      dirJob(
        'dir-backup-1',
        [
          'backup',
          '--provider=rest',
          `--endpoint=${restUrl}`,
          `--path=${repoPath}`,
          '--bucket=',
          `--paths=${podData}`,
          '--hostname=host-0',
          `--output-dir=${podOut}`,
          '--retention-keep-last=5',
          '--enable-cache=false',
        ],
        'dir-repo',
        [
          { name: 'data', hostPath: src, mountPath: podData },
          { name: 'output', hostPath: hostOut, mountPath: podOut },
        ],
      ),
    );
    assert.equal(backup.status, 'Complete', `${backup.message}\n${backup.log}`);
    const result = JSON.parse(backup.message ?? '{}') as {
      phase: string;
      backup: {
        hostname: string;
        phase: string;
        duration: string;
        snapshots: {
          name: string;
          path: string;
          totalSize: string;
          uploaded: string;
          processingTime: string;
          fileStats: Record<string, number>;
        }[];
      };
      details: { repositoryInitialized?: boolean };
    };
    assert.equal(result.phase, 'Succeeded');
    assert.equal(result.details.repositoryInitialized, true);
    assert.equal(result.backup.hostname, 'host-0');
    assert.match(result.backup.duration, /^[0-9.]+(ms|s)$|m/);
    const snap = result.backup.snapshots[0];
    assert.ok(snap);
    assert.equal(result.backup.snapshots.length, 1);
    assert.equal(snap.path, podData);
    assert.match(snap.totalSize, /^[0-9.]+ (B|KiB|MiB)$/);
    assert.match(snap.processingTime, /^\d+:\d\d$/);
    assert.deepEqual(snap.fileStats, { totalFiles: 3, newFiles: 3, modifiedFiles: 0, unmodifiedFiles: 0 });
    // Stash's output.json next to it, same stats
    const output = JSON.parse(await readFile(join(hostOut, 'output.json'), 'utf8')) as { targetStatus: { stats: unknown[] } };
    assert.deepEqual(output.targetStatus.stats, [result.backup]);
    // progress lines on stdout
    assert.match(backup.log, /\{"progress":\{"function":"dir-backup","step":"init","created":true\}\}/);
    assert.match(backup.log, /"ignored":\["retention-keep-last"\]/);

    // the snapshot is in the repository
    const repo: restic.ResticRepo = { repository: `rest:${restUrl}/${repoPath}`, password, noCache: true };
    const snaps = await restic.snapshots(repo);
    assert.deepEqual(
      snaps.map((s) => [s.id, s.hostname, s.paths]),
      [[snap.name, 'host-0', [podData]]],
    );

    // restore: RESTIC_REPOSITORY from env this time, into another directory
    const hostRestore = join(work, 'restored');
    const podRestore = join(work, 'pod/restore');
    const restoreOut = join(work, 'out-restore');
    const restored = await runJob(
      kube,
      ns.name,
      dirJob(
        'dir-restore-1',
        ['restore', '--snapshot=latest', '--source-hostname=host-0', `--target-dir=${podRestore}`, `--output-dir=${podOut}`],
        'dir-repo',
        [
          { name: 'restore', hostPath: hostRestore, mountPath: podRestore },
          { name: 'output', hostPath: restoreOut, mountPath: podOut },
        ],
        [{ name: 'RESTIC_REPOSITORY', value: repo.repository }],
      ),
    );
    assert.equal(restored.status, 'Complete', `${restored.message}\n${restored.log}`);
    const rres = JSON.parse(restored.message ?? '{}') as { phase: string; restore: { hostname: string; phase: string } };
    assert.equal(rres.phase, 'Succeeded');
    assert.equal(rres.restore.phase, 'Succeeded');
    const rout = JSON.parse(await readFile(join(restoreOut, 'output.json'), 'utf8')) as { targetStatus: { stats: unknown[] } };
    assert.deepEqual(rout.targetStatus.stats, [rres.restore]);
    // restic restores below the target with the original absolute path
    const restoredData = join(hostRestore, podData);
    assert.ok((await stat(restoredData)).isDirectory(), `restored into ${restoredData}`);
    assert.deepEqual(await tree(restoredData), await tree(src));

    // failure: wrong password → Job Failed, a clear message, the password nowhere
    const bad = await runJob(
      kube,
      ns.name,
      dirJob(
        'dir-backup-bad',
        ['backup', '--provider=rest', `--rest-url=${restUrl}/${repoPath}`, `--paths=${podData}`],
        'wrong-repo',
        [{ name: 'data', hostPath: src, mountPath: podData }],
      ),
    );
    assert.equal(bad.status, 'Failed');
    const badResult = JSON.parse(bad.message ?? '{}') as {
      phase: string;
      error: string;
      backup: { phase: string; error: string };
    };
    assert.equal(badResult.phase, 'Failed');
    assert.equal(badResult.backup.phase, 'Failed');
    assert.match(badResult.error, /wrong repository password/);
    assert.match(bad.log, /stashflow: function dir backup failed: .*wrong repository password/);
    assert.ok(!bad.message?.includes(password) && !bad.log.includes(password), 'no password in the output');
  } finally {
    await ns.remove();
    await rm(work, { recursive: true, force: true });
  }
});

test('the dir catalog (Functions, Tasks) is accepted by the apiserver (server-side dry run)', async () => {
  const { loadAllYaml } = await import('@kubernetes/client-node');
  const kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  for (const file of ['functions.yaml', 'tasks.yaml']) {
    const objs = loadAllYaml(await readFile(join(repoRoot, 'deploy/catalog/dir', file), 'utf8')) as { kind: string }[];
    for (const body of objs) {
      const created = (await kube.custom.createClusterCustomObject({
        group: 'stash.appscode.com',
        version: 'v1beta1',
        plural: body.kind === 'Task' ? 'tasks' : 'functions',
        body,
        dryRun: 'All',
      })) as { kind: string; spec: { args?: string[]; steps?: unknown[] } };
      assert.equal(created.kind, body.kind);
      assert.ok(created.spec.args?.length || created.spec.steps?.length, 'spec kept, not pruned');
    }
  }
});
