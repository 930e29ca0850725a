// Repository status and the maintenance Job (retention + stats) that runs where the backend is reachable: in a
// pod with the backend's env and volumes, so the worker itself never holds a repository password.
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { apiVersionOf, type Repository, type RetentionPolicy } from '../api/types.js';
import type { KubeClients } from '../lib/kube.js';
import { getObject, patchStatus } from '../lib/objects.js';
import type { SessionRef } from '../workflows/contracts.js';
import { ownerOf } from '../workflows/session-steps.js';
import { createEventRecorder } from './events.js';
import type { createJobActivities } from './jobs.js';
import type { SessionPlan } from './session-plan.js';

export interface MaintenanceOutcome {
  removed: number;
  snapshotCount: number;
  totalSize: string;
  integrity?: boolean;
}

export interface RepositoryUpdate extends MaintenanceOutcome {
  lastBackupTime: string;
}

/** restic forget flags for Stash's RetentionPolicy; a policy with no keep-* rule adds none. */
export function retentionArgs(p: RetentionPolicy | undefined): string[] {
  if (!p) return [];
  const args: string[] = [];
  const n = (flag: string, v: number | undefined) => v && v > 0 && args.push(`--${flag}=${v}`);
  n('keep-last', p.keepLast);
  n('keep-hourly', p.keepHourly);
  n('keep-daily', p.keepDaily);
  n('keep-weekly', p.keepWeekly);
  n('keep-monthly', p.keepMonthly);
  n('keep-yearly', p.keepYearly);
  for (const t of p.keepTags ?? []) args.push(`--keep-tag=${t}`);
  if (p.prune) args.push('--prune');
  if (p.dryRun) args.push('--dry-run');
  return args;
}

export function createRepositoryActivities(kube: KubeClients, jobs: ReturnType<typeof createJobActivities>) {
  const events = createEventRecorder(kube, 'stashflow');
  const involved = (r: Repository) => ({
    apiVersion: apiVersionOf('Repository'),
    kind: 'Repository',
    name: r.metadata.name,
    namespace: r.metadata.namespace,
    uid: r.metadata.uid ?? '',
  });
  async function runRepositoryMaintenance(input: {
    ref: SessionRef;
    name: string;
    plan: SessionPlan;
  }): Promise<MaintenanceOutcome> {
    const { ref, name, plan } = input;
    await jobs.ensureJob({
      namespace: ref.namespace,
      name,
      owner: ownerOf('BackupSession', ref),
      labels: { 'stashflow.dev/session': ref.name, 'stashflow.dev/step': 'maintenance' },
      pod: {
        volumes: plan.backendVolumes,
        serviceAccountName: plan.pod.serviceAccountName,
        containers: [
          {
            name: 'maintenance',
            image: plan.image,
            args: ['function', 'restic-maintenance', ...retentionArgs(plan.retention)],
            env: [...plan.backendEnv, { name: 'ENABLE_CACHE', value: 'false' }],
            volumeMounts: plan.backendVolumeMounts,
          },
        ],
      },
    });
    heartbeat({ job: name });
    const out = await jobs.awaitJob({ namespace: ref.namespace, name });
    if (!out.succeeded) {
      const message = `maintenance Job ${name} failed: ${out.terminationMessage ?? out.reason ?? 'unknown'}`;
      const repo = await getObject<Repository>(kube, 'Repository', plan.repository.namespace, plan.repository.name);
      // keyed by the Job: a retried activity bumps this Event's count instead of adding another
      if (repo) await events.record(involved(repo), 'Warning', 'FailedToApplyRetentionPolicy', message, name);
      // the failed Job keeps its name (one per session): retrying this activity would only read the same failure
      throw ApplicationFailure.nonRetryable(message, 'MaintenanceJobFailed');
    }
    const r = JSON.parse(out.terminationMessage ?? '{}') as Partial<MaintenanceOutcome>;
    return {
      removed: r.removed ?? 0,
      snapshotCount: r.snapshotCount ?? 0,
      totalSize: r.totalSize ?? '0 B',
      integrity: r.integrity,
    };
  }

  async function updateRepositoryStatus(repo: { name: string; namespace: string }, u: RepositoryUpdate): Promise<void> {
    const current = await getObject<Repository>(kube, 'Repository', repo.namespace, repo.name);
    if (!current) return;
    await patchStatus(kube, 'Repository', repo.namespace, repo.name, {
      observedGeneration: current.metadata.generation,
      firstBackupTime: current.status?.firstBackupTime ?? u.lastBackupTime,
      lastBackupTime: u.lastBackupTime,
      totalSize: u.totalSize,
      snapshotCount: u.snapshotCount,
      snapshotsRemovedOnLastCleanup: u.removed,
      ...(u.integrity === undefined ? {} : { integrity: u.integrity }),
    });
    await events.record(
      involved(current),
      'Normal',
      'RepositoryStatusUpdated',
      `${u.snapshotCount} snapshot(s), ${u.totalSize}; ${u.removed} removed by the retention policy`,
      u.lastBackupTime,
    );
  }

  return { runRepositoryMaintenance, updateRepositoryStatus };
}
