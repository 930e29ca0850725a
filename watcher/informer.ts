// A watch that does not silently die: wraps client-node's informer (list + watch with resourceVersion, 410 → relist)
// and adds what it lacks: restart after an error with capped backoff (one restart at a time), restart when no
// event arrived for `stallMs` (a silently stalled watch), and a periodic resync that re-enqueues every cached key
// (a restart does not replay `add` for objects already cached).
import * as k8s from '@kubernetes/client-node';

export interface WatchOptions<T extends k8s.KubernetesObject> {
  kc: k8s.KubeConfig;
  path: string;
  list: k8s.ListPromise<T>;
  onKey: (key: string) => void;
  onError?: (err: unknown, restartInMs: number) => void;
  resyncMs?: number;
  stallMs?: number;
  maxBackoffMs?: number;
}

export const keyOf = (o: k8s.KubernetesObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? '');

export class ResilientInformer<T extends k8s.KubernetesObject> {
  readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private restartTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private lastEvent = Date.now();
  private stopped = false;

  constructor(private readonly opts: WatchOptions<T>) {
    this.informer = k8s.makeInformer(opts.kc, opts.path, opts.list);
    const seen = (o: T) => {
      this.lastEvent = Date.now();
      this.failures = 0;
      opts.onKey(keyOf(o));
    };
    this.informer.on('add', seen);
    this.informer.on('update', seen);
    this.informer.on('delete', seen);
    this.informer.on('connect', () => {
      this.lastEvent = Date.now();
    });
    this.informer.on('error', (err) => this.scheduleRestart(err));
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    const resyncMs = this.opts.resyncMs ?? 5 * 60_000;
    const stallMs = this.opts.stallMs ?? 10 * 60_000;
    this.resyncTimer = setInterval(
      () => {
        for (const o of this.informer.list()) this.opts.onKey(keyOf(o));
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
