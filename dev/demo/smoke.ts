// Demo driver: runs the smoke workflow on the local stack with an in-process worker and prints where to look.
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config.js';
import { createKubeClients, isAlreadyExists } from '../../lib/kube.js';
import { connectClient } from '../../lib/temporal.js';
import { createWorker } from '../../worker/worker.js';
import { smokeWorkflow } from '../../workflows/smoke.js';

const cfg = { ...loadConfig(), taskQueue: 'stashflow-demo' };
const kube = createKubeClients();
const namespace = 'stashflow-demo';
await kube.core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e: unknown) => {
  if (!isAlreadyExists(e)) throw e;
});

const client = await connectClient(cfg);
const { worker, connection } = await createWorker({ cfg, kube });
const workflowId = `smoke-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 4)}`;
const outcome = await worker.runUntil(
  client.workflow.execute(smokeWorkflow, {
    workflowId,
    taskQueue: cfg.taskQueue,
    args: [{ namespace, image: cfg.image, message: 'hello from the Stashflow demo' }],
    workflowExecutionTimeout: '5 minutes',
  }),
);
await connection.close();
await client.connection.close();

console.log(JSON.stringify({ workflowId, ...outcome }, null, 2));
if (!outcome.succeeded) {
  console.error('demo: the smoke Job failed');
  process.exit(1);
}
console.log(`\nTemporal UI:  ${process.env.TEMPORAL_UI_URL}/namespaces/default/workflows/${workflowId}`);
console.log(`kubeconfig:   ${process.env.KUBECONFIG}   (kubectl is in .stack/bin)`);
console.log(`Job:          kubectl -n ${namespace} get jobs,pods`);
