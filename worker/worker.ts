// Builds the Worker that hosts every workflow and activity; used by worker/main.ts and by tests.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../lib/config.js';
import type { KubeClients } from '../lib/kube.js';

// Compiled layout: dist/worker/worker.js → dist/workflows/index.js; under tsx the .ts sibling is used.
const workflowsPath = fileURLToPath(
  new URL('../workflows/index' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url),
);

export interface WorkerOptions {
  cfg: Pick<Config, 'temporalAddress' | 'temporalNamespace' | 'taskQueue'> & Partial<Pick<Config, 'image' | 'pushgatewayUrl'>>;
  kube: KubeClients;
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.cfg.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: opts.cfg.temporalNamespace,
    taskQueue: opts.cfg.taskQueue,
    workflowsPath,
    activities: createActivities({
      kube: opts.kube,
      image: opts.cfg.image ?? 'stashflow/stashflow:latest',
      pushgatewayUrl: opts.cfg.pushgatewayUrl,
    }),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
  });
  return { worker, connection };
}
