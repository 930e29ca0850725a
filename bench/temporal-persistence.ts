// Temporal persistence latency on the local stack: how long the server takes to commit the writes every
// orchestration step is made of. 200 StartWorkflowExecution (16 in flight; no worker polls the task queue, so
// nothing but the start is measured), then 200 TerminateWorkflowExecution, then 100 CreateSchedule and 100
// DeleteSchedule (16 in flight). Prints p50/p95 per call and throughput as JSON; cleans up after itself.
//
//   flock /tmp/stashflow-bench.lock npx tsx bench/temporal-persistence.ts [--starts 200] [--schedules 100] [--label x]
//
// Used to compare the dev server's SQLite settings (dev/temporal/README.md); nothing here is asserted.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { connectClient } from '../lib/temporal.js';
import { stackEnv } from '../test/helpers/stack.js';
import { summarize } from './orchestration/stats.js';

const { values } = parseArgs({
  options: {
    starts: { type: 'string', default: '200' },
    schedules: { type: 'string', default: '100' },
    label: { type: 'string', default: '' },
  },
});
const IN_FLIGHT = 16;
const id = randomUUID().slice(0, 8);
const taskQueue = `persistence-bench-${id}`;

/** Runs fn over items with at most `limit` in flight; returns each call's latency (ms) and the wall time. */
async function timed<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>) {
  const lat: number[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t = performance.now();
        await fn(item);
        lat.push(performance.now() - t);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return { latencyMs: summarize(lat), perSecond: Math.round((items.length / wallMs) * 10_000) / 10 };
}

const client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
const wfIds = Array.from({ length: Number(values.starts) }, (_, i) => `persistence-bench-${id}-${i}`);
const scheduleIds = Array.from({ length: Number(values.schedules) }, (_, i) => `persistence-bench-${id}-${i}`);

const start = await timed(wfIds, IN_FLIGHT, (workflowId) =>
  client.workflow.start('persistenceBenchNoop', { workflowId, taskQueue, args: [], workflowExecutionTimeout: '10 minutes' }),
);
const terminate = await timed(wfIds, IN_FLIGHT, (workflowId) => client.workflow.getHandle(workflowId).terminate('bench done'));
const scheduleCreate = await timed(scheduleIds, IN_FLIGHT, (scheduleId) =>
  client.schedule.create({
    scheduleId,
    spec: { cronExpressions: ['0 0 1 1 *'] }, // yearly: nothing fires while measured
    action: { type: 'startWorkflow', workflowType: 'persistenceBenchNoop', taskQueue, args: [] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  }),
);
const scheduleDelete = await timed(scheduleIds, IN_FLIGHT, (scheduleId) => client.schedule.getHandle(scheduleId).delete());
await client.connection.close();

console.log(
  JSON.stringify(
    { label: values.label, at: new Date().toISOString(), inFlight: IN_FLIGHT, start, terminate, scheduleCreate, scheduleDelete },
    null,
    2,
  ),
);
