// Test boilerplate in one place: a real Worker (our workflows + activities) on a random task queue, a client,
// and clients for the real apiserver.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { connectClient } from '../../lib/temporal.js';
import { createWorker } from '../../worker/worker.js';
import { stackEnv } from './stack.js';

export interface Harness {
  client: Client;
  kube: KubeClients;
  taskQueue: string;
  worker: Worker;
  /** runs fn while the worker (started once per harness) polls; a worker failure fails fn */
  withWorker<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * opts.dataConverter: the client's and the worker's (e.g. an encrypting codec); default Temporal's.
 * opts.workerKube: the worker's Kubernetes clients (e.g. a ServiceAccount's); default the admin's, as h.kube.
 */
export async function startHarness(opts: { dataConverter?: DataConverter; workerKube?: KubeClients } = {}): Promise<Harness> {
  const cfg = { temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default', taskQueue: `test-${randomUUID()}` };
  const kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  const client = await connectClient(cfg, opts.dataConverter ? { dataConverter: opts.dataConverter } : {});
  const { worker, connection } = await createWorker({
    cfg: { ...cfg, pushgatewayUrl: stackEnv('PUSHGATEWAY_URL') },
    kube: opts.workerKube ?? kube,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  });
  // A Worker cannot run again after it stopped, so one run serves every test of the file.
  const running = worker.run();
  const failed = running.then(() => {
    throw new Error('worker stopped');
  });
  failed.catch(() => undefined);
  return {
    client,
    kube,
    taskQueue: cfg.taskQueue,
    worker,
    withWorker: (fn) => Promise.race([fn(), failed]),
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await client.connection.close();
      await connection.close();
    },
  };
}

/** Creates a namespace with a random name; the returned function deletes it. */
export async function tempNamespace(kube: KubeClients, prefix = 'test'): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  await kube.core.createNamespace({ body: { metadata: { name } } });
  return { name, remove: async () => void (await kube.core.deleteNamespace({ name }).catch(() => undefined)) };
}

/**
 * Which kind of Schedule the server made for `scheduleId`. A V1 Schedule is a scheduler workflow at
 * `temporal-sys-scheduler:<id>`; a CHASM (V2) one leaves at most a sentinel of the server's dummy workflow type there.
 */
export async function scheduleImplementation(client: Client, scheduleId: string): Promise<string> {
  const type = await client.workflow
    .getHandle(`temporal-sys-scheduler:${scheduleId}`)
    .describe()
    .then(
      (d) => d.type,
      (err: Error) => (err.name === 'WorkflowNotFoundError' ? undefined : Promise.reject(err)),
    );
  return type === undefined || type === 'temporal-sys-dummy-workflow' ? 'CHASM (V2)' : `V1 (${type})`;
}
