// createActivities(deps): every activity gets its clients from the entry point that made them, once.
import type { KubeClients } from '../lib/kube.js';
import { createJobActivities } from './jobs.js';
import { createBackupSessionActivities } from './backup-sessions.js';

export interface ActivityDeps {
  kube: KubeClients;
}

export function createActivities(deps: ActivityDeps) {
  return { ...createJobActivities(deps.kube), ...createBackupSessionActivities(deps.kube) };
}

export type Activities = ReturnType<typeof createActivities>;
export type { JobRequest, JobOutcome, AwaitProgress } from './jobs.js';
