// The stack's smoke: a workflow that runs one Job of our CLI on the cluster and returns what it reported.
// It exercises the whole path later sessions use (Temporal → activity → Job → node agent → termination message).
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities, JobOutcome } from '../activities/index.js';
import { searchAttributes as sa } from '../api/search-attributes.js';

const { ensureJob } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});
const { awaitJob } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export interface SmokeInput {
  namespace: string;
  image: string;
  message: string;
}

export async function smokeWorkflow(input: SmokeInput): Promise<JobOutcome> {
  upsertSearchAttributes([
    { key: sa.namespace, value: input.namespace },
    { key: sa.sessionKind, value: 'Smoke' },
    { key: sa.phase, value: 'Running' },
  ]);
  // deterministic Job name from the workflow run: a retried ensureJob finds the same Job
  const name = `smoke-${workflowInfo().runId.slice(0, 8)}`;
  await ensureJob({
    namespace: input.namespace,
    name,
    pod: { containers: [{ name: 'smoke', image: input.image, args: ['function', 'smoke', '--message', input.message] }] },
    labels: { 'stashflow.dev/workflow': 'smoke' },
  });
  const outcome = await awaitJob({ namespace: input.namespace, name });
  upsertSearchAttributes([{ key: sa.phase, value: outcome.succeeded ? 'Succeeded' : 'Failed' }]);
  return outcome;
}
