// Pure helpers of the session workflows (deterministic: no I/O, no clock).
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { jobName } from '../api/names.js';
import type { FunctionResult } from '../api/results.js';
import type { HostBackupStats, HostRestoreStats, OwnerReference } from '../api/types.js';
import type { SessionRef } from './contracts.js';

export const jobNameFor = (purpose: 'backup' | 'restore' | 'maintenance', ref: SessionRef, attempt: number): string =>
  jobName(`stash-${purpose}`, ref.name, attempt);

export const ownerOf = (kind: 'BackupSession' | 'RestoreSession', ref: SessionRef): OwnerReference => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind,
  name: ref.name,
  uid: ref.uid,
});

/** The condition a failed planning step sets: from the activity's InvalidInput details, else a generic one. */
export function describeFailure(err: unknown): { conditionType: string; reason: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const d = (cause.details?.[0] ?? {}) as { conditionType?: string; reason?: string };
    return {
      conditionType: d.conditionType ?? 'ValidationPassed',
      reason: d.reason ?? 'ResourceValidationFailed',
      message: cause.message,
    };
  }
  return {
    conditionType: 'ValidationPassed',
    reason: 'ResourceValidationFailed',
    message: cause instanceof Error ? cause.message : String(cause),
  };
}

function parseResult(message: string | undefined): (FunctionResult & Record<string, unknown>) | undefined {
  if (!message) return undefined;
  try {
    const v = JSON.parse(message) as unknown;
    return v && typeof v === 'object' ? (v as FunctionResult & Record<string, unknown>) : undefined;
  } catch {
    return undefined; // FallbackToLogsOnError: the log tail, not JSON
  }
}

/** A backup function's host stats from its termination message; a non-JSON message is the error text. */
export function parseHostStats(message: string | undefined, hostname: string): HostBackupStats {
  const r = parseResult(message);
  if (!r) return message ? { hostname, phase: 'Failed', error: message.slice(-1024) } : { hostname, phase: 'Succeeded' };
  const stats: HostBackupStats = r.backup ?? (r as HostBackupStats);
  return {
    hostname: stats.hostname ?? hostname,
    phase: r.phase ?? stats.phase ?? (r.error ? 'Failed' : 'Succeeded'),
    snapshots: stats.snapshots,
    duration: stats.duration,
    error: r.error ?? stats.error,
  };
}

export function parseRestoreStats(message: string | undefined, hostname: string): HostRestoreStats {
  const r = parseResult(message);
  if (!r) return message ? { hostname, phase: 'Failed', error: message.slice(-1024) } : { hostname, phase: 'Succeeded' };
  const stats: HostRestoreStats = r.restore ?? (r as HostRestoreStats);
  return {
    hostname: stats.hostname ?? hostname,
    phase: r.phase ?? (stats.phase as HostRestoreStats['phase']) ?? (r.error ? 'Failed' : 'Succeeded'),
    duration: stats.duration,
    error: r.error ?? stats.error,
  };
}

export type Pushed = { pushed: true; job: string } | { pushed: false; reason: string };

/** Metrics are best effort: a Pushgateway outage is recorded as a condition, never fails a finished session. */
export async function bestEffortPush(
  push: Promise<Pushed | { pushed: false; reason: string } | { pushed: true; job: string; families: number }>,
): Promise<Pushed> {
  try {
    return await push;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    return { pushed: false, reason: cause instanceof Error ? cause.message : String(cause) };
  }
}

export function metricsCondition(p: Pushed, at: string) {
  return p.pushed
    ? {
        type: 'MetricsPushed',
        status: 'True' as const,
        reason: 'SuccessfullyPushedMetrics',
        message: `pushed to job ${p.job}`,
        lastTransitionTime: at,
      }
    : {
        type: 'MetricsPushed',
        status: 'False' as const,
        reason: 'FailedToPushMetrics',
        message: p.reason,
        lastTransitionTime: at,
      };
}
