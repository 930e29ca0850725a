// The watcher: leader election, then (only while leading) informers on BackupConfigurations, BackupSessions,
// RestoreSessions and what configurations depend on (Repositories, AppBindings, Tasks, Functions), one WorkQueue
// per kind, and the reconcilers. Informer callbacks only enqueue keys; a queue reconciles one key at a time from
// the cache. Updates that change only status/resourceVersion (our own status patches, a session's progress) are
// not enqueued; the periodic resync still reconciles every key. Used by watcher/main.ts and in-process by tests.
import type * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { resources, type BackupConfiguration, type BackupSession, type Kind, type RestoreSession } from '../api/types.js';
import type { KubeClients } from '../lib/kube.js';
import type { Logger } from '../lib/log.js';
import type { WatcherMetricsSink } from '../lib/watcher-metrics.js';
import type { WatcherConfig } from './config.js';
import { cachedReader, DependencyIndex } from './dependencies.js';
import { metaSignature, ResilientInformer } from './informer.js';
import { LeaderElector } from './leader.js';
import { WorkQueue } from './queue.js';
import { makeBackupConfigurationReconciler } from './reconcile-backup-configuration.js';
import { makeSessionReconcilers } from './reconcile-sessions.js';
import { failEndedSession } from './settle-session.js';

export type WatcherSettings = Pick<
  WatcherConfig,
  | 'taskQueue'
  | 'leaseNamespace'
  | 'leaseName'
  | 'identity'
  | 'leaseDurationMs'
  | 'renewDeadlineMs'
  | 'retryPeriodMs'
  | 'watchNamespace'
  | 'catchupWindowMs'
  | 'resyncMs'
>;

export interface WatcherOptions {
  cfg: WatcherSettings;
  kube: KubeClients;
  client: Client;
  log: Logger;
  /** called when the lease is lost (not on stop()); main exits non-zero, as client-go's callers do */
  onLostLeadership?: () => void;
  /** reconcile latency/errors per kind for /metrics (watcher/main.ts); optional */
  metrics?: WatcherMetricsSink;
}

type Obj = k8s.KubernetesObject;

// Keys reconciled at once per kind. A reconcile is a chain of round trips (apiserver, Temporal) and little CPU, so 4
// at a time left 1,000 configurations waiting on latency, not CPU (bench/orchestration); a key is still never
// reconciled twice at once, and 16 keeps the load on the apiserver and Temporal modest.
const RECONCILE_CONCURRENCY = 16;
// A session reconcile is one start RPC (or nothing): a burst of BackupSessions should not wait behind 16 of them.
const SESSION_CONCURRENCY = 64;

type DependencyKind = 'Repository' | 'AppBinding' | 'Task' | 'Function';

export class Watcher {
  private readonly elector: LeaderElector;
  private informers: Array<ResilientInformer<Obj>> = [];
  private queues: WorkQueue[] = [];
  private queueKinds = new Map<WorkQueue, string>();
  private stopping = false;
  private controllersSynced = false;

  constructor(private readonly o: WatcherOptions) {
    this.elector = new LeaderElector({
      kc: o.kube.kc,
      namespace: o.cfg.leaseNamespace,
      name: o.cfg.leaseName,
      identity: o.cfg.identity,
      leaseDurationMs: o.cfg.leaseDurationMs,
      renewDeadlineMs: o.cfg.renewDeadlineMs,
      retryPeriodMs: o.cfg.retryPeriodMs,
      log: o.log,
      onStartedLeading: async () => {
        try {
          await this.startControllers();
        } catch (err) {
          // e.g. the CRDs are not installed: give the lease back and let the process exit (and be restarted)
          o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'controllers failed to start');
          void this.stop().then(() => o.onLostLeadership?.());
        }
      },
      onStoppedLeading: async () => {
        await this.stopControllers();
        if (!this.stopping) o.onLostLeadership?.();
      },
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** leading, with every informer's initial list done (readiness) */
  get synced(): boolean {
    return this.controllersSynced && this.elector.isLeader;
  }

  /** keys pending, running or backing off per kind (the queue-depth gauge) */
  queueDepths(): Record<string, number> {
    return Object.fromEntries([...this.queueKinds].map(([q, kind]) => [kind, q.length]));
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.elector.stop();
    await this.stopControllers();
  }

  /** resolves when every queue is idle (tests) */
  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  private informer<T extends Obj>(
    kind: Kind,
    onKey: (key: string) => void,
    more: { onResync?: (key: string) => void; relevant?: (o: T) => string } = {},
  ): ResilientInformer<T> {
    const r = resources[kind];
    const ns = r.namespaced ? this.o.cfg.watchNamespace : undefined;
    const path = ns ? `/apis/${r.group}/${r.version}/namespaces/${ns}/${r.plural}` : `/apis/${r.group}/${r.version}/${r.plural}`;
    const custom = this.o.kube.custom;
    const list = (() =>
      ns
        ? custom.listNamespacedCustomObject({ group: r.group, version: r.version, plural: r.plural, namespace: ns })
        : custom.listClusterCustomObject({
            group: r.group,
            version: r.version,
            plural: r.plural,
          })) as unknown as k8s.ListPromise<T>;
    const inf = new ResilientInformer<T>({
      kc: this.o.kube.kc,
      path,
      list,
      onKey,
      ...more,
      resyncMs: this.o.cfg.resyncMs,
      onError: (err, restartInMs) => this.o.log.warn({ kind, err: String(err), restartInMs }, 'watch failed; restarting'),
    });
    this.informers.push(inf as unknown as ResilientInformer<Obj>);
    return inf;
  }

  private queue(kind: string, reconcile: (key: string) => Promise<void>, concurrency = RECONCILE_CONCURRENCY): WorkQueue {
    const metrics = this.o.metrics;
    const timed = !metrics
      ? reconcile
      : async (key: string) => {
          const t0 = performance.now();
          let ok = false;
          try {
            await reconcile(key);
            ok = true;
          } finally {
            metrics.reconciled(kind, (performance.now() - t0) / 1000, ok);
          }
        };
    const q = new WorkQueue(timed, {
      concurrency,
      onError: (key, err, attempt) =>
        this.o.log.warn(
          { kind, key, attempt, err: err instanceof Error ? err.message : String(err) },
          'reconcile failed; will retry',
        ),
    });
    this.queues.push(q);
    this.queueKinds.set(q, kind);
    return q;
  }

  private async startControllers(): Promise<void> {
    const { kube, client, log, cfg } = this.o;
    // caches are filled by the informers below before any queue runs a key (keys arrive from their events)
    const inf: {
      bc?: ResilientInformer<BackupConfiguration & Obj>;
      bs?: ResilientInformer<BackupSession & Obj>;
      rs?: ResilientInformer<RestoreSession & Obj>;
    } = {};
    const getBc = (ns: string, name: string) => inf.bc?.informer.get(name, ns) as BackupConfiguration | undefined;
    // keys whose next reconcile comes from the resync: only then are Schedules described again and started sessions
    // checked against their workflow
    const resyncMarks = () => {
      const due = new Set<string>();
      return { mark: (key: string) => due.add(key), resyncDue: (key: string) => due.delete(key) };
    };
    const bcResync = resyncMarks();
    const bsResync = resyncMarks();
    const rsResync = resyncMarks();

    // what configurations read, from informer caches; an event on one re-enqueues the configurations using it
    const index = new DependencyIndex();
    const deps = new Map<DependencyKind, ResilientInformer<Obj>>();
    const read = cachedReader(kube, {
      get: (kind, ns, name) => deps.get(kind)?.informer.get(name, ns),
      watches: (ns) => !cfg.watchNamespace || cfg.watchNamespace === ns,
    });

    const bcQueue = this.queue(
      'BackupConfiguration',
      makeBackupConfigurationReconciler({
        kube,
        client,
        log: log.child({ kind: 'BackupConfiguration' }),
        settings: { taskQueue: cfg.taskQueue, catchupWindowMs: cfg.catchupWindowMs },
        get: getBc,
        read,
        index,
        resyncDue: bcResync.resyncDue,
      }),
    );
    const sessions = (kind: 'BackupSession' | 'RestoreSession') =>
      makeSessionReconcilers({
        client,
        log: log.child({ kind }), // one set per kind, so every session log line names its kind
        taskQueue: cfg.taskQueue,
        getBackupSession: (ns, name) => inf.bs?.informer.get(name, ns) as BackupSession | undefined,
        getRestoreSession: (ns, name) => inf.rs?.informer.get(name, ns) as RestoreSession | undefined,
        getBackupConfiguration: getBc,
        failEndedSession: (k, ref, message) => failEndedSession(this.o.kube, k, ref, message),
        resyncDue: (kind === 'BackupSession' ? bsResync : rsResync).resyncDue,
      });
    const bsQueue = this.queue('BackupSession', sessions('BackupSession').backupSession, SESSION_CONCURRENCY);
    const rsQueue = this.queue('RestoreSession', sessions('RestoreSession').restoreSession, SESSION_CONCURRENCY);
    for (const kind of ['Repository', 'AppBinding', 'Task', 'Function'] as const)
      deps.set(
        kind,
        this.informer<Obj>(
          kind,
          (key) => {
            for (const user of index.usersOf(`${kind}:${key}`)) bcQueue.add(user);
          },
          { relevant: metaSignature, onResync: () => undefined }, // the configurations' own resync re-reads them
        ),
      );
    const resync = (marks: ReturnType<typeof resyncMarks>, queue: WorkQueue) => (key: string) => {
      marks.mark(key);
      queue.add(key);
    };
    inf.bc = this.informer<BackupConfiguration & Obj>('BackupConfiguration', (k) => bcQueue.add(k), {
      relevant: metaSignature,
      onResync: resync(bcResync, bcQueue),
    });
    // sessions: every update is delivered (a final phase must reach the reconciler), but a started session's
    // reconcile is then a cache read, with no RPC (see resyncDue)
    inf.bs = this.informer<BackupSession & Obj>('BackupSession', (k) => bsQueue.add(k), { onResync: resync(bsResync, bsQueue) });
    inf.rs = this.informer<RestoreSession & Obj>('RestoreSession', (k) => rsQueue.add(k), {
      onResync: resync(rsResync, rsQueue),
    });
    // dependencies first (a configuration reconciled before its Repository is cached would be NotReady for a
    // moment, with a Warning Event), then BackupConfigurations (session search attributes read their cache)
    await Promise.all([...deps.values()].map((i) => i.start()));
    await inf.bc.start();
    await Promise.all([inf.bs.start(), inf.rs.start()]);
    this.controllersSynced = true;
    log.info({ watchNamespace: cfg.watchNamespace ?? '(all)', taskQueue: cfg.taskQueue }, 'controllers started');
  }

  private async stopControllers(): Promise<void> {
    const informers = this.informers;
    const queues = this.queues;
    this.informers = [];
    this.queues = [];
    this.queueKinds = new Map();
    this.controllersSynced = false;
    for (const q of queues) q.stop();
    await Promise.all(informers.map((i) => i.stop().catch(() => undefined)));
  }
}
