// Session lifecycle activities: read fresh state, set phases and conditions (merge patches of the status
// subresource), plan the Job, keep the interim volume and the backup history. Each is idempotent.
import { ApplicationFailure } from '@temporalio/common';
import type * as k8s from '@kubernetes/client-node';
import type { BackupSession, Condition, HostBackupStats, HostRestoreStats, RestoreSession } from '../api/types.js';
import { apiVersionOf, finalBackupPhases, finalRestorePhases, STASH_GROUP } from '../api/types.js';
import { isAlreadyExists, type KubeClients } from '../lib/kube.js';
import { formatGoDuration } from '../lib/stash-format.js';
import { deleteObject, getObject, listObjects, patchStatus } from '../lib/objects.js';
import type { SessionRef } from '../workflows/contracts.js';
import { createEventRecorder } from './events.js';
import { createPlanner, InvalidInput, type SessionPlan } from './session-plan.js';

export type SessionKind = 'BackupSession' | 'RestoreSession';

export type BeginResult = { state: 'run'; createdAt: string } | { state: 'gone' } | { state: 'final'; phase: string };

export interface FinishInput {
  kind: SessionKind;
  ref: SessionRef;
  phase: 'Succeeded' | 'Failed' | 'Skipped' | 'Invalid';
  conditions: Condition[];
  /** backup: the target's host stats; restore: host restore stats */
  backupStats?: HostBackupStats[];
  restoreStats?: HostRestoreStats[];
  target?: { apiVersion: string; kind: string; name: string; namespace?: string };
}

/** Replaces conditions of the same type; keeps lastTransitionTime when the status did not change. */
export function mergeConditions(current: Condition[] | undefined, updates: Condition[], now: string): Condition[] {
  const out = [...(current ?? [])];
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const prev = i >= 0 ? out[i] : undefined;
    const next = {
      ...u,
      lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : (u.lastTransitionTime ?? now),
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

export function createSessionActivities(kube: KubeClients, image: string) {
  const planner = createPlanner(kube, image);
  const events = createEventRecorder(kube, 'stashflow');

  async function read(kind: SessionKind, ref: SessionRef) {
    const obj = await getObject<BackupSession | RestoreSession>(kube, kind, ref.namespace, ref.name);
    return obj && obj.metadata.uid === ref.uid ? obj : undefined; // a recreated object with the same name is another session
  }

  async function beginSession(kind: SessionKind, ref: SessionRef): Promise<BeginResult> {
    const obj = await read(kind, ref);
    if (!obj) return { state: 'gone' };
    const phase = obj.status?.phase;
    const finals: readonly string[] = kind === 'BackupSession' ? finalBackupPhases : finalRestorePhases;
    if (phase && finals.includes(phase)) return { state: 'final', phase };
    if (phase !== 'Running') {
      await patchStatus(kube, kind, ref.namespace, ref.name, { phase: 'Running' });
      // the first step's Event (Stash's reasons); a retried begin finds the phase Running and records nothing again
      const involved = { apiVersion: apiVersionOf(kind), kind, name: ref.name, namespace: ref.namespace, uid: ref.uid };
      await events.record(involved, 'Normal', `${kind}Running`, `${kind} ${ref.name} is running`);
    }
    return { state: 'run', createdAt: obj.metadata.creationTimestamp ?? new Date().toISOString() };
  }

  async function planSession(kind: SessionKind, ref: SessionRef): Promise<SessionPlan> {
    try {
      return await planner.plan(kind, ref.namespace, ref.name);
    } catch (err) {
      if (err instanceof InvalidInput) {
        // not retryable: a missing object is reported, and the next session tries again
        throw ApplicationFailure.create({
          type: 'InvalidInput',
          message: err.message,
          nonRetryable: true,
          details: [{ conditionType: err.conditionType, reason: err.reason }],
        });
      }
      throw err;
    }
  }

  async function setSessionDeadline(kind: SessionKind, ref: SessionRef, deadline: string): Promise<void> {
    await patchStatus(kube, kind, ref.namespace, ref.name, { sessionDeadline: deadline });
  }

  async function setSessionConditions(kind: SessionKind, ref: SessionRef, conditions: Condition[]): Promise<void> {
    const obj = await read(kind, ref);
    if (!obj) return;
    await patchStatus(kube, kind, ref.namespace, ref.name, {
      conditions: mergeConditions(obj.status?.conditions, conditions, new Date().toISOString()),
    });
  }

  async function finishSession(input: FinishInput): Promise<{ sessionDuration: string; durationSeconds: number } | undefined> {
    const obj = await read(input.kind, input.ref);
    if (!obj) return undefined;
    const now = new Date();
    const ms = now.getTime() - Date.parse(obj.metadata.creationTimestamp ?? now.toISOString());
    const status: Record<string, unknown> = {
      phase: input.phase,
      sessionDuration: formatGoDuration(Math.round(ms / 1000)),
      conditions: mergeConditions(obj.status?.conditions, input.conditions, now.toISOString()),
    };
    if (input.kind === 'BackupSession') {
      status.targets = [
        {
          ref: input.target,
          totalHosts: input.backupStats?.length ?? 0,
          phase: input.phase === 'Succeeded' ? 'Succeeded' : input.phase === 'Skipped' ? 'Pending' : 'Failed',
          stats: input.backupStats ?? [],
        },
      ];
    } else {
      status.totalHosts = input.restoreStats?.length ?? 0;
      status.stats = input.restoreStats ?? [];
    }
    await patchStatus(kube, input.kind, input.ref.namespace, input.ref.name, status);
    return { sessionDuration: status.sessionDuration as string, durationSeconds: Math.round(ms / 1000) };
  }

  async function ensureInterimVolume(
    ref: SessionRef,
    kind: SessionKind,
    claim: NonNullable<SessionPlan['interimClaim']>,
  ): Promise<void> {
    const body: k8s.V1PersistentVolumeClaim = {
      metadata: {
        name: claim.name,
        namespace: ref.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'stashflow', ...claim.labels },
        // owned by the session: deleted with it by the garbage collector
        ownerReferences: [
          {
            apiVersion: `${STASH_GROUP}/v1beta1`,
            kind,
            name: ref.name,
            uid: ref.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: claim.spec,
    };
    try {
      await kube.core.createNamespacedPersistentVolumeClaim({ namespace: ref.namespace, body });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  /** Keeps the newest `limit` final BackupSessions of a BackupConfiguration (Stash's backupHistoryLimit). */
  async function cleanBackupHistory(namespace: string, invokerName: string, limit: number): Promise<number> {
    const sessions = await listObjects<BackupSession>(kube, 'BackupSession', namespace);
    const done = sessions
      .filter((s) => s.spec.invoker?.kind === 'BackupConfiguration' && s.spec.invoker.name === invokerName)
      .filter((s) => s.status?.phase && (finalBackupPhases as readonly string[]).includes(s.status.phase))
      .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    const extra = done.slice(Math.max(0, limit));
    for (const s of extra) await deleteObject(kube, 'BackupSession', namespace, s.metadata.name);
    return extra.length;
  }

  /** Stash's retried/nextRetry on a BackupSession: what a person sees between two attempts. */
  async function markSessionRetry(kind: SessionKind, ref: SessionRef, nextRetry: string): Promise<void> {
    if (kind === 'BackupSession') await patchStatus(kube, kind, ref.namespace, ref.name, { retried: true, nextRetry });
  }

  return {
    markSessionRetry,
    beginSession,
    planSession,
    setSessionDeadline,
    setSessionConditions,
    finishSession,
    ensureInterimVolume,
    cleanBackupHistory,
  };
}
