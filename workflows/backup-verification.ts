// Verified backups (opt-in, api/verification.ts): after a successful backup, a Job of our image restores the snapshot
// into scratch indices and compares it with the dump's manifest; the outcome becomes the BackupVerified condition,
// an Event and the stashflow_backup_verified metric. A failed verification leaves the phase Succeeded (the snapshot
// exists) but is loud: condition False, a Warning Event, metric 0. Workflow code: deterministic, I/O in activities.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { V1Container } from '@kubernetes/client-node';
import type { SessionPlan } from '../activities/session-plan.js';
import { jobName } from '../api/names.js';
import type { FunctionResult } from '../api/results.js';
import { BACKUP_VERIFIED_CONDITION, type ManifestSummary, type VerifyOutcome } from '../api/verification.js';
import type { Condition } from '../api/types.js';
import type { SessionRef } from './contracts.js';
import { now, reporting, short, waiting } from './job-attempts.js';
import { bestEffortPush, ownerOf } from './session-steps.js';

export const verifyJobName = (ref: SessionRef): string => jobName('stash-verify', ref.name, 1);

/** The backup's manifest summary from its termination message (undefined for a function that reports none). */
export function manifestOf(message: string | undefined): ManifestSummary | undefined {
  try {
    const m = (JSON.parse(message ?? '') as FunctionResult).manifest;
    return m && typeof m.checksum === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The verify Job's pod: our image with the backup container's env (backend + AppBinding target, by reference only),
 * mounts and volumes, working in the interim volume when the backup had one (a snapshot may not fit in tmp).
 */
export function verifyPod(plan: SessionPlan, ref: SessionRef, snapshot: string, reported: ManifestSummary | undefined) {
  const main = plan.pod.containers.at(-1) as V1Container;
  const mounts = main.volumeMounts ?? [];
  const base =
    mounts.find((m) => m.name === 'stash-interim-volume')?.mountPath ??
    mounts.find((m) => m.name === 'tmp-dir')?.mountPath ??
    '/tmp';
  const container: V1Container = {
    name: 'verify',
    image: plan.image,
    args: [
      'function',
      'elasticsearch',
      'verify-es',
      `--interim-data-dir=${base}/verify`,
      `--snapshot=${snapshot}`,
      `--verify-id=${ref.uid.replace(/-/g, '').slice(0, 8)}`,
      ...(reported ? [`--reported=${reported.indices}:${reported.docs}:${reported.checksum}`] : []),
    ],
    env: main.env,
    envFrom: main.envFrom,
    resources: main.resources,
    volumeMounts: mounts,
  };
  return {
    containers: [container],
    volumes: plan.pod.volumes,
    serviceAccountName: plan.pod.serviceAccountName,
    nodeSelector: plan.pod.nodeSelector,
    securityContext: plan.pod.securityContext,
  };
}

export interface Verdict {
  verified: boolean;
  reason: string;
  message: string;
}

/** The condition's reason and message: mismatching indices by name, or why no comparison happened. */
export function verdictOf(job: { succeeded: boolean; terminationMessage?: string; reason?: string }): Verdict {
  let r: FunctionResult | undefined;
  try {
    r = JSON.parse(job.terminationMessage ?? '') as FunctionResult;
  } catch {
    r = undefined;
  }
  const v: VerifyOutcome | undefined = r?.verify;
  if (!v || (!v.indices.length && v.error)) {
    const why = v?.error ?? r?.error ?? job.terminationMessage?.slice(-500) ?? job.reason ?? 'no result';
    return { verified: false, reason: 'VerificationFailed', message: `could not verify the backup: ${why}` };
  }
  const bad = v.indices.filter((i) => !i.ok);
  const checked = v.indices.length + (v.omitted ?? 0);
  if (v.verified && !bad.length)
    return {
      verified: true,
      reason: 'SnapshotMatchesSource',
      message:
        `snapshot ${v.snapshot ?? ''} restored into scratch indices: ${checked} indices, documents and checksums match`.replace(
          / {2}/,
          ' ',
        ),
    };
  const named = bad.map((i) => `${i.index}: ${i.reason ?? 'mismatch'}`).join('; ');
  const parts = [v.error, named, v.omitted ? `(${v.omitted} more indices not listed)` : ''].filter(Boolean);
  return {
    verified: false,
    reason: 'SnapshotMismatch',
    message: `snapshot ${v.snapshot ?? ''} does not match what was dumped: ${parts.join('; ')}`
      .replace(/ {2}/, ' ')
      .slice(0, 2000),
  };
}

export function verifiedCondition(v: Verdict, at: string): Condition {
  return {
    type: BACKUP_VERIFIED_CONDITION,
    status: v.verified ? 'True' : 'False',
    reason: v.reason,
    message: v.message,
    lastTransitionTime: at,
  };
}

/** Runs the verify Job and records its verdict (condition, Event, metric). Never throws but for cancellation. */
export async function verifyBackup(
  ref: SessionRef,
  plan: SessionPlan,
  snapshot: string | undefined,
  reported: ManifestSummary | undefined,
  labels: Record<string, string>,
): Promise<Verdict> {
  const name = verifyJobName(ref);
  let verdict: Verdict;
  if (!snapshot) {
    verdict = { verified: false, reason: 'VerificationFailed', message: 'the backup reported no snapshot to verify' };
  } else if (!reported) {
    // only our Elasticsearch function writes a manifest to compare with (a PVC or another function's backup has none)
    verdict = {
      verified: false,
      reason: 'VerificationUnsupported',
      message: "the backup function reported no dump manifest: verified backups need Stashflow's Elasticsearch function",
    };
  } else {
    try {
      const pod = verifyPod(plan, ref, snapshot, reported);
      await short.ensureJob({ namespace: ref.namespace, name, owner: ownerOf('BackupSession', ref), labels, pod });
      verdict = verdictOf(await waiting.awaitJob({ namespace: ref.namespace, name }));
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => short.deleteJob({ namespace: ref.namespace, name }));
        throw err;
      }
      const cause = (err as { cause?: Error }).cause ?? (err as Error);
      verdict = { verified: false, reason: 'VerificationFailed', message: `verify Job ${name}: ${cause.message}` };
    }
  }
  await short.setSessionConditions('BackupSession', ref, [verifiedCondition(verdict, now())]);
  await short.recordSessionEvent(
    'BackupSession',
    ref,
    verdict.verified ? 'Normal' : 'Warning',
    verdict.verified ? 'BackupVerified' : 'BackupVerificationFailed',
    verdict.message,
  );
  await bestEffortPush(reporting.pushBackupVerifiedMetric(ref, verdict.verified));
  return verdict;
}
