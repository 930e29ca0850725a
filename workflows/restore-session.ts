// One RestoreSession, start to finish: plan, restore Job (retried by the workflow with backoff; the function skips
// what an earlier attempt already restored), status, Events, metrics. Deterministic; all I/O in activities.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SessionPlan } from '../activities/session-plan.js';
import { searchAttributes as sa } from '../api/search-attributes.js';
import type { Condition, HostRestoreStats } from '../api/types.js';
import type { SessionResult } from './backup-session.js';
import type { SessionRef } from './contracts.js';
import { bestEffortPush, describeFailure, metricsCondition, jobNameFor, ownerOf, parseRestoreStats } from './session-steps.js';

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

/** A restore is worth retrying even when nobody configured it: the function resumes where it stopped. */
const DEFAULT_RESTORE_ATTEMPTS = 3;
const now = () => new Date(Date.now()).toISOString();

export async function restoreSession(ref: SessionRef): Promise<SessionResult> {
  const begin = await short.beginSession('RestoreSession', ref);
  if (begin.state === 'gone') return { phase: 'Gone' };
  if (begin.state === 'final') return { phase: begin.phase };
  upsertSearchAttributes([{ key: sa.phase, value: 'Running' }]);

  let plan: SessionPlan;
  try {
    plan = await short.planSession('RestoreSession', ref);
  } catch (err) {
    const f = describeFailure(err);
    const phase = f.conditionType === 'ValidationPassed' ? 'Invalid' : 'Failed';
    await finish(ref, phase, [{ type: f.conditionType, status: 'False', reason: f.reason, message: f.message }], []);
    await short.recordSessionEvent('RestoreSession', ref, 'Warning', 'RestoreSessionFailed', f.message);
    await pushMetricsOf(ref);
    return { phase, error: f.message };
  }
  upsertSearchAttributes([
    { key: sa.target, value: `${plan.target.kind}/${plan.target.namespace ?? ref.namespace}/${plan.target.name}` },
    { key: sa.repository, value: plan.repository.name },
    { key: sa.invokerKind, value: 'RestoreSession' },
    { key: sa.invokerName, value: ref.name },
  ]);
  if (plan.timeOutSeconds)
    await short.setSessionDeadline('RestoreSession', ref, new Date(Date.now() + plan.timeOutSeconds * 1000).toISOString());

  const scope = new CancellationScope();
  const work = scope.run(() => runRestoreJob(ref, plan));
  const timer = plan.timeOutSeconds
    ? sleep(plan.timeOutSeconds * 1000).then(() => 'deadline' as const)
    : new Promise<never>(() => undefined);
  const first = await Promise.race([work, timer]);

  if (first === 'deadline') {
    scope.cancel();
    await work.catch(() => undefined);
    const message = `restore did not complete within spec.timeOut (${plan.timeOutSeconds}s)`;
    await finish(
      ref,
      'Failed',
      [{ type: 'DeadlineExceeded', status: 'True', reason: 'FailedToCompleteWithinDeadline', message }],
      [{ hostname: plan.hostname, phase: 'Failed', error: message }],
    );
    await short.recordSessionEvent('RestoreSession', ref, 'Warning', 'RestoreSessionFailed', message);
    await pushMetricsOf(ref);
    return { phase: 'Failed', error: message };
  }
  const outcome = first;

  const ok = !outcome.error;
  const message = ok ? `restore of ${plan.target.kind}/${plan.target.name} succeeded` : outcome.error!;
  await finish(
    ref,
    ok ? 'Succeeded' : 'Failed',
    [
      {
        type: 'RestoreCompleted',
        status: ok ? 'True' : 'False',
        reason: ok ? 'PostRestoreTasksExecuted' : 'RestoreJobFailed',
        message,
      },
    ],
    outcome.stats,
  );
  await short.recordSessionEvent(
    'RestoreSession',
    ref,
    ok ? 'Normal' : 'Warning',
    ok ? 'RestoreSessionSucceeded' : 'RestoreSessionFailed',
    message,
  );
  await pushMetricsOf(ref);
  return { phase: ok ? 'Succeeded' : 'Failed', attempts: outcome.attempts, error: outcome.error };
}

async function runRestoreJob(
  ref: SessionRef,
  plan: SessionPlan,
): Promise<{ stats: HostRestoreStats[]; attempts: number; error?: string }> {
  if (plan.interimClaim) await short.ensureInterimVolume(ref, 'RestoreSession', plan.interimClaim);
  const attempts = Math.max(1 + plan.maxRetry, DEFAULT_RESTORE_ATTEMPTS);
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const name = jobNameFor('restore', ref, attempt);
    try {
      await short.ensureJob({
        namespace: ref.namespace,
        name,
        owner: ownerOf('RestoreSession', ref),
        labels: { 'stash.appscode.com/invoker-type': 'RestoreSession', 'stash.appscode.com/invoker-name': ref.name },
        pod: plan.pod,
      });
      const job = await waiting.awaitJob({ namespace: ref.namespace, name });
      const stats = parseRestoreStats(job.terminationMessage, plan.hostname);
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
        'RestoreSession',
        ref,
        'Warning',
        'RestoreAttemptFailed',
        `attempt ${attempt}/${attempts}: ${lastError}; retrying`,
      );
      await sleep(plan.retryDelaySeconds * 1000 * 2 ** (attempt - 1));
    }
  }
  return { stats: [{ hostname: plan.hostname, phase: 'Failed', error: lastError }], attempts, error: lastError };
}

async function finish(
  ref: SessionRef,
  phase: 'Succeeded' | 'Failed' | 'Invalid',
  conditions: Condition[],
  stats: HostRestoreStats[],
) {
  await short.finishSession({
    kind: 'RestoreSession',
    ref,
    phase,
    conditions: conditions.map((c) => ({ ...c, lastTransitionTime: now() })),
    restoreStats: stats,
  });
  upsertSearchAttributes([{ key: sa.phase, value: phase }]);
}

/** Pushes Stash's session metrics and records the outcome as the MetricsPushed condition. */
async function pushMetricsOf(ref: SessionRef): Promise<void> {
  const pushed = await bestEffortPush(reporting.pushRestoreMetrics(ref));
  await short.setSessionConditions('RestoreSession', ref, [metricsCondition(pushed, now())]);
}
