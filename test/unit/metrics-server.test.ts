// lib/metrics-server.ts, lib/watcher-metrics.ts, lib/worker-metrics.ts without a stack: the HTTP endpoints on a real
// socket, the address setting, what a function result says it moved, the activity wrapper's counts and log lines,
// and the client wrapper's start counting (a duplicate start is neither a start nor a failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Registry } from 'prom-client';
import { checkListenAddress, ConfigError, loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createRegistry, startMetricsServer } from '../../lib/metrics-server.js';
import { createWatcherMetrics, instrumentClient, kindOfWorkflowType } from '../../lib/watcher-metrics.js';
import {
  createWorkerMetrics,
  instrumentActivities,
  jobKind,
  objectOfWorkflowId,
  sessionOf,
  transferOf,
  type FinishedJob,
  type WorkerMetricsSink,
} from '../../lib/worker-metrics.js';
import { temporalFields } from '../../worker/runtime-logger.js';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).find((s) => Object.entries(labels).every(([k, want]) => String(s.labels[k]) === want));
  return v?.value;
}

test('STASHFLOW_METRICS_ADDR: default any free port on loopback, off, host:port, errors name the variable', () => {
  assert.deepEqual(loadConfig({}).metricsAddress, { host: '127.0.0.1', port: 0 });
  assert.equal(loadConfig({ STASHFLOW_METRICS_ADDR: 'off' }).metricsAddress, undefined);
  assert.deepEqual(checkListenAddress('X', '0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
  assert.deepEqual(checkListenAddress('X', '[::1]:9464'), { host: '::1', port: 9464 });
  for (const bad of ['9464', 'host:', 'a:99999', 'http://x:1'])
    assert.throws(
      () => loadConfig({ STASHFLOW_METRICS_ADDR: bad }),
      (e: unknown) => e instanceof ConfigError && /STASHFLOW_METRICS_ADDR/.test(e.message),
    );
});

test('the server: /metrics in the text format with default process metrics, /healthz, /readyz follows ready(), 404, 405', async () => {
  const registry = createRegistry('unit');
  createWatcherMetrics(registry).workflowStarted('BackupSession');
  let ready = false;
  const server = await startMetricsServer({ registry, address: { host: '127.0.0.1', port: 0 }, ready: () => ready });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^stashflow_watcher_workflows_started_total\{kind="BackupSession",component="unit"\} 1$/m);
    assert.match(text, /^process_cpu_seconds_total\{component="unit"\} /m);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    ready = true;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${server.url}/other`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(`${server.url}/healthz`), 'closed');
});

test('what a function result moved: Elasticsearch details, dir snapshots (Stash size strings), anything else nothing', () => {
  assert.deepEqual(transferOf(JSON.stringify({ phase: 'Succeeded', details: { docs: 10, bytes: 2048, durationMs: 500 } })), {
    bytes: 2048,
    docs: 10,
    seconds: 0.5,
  });
  const dir = {
    backup: { snapshots: [{ totalSize: '1.000 KiB' }, { totalSize: '2.000 KiB' }] },
    details: { function: 'dir-backup' },
  };
  assert.equal(transferOf(JSON.stringify(dir)).bytes, 3072);
  assert.deepEqual(transferOf('error: connection refused'), {});
  assert.deepEqual(transferOf(undefined), {});
  assert.deepEqual(transferOf(JSON.stringify({ details: { docs: -1, bytes: 'x' } })), {
    bytes: undefined,
    docs: undefined,
    seconds: undefined,
  });
});

test('names: Job kinds, the object a workflow id names, the session in activity arguments', () => {
  assert.equal(jobKind('stash-backup-s1-1'), 'backup');
  assert.equal(jobKind('stash-restore-r-2'), 'restore');
  assert.equal(jobKind('stash-maintenance-s1-1'), 'maintenance');
  assert.equal(jobKind('other-job'), 'other');
  assert.deepEqual(objectOfWorkflowId('backupsession:demo/bc-1700000000:uid-1'), {
    kind: 'BackupSession',
    namespace: 'demo',
    name: 'bc-1700000000',
  });
  assert.deepEqual(objectOfWorkflowId('restoresession:ns/r:u'), { kind: 'RestoreSession', namespace: 'ns', name: 'r' });
  assert.deepEqual(objectOfWorkflowId('createbackupsession:ns/bc'), { kind: 'BackupConfiguration', namespace: 'ns', name: 'bc' });
  assert.equal(objectOfWorkflowId('smoke-1'), undefined);
  assert.deepEqual(sessionOf(['RestoreSession', { namespace: 'ns', name: 'r', uid: 'u' }]), {
    kind: 'RestoreSession',
    namespace: 'ns',
    name: 'r',
  });
  assert.deepEqual(sessionOf([{ kind: 'BackupSession', ref: { namespace: 'ns', name: 's' }, phase: 'Failed' }]), {
    kind: 'BackupSession',
    namespace: 'ns',
    name: 's',
  });
  assert.equal(kindOfWorkflowType('backupSession'), 'BackupSession');
  assert.equal(kindOfWorkflowType('restoreSession'), 'RestoreSession');
});

test('worker series: Job wait by kind/outcome, throughput from the reported duration, failed Jobs move no bytes', async () => {
  const registry = new Registry();
  const m = createWorkerMetrics(registry);
  const msg = JSON.stringify({ phase: 'Succeeded', details: { docs: 100, bytes: 4000, durationMs: 2000 } });
  m.jobFinished({ name: 'stash-backup-s-1', succeeded: true, waitSeconds: 5, terminationMessage: msg });
  m.jobFinished({ name: 'stash-backup-s-2', succeeded: false, waitSeconds: 3, terminationMessage: msg });
  m.sessionFinished('BackupSession', 'Succeeded');
  const hist = (await registry.getMetricsAsJSON()).find((x) => x.name === 'stashflow_worker_job_wait_seconds');
  const count = (outcome: string) =>
    hist?.values.find(
      (v) =>
        (v as { metricName?: string }).metricName === 'stashflow_worker_job_wait_seconds_count' && v.labels.outcome === outcome,
    )?.value;
  assert.equal(count('succeeded'), 1);
  assert.equal(count('failed'), 1);
  assert.equal(await value(registry, 'stashflow_worker_transferred_bytes_total', { kind: 'backup' }), 4000);
  assert.equal(await value(registry, 'stashflow_worker_transferred_docs_total', { kind: 'backup' }), 100);
  assert.equal(await value(registry, 'stashflow_worker_last_throughput_bytes_per_second', { kind: 'backup' }), 2000);
  assert.equal(await value(registry, 'stashflow_worker_last_throughput_docs_per_second', { kind: 'backup' }), 50);
  assert.equal(
    await value(registry, 'stashflow_worker_sessions_finished_total', { kind: 'BackupSession', phase: 'Succeeded' }),
    1,
  );
});

test('instrumentActivities: durations and outcomes, awaitJob reports the Job, finishSession the phase, failures are logged', async () => {
  const seen: string[] = [];
  const jobs: FinishedJob[] = [];
  const sink: WorkerMetricsSink = {
    activityFinished: (a, s, ok) => seen.push(`${a}:${ok}:${s >= 0}`),
    jobFinished: (j) => jobs.push(j),
    sessionFinished: (k, p) => seen.push(`session:${k}:${p}`),
  };
  const lines: string[] = [];
  const log = createLogger('unit', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const wrapped = instrumentActivities(
    {
      awaitJob: async (_ref: { namespace: string; name: string }) => ({
        succeeded: true,
        failedPods: 0,
        terminationMessage: '{}',
      }),
      finishSession: async (_input: { kind: string; ref: { namespace: string; name: string }; phase: string }) => ({
        durationSeconds: 1,
      }),
      planSession: async (_kind: string, _ref: { namespace: string; name: string }): Promise<number> => {
        throw new Error('Task x not found');
      },
    },
    sink,
    { log, jobWait: async (ns, name) => (ns === 'ns' && name === 'stash-backup-s-1' ? 7 : undefined) },
  );
  assert.deepEqual(await wrapped.awaitJob({ namespace: 'ns', name: 'stash-backup-s-1' }), {
    succeeded: true,
    failedPods: 0,
    terminationMessage: '{}',
  });
  await wrapped.finishSession({ kind: 'BackupSession', ref: { namespace: 'ns', name: 's' }, phase: 'Failed' });
  await assert.rejects(wrapped.planSession('BackupSession', { namespace: 'ns', name: 's' }), /Task x not found/);
  assert.deepEqual(jobs, [{ name: 'stash-backup-s-1', succeeded: true, waitSeconds: 7, terminationMessage: '{}' }]);
  assert.deepEqual(seen, [
    'awaitJob:true:true',
    'finishSession:true:true',
    'session:BackupSession:Failed',
    'planSession:false:true',
  ]);
  const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'activity failed');
  assert.deepEqual(
    { kind: failed?.kind, namespace: failed?.namespace, name: failed?.name, activity: failed?.activity, err: failed?.err },
    { kind: 'BackupSession', namespace: 'ns', name: 's', activity: 'planSession', err: 'Task x not found' },
  );
});

test('instrumentClient counts starts by session kind; a duplicate start is neither a start nor a failure', async () => {
  const registry = new Registry();
  const metrics = createWatcherMetrics(registry);
  let mode: 'ok' | 'dup' | 'fail' = 'ok';
  const fake = {
    workflow: {
      calls: 0,
      async start(this: { calls: number }, type: string) {
        this.calls++; // `this` is the real workflow client, not the proxy
        if (mode === 'dup') throw new WorkflowExecutionAlreadyStartedError('already', 'id', type);
        if (mode === 'fail') throw new Error('unavailable');
        return { workflowId: 'id' };
      },
      getHandle: () => 'handle',
    },
    connection: 'conn',
  };
  const client = instrumentClient(fake as unknown as Client, metrics);
  assert.equal((client as unknown as typeof fake).connection, 'conn');
  assert.equal(client.workflow.getHandle('x') as unknown, 'handle');
  await client.workflow.start('backupSession', { taskQueue: 'q', workflowId: 'a' });
  mode = 'dup';
  await assert.rejects(
    client.workflow.start('backupSession', { taskQueue: 'q', workflowId: 'a' }),
    WorkflowExecutionAlreadyStartedError,
  );
  mode = 'fail';
  await assert.rejects(client.workflow.start('restoreSession', { taskQueue: 'q', workflowId: 'b' }), /unavailable/);
  assert.equal(fake.workflow.calls, 3);
  assert.equal(await value(registry, 'stashflow_watcher_workflows_started_total', { kind: 'BackupSession' }), 1);
  assert.equal(await value(registry, 'stashflow_watcher_workflow_start_failures_total', { kind: 'BackupSession' }), undefined);
  assert.equal(await value(registry, 'stashflow_watcher_workflow_start_failures_total', { kind: 'RestoreSession' }), 1);
  metrics.bind({ isLeader: true, queueDepths: () => ({ BackupSession: 3 }) });
  assert.equal(await value(registry, 'stashflow_watcher_leader'), 1);
  assert.equal(await value(registry, 'stashflow_watcher_queue_depth', { kind: 'BackupSession' }), 3);
});

test('Temporal SDK log metadata: the Temporal namespace is renamed, task tokens dropped, the session named', () => {
  assert.deepEqual(
    temporalFields({ namespace: 'default', taskToken: 'abc', workflowId: 'backupsession:ns/s:u', activityType: 'awaitJob' }),
    {
      workflowId: 'backupsession:ns/s:u',
      activityType: 'awaitJob',
      temporalNamespace: 'default',
      kind: 'BackupSession',
      namespace: 'ns',
      name: 's',
    },
  );
});
