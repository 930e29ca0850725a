// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// - try to acquire or renew every retryPeriod; writes use the Lease's resourceVersion (optimistic concurrency),
//   so two candidates can never both succeed;
// - another holder's lease counts as expired when its record has not changed for leaseDuration, measured on OUR
//   clock from when we first saw that record (no clock-skew assumptions);
// - a leader that cannot renew within renewDeadline stops leading (onStoppedLeading); it never resumes;
// - stop() releases the lease (holder cleared, duration 1 s) so a successor takes over at once.
import * as k8s from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound, statusCode } from '../lib/kube.js';
import type { Logger } from '../lib/log.js';

export interface LeaderElectionOptions {
  kc: k8s.KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  log?: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LeaderElector {
  private readonly coord: k8s.CoordinationV1Api;
  private readonly core: k8s.CoreV1Api;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private observedKey = '';
  private observedAt = 0;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: LeaderElectionOptions) {
    this.coord = o.kc.makeApiClient(k8s.CoordinationV1Api);
    this.core = o.kc.makeApiClient(k8s.CoreV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Runs the election loop in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the loop; a leader releases the lease and gets onStoppedLeading. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err: unknown) => this.o.log?.warn({ err: String(err) }, 'lease release failed'));
      await this.o.onStoppedLeading();
    }
  }

  private async run(): Promise<void> {
    await this.ensureNamespace();
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.o.log?.warn({ err: String(err), lease: this.leaseRef() }, 'lease acquire/renew failed');
      }
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.o.log?.info({ lease: this.leaseRef(), identity: this.o.identity }, 'started leading');
          await this.o.onStartedLeading();
        }
      } else if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
        this.leading = false;
        this.stopped = true;
        this.o.log?.error({ lease: this.leaseRef(), identity: this.o.identity }, 'lost the lease: renew deadline passed');
        await this.o.onStoppedLeading();
        return;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.o.retryPeriodMs);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  private leaseRef(): string {
    return `${this.o.namespace}/${this.o.name}`;
  }

  private async ensureNamespace(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.core.readNamespace({ name: this.o.namespace });
        return;
      } catch (err) {
        if (!isNotFound(err)) {
          this.o.log?.warn({ err: String(err) }, 'cannot read the lease namespace');
          await sleep(this.o.retryPeriodMs);
          continue;
        }
      }
      try {
        await this.core.createNamespace({ body: { metadata: { name: this.o.namespace } } });
        return;
      } catch (err) {
        if (isAlreadyExists(err)) return;
        this.o.log?.warn({ err: String(err) }, 'cannot create the lease namespace');
        await sleep(this.o.retryPeriodMs);
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new k8s.V1MicroTime();
    const durationSeconds = Math.ceil(this.o.leaseDurationMs / 1000);
    let lease: k8s.V1Lease;
    try {
      lease = await this.coord.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.coord.createNamespacedLease({
          namespace: this.o.namespace,
          body: {
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: {
              holderIdentity: this.o.identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const key = `${holder}|${spec.renewTime ? new Date(spec.renewTime).getTime() : ''}|${lease.metadata?.resourceVersion}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = Date.now();
    }
    const mine = holder === this.o.identity;
    const heldDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && !mine && Date.now() - this.observedAt < heldDurationMs) return false; // held by another, not expired
    const body: k8s.V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.o.identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: now,
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    try {
      await this.coord.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body });
      return true;
    } catch (err) {
      if (statusCode(err) === 409) return false; // someone else wrote first
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.coord.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    if (lease.spec?.holderIdentity !== this.o.identity) return;
    const now = new k8s.V1MicroTime();
    await this.coord.replaceNamespacedLease({
      name: this.o.name,
      namespace: this.o.namespace,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
    });
    this.o.log?.info({ lease: this.leaseRef(), identity: this.o.identity }, 'released the lease');
  }
}
