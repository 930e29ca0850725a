// The node agent against the real control plane (kube-apiserver, controller-manager, scheduler): Jobs, backoff,
// garbage collection, env/volumes from Secrets, PVCs, kubectl logs, Service names, deadlines, in-cluster auth.
// Needs `bash dev/stack.sh up kube node-agent`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeApi, type Json, isNotFound } from '../../dev/node-agent/kube-api.js';
import { stackDir, stackEnv } from '../helpers/stack.js';

const run = promisify(execFile);
const api = new KubeApi(stackEnv('KUBECONFIG'));
const kubectlBin = join(stackDir, 'bin', 'kubectl');
const namespaces: string[] = [];

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlBin, ['--kubeconfig', stackEnv('KUBECONFIG'), ...args], { timeout: 60_000 });
  return stdout;
}

async function newNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  namespaces.push(name);
  // the serviceaccount controller makes "default" shortly after; pods cannot be created before it exists
  await waitFor(`serviceaccount default in ${name}`, 30_000, async () => {
    try {
      return await api.get(`/api/v1/namespaces/${name}/serviceaccounts/default`);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  });
  return name;
}

after(async () => {
  for (const ns of namespaces) await api.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
});

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function podSpec(command: string, extra: Json = {}): Json {
  return {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 5,
    containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', command], ...extra }],
  };
}

async function createPod(ns: string, name: string, spec: Json): Promise<void> {
  await api.post(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });
}

async function waitPodPhase(ns: string, name: string, phases: string[], timeoutMs = 60_000): Promise<Json> {
  return waitFor(`pod ${ns}/${name} in ${phases.join('|')}`, timeoutMs, async () => {
    const p = await api.get(`/api/v1/namespaces/${ns}/pods/${name}`);
    return phases.includes(p.status?.phase) ? p : undefined;
  });
}

async function podsOfJob(ns: string, job: string): Promise<Json[]> {
  const list = await api.get<{ items: Json[] }>(
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`job-name=${job}`)}`,
  );
  return list.items;
}

function job(name: string, command: string, backoffLimit: number, container: Json = {}): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit, template: { spec: podSpec(command, container) } },
  };
}

test('node stashflow-node is registered, Ready, with its kubelet endpoint and a fresh lease', async () => {
  const node = await api.get('/api/v1/nodes/stashflow-node');
  const ready = (node.status.conditions as Json[]).find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'True');
  assert.deepEqual(node.status.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }]);
  assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, Number(process.env.NODE_AGENT_PORT ?? 10250));
  assert.ok(Number(node.status.allocatable.pods) > 0);
  const lease = await api.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/stashflow-node');
  assert.equal(lease.spec.holderIdentity, 'stashflow-node');
  assert.ok(Date.now() - Date.parse(lease.spec.renewTime) < 30_000, `lease renewed recently: ${lease.spec.renewTime}`);
});

test('a Job runs to completion; termination message and kubectl logs are read back', async () => {
  const ns = await newNamespace('na-job');
  await api.post(
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    job('hello', 'echo hello from $HOSTNAME; echo line2; printf "all good" > /dev/termination-log', 0),
  );
  const done = await waitFor('job hello Complete', 90_000, async () => {
    const j = await api.get(`/apis/batch/v1/namespaces/${ns}/jobs/hello`);
    return (j.status?.conditions as Json[] | undefined)?.some((c) => c.type === 'Complete' && c.status === 'True')
      ? j
      : undefined;
  });
  assert.equal(done.status.succeeded, 1);
  const [pod] = await podsOfJob(ns, 'hello');
  assert.ok(pod);
  assert.equal(pod.spec.nodeName, 'stashflow-node');
  assert.equal(pod.status.phase, 'Succeeded');
  assert.equal(pod.status.podIP, '127.0.0.1');
  const term = pod.status.containerStatuses[0].state.terminated;
  assert.equal(term.exitCode, 0);
  assert.equal(term.reason, 'Completed');
  assert.equal(term.message, 'all good');
  assert.ok(term.startedAt && term.finishedAt);
  const conds = Object.fromEntries((pod.status.conditions as Json[]).map((c) => [c.type, c.status]));
  assert.equal(conds.PodScheduled, 'True');
  assert.equal(conds.Initialized, 'True');
  assert.equal(conds.Ready, 'False');

  // kubectl logs goes apiserver -> node agent's kubelet API (HTTPS, client cert) -> the container's log file
  const logs = await kubectl('-n', ns, 'logs', pod.metadata.name);
  assert.equal(logs, `hello from ${pod.metadata.name}\nline2\n`);
  assert.equal(await kubectl('-n', ns, 'logs', 'job/hello', '--tail=1'), 'line2\n');
  const stamped = await kubectl('-n', ns, 'logs', pod.metadata.name, '--timestamps');
  assert.match(stamped.split('\n')[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello from /);
});

test('a failing pod is retried by the Job controller up to backoffLimit', async () => {
  const ns = await newNamespace('na-backoff');
  await api.post(
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    job('fails', 'echo trying; exit 3', 2, { terminationMessagePolicy: 'FallbackToLogsOnError' }),
  );
  const failed = await waitFor('job fails Failed', 150_000, async () => {
    const j = await api.get(`/apis/batch/v1/namespaces/${ns}/jobs/fails`);
    return (j.status?.conditions as Json[] | undefined)?.find((c) => c.type === 'Failed' && c.status === 'True');
  });
  assert.equal(failed.reason, 'BackoffLimitExceeded');
  const pods = await podsOfJob(ns, 'fails');
  assert.equal(pods.length, 3, 'backoffLimit 2 = 1 try + 2 retries');
  for (const p of pods) {
    assert.equal(p.status.phase, 'Failed');
    assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 3);
    assert.equal(p.status.containerStatuses[0].state.terminated.reason, 'Error');
    assert.equal(p.status.containerStatuses[0].state.terminated.message, 'trying\n', 'FallbackToLogsOnError: the log tail');
  }
});

test('deleting a Job (propagationPolicy Background) garbage-collects its running pod', async () => {
  const ns = await newNamespace('na-gc');
  await api.post(`/apis/batch/v1/namespaces/${ns}/jobs`, job('sleeper', 'echo started; sleep 300', 0));
  const running = await waitFor('sleeper pod Running', 60_000, async () =>
    (await podsOfJob(ns, 'sleeper')).find((p) => p.status?.phase === 'Running'),
  );
  assert.equal(running.status.containerStatuses[0].ready, true);
  const t0 = Date.now();
  await api.delete(`/apis/batch/v1/namespaces/${ns}/jobs/sleeper`, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    propagationPolicy: 'Background',
  });
  await waitFor('job pods gone', 60_000, async () => (await podsOfJob(ns, 'sleeper')).length === 0);
  // the agent TERMs the process group and deletes the pod long before the 5s grace period + GC delays pile up
  assert.ok(Date.now() - t0 < 30_000);
});

test('env from a Secret, envFrom a ConfigMap, fieldRef, and Secret/ConfigMap/downwardAPI volumes reach the process', async () => {
  const ns = await newNamespace('na-env');
  await api.post(`/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds' },
    stringData: { username: 'elastic', password: 's3cr3t-pw' },
  });
  await api.post(`/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings' },
    data: { MODE: 'fast' },
  });
  await createPod(ns, 'envpod', {
    ...podSpec(
      'echo "user=$USERNAME mode=$CFG_MODE pod=$POD ns=$NS greeting=$GREETING"; echo "file=$(cat /etc/creds/pw)"; ls /etc/creds; touch /etc/creds/x 2>/dev/null || echo readonly; cat /etc/conf/mode.txt; echo; cat /etc/podinfo/name',
      {
        env: [
          { name: 'USERNAME', valueFrom: { secretKeyRef: { name: 'creds', key: 'username' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'GREETING', value: 'hi-$(POD)' },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
        volumeMounts: [
          { name: 'creds', mountPath: '/etc/creds' },
          { name: 'conf', mountPath: '/etc/conf' },
          { name: 'podinfo', mountPath: '/etc/podinfo' },
        ],
      },
    ),
    volumes: [
      { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'password', path: 'pw' }] } },
      { name: 'conf', configMap: { name: 'settings', items: [{ key: 'MODE', path: 'mode.txt' }] } },
      { name: 'podinfo', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    ],
  });
  const pod = await waitPodPhase(ns, 'envpod', ['Succeeded', 'Failed']);
  assert.equal(pod.status.phase, 'Succeeded');
  const logs = await kubectl('-n', ns, 'logs', 'envpod');
  assert.equal(
    logs,
    `user=elastic mode=fast pod=envpod ns=${ns} greeting=hi-envpod\nfile=s3cr3t-pw\npw\nreadonly\nfast\nenvpod\n`,
  );
});

test('a PVC is bound to a node-local volume whose directory survives between two pods', async () => {
  const ns = await newNamespace('na-pvc');
  await api.post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  const volume = { name: 'data', persistentVolumeClaim: { claimName: 'data' } };
  const mount = { volumeMounts: [{ name: 'data', mountPath: '/data' }] };
  await createPod(ns, 'writer', { ...podSpec('echo kept-$(date +%s) > /data/proof; cat /data/proof', mount), volumes: [volume] });
  const w = await waitPodPhase(ns, 'writer', ['Succeeded', 'Failed']);
  assert.equal(w.status.phase, 'Succeeded');
  const written = await kubectl('-n', ns, 'logs', 'writer');
  const pvc = await api.get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/data`);
  assert.equal(pvc.status.phase, 'Bound');
  await createPod(ns, 'reader', { ...podSpec('cat /data/proof', mount), volumes: [volume] });
  const r = await waitPodPhase(ns, 'reader', ['Succeeded', 'Failed']);
  assert.equal(r.status.phase, 'Succeeded');
  assert.match(written, /^kept-\d+\n$/);
  assert.equal(await kubectl('-n', ns, 'logs', 'reader'), written);
});

test('init containers run in order before the main container, sharing an emptyDir', async () => {
  const ns = await newNamespace('na-init');
  const c = (name: string, cmd: string): Json => ({
    name,
    image: 'busybox',
    command: ['sh', '-c', cmd],
    volumeMounts: [{ name: 'work', mountPath: '/work' }],
  });
  await createPod(ns, 'inits', {
    restartPolicy: 'Never',
    volumes: [{ name: 'work', emptyDir: {} }],
    initContainers: [c('first', 'echo one > /work/order'), c('second', 'echo two >> /work/order')],
    containers: [c('main', 'cat /work/order')],
  });
  const pod = await waitPodPhase(ns, 'inits', ['Succeeded', 'Failed']);
  assert.equal(pod.status.phase, 'Succeeded');
  assert.deepEqual(
    (pod.status.initContainerStatuses as Json[]).map((s) => s.state.terminated.reason),
    ['Completed', 'Completed'],
  );
  assert.equal(await kubectl('-n', ns, 'logs', 'inits', '-c', 'main'), 'one\ntwo\n');
});

test('activeDeadlineSeconds fails the pod with DeadlineExceeded; an unknown image fails with ErrImagePull', async () => {
  const ns = await newNamespace('na-fail');
  await createPod(ns, 'slow', { ...podSpec('sleep 300'), activeDeadlineSeconds: 3 });
  await createPod(ns, 'noimage', { restartPolicy: 'Never', containers: [{ name: 'x', image: 'example.com/not/mapped:1.0' }] });
  const slow = await waitPodPhase(ns, 'slow', ['Failed', 'Succeeded'], 60_000);
  assert.equal(slow.status.phase, 'Failed');
  assert.equal(slow.status.reason, 'DeadlineExceeded');
  const bad = await waitPodPhase(ns, 'noimage', ['Failed', 'Succeeded']);
  assert.equal(bad.status.reason, 'ErrImagePull');
  assert.equal(bad.status.containerStatuses[0].state.waiting.reason, 'ErrImagePull');
  assert.match(bad.status.containerStatuses[0].state.waiting.message, /not in dev\/node-agent\/images\.json/);
});

test('Service names resolve from inside a pod: a local server (annotated address) and a selector over a pod', async () => {
  const ns = await newNamespace('na-svc');
  // A local server outside Kubernetes: the apiserver refuses loopback EndpointSlice addresses, so its 127.0.0.x
  // address is given by annotation (see dev/node-agent/README.md).
  await api.post(`/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'search', annotations: { 'node-agent.stashflow.dev/address': '127.0.0.9' } },
    spec: { ports: [{ name: 'http', port: 9200, targetPort: 9200 }] },
  });
  // A Service selecting a running pod on the node: pods share the host network, so it resolves to 127.0.0.1.
  await createPod(ns, 'web', { ...podSpec('sleep 300'), terminationGracePeriodSeconds: 1 });
  await api.patch(`/api/v1/namespaces/${ns}/pods/web`, { metadata: { labels: { app: 'web' } } });
  await api.post(`/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 8080 }] },
  });
  await waitPodPhase(ns, 'web', ['Running']);
  const retry = (name: string): string => `for i in $(seq 1 40); do getent hosts ${name} && break; sleep 0.25; done`;
  await createPod(
    ns,
    'resolver',
    podSpec(`${retry(`search.${ns}.svc`)}; ${retry(`search.${ns}.svc.cluster.local`)}; ${retry(`web.${ns}.svc`)}`),
  );
  const pod = await waitPodPhase(ns, 'resolver', ['Succeeded', 'Failed']);
  assert.equal(pod.status.phase, 'Succeeded');
  const lines = (await kubectl('-n', ns, 'logs', 'resolver')).trim().split('\n');
  assert.equal(lines.length, 3, lines.join('|'));
  assert.match(lines[0] ?? '', new RegExp(`^127\\.0\\.0\\.9\\s+search\\.${ns}\\.svc`));
  assert.match(lines[1] ?? '', new RegExp(`^127\\.0\\.0\\.9\\s+search\\.${ns}\\.svc`));
  assert.match(lines[2] ?? '', new RegExp(`^127\\.0\\.0\\.1\\s+web\\.${ns}\\.svc`));
});

test('in-cluster config works: the projected service account token authenticates kubectl inside a pod', async () => {
  const ns = await newNamespace('na-sa');
  await createPod(ns, 'whoami', {
    restartPolicy: 'Never',
    containers: [
      { name: 'kubectl', image: 'bitnami/kubectl:1.35', args: ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'] },
    ],
  });
  const pod = await waitPodPhase(ns, 'whoami', ['Succeeded', 'Failed']);
  const logs = await kubectl('-n', ns, 'logs', 'whoami');
  assert.equal(pod.status.phase, 'Succeeded', logs);
  assert.equal(logs.trim(), `system:serviceaccount:${ns}:default`);
});
