// One BackupSession, start to finish: the steps of Stash's backup as activities a person can follow in the
// Temporal UI. Deterministic: every read and write of the world happens in an activity.
import { ActivityFailure, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SessionPlan } from '../activities/session-plan.js';
import { searchAttributes as sa } from '../api/search-attributes.js';
import type { Condition, HostBackupStats } from '../api/types.js';
import type { ManifestSummary } from '../api/verification.js';
import { manifestOf, verifyBackup } from './backup-verification.js';
import type { SessionRef } from './contracts.js';
import { DEADLINE, now, reporting, runJobAttempts, short, waiting, withDeadline } from './job-attempts.js';
import { bestEffortPush, describeFailure, jobNameFor, metricsCondition, parseHostStats } from './session-steps.js';

export interface SessionResult {
  phase: string;
  attempts?: number;
  snapshot?: string;
  error?: string;
  /** set when the BackupConfiguration opted in to verified backups */
  verified?: boolean;
}

export async function backupSession(ref: SessionRef): Promise<SessionResult> {
  const begin = await short.beginSession('BackupSession', ref);
  if (begin.state === 'gone') return { phase: 'Gone' };
  if (begin.state === 'final') return { phase: begin.phase };
  upsertSearchAttributes([{ key: sa.phase, value: 'Running' }]);

  let plan: SessionPlan;
  try {
    plan = await short.planSession('BackupSession', ref);
  } catch (err) {
    const f = describeFailure(err);
    await finish(
      ref,
      'Failed',
      [{ type: f.conditionType, status: 'False', reason: f.reason, message: f.message }],
      [],
      undefined,
    );
    await short.recordSessionEvent('BackupSession', ref, 'Warning', 'BackupSessionFailed', f.message);
    await pushMetricsOf(ref);
    return { phase: 'Failed', error: f.message };
  }
  upsertSearchAttributes([
    { key: sa.target, value: `${plan.target.kind}/${plan.target.namespace ?? ref.namespace}/${plan.target.name}` },
    { key: sa.repository, value: plan.repository.name },
    { key: sa.invokerKind, value: plan.invoker.kind },
    { key: sa.invokerName, value: plan.invoker.name },
  ]);

  if (plan.timeOutSeconds) {
    await short.setSessionDeadline('BackupSession', ref, new Date(Date.now() + plan.timeOutSeconds * 1000).toISOString());
  }
  let reported: ManifestSummary | undefined; // the dump's manifest summary, for a verification
  const outcome = await withDeadline(plan.timeOutSeconds, () =>
    runJobAttempts<HostBackupStats>({
      kind: 'BackupSession',
      ref,
      plan,
      attempts: 1 + plan.maxRetry,
      labels: jobLabels(ref, plan),
      parse: (message, hostname) => {
        reported = manifestOf(message);
        return parseHostStats(message, hostname);
      },
      retryReason: 'BackupAttemptFailed',
      beforeRetry: (delayMs) => short.markSessionRetry('BackupSession', ref, new Date(Date.now() + delayMs).toISOString()),
    }),
  );

  if (outcome.error) {
    const timedOut = outcome.error === DEADLINE;
    const message = timedOut ? `backup did not complete within spec.timeOut (${plan.timeOutSeconds}s)` : outcome.error;
    const conditions: Condition[] = timedOut
      ? [{ type: 'DeadlineExceeded', status: 'True', reason: 'FailedToCompleteWithinDeadline', message }]
      : [{ type: 'BackupCompleted', status: 'False', reason: 'BackupJobFailed', message }];
    const stats = outcome.stats.length ? outcome.stats : [{ hostname: plan.hostname, phase: 'Failed' as const, error: message }];
    await finish(ref, 'Failed', conditions, stats, plan);
    await short.recordSessionEvent('BackupSession', ref, 'Warning', 'BackupSessionFailed', message);
    await pushMetricsOf(ref);
    return { phase: 'Failed', attempts: outcome.attempts, error: message };
  }

  // post-backup actions, as Stash names them: ApplyRetentionPolicy, VerifyRepositoryIntegrity, SendRepositoryMetrics
  const conditions: Condition[] = [
    { type: 'BackendRepositoryInitialized', status: 'True', reason: 'BackendRepositoryFound', message: 'repository ready' },
  ];
  const maintenance = await runMaintenanceJob(ref, plan);
  if (maintenance.ok) {
    conditions.push({
      type: 'RetentionPolicyApplied',
      status: 'True',
      reason: 'SuccessfullyAppliedRetentionPolicy',
      message:
        `${maintenance.result.removed} snapshot(s) ${plan.retention?.dryRun ? 'would be ' : ''}removed by policy ${plan.retention?.name ?? ''}`.trim(),
    });
    await short.updateRepositoryStatus(plan.repository, { ...maintenance.result, lastBackupTime: now() });
    const repoPushed = await bestEffortPush(reporting.pushRepositoryMetrics(ref, plan.repository));
    conditions.push(
      repoPushed.pushed
        ? {
            type: 'RepositoryMetricsPushed',
            status: 'True',
            reason: 'SuccessfullyPushedRepositoryMetrics',
            message: `pushed to job ${repoPushed.job}`,
          }
        : {
            type: 'RepositoryMetricsPushed',
            status: 'False',
            reason: 'FailedToPushRepositoryMetrics',
            message: repoPushed.reason,
          },
    );
  } else {
    conditions.push({
      type: 'RetentionPolicyApplied',
      status: 'False',
      reason: 'FailedToApplyRetentionPolicy',
      message: maintenance.error,
    });
  }
  await finish(ref, 'Succeeded', conditions, outcome.stats, plan);
  await short.recordSessionEvent(
    'BackupSession',
    ref,
    'Normal',
    'BackupSessionSucceeded',
    `backup of ${plan.target.kind}/${plan.target.name} succeeded`,
  );
  await pushMetricsOf(ref);
  const snapshot = outcome.stats[0]?.snapshots?.[0]?.name;
  let verified: boolean | undefined;
  // opt-in (stashflow.dev/verify-backup); the patch keeps histories recorded before verification replayable
  if (plan.verifyBackup && patched('verify-backup')) {
    const labels = { ...jobLabels(ref, plan), 'stashflow.dev/step': 'verify' };
    verified = (await verifyBackup(ref, plan, snapshot, reported, labels)).verified;
  }
  await short.cleanBackupHistory(ref.namespace, plan.invoker.name, plan.backupHistoryLimit);
  return { phase: 'Succeeded', attempts: outcome.attempts, snapshot, ...(verified === undefined ? {} : { verified }) };
}

async function runMaintenanceJob(ref: SessionRef, plan: SessionPlan) {
  const name = jobNameFor('maintenance', ref, 1);
  try {
    const result = await waiting.runRepositoryMaintenance({ ref, name, plan });
    return { ok: true as const, result };
  } catch (err) {
    return { ok: false as const, error: err instanceof ActivityFailure && err.cause ? err.cause.message : String(err) };
  }
}

function jobLabels(ref: SessionRef, plan: SessionPlan): Record<string, string> {
  return {
    'stash.appscode.com/invoker-type': plan.invoker.kind,
    'stash.appscode.com/invoker-name': plan.invoker.name,
    'stashflow.dev/session': ref.name,
    'stashflow.dev/workflow-id': workflowInfo()
      .workflowId.replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 63)
      .replace(/[^A-Za-z0-9]+$/, ''),
  };
}

async function finish(
  ref: SessionRef,
  phase: 'Succeeded' | 'Failed',
  conditions: Condition[],
  stats: HostBackupStats[],
  plan: SessionPlan | undefined,
) {
  await short.finishSession({
    kind: 'BackupSession',
    ref,
    phase,
    conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now() })),
    backupStats: stats,
    target: plan?.target,
  });
  upsertSearchAttributes([{ key: sa.phase, value: phase }]);
}

/** Pushes Stash's session metrics and records the outcome as the MetricsPushed condition. */
async function pushMetricsOf(ref: SessionRef): Promise<void> {
  const pushed = await bestEffortPush(reporting.pushBackupMetrics(ref));
  await short.setSessionConditions('BackupSession', ref, [metricsCondition(pushed, now())]);
}
