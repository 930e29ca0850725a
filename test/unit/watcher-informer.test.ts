// ResilientInformer's `relevant` predicate: an update that changes only status/resourceVersion/managedFields is not
// delivered; spec (generation), deletion, finalizers, labels and annotations are; add and delete always are.
// No server: deliver() is what the informer's add/update callbacks call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { metaSignature, ResilientInformer } from '../../watcher/informer.js';

type Obj = k8s.KubernetesObject & { status?: { phase?: string } };

function offlineInformer(relevant?: (o: Obj) => string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const keys: string[] = [];
  const inf = new ResilientInformer<Obj>({
    kc,
    path: '/apis/x/v1/things',
    list: () => Promise.resolve({ items: [], metadata: {} }) as unknown as ReturnType<k8s.ListPromise<Obj>>,
    onKey: (k) => keys.push(k),
    relevant,
  });
  return { inf, keys };
}

const base = (): Obj => ({
  metadata: {
    namespace: 'ns',
    name: 'a',
    uid: 'u1',
    generation: 1,
    resourceVersion: '10',
    finalizers: ['stashflow.dev/schedule'],
    labels: { app: 'x' },
    managedFields: [{ manager: 'kubectl' }],
  },
  status: { phase: 'Ready' },
});

test('status, resourceVersion and managedFields changes are skipped; the rest is delivered', () => {
  const { inf, keys } = offlineInformer(metaSignature);
  inf.deliver(base(), false);
  assert.deepEqual(keys, ['ns/a'], 'an add is delivered');

  const statusOnly = base();
  statusOnly.metadata!.resourceVersion = '11';
  statusOnly.metadata!.managedFields = [{ manager: 'stashflow' }];
  statusOnly.status = { phase: 'NotReady' };
  inf.deliver(statusOnly, true);
  assert.deepEqual(keys, ['ns/a'], 'a status-only update is not delivered');
  assert.equal(inf.skipped, 1);

  const changes: Array<[string, (o: Obj) => void]> = [
    ['generation', (o) => (o.metadata!.generation = 2)],
    ['deletionTimestamp', (o) => (o.metadata!.deletionTimestamp = new Date(0))],
    ['finalizers', (o) => (o.metadata!.finalizers = [])],
    ['labels', (o) => (o.metadata!.labels = { app: 'y' })],
    ['annotations', (o) => (o.metadata!.annotations = { note: 'n' })],
    ['uid (recreated)', (o) => (o.metadata!.uid = 'u2')],
  ];
  let rv = 20;
  for (const [what, change] of changes) {
    const o = base();
    change(o);
    o.metadata!.resourceVersion = String(rv++);
    const before = keys.length;
    inf.deliver(o, true);
    assert.equal(keys.length, before + 1, `a change of ${what} is delivered`);
    inf.deliver(base(), true); // back to the base signature: delivered too (it changed again)
    assert.equal(keys.length, before + 2, `a change back from ${what} is delivered`);
  }
  // the same signature twice in a row: the second is skipped
  inf.deliver(base(), true);
  assert.equal(inf.skipped, 2);
});

test('without a predicate every update is delivered; an add after a delete is delivered', () => {
  const { inf, keys } = offlineInformer();
  inf.deliver(base(), false);
  inf.deliver(base(), true);
  inf.deliver(base(), true);
  assert.deepEqual(keys, ['ns/a', 'ns/a', 'ns/a']);
  assert.equal(inf.skipped, 0);

  const p = offlineInformer(metaSignature);
  p.inf.deliver(base(), false);
  p.inf.deliver(base(), false); // an add (e.g. after a relist) is never skipped
  assert.deepEqual(p.keys, ['ns/a', 'ns/a']);
});

test('metaSignature ignores status, resourceVersion and managedFields only', () => {
  const a = base();
  const b = base();
  b.metadata!.resourceVersion = '99';
  b.metadata!.managedFields = [];
  b.status = { phase: 'Invalid' };
  assert.equal(metaSignature(a), metaSignature(b));
  b.metadata!.generation = 3;
  assert.notEqual(metaSignature(a), metaSignature(b));
});
