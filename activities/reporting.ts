// What people look at after a session: Kubernetes Events on the session, and Stash's metric families on the
// Pushgateway. Metrics are built from the objects' current status (read fresh), so a retried push sends the same.
import type { AppBinding, BackupConfiguration, BackupSession, Repository, RestoreSession, TargetRef } from '../api/types.js';
import { isNotFound, type KubeClients } from '../lib/kube.js';
import {
  backupSessionMetrics,
  backupVerifiedMetrics,
  prometheusJobName,
  pushMetrics,
  repositoryBackendLabels,
  repositoryMetrics,
  restoreSessionMetrics,
  type MetricsTargetRef,
} from '../lib/metrics.js';
import { getObject } from '../lib/objects.js';
import type { SessionRef } from '../workflows/contracts.js';
import { createEventRecorder, type EventType } from './events.js';

export type PushResult = { pushed: false; reason: string } | { pushed: true; job: string; families: number };

export function createReportingActivities(kube: KubeClients, pushgatewayUrl: string | undefined) {
  const events = createEventRecorder(kube, 'stashflow');

  async function recordSessionEvent(
    kind: 'BackupSession' | 'RestoreSession',
    ref: SessionRef,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    try {
      await events.record(
        { apiVersion: 'stash.appscode.com/v1beta1', kind, name: ref.name, namespace: ref.namespace, uid: ref.uid },
        type,
        reason,
        message,
      );
    } catch (err) {
      // the namespace is gone (deleted with its sessions): nobody is left to read the Event, and the session is over
      if (!isNotFound(err)) throw err;
    }
  }

  async function metricsTarget(ref: TargetRef | undefined, namespace: string): Promise<MetricsTargetRef[]> {
    if (!ref) return [];
    const ns = ref.namespace || namespace;
    if (ref.kind !== 'AppBinding') return [{ ...ref, namespace: ns }];
    const ab = await getObject<AppBinding>(kube, 'AppBinding', ns, ref.name);
    return [{ ...ref, namespace: ns, appBindingType: ab ? (ab.spec.type ?? '') : null }];
  }

  async function push(job: string, families: ReturnType<typeof backupSessionMetrics>): Promise<PushResult> {
    if (!pushgatewayUrl) return { pushed: false, reason: 'PUSHGATEWAY_URL is not set' };
    await pushMetrics(pushgatewayUrl, job, families);
    return { pushed: true, job, families: families.length };
  }

  async function pushBackupMetrics(ref: SessionRef): Promise<PushResult> {
    const s = await getObject<BackupSession>(kube, 'BackupSession', ref.namespace, ref.name);
    if (!s) return { pushed: false, reason: 'BackupSession is gone' };
    const bc = await getObject<BackupConfiguration>(kube, 'BackupConfiguration', ref.namespace, s.spec.invoker.name);
    const invoker = { kind: s.spec.invoker.kind, name: s.spec.invoker.name, namespace: ref.namespace };
    const [target] = await metricsTarget(bc?.spec.target?.ref ?? s.status?.targets?.[0]?.ref, ref.namespace);
    const families = backupSessionMetrics({
      invoker,
      driver: bc?.spec.driver ?? 'Restic',
      repository: bc?.spec.repository?.name,
      phase: s.status?.phase,
      sessionDuration: s.status?.sessionDuration,
      targets: (s.status?.targets ?? []).map((t) => ({
        ref: target ?? (t.ref as MetricsTargetRef),
        phase: t.phase,
        totalHosts: t.totalHosts,
        stats: t.stats,
      })),
    });
    return push(prometheusJobName(invoker), families);
  }

  async function pushRepositoryMetrics(ref: SessionRef, repo: { name: string; namespace: string }): Promise<PushResult> {
    const [s, r] = await Promise.all([
      getObject<BackupSession>(kube, 'BackupSession', ref.namespace, ref.name),
      getObject<Repository>(kube, 'Repository', repo.namespace, repo.name),
    ]);
    if (!s || !r) return { pushed: false, reason: 'BackupSession or Repository is gone' };
    const invoker = { kind: s.spec.invoker.kind, name: s.spec.invoker.name, namespace: ref.namespace };
    const families = repositoryMetrics({
      invoker,
      repository: repo.name,
      repo: { name: repo.name, namespace: repo.namespace, ...repositoryBackendLabels(r.spec.backend) },
      stats: {
        integrity: r.status?.integrity ?? null,
        size: r.status?.totalSize,
        snapshotCount: r.status?.snapshotCount,
        snapshotsRemovedOnLastCleanup: r.status?.snapshotsRemovedOnLastCleanup,
      },
    });
    return push(prometheusJobName(invoker), families);
  }

  async function pushRestoreMetrics(ref: SessionRef): Promise<PushResult> {
    const s = await getObject<RestoreSession>(kube, 'RestoreSession', ref.namespace, ref.name);
    if (!s) return { pushed: false, reason: 'RestoreSession is gone' };
    const invoker = { kind: 'RestoreSession', name: ref.name, namespace: ref.namespace };
    const [target] = await metricsTarget(s.spec.target?.ref, ref.namespace);
    const families = restoreSessionMetrics({
      invoker,
      driver: s.spec.driver ?? 'Restic',
      repository: s.spec.repository?.name,
      phase: s.status?.phase,
      sessionDuration: s.status?.sessionDuration,
      targets: target ? [{ ref: target, phase: s.status?.phase, totalHosts: s.status?.totalHosts, stats: s.status?.stats }] : [],
    });
    return push(prometheusJobName(invoker), families);
  }

  /** stashflow_backup_verified for the session's BackupConfiguration (verified backups, workflows/backup-verification.ts). */
  async function pushBackupVerifiedMetric(ref: SessionRef, verified: boolean): Promise<PushResult> {
    const s = await getObject<BackupSession>(kube, 'BackupSession', ref.namespace, ref.name);
    if (!s) return { pushed: false, reason: 'BackupSession is gone' };
    const bc = await getObject<BackupConfiguration>(kube, 'BackupConfiguration', ref.namespace, s.spec.invoker.name);
    const invoker = { kind: s.spec.invoker.kind, name: s.spec.invoker.name, namespace: ref.namespace };
    const families = backupVerifiedMetrics({
      invoker,
      driver: bc?.spec.driver ?? 'Restic',
      repository: bc?.spec.repository?.name,
      verified,
    });
    return push(prometheusJobName(invoker), families);
  }

  return { recordSessionEvent, pushBackupMetrics, pushRepositoryMetrics, pushRestoreMetrics, pushBackupVerifiedMetric };
}
