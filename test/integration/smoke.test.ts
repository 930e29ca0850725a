// The stack end to end: a Temporal workflow creates a Job, the real Job controller makes a Pod, the real
// scheduler binds it, the node agent runs our CLI in it, and the termination message comes back as the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { smokeWorkflow } from '../../workflows/smoke.js';
import { startHarness, tempNamespace } from '../helpers/temporal.js';

test('a workflow runs a Job on the cluster and reads its termination message', async () => {
  const h = await startHarness();
  const ns = await tempNamespace(h.kube, 'smoke');
  try {
    const message = `hello-${randomUUID()}`;
    const workflowId = `smoke-${ns.name}`;
    const outcome = await h.withWorker(() =>
      h.client.workflow.execute(smokeWorkflow, {
        workflowId,
        taskQueue: h.taskQueue,
        args: [{ namespace: ns.name, image: 'stashflow/stashflow:latest', message }],
        workflowExecutionTimeout: '5 minutes',
      }),
    );
    assert.equal(outcome.succeeded, true, JSON.stringify(outcome));
    const result = JSON.parse(outcome.terminationMessage ?? '{}') as { function?: string; message?: string };
    assert.equal(result.function, 'smoke');
    assert.equal(result.message, message);

    const jobs = await h.kube.batch.listNamespacedJob({ namespace: ns.name });
    assert.equal(jobs.items.length, 1, 'exactly one Job');

    // visible in Temporal by our custom search attributes (visibility is eventually consistent)
    const query = `StashNamespace = '${ns.name}' AND StashSessionKind = 'Smoke' AND StashPhase = 'Succeeded'`;
    const deadline = Date.now() + 20_000;
    let found: string[] = [];
    while (Date.now() < deadline) {
      found = [];
      for await (const wf of h.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(found, [workflowId]);
  } finally {
    await ns.remove();
    await h.close();
  }
});
