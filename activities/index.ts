// createActivities(deps): every activity gets its clients from the entry point that made them, once.
import type { KubeClients } from '../lib/kube.js';
import type { Logger } from '../lib/log.js';
import { instrumentActivities, jobWaitFromKube, type WorkerMetricsSink } from '../lib/worker-metrics.js';
import { createRepositoryActivities } from './repository.js';
import { createReportingActivities } from './reporting.js';
import { createSessionActivities } from './sessions.js';
import { createJobActivities } from './jobs.js';
import { createBackupSessionActivities } from './backup-sessions.js';

export interface ActivityDeps {
  kube: KubeClients;
  /** the image our Jobs run (the local node agent maps it to our CLI) */
  image: string;
  pushgatewayUrl: string | undefined;
  /** the worker's /metrics series and per-session log lines; absent in tests that call activities directly */
  metrics?: WorkerMetricsSink;
  log?: Logger;
}

export function createActivities(deps: ActivityDeps) {
  const jobs = createJobActivities(deps.kube);
  const activities = {
    ...jobs,
    ...createBackupSessionActivities(deps.kube),
    ...createSessionActivities(deps.kube, deps.image),
    ...createRepositoryActivities(deps.kube, jobs),
    ...createReportingActivities(deps.kube, deps.pushgatewayUrl),
  };
  if (!deps.metrics) return activities;
  return instrumentActivities(activities, deps.metrics, { log: deps.log, jobWait: jobWaitFromKube(deps.kube) });
}

export type Activities = ReturnType<typeof createActivities>;
export type { JobRequest, JobOutcome, AwaitProgress } from './jobs.js';
