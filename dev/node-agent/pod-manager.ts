// Watches the pods bound to this node (spec.nodeName) and keeps one PodWorker per pod uid.
// On start it reconciles what a previous agent left: processes it no longer owns are killed and their pods
// are marked Failed (reason NodeAgentRestarted); pods that never started a container are simply started.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound, type Json, rfc3339 } from './kube-api.js';
import { errMsg, log } from './log.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';

const isTerminal = (p: V1Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private reconciled = false;
  private informer: { stop: () => void } | undefined;

  constructor(private readonly deps: WorkerDeps) {}

  start(): void {
    const { api, cfg } = this.deps;
    this.informer = api.informer(
      '/api/v1/pods',
      { fieldSelector: `spec.nodeName=${cfg.nodeName}` },
      (items) => this.onSync(items as V1Pod[]),
      (type, obj) => this.onEvent(type, obj as V1Pod),
    );
  }

  find(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) if (w.namespace === namespace && w.name === name) return w;
    return undefined;
  }

  private async onSync(items: V1Pod[]): Promise<void> {
    if (!this.reconciled) {
      await this.reconcile(items);
      this.reconciled = true;
    }
    const seen = new Set<string>();
    for (const p of items) {
      seen.add(p.metadata!.uid!);
      this.handle(p);
    }
    for (const [uid, w] of this.workers) if (!seen.has(uid)) this.forget(uid, w);
  }

  private onEvent(type: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (type === 'DELETED') {
      const w = this.workers.get(uid);
      if (w) this.forget(uid, w);
      else this.deps.volumes.cleanup(uid);
      return;
    }
    this.handle(pod);
  }

  private handle(pod: V1Pod): void {
    const uid = pod.metadata!.uid!;
    const w = this.workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      // Never ran here (or ran under a previous agent): nothing to kill, finish the deletion.
      void this.deleteNow(pod);
      return;
    }
    if (isTerminal(pod)) return;
    const worker = new PodWorker(pod, this.deps);
    this.workers.set(uid, worker);
    log('pod admitted', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid });
    worker.start();
  }

  private forget(uid: string, w: PodWorker): void {
    this.workers.delete(uid);
    void w.forget().catch((err) => log('forget failed', { uid, err: errMsg(err) }));
  }

  private async deleteNow(pod: V1Pod): Promise<void> {
    try {
      await this.deps.api.delete(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) log('pod delete failed', { pod: pod.metadata?.name, err: errMsg(err) });
    }
  }

  private async reconcile(items: V1Pod[]): Promise<void> {
    const { state, api, volumes } = this.deps;
    for (const rec of state.all()) {
      for (const pid of rec.pids) {
        try {
          process.kill(-pid, 'SIGKILL');
          log('killed leftover process group', { pod: `${rec.namespace}/${rec.name}`, pid });
        } catch {
          /* already gone */
        }
      }
      state.remove(rec.uid);
    }
    const live = new Set(items.map((p) => p.metadata!.uid!));
    const podsDir = join(this.deps.cfg.dataDir, 'pods');
    if (existsSync(podsDir)) for (const uid of readdirSync(podsDir)) if (!live.has(uid)) rmSync(join(podsDir, uid), { recursive: true, force: true });

    for (const pod of items) {
      if (isTerminal(pod) || pod.metadata?.deletionTimestamp) continue;
      const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      const ran = statuses.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
      if (!ran) {
        volumes.cleanup(pod.metadata!.uid!);
        continue;
      }
      const now = rfc3339();
      const lost = (s: Json): Json => {
        if (s.state?.terminated) return s;
        return {
          ...s,
          ready: false,
          started: false,
          state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The node agent restarted and no longer owns this container', finishedAt: now, startedAt: s.state?.running?.startedAt } },
        };
      };
      const status: Json = {
        phase: 'Failed',
        reason: 'NodeAgentRestarted',
        message: 'The stashflow node agent restarted while this pod was running; its processes were stopped',
        containerStatuses: (pod.status?.containerStatuses ?? []).map((s) => lost(s as unknown as Json)),
        conditions: [
          { type: 'Ready', status: 'False', reason: 'PodFailed', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'False', reason: 'PodFailed', lastTransitionTime: now },
        ],
      };
      if (pod.status?.initContainerStatuses?.length) status.initContainerStatuses = pod.status.initContainerStatuses.map((s) => lost(s as unknown as Json));
      try {
        await api.patch(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`, { metadata: { uid: pod.metadata?.uid }, status }, 'strategic');
        pod.status = { ...(pod.status ?? {}), phase: 'Failed' };
        log('pod marked Failed after agent restart', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
      } catch (err) {
        log('reconcile failed', { pod: pod.metadata?.name, err: errMsg(err) });
      }
    }
  }

  /** Agent shutdown: stop every container; running pods end Failed (reason NodeAgentShutdown). */
  async shutdown(graceSeconds: number): Promise<void> {
    this.informer?.stop();
    await Promise.all([...this.workers.values()].map((w) => w.stop(graceSeconds, { reason: 'NodeAgentShutdown', message: 'The stashflow node agent was stopped; it stopped this pod\'s processes' }).catch(() => undefined)));
  }
}
