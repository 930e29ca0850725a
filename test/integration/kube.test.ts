// The local Kubernetes control plane (dev/kube): a real kube-apiserver on kine, with the controller-manager and the
// scheduler. Exercises CRDs + custom objects + watches, the namespace controller's finalization, and kubectl's skew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { stackDir, stackEnv } from '../helpers/stack.js';

const run = promisify(execFile);

function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(stackEnv('KUBECONFIG'));
  return kc;
}

const suffix = () => randomBytes(4).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

/** Poll fn until it returns a value other than undefined, or fail after timeoutMs. */
async function eventually<T>(what: string | (() => string), timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(250);
  }
}

test('a CRD serves custom objects that can be watched (ADDED, MODIFIED, DELETED)', async () => {
  const kc = kubeConfig();
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  const id = suffix();
  const group = `t${id}.stashflow.test`;
  const plural = `widgets${id}`;
  const crdName = `${plural}.${group}`;
  const version = 'v1';
  const ns = `kube-crd-${id}`;

  await core.createNamespace({ body: { metadata: { name: ns } } });
  await ext.createCustomResourceDefinition({
    body: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: crdName },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural, singular: `widget${id}`, kind: `Widget${id}`, listKind: `Widget${id}List` },
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } }, required: ['size'] },
                  status: { type: 'object', properties: { phase: { type: 'string' } } },
                },
              },
            },
          },
        ],
      },
    },
  });
  try {
    // the CRD becomes Established once the apiextensions controllers accept its names
    await eventually('CRD Established', 30_000, async () => {
      const crd = await ext.readCustomResourceDefinition({ name: crdName });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });

    const events: { type: string; name: string; size?: number; phase?: string; rv: string }[] = [];
    let watchDone = { err: undefined as unknown, ended: false };
    // A fresh CRD's watch cache may still be initializing: the apiserver answers 429 (Retry-After) until it is.
    const controller = await eventually(
      () => `a watch on the new CRD (last error: ${String(watchDone.err)})`,
      30_000,
      async () => {
        const done = { err: undefined as unknown, ended: false };
        watchDone = done;
        const c = await new k8s.Watch(kc).watch(
          `/apis/${group}/${version}/namespaces/${ns}/${plural}`,
          { allowWatchBookmarks: false },
          (
            type,
            obj: {
              metadata: { name: string; resourceVersion: string };
              spec?: { size?: number };
              status?: { phase?: string };
            },
          ) => {
            events.push({
              type,
              name: obj.metadata.name,
              size: obj.spec?.size,
              phase: obj.status?.phase,
              rv: obj.metadata.resourceVersion,
            });
          },
          (err) => {
            done.err = err;
            done.ended = true;
          },
        );
        if (!done.ended) return c;
        c.abort();
        return undefined;
      },
    );
    try {
      const name = `w-${suffix()}`;
      const kind = `Widget${id}`;
      const created = (await custom.createNamespacedCustomObject({
        group,
        version,
        namespace: ns,
        plural,
        body: { apiVersion: `${group}/${version}`, kind, metadata: { name }, spec: { size: 1 } },
      })) as { metadata: { uid: string } };
      assert.ok(created.metadata.uid, 'created object has a uid');

      // schema validation is real: size must be >= 1
      await assert.rejects(
        custom.createNamespacedCustomObject({
          group,
          version,
          namespace: ns,
          plural,
          body: { apiVersion: `${group}/${version}`, kind, metadata: { name: `bad-${suffix()}` }, spec: { size: 0 } },
        }),
        (err: unknown) => statusCode(err) === 422,
      );

      await custom.patchNamespacedCustomObject(
        { group, version, namespace: ns, plural, name, body: { spec: { size: 3 } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await custom.patchNamespacedCustomObjectStatus(
        { group, version, namespace: ns, plural, name, body: { status: { phase: 'Ready' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      const got = (await custom.getNamespacedCustomObject({ group, version, namespace: ns, plural, name })) as {
        spec: { size: number };
        status: { phase: string };
      };
      assert.equal(got.spec.size, 3);
      assert.equal(got.status.phase, 'Ready');

      await custom.deleteNamespacedCustomObject({ group, version, namespace: ns, plural, name });
      await eventually(
        () => `DELETED event (saw ${JSON.stringify(events)}, watch ended: ${watchDone.ended} ${String(watchDone.err)})`,
        15_000,
        async () => (events.some((e) => e.type === 'DELETED') ? true : undefined),
      );

      const mine = events.filter((e) => e.name === name);
      assert.equal(mine[0]?.type, 'ADDED');
      assert.equal(mine[0]?.size, 1);
      const modified = mine.filter((e) => e.type === 'MODIFIED');
      assert.ok(
        modified.some((e) => e.size === 3),
        `a MODIFIED event with size 3: ${JSON.stringify(mine)}`,
      );
      assert.ok(
        modified.some((e) => e.phase === 'Ready'),
        `a MODIFIED event with status Ready: ${JSON.stringify(mine)}`,
      );
      assert.equal(mine.at(-1)?.type, 'DELETED');
      // resourceVersions increase along the watch (kine keeps etcd's revision semantics)
      const rvs = mine.map((e) => Number(e.rv));
      assert.deepEqual(
        [...rvs].sort((a, b) => a - b),
        rvs,
      );
      assert.equal(watchDone.ended, false, `watch ended early: ${String(watchDone.err)}`);

      await assert.rejects(
        custom.getNamespacedCustomObject({ group, version, namespace: ns, plural, name }),
        (err: unknown) => statusCode(err) === 404,
      );
    } finally {
      controller.abort();
    }
  } finally {
    await ext.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
});

test('a deleted namespace is finalized by the namespace controller', async () => {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const name = `kube-ns-${suffix()}`;
  const ns = await core.createNamespace({ body: { metadata: { name, labels: { 'stashflow.test/kind': 'kube' } } } });
  assert.equal(ns.status?.phase, 'Active');
  assert.deepEqual(ns.spec?.finalizers, ['kubernetes']);

  // content that the namespace controller must delete before it removes the 'kubernetes' finalizer
  await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'content' }, data: { a: 'b' } } });
  // the serviceaccount controller gives every new namespace its default ServiceAccount
  await eventually('default ServiceAccount', 30_000, async () =>
    core.readNamespacedServiceAccount({ namespace: name, name: 'default' }).then(
      () => true,
      () => undefined,
    ),
  );
  // root-ca-cert-publisher publishes the cluster CA into every namespace
  const rootCa = await eventually('kube-root-ca.crt ConfigMap', 30_000, async () =>
    core.readNamespacedConfigMap({ namespace: name, name: 'kube-root-ca.crt' }).then(
      (cm) => cm,
      () => undefined,
    ),
  );
  assert.match(rootCa.data?.['ca.crt'] ?? '', /BEGIN CERTIFICATE/);

  await core.deleteNamespace({ name });
  const terminating = await core.readNamespace({ name }).catch(() => undefined);
  if (terminating) assert.equal(terminating.status?.phase, 'Terminating');

  await eventually('namespace gone', 60_000, async () =>
    core.readNamespace({ name }).then(
      () => undefined,
      (err: unknown) => (statusCode(err) === 404 ? true : undefined),
    ),
  );
});

test('kubectl from $STACK_DIR/bin reports the same client and server version', async () => {
  const kubectl = join(stackDir, 'bin', 'kubectl');
  const { stdout } = await run(kubectl, ['--kubeconfig', stackEnv('KUBECONFIG'), 'version', '-o', 'json']);
  const v = JSON.parse(stdout) as {
    clientVersion: { gitVersion: string; major: string; minor: string };
    serverVersion: { gitVersion: string; major: string; minor: string };
  };
  assert.match(v.serverVersion.gitVersion, /^v1\.\d+\.\d+$/);
  assert.equal(v.clientVersion.gitVersion, v.serverVersion.gitVersion);
  assert.equal(v.clientVersion.major, v.serverVersion.major);
  assert.equal(v.clientVersion.minor, v.serverVersion.minor);

  // and the client-node library sees the same server
  const info = await kubeConfig().makeApiClient(k8s.VersionApi).getCode();
  assert.equal(info.gitVersion, v.serverVersion.gitVersion);
});
