// The watcher's own series (stashflow_watcher_*): session workflows it started, reconcile latency and errors per
// kind (BackupConfiguration = the Schedule reconcile), queue depth and leadership. Gauges read the watcher when
// scraped, so nothing has to remember to update them.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { workflowTypes } from '../workflows/contracts.js';

/** What the Watcher reports into (watcher/watcher.ts takes it optionally; tests without it stay unchanged). */
export interface WatcherMetricsSink {
  reconciled(kind: string, seconds: number, ok: boolean): void;
  workflowStarted(kind: string): void;
  workflowStartFailed(kind: string): void;
}

/** What the gauges read at scrape time. */
export interface WatcherProbe {
  isLeader: boolean;
  queueDepths(): Record<string, number>;
}

export const watcherMetricNames = {
  workflowsStarted: 'stashflow_watcher_workflows_started_total',
  workflowStartFailures: 'stashflow_watcher_workflow_start_failures_total',
  reconcileDuration: 'stashflow_watcher_reconcile_duration_seconds',
  reconcileErrors: 'stashflow_watcher_reconcile_errors_total',
  queueDepth: 'stashflow_watcher_queue_depth',
  leader: 'stashflow_watcher_leader',
} as const;

export interface WatcherMetrics extends WatcherMetricsSink {
  /** the watcher the gauges read (set once it exists) */
  bind(probe: WatcherProbe): void;
}

export function createWatcherMetrics(registry: Registry): WatcherMetrics {
  let probe: WatcherProbe | undefined;
  const started = new Counter({
    name: watcherMetricNames.workflowsStarted,
    help: 'Session workflows the watcher started, by session kind (a duplicate start of a running session is not counted)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const startFailed = new Counter({
    name: watcherMetricNames.workflowStartFailures,
    help: 'Workflow starts that failed (the key is retried with backoff), by session kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: watcherMetricNames.reconcileDuration,
    help: 'Time to reconcile one key, by kind (BackupConfiguration = Schedule reconcile) and result (ok|error)',
    labelNames: ['kind', 'result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const errors = new Counter({
    name: watcherMetricNames.reconcileErrors,
    help: 'Reconciles that failed and will be retried, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  new Gauge({
    name: watcherMetricNames.queueDepth,
    help: 'Keys waiting, running or backing off in the work queue of a kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset(); // a queue that stopped (lost leadership) must not keep reporting its last depth
      for (const [kind, n] of Object.entries(probe?.queueDepths() ?? {})) this.set({ kind }, n);
    },
  });
  new Gauge({
    name: watcherMetricNames.leader,
    help: '1 while this watcher holds the leader Lease, else 0',
    registers: [registry],
    collect() {
      this.set(probe?.isLeader ? 1 : 0);
    },
  });
  return {
    bind: (p) => void (probe = p),
    reconciled(kind, seconds, ok) {
      duration.observe({ kind, result: ok ? 'ok' : 'error' }, seconds);
      if (!ok) errors.inc({ kind });
    },
    workflowStarted: (kind) => started.inc({ kind }),
    workflowStartFailed: (kind) => startFailed.inc({ kind }),
  };
}

/** The session kind a workflow type runs for (label value). */
export function kindOfWorkflowType(workflowType: string): string {
  if (workflowType === workflowTypes.backupSession) return 'BackupSession';
  if (workflowType === workflowTypes.restoreSession) return 'RestoreSession';
  return workflowType;
}

/**
 * The client the reconcilers use, counting client.workflow.start by outcome: a start that Temporal rejects as a
 * duplicate is the designed no-op (resync, restarted watcher), neither a start nor a failure.
 */
export function instrumentClient(client: Client, sink: WatcherMetricsSink): Client {
  const workflow = new Proxy(client.workflow, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== 'start' || typeof value !== 'function') return value;
      return async (workflowType: unknown, ...rest: unknown[]) => {
        const kind = kindOfWorkflowType(typeof workflowType === 'string' ? workflowType : 'workflow');
        try {
          const handle: unknown = await (value as (...a: unknown[]) => Promise<unknown>).call(target, workflowType, ...rest);
          sink.workflowStarted(kind);
          return handle;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) sink.workflowStartFailed(kind);
          throw err;
        }
      };
    },
  });
  return new Proxy(client, {
    get: (target, prop, receiver) => (prop === 'workflow' ? workflow : Reflect.get(target, prop, receiver)),
  });
}
