// One RestoreSession, start to finish: plan, restore Job (retried by the workflow with backoff; the function skips
// what an earlier attempt already restored), status, Events, metrics. Deterministic; all I/O in activities.
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { SessionPlan } from '../activities/session-plan.js';
import { searchAttributes as sa } from '../api/search-attributes.js';
import type { Condition, HostRestoreStats } from '../api/types.js';
import type { SessionResult } from './backup-session.js';
import type { SessionRef } from './contracts.js';
import { DEADLINE, now, reporting, runJobAttempts, short, withDeadline } from './job-attempts.js';
import { bestEffortPush, describeFailure, metricsCondition, parseRestoreStats } from './session-steps.js';

/** A restore is worth retrying even when nobody configured it: the function resumes where it stopped. */
const DEFAULT_RESTORE_ATTEMPTS = 3;

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

  const outcome = await withDeadline(plan.timeOutSeconds, () =>
    runJobAttempts<HostRestoreStats>({
      kind: 'RestoreSession',
      ref,
      plan,
      attempts: Math.max(1 + plan.maxRetry, DEFAULT_RESTORE_ATTEMPTS),
      labels: {
        'stash.appscode.com/invoker-type': 'RestoreSession',
        'stash.appscode.com/invoker-name': ref.name,
        'stashflow.dev/session': ref.name,
      },
      parse: parseRestoreStats,
      retryReason: 'RestoreAttemptFailed',
    }),
  );
  if (outcome.error === DEADLINE) {
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
