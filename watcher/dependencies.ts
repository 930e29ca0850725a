// What a BackupConfiguration reconcile reads besides the configuration itself, and who reads what.
//
// DependencyIndex: configuration key → the objects its last reconcile looked up (found or not), and the reverse,
// so an informer event on a Repository, AppBinding, Task or Function re-enqueues exactly the configurations that
// use it (a missing Repository that appears later makes its users Ready at once, not at the next resync).
//
// DependencyReader: how the reconcile reads them. The watcher reads the CRDs from its informer caches (no GET per
// reconcile); what it does not watch is fetched with GETs coalesced across concurrent reconciles:
// Secrets (the watcher may only `get` Secrets — a list/watch would hand it every Secret's values in the cluster,
// and a metadata-only watch needs the same verbs) and PVCs. Only a Secret's key names are kept, never its values.
import type { AppBinding, Kind, Repository, StashFunction, Task } from '../api/types.js';
import { undefinedIfNotFound, type KubeClients } from '../lib/kube.js';
import { getObject } from '../lib/objects.js';

/** "<Kind>:<namespace>/<name>" or, cluster-scoped, "<Kind>:<name>" (a Kind's informer key prefixed by the Kind) */
export const depKey = (kind: Kind | 'Secret' | 'PersistentVolumeClaim', namespace: string | undefined, name: string): string =>
  `${kind}:${namespace ? `${namespace}/${name}` : name}`;

export class DependencyIndex {
  private readonly users = new Map<string, Set<string>>();
  private readonly deps = new Map<string, readonly string[]>();

  /** records what `user` depends on now (replacing what it depended on before) */
  set(user: string, deps: readonly string[]): void {
    this.delete(user);
    const unique = [...new Set(deps)];
    this.deps.set(user, unique);
    for (const d of unique) {
      let s = this.users.get(d);
      if (!s) this.users.set(d, (s = new Set()));
      s.add(user);
    }
  }

  delete(user: string): void {
    for (const d of this.deps.get(user) ?? []) {
      const s = this.users.get(d);
      s?.delete(user);
      if (s?.size === 0) this.users.delete(d);
    }
    this.deps.delete(user);
  }

  /** the users of a dependency */
  usersOf(dep: string): string[] {
    return [...(this.users.get(dep) ?? [])];
  }

  dependenciesOf(user: string): readonly string[] {
    return this.deps.get(user) ?? [];
  }

  get size(): number {
    return this.deps.size;
  }
}

export interface DependencyReader {
  repository(namespace: string, name: string): Promise<Repository | undefined>;
  appBinding(namespace: string, name: string): Promise<AppBinding | undefined>;
  task(name: string): Promise<Task | undefined>;
  fn(name: string): Promise<StashFunction | undefined>;
  /** the key names of a Secret (never its values), or undefined when it does not exist */
  secretKeys(namespace: string, name: string): Promise<string[] | undefined>;
  pvcExists(namespace: string, name: string): Promise<boolean>;
}

async function readSecretKeys(kube: KubeClients, namespace: string, name: string): Promise<string[] | undefined> {
  const sec = await undefinedIfNotFound(kube.core.readNamespacedSecret({ namespace, name }));
  return sec && Object.keys({ ...sec.data, ...sec.stringData });
}

async function readPvcExists(kube: KubeClients, namespace: string, name: string): Promise<boolean> {
  return (await undefinedIfNotFound(kube.core.readNamespacedPersistentVolumeClaim({ namespace, name }))) !== undefined;
}

/** A GET per call (tests that run the reconciler without informers). */
export function apiReader(kube: KubeClients): DependencyReader {
  return {
    repository: (ns, name) => getObject<Repository>(kube, 'Repository', ns, name),
    appBinding: (ns, name) => getObject<AppBinding>(kube, 'AppBinding', ns, name),
    task: (name) => getObject<Task>(kube, 'Task', undefined, name),
    fn: (name) => getObject<StashFunction>(kube, 'Function', undefined, name),
    secretKeys: (ns, name) => readSecretKeys(kube, ns, name),
    pvcExists: (ns, name) => readPvcExists(kube, ns, name),
  };
}

/**
 * Calls with the same key share one in-flight read, and its result for `ttlMs` after it settled (errors are not
 * kept). 1,000 configurations naming one storage Secret then cost a few GETs a second, not 1,000; a Secret created
 * a moment ago is seen at most ttlMs late (a Secret change re-enqueues nothing anyway: the resync re-checks).
 */
export function coalesce<T>(read: (ns: string, name: string) => Promise<T>, ttlMs: number) {
  const entries = new Map<string, { p: Promise<T>; until: number }>();
  return (ns: string, name: string): Promise<T> => {
    const key = `${ns}/${name}`;
    const now = Date.now();
    const e = entries.get(key);
    if (e && (e.until === 0 || e.until > now)) return e.p;
    const entry = { p: read(ns, name), until: 0 };
    entries.set(key, entry);
    entry.p.then(
      () => {
        entry.until = Date.now() + ttlMs;
        if (entries.size > 10_000) for (const [k, v] of entries) if (v.until && v.until <= Date.now()) entries.delete(k);
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return entry.p;
  };
}

export interface CachedKinds {
  /** the informer cache of a kind, or undefined when that namespace is not watched */
  get: (kind: 'Repository' | 'AppBinding' | 'Task' | 'Function', namespace: string | undefined, name: string) => unknown;
  /** whether the informers of `namespace` are in this process (watchNamespace) */
  watches: (namespace: string) => boolean;
}

/** Reads the CRDs from informer caches (a GET when the namespace is not watched), Secrets/PVCs coalesced. */
export function cachedReader(kube: KubeClients, caches: CachedKinds, ttlMs = 1000): DependencyReader {
  const api = apiReader(kube);
  const ns =
    <T>(kind: 'Repository' | 'AppBinding', fallback: (n: string, name: string) => Promise<T | undefined>) =>
    async (namespace: string, name: string): Promise<T | undefined> =>
      caches.watches(namespace) ? (caches.get(kind, namespace, name) as T | undefined) : fallback(namespace, name);
  return {
    repository: ns<Repository>('Repository', api.repository),
    appBinding: ns<AppBinding>('AppBinding', api.appBinding),
    task: async (name) => caches.get('Task', undefined, name) as Task | undefined,
    fn: async (name) => caches.get('Function', undefined, name) as StashFunction | undefined,
    secretKeys: coalesce(api.secretKeys, ttlMs),
    pvcExists: coalesce(api.pvcExists, ttlMs),
  };
}
