// A watch that does not silently die: wraps client-node's informer (list + watch with resourceVersion, 410 → relist)
// and adds what it lacks: restart after an error with capped backoff (one restart at a time), restart when no
// event arrived for `stallMs` (a silently stalled watch), and a periodic resync that re-enqueues every cached key
// (a restart does not replay `add` for objects already cached).
//
// `relevant` drops self-inflicted events: client-node reports every new resourceVersion as an `update`, so our own
// status patch (or anyone's) would enqueue the object again. With `relevant`, an update whose signature equals the
// last one seen for that key is not delivered; add, delete and the resync always are (level-triggered stays true).
import * as k8s from '@kubernetes/client-node';

export interface WatchOptions<T extends k8s.KubernetesObject> {
  kc: k8s.KubeConfig;
  path: string;
  list: k8s.ListPromise<T>;
  onKey: (key: string) => void;
  /** called for every cached key at each resync instead of onKey (default: onKey) */
  onResync?: (key: string) => void;
  /** signature of the fields whose change matters; an update with an unchanged signature is skipped */
  relevant?: (o: T) => string;
  onError?: (err: unknown, restartInMs: number) => void;
  resyncMs?: number;
  stallMs?: number;
  maxBackoffMs?: number;
}

export const keyOf = (o: k8s.KubernetesObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? '');

/**
 * Signature of what a controller of `o` reacts to besides its spec: generation (bumped by every spec change),
 * deletion, finalizers, labels and annotations. status, resourceVersion and managedFields are left out.
 */
export function metaSignature(o: k8s.KubernetesObject): string {
  const m = o.metadata ?? {};
  return JSON.stringify([m.uid, m.generation, m.deletionTimestamp, m.finalizers, m.labels, m.annotations]);
}

export class ResilientInformer<T extends k8s.KubernetesObject> {
  readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private restartTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private lastEvent = Date.now();
  private stopped = false;
  private readonly signatures = new Map<string, string>();
  /** updates not delivered because their signature was unchanged (tests, logs) */
  skipped = 0;

  constructor(private readonly opts: WatchOptions<T>) {
    this.informer = k8s.makeInformer(opts.kc, opts.path, opts.list);
    const alive = () => {
      this.lastEvent = Date.now();
      this.failures = 0;
    };
    this.informer.on('add', (o) => {
      alive();
      this.deliver(o, false);
    });
    this.informer.on('update', (o) => {
      alive();
      this.deliver(o, true);
    });
    this.informer.on('delete', (o) => {
      alive();
      this.signatures.delete(keyOf(o));
      opts.onKey(keyOf(o));
    });
    this.informer.on('connect', () => {
      this.lastEvent = Date.now();
    });
    this.informer.on('error', (err) => this.scheduleRestart(err));
  }

  /** onKey unless it is an update whose signature did not change (exported through the class for unit tests) */
  deliver(o: T, isUpdate: boolean): void {
    const key = keyOf(o);
    if (this.opts.relevant) {
      const sig = this.opts.relevant(o);
      const unchanged = isUpdate && this.signatures.get(key) === sig;
      this.signatures.set(key, sig);
      if (unchanged) {
        this.skipped++;
        return;
      }
    }
    this.opts.onKey(key);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    const resyncMs = this.opts.resyncMs ?? 5 * 60_000;
    const stallMs = this.opts.stallMs ?? 10 * 60_000;
    const onResync = this.opts.onResync ?? this.opts.onKey;
    this.resyncTimer = setInterval(
      () => {
        for (const o of this.informer.list()) onResync(keyOf(o));
        if (Date.now() - this.lastEvent > stallMs) this.scheduleRestart(new Error(`no watch event for ${stallMs} ms`));
      },
      Math.min(resyncMs, stallMs),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    this.failures++;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, 500 * 2 ** Math.min(this.failures - 1, 10));
    this.opts.onError?.(err, delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.lastEvent = Date.now();
      this.informer.start().catch((e: unknown) => this.scheduleRestart(e));
    }, delay);
  }
}
