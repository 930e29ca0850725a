// The local Temporal dev server (dev/temporal): a workflow runs on a worker in this process, is found by a custom
// search attribute, and is still there (describe + list) after the server restarts on the same SQLite file.
// The Web UI answers on its port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { searchAttributes as sa } from '../../api/search-attributes.js';
import { until } from '../helpers/bad-input.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';
import { scheduleImplementation } from '../helpers/temporal.js';

// under tsx this file is .ts and so is the fixture; compiled, both are .js in dist/
const workflowsPath = fileURLToPath(
  new URL('./fixtures/temporal-workflows' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url),
);

/** Polls list() until it returns something or the deadline passes (visibility is eventually consistent). */
async function listIds(client: Client, query: string, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
    if (ids.length || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function portOpen(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function sh(script: string): string {
  return execFileSync('bash', [join(repoRoot, script)], {
    cwd: repoRoot,
    env: process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test('the Temporal dev server runs workflows, finds them by search attribute, and keeps them across a restart', async () => {
  const address = stackEnv('TEMPORAL_ADDRESS');
  const namespace = stackEnv('TEMPORAL_NAMESPACE');
  const taskQueue = `temporal-test-${randomUUID()}`;
  const target = `target-${randomUUID().slice(0, 8)}`;
  const workflowId = `temporal-test-${target}`;
  const query = `StashTarget = '${target}' AND StashSessionKind = 'TemporalTest'`;

  let connection = await Connection.connect({ address });
  let client = new Client({ connection, namespace });
  const workerConnection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({ connection: workerConnection, namespace, taskQueue, workflowsPath });
    const result = await worker.runUntil(
      client.workflow.execute('tagAndGreet', {
        workflowId,
        taskQueue,
        args: [{ target, name: 'stashflow' }],
        workflowExecutionTimeout: '1 minute',
      }),
    );
    assert.equal(result, 'hello stashflow from tagAndGreet');

    assert.deepEqual(await listIds(client, query), [workflowId], 'found by the custom search attribute');
    const before = await client.workflow.getHandle(workflowId).describe();
    assert.equal(before.status.name, 'COMPLETED');
    assert.equal(before.typedSearchAttributes.get(sa.phase), 'Succeeded');
  } finally {
    await workerConnection.close();
    await connection.close();
  }

  // restart the server on the same database file
  sh('dev/temporal/stop.sh');
  assert.equal(await portOpen(address), false, 'the server is really down between stop and start');
  sh('dev/temporal/start.sh');

  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace });
  try {
    const after = await client.workflow.getHandle(workflowId).describe();
    assert.equal(after.status.name, 'COMPLETED', 'the finished workflow survived the restart');
    assert.equal(await client.workflow.getHandle(workflowId).result(), 'hello stashflow from tagAndGreet');
    assert.deepEqual(await listIds(client, query), [workflowId], 'still listed by search attribute after the restart');
  } finally {
    await connection.close();
  }

  // the Web UI
  const ui = stackEnv('TEMPORAL_UI_URL');
  const res = await fetch(ui + '/');
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<html/i);
  // the UI's own API reaches the frontend: it lists our workflow by the search attribute
  const viaUi = await fetch(`${ui}/api/v1/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`);
  assert.equal(viaUi.status, 200);
  const body = (await viaUi.json()) as { executions?: { execution?: { workflowId?: string } }[] };
  assert.deepEqual(
    body.executions?.map((e) => e.execution?.workflowId),
    [workflowId],
  );
});

test('new Schedules are CHASM (V2) Schedules: no scheduler workflow, the same API; the server serves its metrics to Prometheus', async () => {
  const address = stackEnv('TEMPORAL_ADDRESS');
  const namespace = stackEnv('TEMPORAL_NAMESPACE');
  const scheduleId = `temporal-test-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  try {
    const handle = await client.schedule.create({
      scheduleId,
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: 'nobodyRunsThis', taskQueue: `temporal-test-${randomUUID()}`, args: [] },
      policies: { overlap: 'SKIP' },
    });
    // a V1 Schedule would be a scheduler workflow, started within CreateSchedule, so it would be there at once
    assert.equal(await scheduleImplementation(client, scheduleId), 'CHASM (V2)', 'no V1 scheduler workflow behind it');
    await handle.pause('paused by the test');
    assert.equal((await handle.describe()).state.paused, true);
    await handle.trigger();
    const actions = await until(
      'the triggered action',
      20_000,
      async () => (await handle.describe()).info.recentActions.length || undefined,
    );
    assert.equal(actions, 1, 'a triggered CHASM Schedule starts its workflow and records the action');
    await handle.delete();
    await assert.rejects(handle.describe(), (err: Error) => err.name === 'ScheduleNotFoundError');

    const metrics = await (await fetch(stackEnv('TEMPORAL_METRICS_URL'))).text();
    assert.match(metrics, /^schedule_action_success_total\{/m, 'the server counts Schedule actions');
    assert.match(metrics, /^persistence_latency_milliseconds_bucket\{/m);
    const prom = stackEnv('PROMETHEUS_URL');
    const scraped = await (await fetch(`${prom}/api/v1/targets?state=active`)).json();
    const target = (
      scraped as { data: { activeTargets: Array<{ labels: Record<string, string>; scrapeUrl: string }> } }
    ).data.activeTargets.find((t) => t.labels.job === 'temporal');
    assert.equal(target?.scrapeUrl, stackEnv('TEMPORAL_METRICS_URL'), "the stack's Prometheus scrapes the server");
  } finally {
    await client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await connection.close();
  }
});
