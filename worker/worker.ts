// Builds the Worker that hosts every workflow and activity; used by worker/main.ts and by tests.
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../lib/config.js';
import type { KubeClients } from '../lib/kube.js';
import type { Logger } from '../lib/log.js';
import type { WorkerMetricsSink } from '../lib/worker-metrics.js';
import { dataConverterFromEnv } from '../lib/payload-codec.js';
import { temporalTlsFromEnv } from '../lib/temporal-tls.js';
import { freshBundle, workflowsPath } from './workflow-bundle.js';

export interface WorkerOptions {
  cfg: Pick<Config, 'temporalAddress' | 'temporalNamespace' | 'taskQueue'> & Partial<Pick<Config, 'image' | 'pushgatewayUrl'>>;
  kube: KubeClients;
  maxConcurrentActivityTaskExecutions?: number;
  /** /metrics series and per-session log lines of the activities (worker/main.ts; tests may leave them out) */
  metrics?: WorkerMetricsSink;
  log?: Logger;
  /** default: the environment's (payloads encrypted when STASHFLOW_PAYLOAD_KEY_FILE is set) */
  dataConverter?: DataConverter;
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const bundle = freshBundle();
  const connection = await NativeConnection.connect({ address: opts.cfg.temporalAddress, tls: temporalTlsFromEnv() });
  const worker = await Worker.create({
    connection,
    namespace: opts.cfg.temporalNamespace,
    taskQueue: opts.cfg.taskQueue,
    // the prebuilt bundle (npm run build) when it is current: a restarted worker polls again in about a second
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath }),
    dataConverter: opts.dataConverter ?? dataConverterFromEnv(),
    activities: createActivities({
      kube: opts.kube,
      image: opts.cfg.image ?? 'stashflow/stashflow:latest',
      pushgatewayUrl: opts.cfg.pushgatewayUrl,
      metrics: opts.metrics,
      log: opts.log,
    }),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    // A Schedule firing and every new session start a new workflow, whose first task comes from the non-sticky queue.
    // With the defaults (10 polls, ratio 0.2) only 2 polls wait there, and 20 Schedules firing in one second queued
    // up to 1 s for them (bench/orchestration, WorkflowTaskScheduled → Started): let half of 20 polls wait there.
    maxConcurrentWorkflowTaskPolls: 20,
    nonStickyToStickyPollRatio: 0.5,
    // awaitJob's heartbeat details carry the Job's progress: let the server (and the Temporal UI) see it every few s
    maxHeartbeatThrottleInterval: '3 seconds',
  });
  return { worker, connection };
}
