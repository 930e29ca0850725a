// What both session workflows share: the activity proxies, the Job retried by the workflow (one Job per attempt,
// so every attempt is a step with its own record), and the session deadline (spec.timeOut).
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { SessionPlan } from '../activities/session-plan.js';
import type { SessionRef } from './contracts.js';
import { jobNameFor, ownerOf } from './session-steps.js';

export const short = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
export const reporting = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });
// awaitJob heartbeats every ~3 s (the worker's throttle); 20 s without one means its worker died (kill -9, node
// loss): the server retries it on another worker then, instead of after a minute (measured in docs/reliability.md).
export const waiting = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
});

export const now = (): string => new Date(Date.now()).toISOString(); // workflow time: deterministic on replay

export interface JobRun<S> {
  stats: S[];
  attempts: number;
  error?: string;
}

export interface AttemptOptions<S extends { phase?: string; error?: string }> {
  kind: 'BackupSession' | 'RestoreSession';
  ref: SessionRef;
  plan: SessionPlan;
  attempts: number;
  labels: Record<string, string>;
  /** the function's result from its termination message */
  parse: (message: string | undefined, hostname: string) => S;
  /** Event reason of a failed attempt that will be retried */
  retryReason: string;
  /** called before waiting delayMs for the next attempt */
  beforeRetry?: (delayMs: number) => Promise<void>;
}

export async function runJobAttempts<S extends { phase?: string; error?: string }>(o: AttemptOptions<S>): Promise<JobRun<S>> {
  const { ref, plan } = o;
  if (plan.interimClaim) await short.ensureInterimVolume(ref, o.kind, plan.interimClaim);
  let lastError = '';
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    const name = jobNameFor(o.kind === 'BackupSession' ? 'backup' : 'restore', ref, attempt);
    try {
      await short.ensureJob({ namespace: ref.namespace, name, owner: ownerOf(o.kind, ref), labels: o.labels, pod: plan.pod });
      const job = await waiting.awaitJob({ namespace: ref.namespace, name });
      const stats = o.parse(job.terminationMessage, plan.hostname);
      if (job.succeeded && stats.phase !== 'Failed') return { stats: [stats], attempts: attempt };
      lastError = stats.error ?? `Job ${name} failed: ${job.reason ?? 'unknown reason'}`;
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => short.deleteJob({ namespace: ref.namespace, name }));
        throw err;
      }
      lastError = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : String(err);
    }
    if (attempt < o.attempts) {
      const delayMs = plan.retryDelaySeconds * 1000 * 2 ** (attempt - 1);
      await short.recordSessionEvent(
        o.kind,
        ref,
        'Warning',
        o.retryReason,
        `attempt ${attempt}/${o.attempts}: ${lastError}; retrying`,
      );
      await o.beforeRetry?.(delayMs);
      await sleep(delayMs);
    }
  }
  return {
    stats: [{ hostname: plan.hostname, phase: 'Failed', error: lastError } as unknown as S],
    attempts: o.attempts,
    error: lastError,
  };
}

export const DEADLINE = 'DeadlineExceeded';

/** Runs fn; when seconds pass first, cancels it (its activities stop, its Job is deleted) and reports DEADLINE. */
export async function withDeadline<T extends { error?: string; attempts: number }>(
  seconds: number | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (!seconds) return fn();
  const scope = new CancellationScope();
  const work = scope.run(fn);
  const first = await Promise.race([work, sleep(seconds * 1000).then(() => DEADLINE)]);
  if (first !== DEADLINE) return first as T;
  scope.cancel();
  await work.catch(() => undefined);
  return { error: DEADLINE, stats: [], attempts: 0 } as unknown as T;
}
