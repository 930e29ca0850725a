// The Stash CRDs (deploy/crds, generated from api/schemas.ts) on the real kube-apiserver of the local stack:
// they install and become Established, Stash's own Elasticsearch manifests (deploy/examples/elasticsearch) apply
// unchanged with kubectl's strict field validation, invalid objects are rejected with 422 naming the field, the
// status subresource isolates status from spec, and kubectl prints Stash's columns.
// The CRDs stay installed afterwards (other suites use them); every namespace and cluster-scoped object made here
// is deleted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { repoRoot, stackEnv } from '../helpers/stack.js';
import { crds } from '../../api/schemas.js';
import type { BackupConfiguration, Kind } from '../../api/types.js';
import { fullSamples } from '../helpers/stash-samples.js';
import { kubectl, kubectlOk as mustKubectl } from '../helpers/kubectl.js';

const CRD_DIR = join(repoRoot, 'deploy', 'crds');
const EXAMPLES = join(repoRoot, 'deploy', 'examples', 'elasticsearch');

const suffix = () => randomBytes(4).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(stackEnv('KUBECONFIG'));
  return kc;
}
const kc = kubeConfig();
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const core = kc.makeApiClient(k8s.CoreV1Api);

async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(250);
  }
}

const kubectlOk = async (args: string[], input?: string): Promise<string> => (await mustKubectl(args, input)).stdout;

// ---- CRDs: create-or-replace from the committed files, once per file run ----

let installed: Promise<string[]> | undefined;
async function installCrds(): Promise<string[]> {
  const names: string[] = [];
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    // loadYaml gives client-node's typed model, which is what ApiextensionsV1Api serializes (x-kubernetes-* keys)
    const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(join(CRD_DIR, file), 'utf8'));
    const name = crd.metadata!.name!;
    names.push(name);
    const existing = await ext.readCustomResourceDefinition({ name }).catch((err: unknown) => {
      if (err instanceof k8s.ApiException && err.code === 404) return undefined;
      throw err;
    });
    if (existing) {
      crd.metadata!.resourceVersion = existing.metadata!.resourceVersion;
      await ext.replaceCustomResourceDefinition({ name, body: crd });
    } else {
      await ext.createCustomResourceDefinition({ body: crd });
    }
  }
  for (const name of names) {
    await eventually(`${name} Established`, 60_000, async () => {
      const crd = await ext.readCustomResourceDefinition({ name });
      const ok = (t: string) => crd.status?.conditions?.some((c) => c.type === t && c.status === 'True');
      return ok('Established') && ok('NamesAccepted') ? true : undefined;
    });
  }
  // the new resources are served (discovery and storage ready) before anything uses them
  for (const def of Object.values(crds)) {
    await eventually(`${def.plural} served`, 60_000, async () =>
      custom.listClusterCustomObject({ group: def.group, version: def.version, plural: def.plural }).then(
        () => true,
        () => undefined,
      ),
    );
  }
  return names;
}
const ready = () => (installed ??= installCrds());

/** A fresh namespace for one test, deleted when the test ends. */
async function namespace(t: TestContext): Promise<string> {
  const ns = `crds-${suffix()}`;
  await core.createNamespace({ body: { metadata: { name: ns, labels: { 'stashflow.test/kind': 'crds' } } } });
  t.after(() =>
    core.deleteNamespace({ name: ns }).then(
      () => undefined,
      () => undefined,
    ),
  );
  return ns;
}

const api = (kind: Kind) => crds[kind];
type Obj = { metadata: { name: string; generation?: number; resourceVersion?: string } } & Record<string, unknown>;

function create<T = Obj>(kind: Kind, namespace: string, body: object): Promise<T> {
  const d = api(kind);
  return custom.createNamespacedCustomObject({
    group: d.group,
    version: d.version,
    namespace,
    plural: d.plural,
    body,
  }) as Promise<T>;
}
function get<T = Obj>(kind: Kind, namespace: string, name: string): Promise<T> {
  const d = api(kind);
  return custom.getNamespacedCustomObject({
    group: d.group,
    version: d.version,
    namespace,
    plural: d.plural,
    name,
  }) as Promise<T>;
}

/** The call fails with 422 Invalid and its message names every fragment (field paths, reasons). */
async function rejected422(call: Promise<unknown>, ...fragments: string[]): Promise<string> {
  const err = await call.then(
    () => assert.fail(`accepted; expected 422 naming ${fragments.join(', ')}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof k8s.ApiException, `not an API error: ${String(err)}`);
  assert.equal(err.code, 422, `status ${err.code}: ${String(err.body)}`);
  const status = JSON.parse(String(err.body)) as { reason: string; message: string };
  assert.equal(status.reason, 'Invalid');
  for (const f of fragments) assert.ok(status.message.includes(f), `message lacks ${JSON.stringify(f)}: ${status.message}`);
  return status.message;
}

/** A Stash BackupConfiguration as in Stash's Elasticsearch guide (deploy/examples/elasticsearch). */
function backupConfiguration(name: string): BackupConfiguration {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    metadata: { name },
    spec: {
      schedule: '*/5 * * * *',
      task: { name: 'elasticsearch-backup-8.2.0' },
      repository: { name: 'rest-repo' },
      target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' } },
      interimVolumeTemplate: {
        metadata: { name: `${name}-tmp-storage` },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } },
      },
      runtimeSettings: { pod: { securityContext: { fsGroup: 65534 } } },
      retentionPolicy: { name: 'keep-last-5', keepLast: 5, prune: true },
    },
  };
}

/** Example manifests with the namespace (and, for cluster-scoped Tasks/Functions, the names) made unique. */
function example(file: string, ns: string, rename: Record<string, string> = {}): string {
  let text = readFileSync(join(EXAMPLES, file), 'utf8').replaceAll('namespace: demo', `namespace: ${ns}`);
  for (const [from, to] of Object.entries(rename)) text = text.replaceAll(from, to);
  return text;
}

/** kubectl get output as rows of columns (split on runs of 2+ spaces, as kubectl aligns its table). */
function table(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

// ---------------------------------------------------------------------------------------------------------------

test('the CRDs from deploy/crds install, become Established and carry Stash names', async () => {
  const names = await ready();
  assert.deepEqual(
    names.sort(),
    Object.values(crds)
      .map((d) => `${d.plural}.${d.group}`)
      .sort(),
  );
  for (const def of Object.values(crds)) {
    const crd = await ext.readCustomResourceDefinition({ name: `${def.plural}.${def.group}` });
    assert.equal(crd.spec.scope, def.scope);
    assert.equal(crd.spec.names.kind, def.kind);
    assert.deepEqual(crd.spec.names.shortNames ?? [], def.shortNames);
    assert.deepEqual(crd.spec.names.categories, def.categories);
    assert.equal(crd.status?.acceptedNames?.kind, def.kind);
    const v = crd.spec.versions[0]!;
    assert.equal(v.name, def.version);
    assert.equal(Boolean(v.subresources?.status), def.statusSubresource);
  }
  // the apiserver publishes them with Stash's short names
  const resources = await kubectlOk(['api-resources', '--api-group=stash.appscode.com', '--no-headers']);
  for (const [plural, short] of [
    ['backupconfigurations', 'bc'],
    ['repositories', 'repo'],
    ['restoresessions', 'restore'],
    ['functions', 'fn'],
  ]) {
    assert.match(resources, new RegExp(`^${plural}\\s+${short}\\s+stash\\.appscode\\.com/`, 'm'), resources);
  }
});

test("Stash's Elasticsearch example manifests apply unchanged (kubectl, strict field validation)", async (t) => {
  await ready();
  const ns = await namespace(t);
  const id = suffix();
  // Tasks and Functions are cluster-scoped: unique names, deleted afterwards
  const rename = {
    'elasticsearch-backup-8.2.0': `elasticsearch-backup-8.2.0-${id}`,
    'elasticsearch-restore-8.2.0': `elasticsearch-restore-8.2.0-${id}`,
  };
  t.after(async () => {
    for (const n of Object.values(rename)) {
      for (const plural of ['tasks', 'functions']) {
        await custom
          .deleteClusterCustomObject({ group: 'stash.appscode.com', version: 'v1beta1', plural, name: n })
          .catch(() => undefined);
      }
    }
  });
  const files = [
    'secrets.yaml',
    'repository-local.yaml',
    'repository-rest.yaml',
    'appbinding.yaml',
    'tasks.yaml',
    'backupconfiguration.yaml',
    'backupsession.yaml',
    'restoresession.yaml',
  ];
  assert.deepEqual(
    [...files].sort(),
    readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .sort(),
    'every example is applied',
  );
  for (const f of files) {
    const out = await kubectlOk(['apply', '--validate=strict', '-f', '-'], example(f, ns, rename));
    assert.match(out, /created|configured/, `${f}: ${out}`);
  }

  // what was stored is what Stash users wrote, with Stash's defaults filled in
  const bc = await get<BackupConfiguration>('BackupConfiguration', ns, 'sample-es-backup');
  assert.equal(bc.spec.schedule, '*/5 * * * *');
  assert.equal(bc.spec.task?.name, rename['elasticsearch-backup-8.2.0']);
  assert.equal(bc.spec.driver, 'Restic', 'driver defaults to Restic');
  assert.deepEqual(bc.spec.retentionPolicy, { name: 'keep-last-5', keepLast: 5, prune: true });
  assert.equal(bc.spec.interimVolumeTemplate?.spec.resources?.requests?.storage, '1Gi');
  assert.deepEqual(bc.spec.runtimeSettings?.pod?.securityContext, { fsGroup: 65534 }, 'embedded core type preserved');

  const local = await get<{ spec: { backend: Record<string, Record<string, unknown>> } }>('Repository', ns, 'local-repo');
  assert.deepEqual(local.spec.backend.local, {
    mountPath: '/safe/data',
    subPath: 'sample-es',
    hostPath: { path: '/var/lib/stashflow/repositories' },
  });
  const rest = await get<{ spec: { backend: Record<string, unknown> } }>('Repository', ns, 'rest-repo');
  assert.deepEqual(rest.spec.backend, {
    rest: { url: 'http://rest-server.demo.svc:8000/sample-es' },
    storageSecretName: 'rest-repo-secret',
  });

  const ab = await get<{ spec: { parameters: { kind: string; stash: unknown } } }>('AppBinding', ns, 'sample-es');
  assert.equal(ab.spec.parameters.kind, 'StashAddon', 'AppBinding parameters kept as an embedded object');
  assert.deepEqual(ab.spec.parameters.stash, {
    addon: {
      backupTask: { name: rename['elasticsearch-backup-8.2.0'] },
      restoreTask: { name: rename['elasticsearch-restore-8.2.0'] },
    },
  });

  const rs = await get<{ spec: { rules: unknown; driver: string } }>('RestoreSession', ns, 'sample-es-restore');
  assert.deepEqual(rs.spec.rules, [{ snapshots: ['latest'] }]);
  assert.equal(rs.spec.driver, 'Restic');
  const bs = await get<{ spec: { invoker: unknown } }>('BackupSession', ns, 'sample-es-backup-manual');
  assert.deepEqual(bs.spec.invoker, { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'sample-es-backup' });

  const task = (await custom.getClusterCustomObject({
    group: 'stash.appscode.com',
    version: 'v1beta1',
    plural: 'tasks',
    name: rename['elasticsearch-backup-8.2.0'],
  })) as { spec: { steps: Array<{ name: string }>; volumes: unknown } };
  assert.deepEqual(
    task.spec.steps.map((s) => s.name),
    [rename['elasticsearch-backup-8.2.0'], 'update-status'],
  );
  assert.deepEqual(task.spec.volumes, [{ name: 'output-volume', emptyDir: {} }], 'core Volume preserved');
  const fn = (await custom.getClusterCustomObject({
    group: 'stash.appscode.com',
    version: 'v1beta1',
    plural: 'functions',
    name: rename['elasticsearch-backup-8.2.0'],
  })) as { spec: { image: string; args: string[] } };
  assert.match(fn.spec.image, /stash-elasticsearch:8\.2\.0/);
  assert.ok(fn.spec.args.includes('--appbinding=${TARGET_NAME:=}'));

  // the "stash" category lists them, as with Stash installed
  const listed = await kubectlOk(['get', 'stash', '-n', ns, '-o', 'name']);
  for (const want of [
    'backupconfiguration.stash.appscode.com/sample-es-backup',
    'backupsession.stash.appscode.com/sample-es-backup-manual',
    'restoresession.stash.appscode.com/sample-es-restore',
    'repository.stash.appscode.com/local-repo',
    'repository.stash.appscode.com/rest-repo',
  ]) {
    assert.ok(listed.includes(want), `kubectl get stash lacks ${want}:\n${listed}`);
  }
  // and strict validation is in force: an unknown field is refused, not silently pruned
  const typo = example('backupconfiguration.yaml', ns).replace('  schedule:', '  schedul:');
  const r = await kubectl(['create', '--validate=strict', '-f', '-'], typo.replace('sample-es-backup', 'typo-backup'));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown field "spec\.schedul"/);
});

test('a BackupConfiguration without repository or target is rejected with 422 naming the field', async (t) => {
  await ready();
  const ns = await namespace(t);

  const noRepo = backupConfiguration('no-repo');
  delete (noRepo.spec as Partial<BackupConfiguration['spec']>).repository;
  await rejected422(create('BackupConfiguration', ns, noRepo), 'spec.repository', 'Required value');

  const noTarget = backupConfiguration('no-target');
  delete noTarget.spec.target;
  await rejected422(create('BackupConfiguration', ns, noTarget), 'spec.target', 'Required value');

  const noPrune = backupConfiguration('no-prune') as unknown as { spec: { retentionPolicy: Record<string, unknown> } };
  delete noPrune.spec.retentionPolicy.prune;
  await rejected422(create('BackupConfiguration', ns, noPrune), 'spec.retentionPolicy.prune', 'Required value');

  const noRetention = backupConfiguration('no-retention') as unknown as { spec: Record<string, unknown> };
  delete noRetention.spec.retentionPolicy;
  await rejected422(create('BackupConfiguration', ns, noRetention), 'spec.retentionPolicy', 'Required value');

  // as in Stash, the VolumeSnapshotter driver needs no Repository
  const snap = backupConfiguration('snapshots');
  delete (snap.spec as Partial<BackupConfiguration['spec']>).repository;
  snap.spec.driver = 'VolumeSnapshotter';
  snap.spec.target = {
    ref: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'sample-es' },
    replicas: 1,
    snapshotClassName: 'csi-snapshot-class',
  };
  const created = await create<BackupConfiguration>('BackupConfiguration', ns, snap);
  assert.equal(created.spec.driver, 'VolumeSnapshotter');

  // the other kinds' required fields
  await rejected422(
    create('Repository', ns, {
      apiVersion: 'stash.appscode.com/v1alpha1',
      kind: 'Repository',
      metadata: { name: 'r' },
      spec: { wipeOut: true },
    }),
    'spec.backend',
    'Required value',
  );
  await rejected422(
    create('AppBinding', ns, {
      apiVersion: 'appcatalog.appscode.com/v1alpha1',
      kind: 'AppBinding',
      metadata: { name: 'a' },
      spec: { type: 'kubedb.com/elasticsearch' },
    }),
    'spec.clientConfig',
    'Required value',
  );
  await rejected422(
    create('BackupSession', ns, {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'BackupSession',
      metadata: { name: 's' },
      spec: { invoker: { kind: 'BackupConfiguration' } },
    }),
    'spec.invoker.name',
    'Required value',
  );
  await rejected422(
    create('RestoreSession', ns, {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'RestoreSession',
      metadata: { name: 'rs' },
      spec: { target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' } } },
    }),
    'spec.repository',
    'Required value',
  );
});

test('bad enum values and wrong types are rejected with 422', async (t) => {
  await ready();
  const ns = await namespace(t);

  const badDriver = backupConfiguration('bad-driver') as unknown as { spec: Record<string, unknown> };
  badDriver.spec.driver = 'Foo';
  await rejected422(
    create('BackupConfiguration', ns, badDriver),
    'spec.driver',
    'Unsupported value: "Foo"',
    '"Restic"',
    '"VolumeSnapshotter"',
  );

  const badPolicy = backupConfiguration('bad-policy') as unknown as { spec: Record<string, unknown> };
  badPolicy.spec.hooks = { postBackup: { exec: { command: ['true'] }, executionPolicy: 'Sometimes' } };
  await rejected422(create('BackupConfiguration', ns, badPolicy), 'spec.hooks.postBackup.executionPolicy', 'Unsupported value');

  const badKeep = backupConfiguration('bad-keep') as unknown as { spec: { retentionPolicy: Record<string, unknown> } };
  badKeep.spec.retentionPolicy.keepLast = 'five';
  await rejected422(create('BackupConfiguration', ns, badKeep), 'spec.retentionPolicy.keepLast', 'integer');

  const badPaused = backupConfiguration('bad-paused') as unknown as { spec: Record<string, unknown> };
  badPaused.spec.paused = 'yes';
  await rejected422(create('BackupConfiguration', ns, badPaused), 'spec.paused', 'boolean');

  await rejected422(
    create('Repository', ns, {
      apiVersion: 'stash.appscode.com/v1alpha1',
      kind: 'Repository',
      metadata: { name: 'r' },
      spec: { backend: { rest: { url: 'http://x' } }, usagePolicy: { allowedNamespaces: { from: 'Everywhere' } } },
    }),
    'spec.usagePolicy.allowedNamespaces.from',
    'Unsupported value',
  );
});

test('the status subresource: status patches leave spec alone, spec updates leave status alone', async (t) => {
  await ready();
  const ns = await namespace(t);
  const d = api('BackupConfiguration');
  const ref = { group: d.group, version: d.version, namespace: ns, plural: d.plural, name: 'sample-es-backup' };
  const created = await create('BackupConfiguration', ns, backupConfiguration('sample-es-backup'));
  assert.equal(created.metadata.generation, 1);

  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const patched = (await custom.patchNamespacedCustomObjectStatus(
    {
      ...ref,
      body: {
        // the spec part of a status patch is ignored
        spec: { paused: true, schedule: '0 0 * * *' },
        status: {
          observedGeneration: 1,
          phase: 'Ready',
          conditions: [
            { type: 'RepositoryFound', status: 'True', reason: 'RepositoryAvailable', lastTransitionTime: now },
            { type: 'BackupTargetFound', status: 'True', reason: 'TargetAvailable', lastTransitionTime: now },
          ],
        },
      },
    },
    mergePatch,
  )) as BackupConfiguration & Obj;
  assert.equal(patched.status?.phase, 'Ready');
  assert.equal(patched.status?.conditions?.length, 2);
  assert.equal(patched.spec.paused, undefined, 'spec unchanged by a status patch');
  assert.equal(patched.spec.schedule, '*/5 * * * *');
  assert.equal(patched.metadata.generation, 1, 'a status write does not bump generation');

  // status is validated too
  await rejected422(
    custom.patchNamespacedCustomObjectStatus({ ...ref, body: { status: { phase: 'Bogus' } } }, mergePatch),
    'status.phase',
    'Unsupported value',
  );
  await rejected422(
    custom.patchNamespacedCustomObjectStatus(
      { ...ref, body: { status: { conditions: [{ type: 'X', status: 'True' }] } } },
      mergePatch,
    ),
    'status.conditions[0].lastTransitionTime',
    'Required value',
  );

  // a main-resource write changes spec (and generation) but not status
  const updated = (await custom.patchNamespacedCustomObject(
    { ...ref, body: { spec: { paused: true }, status: { phase: 'NotReady' } } },
    mergePatch,
  )) as BackupConfiguration & Obj;
  assert.equal(updated.spec.paused, true);
  assert.equal(updated.metadata.generation, 2);
  assert.equal(updated.status?.phase, 'Ready', 'status unchanged by a spec write');

  // the other kinds with a status subresource
  for (const [kind, body, status] of [
    [
      'Repository',
      {
        apiVersion: 'stash.appscode.com/v1alpha1',
        kind: 'Repository',
        metadata: { name: 'repo' },
        spec: { backend: { rest: { url: 'http://x/y' } } },
      },
      {
        integrity: true,
        totalSize: '3.801 KiB',
        snapshotCount: 1,
        snapshotsRemovedOnLastCleanup: 0,
        lastBackupTime: now,
        firstBackupTime: now,
      },
    ],
    [
      'BackupSession',
      {
        apiVersion: 'stash.appscode.com/v1beta1',
        kind: 'BackupSession',
        metadata: { name: 'bs' },
        spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'sample-es-backup' } },
      },
      {
        phase: 'Succeeded',
        sessionDuration: '54s',
        targets: [
          {
            ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' },
            totalHosts: 1,
            phase: 'Succeeded',
            preBackupActions: ['InitializeBackendRepository'],
            postBackupActions: ['ApplyRetentionPolicy', 'VerifyRepositoryIntegrity', 'SendRepositoryMetrics'],
            stats: [
              {
                hostname: 'host-0',
                phase: 'Succeeded',
                duration: '12s',
                snapshots: [
                  {
                    name: 'a1b2c3d4',
                    path: '/stash-data/data-dir',
                    totalSize: '3.801 KiB',
                    uploaded: '1.2 KiB',
                    processingTime: '0:02',
                    fileStats: { totalFiles: 12, newFiles: 12, modifiedFiles: 0, unmodifiedFiles: 0 },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    [
      'RestoreSession',
      {
        apiVersion: 'stash.appscode.com/v1beta1',
        kind: 'RestoreSession',
        metadata: { name: 'restore' },
        spec: {
          repository: { name: 'repo' },
          target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' } },
        },
      },
      {
        phase: 'Succeeded',
        totalHosts: 1,
        sessionDuration: '40s',
        stats: [{ hostname: 'host-0', phase: 'Succeeded', duration: '30s' }],
      },
    ],
  ] as Array<[Kind, Obj, Record<string, unknown>]>) {
    const obj = await create<Obj & { spec: unknown }>(kind, ns, body);
    const dk = api(kind);
    const after = (await custom.patchNamespacedCustomObjectStatus(
      { group: dk.group, version: dk.version, namespace: ns, plural: dk.plural, name: obj.metadata.name, body: { status } },
      mergePatch,
    )) as { spec: unknown; status: unknown };
    assert.deepEqual(after.status, status, `${kind} status stored as written`);
    assert.deepEqual(after.spec, obj.spec, `${kind} spec unchanged`);
  }
});

test('kubectl get prints Stash printer columns (-o wide)', async (t) => {
  await ready();
  const ns = await namespace(t);
  await create('BackupConfiguration', ns, backupConfiguration('sample-es-backup'));
  await custom.patchNamespacedCustomObjectStatus(
    {
      group: 'stash.appscode.com',
      version: 'v1beta1',
      namespace: ns,
      plural: 'backupconfigurations',
      name: 'sample-es-backup',
      body: { status: { phase: 'Ready' } },
    },
    mergePatch,
  );
  await kubectlOk(
    ['apply', '-f', '-'],
    example('repository-rest.yaml', ns) +
      '---\n' +
      example('appbinding.yaml', ns) +
      '---\n' +
      example('restoresession.yaml', ns) +
      '---\n' +
      example('backupsession.yaml', ns),
  );

  const bc = table(await kubectlOk(['get', 'backupconfiguration', '-n', ns, '-o', 'wide']));
  assert.deepEqual(bc[0], ['NAME', 'TASK', 'SCHEDULE', 'PAUSED', 'PHASE', 'AGE']);
  assert.deepEqual(bc[1]?.slice(0, 3), ['sample-es-backup', 'elasticsearch-backup-8.2.0', '*/5 * * * *']);
  assert.equal(bc[1]?.at(-2), 'Ready');
  assert.match(bc[1]?.at(-1) ?? '', /^\d+s$/);

  // the short name and the paused column
  await custom.patchNamespacedCustomObject(
    {
      group: 'stash.appscode.com',
      version: 'v1beta1',
      namespace: ns,
      plural: 'backupconfigurations',
      name: 'sample-es-backup',
      body: { spec: { paused: true } },
    },
    mergePatch,
  );
  const paused = table(await kubectlOk(['get', 'bc', '-n', ns]));
  assert.deepEqual(paused[1]?.slice(0, 5), ['sample-es-backup', 'elasticsearch-backup-8.2.0', '*/5 * * * *', 'true', 'Ready']);

  const repo = table(await kubectlOk(['get', 'repo', '-n', ns, '-o', 'wide']));
  assert.deepEqual(repo[0], ['NAME', 'INTEGRITY', 'SIZE', 'SNAPSHOT-COUNT', 'LAST-SUCCESSFUL-BACKUP', 'AGE']);
  const restore = table(await kubectlOk(['get', 'restore', '-n', ns, '-o', 'wide']));
  assert.deepEqual(restore[0], ['NAME', 'REPOSITORY', 'PHASE', 'DURATION', 'AGE']);
  assert.equal(restore[1]?.[1], 'rest-repo');
  const bs = table(await kubectlOk(['get', 'backupsessions', '-n', ns, '-o', 'wide']));
  assert.deepEqual(bs[0], ['NAME', 'INVOKER-TYPE', 'INVOKER-NAME', 'PHASE', 'DURATION', 'AGE']);
  assert.deepEqual(bs[1]?.slice(0, 3), ['sample-es-backup-manual', 'BackupConfiguration', 'sample-es-backup']);
  const ab = table(await kubectlOk(['get', 'appbindings', '-n', ns, '-o', 'wide']));
  assert.deepEqual(ab[0], ['NAME', 'TYPE', 'VERSION', 'AGE']);
  assert.deepEqual(ab[1]?.slice(0, 3), ['sample-es', 'kubedb.com/elasticsearch', '8.2.0']);
});

test('an object with every field of api/types.ts is accepted and read back unpruned, for every kind', async (t) => {
  await ready();
  const ns = await namespace(t);
  const id = suffix();
  for (const [kind, sample] of Object.entries(fullSamples) as Array<[Kind, { spec: object; status?: object }]>) {
    const d = api(kind);
    const name = `full-${id}`;
    const body = { apiVersion: `${d.group}/${d.version}`, kind, metadata: { name }, spec: sample.spec };
    let stored: { spec: unknown; status?: unknown };
    if (d.scope === 'Cluster') {
      t.after(() =>
        custom.deleteClusterCustomObject({ group: d.group, version: d.version, plural: d.plural, name }).then(
          () => undefined,
          () => undefined,
        ),
      );
      stored = (await custom.createClusterCustomObject({ group: d.group, version: d.version, plural: d.plural, body })) as {
        spec: unknown;
      };
    } else {
      stored = await create<{ spec: unknown }>(kind, ns, body);
    }
    assert.deepEqual(stored.spec, sample.spec, `${kind}: spec stored without pruning or defaulting`);
    if (sample.status) {
      stored = (await custom.patchNamespacedCustomObjectStatus(
        { group: d.group, version: d.version, namespace: ns, plural: d.plural, name, body: { status: sample.status } },
        mergePatch,
      )) as { spec: unknown; status: unknown };
      assert.deepEqual(stored.status, sample.status, `${kind}: status stored without pruning`);
    }
  }
});
