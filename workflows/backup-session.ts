// One BackupSession, start to finish: the steps of Stash's backup as activities a person can follow in the
// Temporal UI. Deterministic: every read and write of the world happens in an activity.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SessionPlan } from '../activities/session-plan.js';
import { searchAttributes as sa } from '../api/search-attributes.js';
import type { Condition, HostBackupStats } from '../api/types.js';
import type { SessionRef } from './contracts.js';
import { bestEffortPush, describeFailure, metricsCondition, jobNameFor, ownerOf, parseHostStats } from './session-steps.js';

const short = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
const reporting = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });
const waiting = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
});

export interface SessionResult {
  phase: string;
  attempts?: number;
  snapshot?: string;
  error?: string;
}

const now = () => new Date(Date.now()).toISOString(); // workflow time: deterministic on replay

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

  let outcome: { stats: HostBackupStats[]; attempts: number; error?: string };
  if (plan.timeOutSeconds) {
    const deadline = new Date(Date.now() + plan.timeOutSeconds * 1000).toISOString();
    await short.setSessionDeadline('BackupSession', ref, deadline);
    outcome = await withDeadline(plan.timeOutSeconds, () => runBackupJob(ref, plan));
  } else {
    outcome = await runBackupJob(ref, plan);
  }

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
  await short.cleanBackupHistory(ref.namespace, plan.invoker.name, plan.backupHistoryLimit);
  return { phase: 'Succeeded', attempts: outcome.attempts, snapshot: outcome.stats[0]?.snapshots?.[0]?.name };
}

const DEADLINE = 'DeadlineExceeded';

/** Runs fn; when the deadline passes first, cancels it (its activities stop, its Job is deleted) and reports DEADLINE. */
async function withDeadline<T extends { error?: string; stats: HostBackupStats[]; attempts: number }>(
  seconds: number,
  fn: () => Promise<T>,
): Promise<T> {
  const scope = new CancellationScope();
  const work = scope.run(fn);
  const timer = sleep(seconds * 1000).then(() => 'deadline' as const);
  const first = await Promise.race([work, timer]);
  if (first !== 'deadline') return first;
  scope.cancel();
  await work.catch(() => undefined);
  return { error: DEADLINE, stats: [], attempts: 0 } as unknown as T;
}

/** The backup Job, retried by the workflow (not by Kubernetes) so every attempt is a step with its own record. */
async function runBackupJob(
  ref: SessionRef,
  plan: SessionPlan,
): Promise<{ stats: HostBackupStats[]; attempts: number; error?: string }> {
  if (plan.interimClaim) await short.ensureInterimVolume(ref, 'BackupSession', plan.interimClaim);
  const attempts = 1 + plan.maxRetry;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const name = jobNameFor('backup', ref, attempt);
    try {
      await short.ensureJob({
        namespace: ref.namespace,
        name,
        owner: ownerOf('BackupSession', ref),
        labels: jobLabels(ref, plan),
        pod: plan.pod,
      });
      const job = await waiting.awaitJob({ namespace: ref.namespace, name });
      const stats = parseHostStats(job.terminationMessage, plan.hostname);
      if (job.succeeded && stats.phase !== 'Failed') return { stats: [stats], attempts: attempt };
      lastError = stats.error ?? `Job ${name} failed: ${job.reason ?? 'unknown reason'}`;
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => short.deleteJob({ namespace: ref.namespace, name }));
        throw err;
      }
      lastError = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : String(err);
    }
    if (attempt < attempts) {
      await short.recordSessionEvent(
        'BackupSession',
        ref,
        'Warning',
        'BackupAttemptFailed',
        `attempt ${attempt}/${attempts}: ${lastError}; retrying`,
      );
      await short.markSessionRetry(
        'BackupSession',
        ref,
        new Date(Date.now() + plan.retryDelaySeconds * 1000 * 2 ** (attempt - 1)).toISOString(),
      );
      await sleep(plan.retryDelaySeconds * 1000 * 2 ** (attempt - 1));
    }
  }
  return { stats: [{ hostname: plan.hostname, phase: 'Failed', error: lastError }], attempts, error: lastError };
}

async function runMaintenanceJob(ref: SessionRef, plan: SessionPlan) {
  const name = jobNameFor('maintenance', ref, 1);
  try {
    const result = await short.runRepositoryMaintenance({ ref, name, plan });
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
