// The bench's Kubernetes side: the shared objects every BackupConfiguration of the bench references, a watch that
// records when each object's ADDED event reached the bench (the "arrival" the latencies are measured to), list/poll
// helpers and a bounded-concurrency map.
import { execFileSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { resources, type BackupConfiguration, type Kind } from '../../api/types.js';
import { isAlreadyExists, statusCode, type KubeClients } from '../../lib/kube.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs fn over items with at most `limit` in flight; resolves with the results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * Retries a Kubernetes call on a transient failure (no HTTP status: connection refused/reset, or 429/5xx) for up to
 * a minute: the shared stack's apiserver is restarted now and then by the chaos tests of other helpers.
 */
export async function retry<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    try {
      return await fn();
    } catch (err) {
      const code = statusCode(err);
      const transient = code === undefined || code === 429 || code >= 500;
      if (!transient || Date.now() > deadline) throw err;
      await sleep(delay);
    }
  }
}

function coords(kind: Kind) {
  const r = resources[kind];
  return { group: r.group, version: r.version, plural: r.plural };
}

export async function listCustom<T>(kube: KubeClients, kind: Kind, namespace: string, labelSelector?: string): Promise<T[]> {
  const l = (await retry(() => kube.custom.listNamespacedCustomObject({ ...coords(kind), namespace, labelSelector }))) as {
    items: T[];
  };
  return l.items;
}

/** Create; a 409 after a retried call (the first attempt went through) returns the stored object. */
export const createCustom = <T extends { metadata?: { name?: string } }>(
  kube: KubeClients,
  kind: Kind,
  namespace: string,
  body: T,
) =>
  retry(async () => {
    try {
      return await kube.custom.createNamespacedCustomObject({ ...coords(kind), namespace, body });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return kube.custom.getNamespacedCustomObject({ ...coords(kind), namespace, name: body.metadata!.name! });
    }
  });

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export const patchCustom = (kube: KubeClients, kind: Kind, namespace: string, name: string, body: object) =>
  retry(() => kube.custom.patchNamespacedCustomObject({ ...coords(kind), namespace, name, body }, mergePatch));

export const deleteCustomCollection = (kube: KubeClients, kind: Kind, namespace: string, labelSelector: string) =>
  retry(() => kube.custom.deleteCollectionNamespacedCustomObject({ ...coords(kind), namespace, labelSelector }));

/** Polls until check() is true; resolves with Date.now() at that moment, or throws after timeoutMs. */
export async function until(what: string, timeoutMs: number, everyMs: number, check: () => Promise<boolean>): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Arrival {
  at: number;
  obj: k8s.KubernetesObject;
}

/** A watch on one collection that records the first ADDED arrival (Date.now()) per object name. */
export class ArrivalRecorder {
  readonly arrivals = new Map<string, Arrival>();
  private abort: AbortController | undefined;
  private stopped = false;
  errors = 0;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly path: string,
  ) {}

  async start(): Promise<void> {
    const w = new k8s.Watch(this.kc);
    const go = async (): Promise<void> => {
      this.abort = await w.watch(
        this.path,
        { allowWatchBookmarks: false },
        (type, obj: k8s.KubernetesObject) => {
          const name = obj.metadata?.name;
          if (type === 'ADDED' && name && !this.arrivals.has(name)) this.arrivals.set(name, { at: Date.now(), obj });
        },
        (err) => {
          // a watch ends on its own every few minutes: reopen (a relist's ADDED for known names is ignored above)
          if (this.stopped) return;
          if (err) this.errors++;
          void sleep(200).then(() => (this.stopped ? undefined : go()));
        },
      );
    };
    await go();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}

export const bsPath = (ns: string) => `/apis/stash.appscode.com/v1beta1/namespaces/${ns}/backupsessions`;
export const jobPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`;

export const TASK_PREFIX = 'bench-noop';

/**
 * The shared objects: storage Secret, a REST Repository (initialised here with restic, so each session's maintenance
 * Job succeeds), a PVC as the target, and a cluster Function + Task whose one step runs `sh -c true` (busybox → the
 * host's sh on the node agent): the Jobs cost little, the orchestration is what is measured.
 */
export async function createSharedObjects(
  kube: KubeClients,
  ns: string,
  id: string,
  restUrl: string,
  restic: string,
): Promise<() => Promise<void>> {
  const password = `bench-${id}-not-a-secret`;
  await kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'repo-secret' }, stringData: { RESTIC_PASSWORD: password } },
  });
  execFileSync(restic, ['init'], {
    env: { ...process.env, RESTIC_REPOSITORY: `rest:${restUrl}/bench-${ns}`, RESTIC_PASSWORD: password },
    stdio: 'ignore',
  });
  await createCustom(kube, 'Repository', ns, {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'repo', namespace: ns },
    spec: { backend: { rest: { url: `${restUrl}/bench-${ns}` }, storageSecretName: 'repo-secret' } },
  });
  await kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns,
    body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } } },
  });
  const name = `${TASK_PREFIX}-${id}`;
  const fn = { group: 'stash.appscode.com', version: 'v1beta1', plural: 'functions' };
  const task = { group: 'stash.appscode.com', version: 'v1beta1', plural: 'tasks' };
  await kube.custom.createClusterCustomObject({
    ...fn,
    body: {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'Function',
      metadata: { name },
      spec: { image: 'busybox', command: ['sh', '-c'], args: ['true'] },
    },
  });
  await kube.custom.createClusterCustomObject({
    ...task,
    body: { apiVersion: 'stash.appscode.com/v1beta1', kind: 'Task', metadata: { name }, spec: { steps: [{ name }] } },
  });
  return async () => {
    await kube.custom.deleteClusterCustomObject({ ...task, name }).catch(() => undefined);
    await kube.custom.deleteClusterCustomObject({ ...fn, name }).catch(() => undefined);
  };
}

export function benchConfig(
  ns: string,
  name: string,
  id: string,
  schedule: string,
  group: string,
  extra: Partial<BackupConfiguration['spec']> = {},
): BackupConfiguration {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    metadata: { name, namespace: ns, labels: { 'bench.stashflow.dev/group': group } },
    spec: {
      schedule,
      task: { name: `${TASK_PREFIX}-${id}` },
      repository: { name: 'repo' },
      target: { ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' } },
      // no keep-* rule: the session's maintenance Job skips `restic forget` (it takes restic's exclusive lock, so a
      // burst of sessions on one repository would queue on it) and only reads stats and snapshots
      retentionPolicy: { name: 'keep-all', prune: false },
      ...extra,
    } as BackupConfiguration['spec'],
  };
}

/** A CronJob whose Jobs never run a pod (spec.suspend): only the Job's creation, Stash's "session", is measured. */
export function benchCronJob(name: string, schedule: string): k8s.V1CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, labels: { 'bench.stashflow.dev/group': 'fire' } },
    spec: {
      schedule,
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 10,
      failedJobsHistoryLimit: 10,
      jobTemplate: {
        spec: {
          suspend: true,
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'noop', image: 'busybox', command: ['true'] }] },
          },
        },
      },
    },
  };
}
