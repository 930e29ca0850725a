// The worker's own series (stashflow_worker_*), counted where the work happens (activities run in the worker):
// every activity's duration and outcome, how long each Job took from creation to finish, sessions finished by
// phase, and the bytes/documents our functions report moving (throughput). Also one JSON log line per failed
// activity carrying the session reference and the workflow id.
import { Context } from '@temporalio/activity';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { KubeClients } from './kube.js';
import type { Logger } from './log.js';
import { parseSize } from './stash-format.js';

export const workerMetricNames = {
  activityDuration: 'stashflow_worker_activity_duration_seconds',
  jobWait: 'stashflow_worker_job_wait_seconds',
  sessionsFinished: 'stashflow_worker_sessions_finished_total',
  bytes: 'stashflow_worker_transferred_bytes_total',
  docs: 'stashflow_worker_transferred_docs_total',
  bytesPerSecond: 'stashflow_worker_last_throughput_bytes_per_second',
  docsPerSecond: 'stashflow_worker_last_throughput_docs_per_second',
} as const;

/** One finished Job, as awaitJob saw it. */
export interface FinishedJob {
  name: string;
  succeeded: boolean;
  /** seconds from the Job's creation to its Complete/Failed condition */
  waitSeconds: number;
  terminationMessage?: string;
}

export interface WorkerMetricsSink {
  activityFinished(activity: string, seconds: number, ok: boolean): void;
  jobFinished(job: FinishedJob): void;
  sessionFinished(kind: string, phase: string): void;
}

/** Job kind (label value) from its name: stash-backup-…, stash-restore-…, stash-maintenance-… (workflows/session-steps). */
export function jobKind(name: string): string {
  return /^stash-(backup|restore|maintenance)-/.exec(name)?.[1] ?? 'other';
}

export interface Transfer {
  bytes?: number;
  docs?: number;
  /** the function's own duration when it reports one, else undefined (the Job's wait time is used) */
  seconds?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * What a function's result (api/results.ts FunctionResult in the termination message) says it moved: the
 * Elasticsearch functions report details.{docs, bytes, durationMs}; the dir function reports restic snapshots whose
 * totalSize is Stash's size string. Anything else (a log tail, a truncated message) moved nothing we can count.
 */
export function transferOf(message: string | undefined): Transfer {
  if (!message) return {};
  let r: unknown;
  try {
    r = JSON.parse(message);
  } catch {
    return {};
  }
  if (!r || typeof r !== 'object') return {};
  const result = r as { details?: Record<string, unknown>; backup?: { snapshots?: Array<{ totalSize?: string }> } };
  const d = result.details ?? {};
  let bytes = num(d.bytes);
  if (bytes === undefined && result.backup?.snapshots?.length) {
    const sizes = result.backup.snapshots.map((s) => (s.totalSize ? parseSize(s.totalSize) : NaN));
    if (sizes.every((s) => Number.isFinite(s))) bytes = sizes.reduce((a, b) => a + b, 0);
  }
  const ms = num(d.durationMs);
  return { bytes, docs: num(d.docs), seconds: ms === undefined ? undefined : ms / 1000 };
}

export function createWorkerMetrics(registry: Registry): WorkerMetricsSink {
  const activity = new Histogram({
    name: workerMetricNames.activityDuration,
    help: 'Activity executions in this worker, by activity type and outcome (ok|error)',
    labelNames: ['activity', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  const jobWait = new Histogram({
    name: workerMetricNames.jobWait,
    help: "Time from a Job's creation to its Complete/Failed condition, by Job kind (backup|restore|maintenance) and outcome",
    labelNames: ['kind', 'outcome'],
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [registry],
  });
  const sessions = new Counter({
    name: workerMetricNames.sessionsFinished,
    help: 'Sessions this worker gave a final phase, by kind (BackupSession|RestoreSession) and phase',
    labelNames: ['kind', 'phase'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: workerMetricNames.bytes,
    help: 'Bytes our functions reported moving in finished Jobs, by Job kind (rate() = throughput)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const docs = new Counter({
    name: workerMetricNames.docs,
    help: 'Documents our functions reported moving in finished Jobs, by Job kind (rate() = throughput)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const bps = new Gauge({
    name: workerMetricNames.bytesPerSecond,
    help: "Bytes per second of the last successful Job of a kind (the function's reported bytes over its duration)",
    labelNames: ['kind'],
    registers: [registry],
  });
  const dps = new Gauge({
    name: workerMetricNames.docsPerSecond,
    help: "Documents per second of the last successful Job of a kind (the function's reported docs over its duration)",
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    activityFinished: (name, seconds, ok) => activity.observe({ activity: name, outcome: ok ? 'ok' : 'error' }, seconds),
    jobFinished(job) {
      const kind = jobKind(job.name);
      jobWait.observe({ kind, outcome: job.succeeded ? 'succeeded' : 'failed' }, job.waitSeconds);
      if (!job.succeeded) return;
      const t = transferOf(job.terminationMessage);
      const seconds = t.seconds && t.seconds > 0 ? t.seconds : job.waitSeconds;
      if (t.bytes !== undefined) {
        bytes.inc({ kind }, t.bytes);
        if (seconds > 0) bps.set({ kind }, t.bytes / seconds);
      }
      if (t.docs !== undefined) {
        docs.inc({ kind }, t.docs);
        if (seconds > 0) dps.set({ kind }, t.docs / seconds);
      }
    },
    sessionFinished: (kind, phase) => sessions.inc({ kind, phase }),
  };
}

// ---- activity instrumentation ----

/** Reads a finished Job's creation and completion times (seconds between them), undefined when unknown. */
export type JobWaitReader = (namespace: string, name: string) => Promise<number | undefined>;

/** The Job's own timestamps (creation → Complete/Failed condition), not when awaitJob happened to poll it. */
export function jobWaitFromKube(kube: KubeClients): JobWaitReader {
  return async (namespace, name) => {
    const job = await kube.batch.readNamespacedJobStatus({ namespace, name });
    const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const created = job.metadata?.creationTimestamp;
    const finished = done?.lastTransitionTime ?? job.status?.completionTime;
    if (!created || !finished) return undefined;
    return Math.max(0, (new Date(finished).getTime() - new Date(created).getTime()) / 1000);
  };
}

interface SessionArgs {
  kind?: string;
  namespace?: string;
  name?: string;
}

/** The session an activity works on, from its arguments (kind strings, SessionRef, FinishInput, Job refs). */
export function sessionOf(args: unknown[]): SessionArgs {
  const out: SessionArgs = {};
  for (const a of args) {
    if (a === 'BackupSession' || a === 'RestoreSession') out.kind ??= a;
    else if (a && typeof a === 'object') {
      const o = a as { kind?: unknown; ref?: unknown; namespace?: unknown; name?: unknown };
      if ((o.kind === 'BackupSession' || o.kind === 'RestoreSession') && !out.kind) out.kind = o.kind;
      const ref = (o.ref && typeof o.ref === 'object' ? o.ref : o) as { namespace?: unknown; name?: unknown };
      if (typeof ref.namespace === 'string' && !out.namespace) out.namespace = ref.namespace;
      if (typeof ref.name === 'string' && !out.name) out.name = ref.name;
    }
  }
  return out;
}

type AnyFn = (...args: never[]) => Promise<unknown>;

/**
 * Wraps every activity: its duration/outcome into the sink, a failure logged with {namespace, name, kind,
 * workflowId, activity}; awaitJob also reports the finished Job (wait time, function result), finishSession the
 * session's final phase. Activities keep their signatures, so the workflows' proxies do not change.
 */
export function instrumentActivities<T extends Record<string, AnyFn>>(
  activities: T,
  sink: WorkerMetricsSink,
  opts: { log?: Logger; jobWait?: JobWaitReader } = {},
): T {
  const out: Record<string, AnyFn> = {};
  for (const [activityName, fn] of Object.entries(activities)) {
    out[activityName] = async (...args: never[]) => {
      const t0 = performance.now();
      try {
        const result = await fn(...args);
        sink.activityFinished(activityName, (performance.now() - t0) / 1000, true);
        await afterSuccess(activityName, args, result, sink, opts);
        return result;
      } catch (err) {
        sink.activityFinished(activityName, (performance.now() - t0) / 1000, false);
        logFailure(opts.log, activityName, args, err);
        throw err;
      }
    };
  }
  return out as T;
}

async function afterSuccess(
  activityName: string,
  args: unknown[],
  result: unknown,
  sink: WorkerMetricsSink,
  opts: { log?: Logger; jobWait?: JobWaitReader },
): Promise<void> {
  if (activityName === 'awaitJob') {
    const ref = args[0] as { namespace: string; name: string };
    const outcome = result as { succeeded: boolean; terminationMessage?: string };
    // metrics never fail the activity: an unreadable Job is reported with the time we know nothing about as 0 s
    const wait = opts.jobWait ? await opts.jobWait(ref.namespace, ref.name).catch(() => undefined) : undefined;
    const job = { name: ref.name, succeeded: outcome.succeeded, waitSeconds: wait ?? 0 };
    sink.jobFinished({ ...job, terminationMessage: outcome.terminationMessage });
    opts.log?.info(
      { ...activityFields(activityName, args), job: job.name, succeeded: job.succeeded, waitSeconds: wait },
      'job finished',
    );
  } else if (activityName === 'finishSession' && result !== undefined) {
    const input = args[0] as { kind: string; phase: string };
    sink.sessionFinished(input.kind, input.phase);
    opts.log?.info({ ...activityFields(activityName, args), phase: input.phase }, 'session finished');
  }
}

/** The object a workflow runs for, from its id (workflows/contracts.ts): session workflows and schedule firings. */
export function objectOfWorkflowId(workflowId: string | undefined): SessionArgs | undefined {
  const m = /^(backupsession|restoresession|createbackupsession):([^/]+)\/([^:]+)/.exec(workflowId ?? '');
  if (!m) return undefined;
  const kind = { backupsession: 'BackupSession', restoresession: 'RestoreSession', createbackupsession: 'BackupConfiguration' }[
    m[1] as 'backupsession'
  ];
  return { kind, namespace: m[2], name: m[3] };
}

/** {namespace, name, kind, workflowId, activity, attempt} of the running activity. */
function activityFields(activityName: string, args: unknown[]): Record<string, unknown> {
  let workflowId: string | undefined;
  let attempt: number | undefined;
  try {
    const info = Context.current().info;
    workflowId = info.workflowExecution?.workflowId;
    attempt = info.attempt;
  } catch {
    // called outside an activity (unit tests): no workflow to name
  }
  // the workflow id names the session; Job activities' own {namespace, name} name the Job instead
  return { ...sessionOf(args), ...objectOfWorkflowId(workflowId), workflowId, activity: activityName, attempt };
}

function logFailure(log: Logger | undefined, activityName: string, args: unknown[], err: unknown): void {
  // the error message only: activities build their messages without secrets (lib/log.ts redacts known fields too)
  log?.warn({ ...activityFields(activityName, args), err: err instanceof Error ? err.message : String(err) }, 'activity failed');
}
