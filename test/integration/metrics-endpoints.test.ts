// The product's own metrics and logs on the real stack: the compiled worker and watcher run as processes (as
// dev/product.sh runs them) with STASHFLOW_METRICS_ADDR=127.0.0.1:0; a BackupSession is created and the watcher
// starts its workflow, the worker runs it (a real Job through restic to the REST server). Then: /healthz, /readyz,
// /metrics counters moved by the exact amounts the session implies; the stack's real Prometheus scraped both
// processes (file_sd target written by the test) and holds the series; every log line is JSON, session lines carry
// namespace/name/kind/workflowId, and the repository password is in no log line and no metric.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupSession, StashFunction, Task } from '../../api/types.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createObject, deleteObject, getObject } from '../../lib/objects.js';
import { connectClient } from '../../lib/temporal.js';
import { ensureCrds } from '../helpers/crds.js';
import {
  backupConfiguration,
  createBackupSession,
  createClusterObject,
  createRestRepository,
  createStorageSecret,
} from '../helpers/sessions.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';
import { tempNamespace, type Harness } from '../helpers/temporal.js';

const id = randomUUID().slice(0, 8);
const taskQueue = `metrics-${id}`;
const BYTES = 20000;
const DOCS = 42;
const DURATION_MS = 2000; // the function reports it: throughput = BYTES / 2 s

// A real backup function: restic backs up a small random file and the result names the snapshot and, as our
// Elasticsearch function does, details {docs, bytes, durationMs}.
const script = `set -e
d=$(mktemp -d); head -c ${BYTES} /dev/urandom > "$d/data"
restic cat config >/dev/null 2>&1 || restic init >/dev/null
sid=$(restic backup "$d" --host host-0 --json | grep '"summary"' | sed 's/.*"snapshot_id":"\\([^"]*\\)".*/\\1/')
rm -rf "$d"
printf '{"phase":"Succeeded","backup":{"snapshots":[{"name":"%s","path":"/data"}]},"details":{"docs":${DOCS},"bytes":${BYTES},"durationMs":${DURATION_MS}}}' "$sid" > /dev/termination-log`;

interface Proc {
  child: ChildProcess;
  lines: string[];
  url: string;
}

let kube: KubeClients;
let h: Harness; // the session helpers only use h.kube
let ns: { name: string; remove: () => Promise<void> };
let password = '';
let worker: Proc | undefined;
let watcher: Proc | undefined;
const targetsFile = join(stackEnv('PROMETHEUS_TARGETS_DIR'), `test-${id}.json`);
const cleanups: Array<() => Promise<void>> = [];
const children: ChildProcess[] = []; // every process started, stopped in after() even when another failed to start
const workflowIds: string[] = []; // session workflows to see finished (or terminate) before the worker stops

/** Starts a compiled entry point; resolves with its metrics URL from its start log line. */
function startProcess(entry: string, env: Record<string, string>, startedMsg: string): Promise<Proc> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', entry)], {
    env: { ...process.env, ...env, STASHFLOW_METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  return new Promise<Proc>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not log '${startedMsg}' in 90 s:\n${lines.join('\n')}`)),
      90_000,
    );
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const line of parts) {
        if (!line) continue;
        lines.push(line);
        const rec = parseJson(line);
        if (rec?.msg === startedMsg && typeof rec.metrics === 'string') {
          clearTimeout(timer);
          resolve({ child, lines, url: rec.metrics });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${lines.join('\n')}`));
    });
  });
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** One sample's value from the text exposition format; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

const scrape = async (p: Proc) => (await fetch(`${p.url}/metrics`)).text();

before(async () => {
  kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  h = { kube } as Harness;
  await ensureCrds(kube.kc);
  ns = await tempNamespace(kube, 'metrics');
  password = await createStorageSecret(h, ns.name);
  await createRestRepository(h, ns.name);
  await kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  const fn: StashFunction = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Function',
    metadata: { name: `metrics-${id}` },
    spec: { image: 'busybox', command: ['sh', '-c'], args: [script] },
  };
  const task: Task = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Task',
    metadata: { name: `metrics-${id}` },
    spec: { steps: [{ name: `metrics-${id}` }, { name: 'update-status' }] },
  };
  cleanups.push(await createClusterObject(h, 'Function', fn));
  cleanups.push(await createClusterObject(h, 'Task', task));

  const common = {
    KUBECONFIG: stackEnv('KUBECONFIG'),
    TEMPORAL_ADDRESS: stackEnv('TEMPORAL_ADDRESS'),
    PUSHGATEWAY_URL: stackEnv('PUSHGATEWAY_URL'),
    STASHFLOW_TASK_QUEUE: taskQueue,
  };
  [worker, watcher] = await Promise.all([
    startProcess('worker/main.js', common, 'worker started'),
    startProcess(
      'watcher/main.js',
      {
        ...common,
        STASHFLOW_WATCH_NAMESPACE: ns.name,
        STASHFLOW_LEASE_NAME: `metrics-${id}`,
        STASHFLOW_IDENTITY: `metrics-${id}`,
        STASHFLOW_LEASE_DURATION: '15s',
        STASHFLOW_LEASE_RENEW_DEADLINE: '10s',
        STASHFLOW_LEASE_RETRY_PERIOD: '1s',
      },
      'watcher starting',
    ),
  ]);
  // the stack's Prometheus picks this file up (file_sd, refresh 5 s); the test label keeps our series apart
  await mkdir(stackEnv('PROMETHEUS_TARGETS_DIR'), { recursive: true });
  // written aside and renamed: Prometheus must never read a half-written file
  await writeFile(
    `${targetsFile}.tmp`,
    JSON.stringify([
      { targets: [new URL(worker.url).host, new URL(watcher.url).host], labels: { job: 'stashflow-test', test: id } },
    ]),
  );
  await rename(`${targetsFile}.tmp`, targetsFile);
});

after(async () => {
  // the workflow goes on after the session's final phase (metrics push, history cleanup): let it end while the worker
  // runs, and never leave one running on a task queue nobody polls any more
  const client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
  for (const wid of workflowIds) {
    const handle = client.workflow.getHandle(wid);
    const ended = await Promise.race([handle.result().then(() => true), sleep(60_000).then(() => false)]).catch(() => true);
    if (!ended) await handle.terminate('metrics-endpoints test cleanup').catch(() => undefined);
  }
  await client.connection.close();
  await rm(targetsFile, { force: true });
  await rm(`${targetsFile}.tmp`, { force: true });
  // the BackupConfiguration goes while the watcher runs, so its Schedule and finalizer go too
  if (ns) await deleteObject(kube, 'BackupConfiguration', ns.name, 'bc').catch(() => undefined);
  for (let i = 0; i < 40 && ns && (await getObject(kube, 'BackupConfiguration', ns.name, 'bc')); i++) await sleep(250);
  await Promise.all(children.map(stopProcess));
  for (const c of cleanups) await c();
  await ns?.remove();
});

test('health endpoints: /healthz always, /readyz once the watcher leads with synced informers and the worker polls', async () => {
  for (const p of [worker!, watcher!]) {
    assert.equal((await fetch(`${p.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${p.url}/nope`)).status, 404);
  }
  await until('watcher ready', async () => ((await fetch(`${watcher!.url}/readyz`)).status === 200 ? true : undefined), 30_000);
  await until('worker ready', async () => ((await fetch(`${worker!.url}/readyz`)).status === 200 ? true : undefined), 30_000);
});

test('a BackupSession started by the watcher and run by the worker moves both processes’ series', async () => {
  const before = { watcher: await scrape(watcher!), worker: await scrape(worker!) };
  assert.equal(sample(before.watcher, 'stashflow_watcher_workflows_started_total', { kind: 'BackupSession' }) ?? 0, 0);
  assert.equal(sample(before.worker, 'stashflow_worker_sessions_finished_total', { kind: 'BackupSession' }) ?? 0, 0);

  await createObject(
    kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'bc', {
      task: { name: `metrics-${id}` },
      target: { ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' } },
      paused: true, // no firing during the test: only the session we create runs
    }),
  );
  const ref = await createBackupSession(h, ns.name, 'bc');
  workflowIds.push(`backupsession:${ns.name}/${ref.name}:${ref.uid}`);
  let last: BackupSession | undefined;
  const phase = await until(
    'the session to end',
    async () => {
      last = await getObject<BackupSession>(kube, 'BackupSession', ns.name, ref.name);
      const p = last?.status?.phase;
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    },
    240_000, // ~20 s on a quiet machine; the shared 2-core machine can be far slower
  ).catch((err: unknown) => {
    // what to look at when the stack is slow or broken: the session's status and both processes' warnings
    const warnings = [...worker!.lines, ...watcher!.lines].filter((l) => (parseJson(l)?.level as number) >= 40).slice(-10);
    throw new Error(`${String(err)}; status ${JSON.stringify(last?.status)}; warnings:\n${warnings.join('\n')}`);
  });
  assert.equal(phase, 'Succeeded');

  // test/run.sh stops the demo's watcher for this reason: a watcher of all namespaces would start our session on its
  // own task queue, and neither of our processes would count it
  const client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
  const runOn = (await client.workflow.getHandle(workflowIds[0]!).describe()).taskQueue;
  await client.connection.close();
  assert.equal(
    runOn,
    taskQueue,
    `another watcher (task queue ${runOn}) started this session: stop it (bash dev/product.sh stop)`,
  );

  const w = await scrape(watcher!);
  assert.equal(sample(w, 'stashflow_watcher_workflows_started_total', { kind: 'BackupSession' }), 1);
  assert.equal(sample(w, 'stashflow_watcher_workflow_start_failures_total', { kind: 'BackupSession' }) ?? 0, 0);
  assert.ok(
    (sample(w, 'stashflow_watcher_reconcile_duration_seconds_count', { kind: 'BackupConfiguration', result: 'ok' }) ?? 0) >= 1,
    'the Schedule reconcile was timed',
  );
  assert.ok((sample(w, 'stashflow_watcher_reconcile_duration_seconds_count', { kind: 'BackupSession', result: 'ok' }) ?? 0) >= 1);
  assert.equal(sample(w, 'stashflow_watcher_leader', { component: 'watcher' }), 1);
  assert.notEqual(sample(w, 'stashflow_watcher_queue_depth', { kind: 'BackupSession' }), undefined);
  assert.ok((sample(w, 'process_cpu_seconds_total') ?? 0) > 0, 'default process metrics');

  const k = await until(
    'the worker to count the finished session',
    async () => {
      const t = await scrape(worker!);
      return sample(t, 'stashflow_worker_sessions_finished_total', { kind: 'BackupSession', phase: 'Succeeded' }) ? t : undefined;
    },
    10_000,
  );
  assert.equal(sample(k, 'stashflow_worker_sessions_finished_total', { kind: 'BackupSession', phase: 'Succeeded' }), 1);
  assert.equal(sample(k, 'stashflow_worker_job_wait_seconds_count', { kind: 'backup', outcome: 'succeeded' }), 1);
  const wait = sample(k, 'stashflow_worker_job_wait_seconds_sum', { kind: 'backup', outcome: 'succeeded' }) ?? 0;
  assert.ok(wait > 0 && wait < 150, `Job wait ${wait}s is from its own timestamps`);
  assert.equal(sample(k, 'stashflow_worker_transferred_bytes_total', { kind: 'backup' }), BYTES);
  assert.equal(sample(k, 'stashflow_worker_transferred_docs_total', { kind: 'backup' }), DOCS);
  assert.equal(sample(k, 'stashflow_worker_last_throughput_bytes_per_second', { kind: 'backup' }), BYTES / (DURATION_MS / 1000));
  assert.equal(sample(k, 'stashflow_worker_last_throughput_docs_per_second', { kind: 'backup' }), DOCS / (DURATION_MS / 1000));
  assert.ok((sample(k, 'stashflow_worker_activity_duration_seconds_count', { activity: 'awaitJob', outcome: 'ok' }) ?? 0) >= 1);
  assert.ok(
    (sample(k, 'stashflow_worker_activity_duration_seconds_count', { activity: 'finishSession', outcome: 'ok' }) ?? 0) >= 1,
  );
  for (const text of [w, k]) assert.ok(!text.includes(password), 'no secret in /metrics');

  // the stack's Prometheus scraped both processes and holds the worker's counter
  const prom = stackEnv('PROMETHEUS_URL');
  const targets = await until(
    'Prometheus to scrape both test targets',
    async () => {
      const r = (await (await fetch(`${prom}/api/v1/targets?state=active`)).json()) as {
        data: { activeTargets: Array<{ labels: Record<string, string>; health: string; scrapeUrl: string }> };
      };
      const ours = r.data.activeTargets.filter((t) => t.labels.test === id);
      return ours.length === 2 && ours.every((t) => t.health === 'up') ? ours : undefined;
    },
    30_000,
  );
  assert.deepEqual(
    targets.map((t) => new URL(t.scrapeUrl).host).sort(),
    [new URL(worker!.url).host, new URL(watcher!.url).host].sort(),
  );
  const query = `stashflow_worker_sessions_finished_total{test="${id}",kind="BackupSession",phase="Succeeded"}`;
  const value = await until(
    'the series in Prometheus',
    async () => {
      const r = (await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      return r.data.result[0]?.value[1] === '1' ? r.data.result[0].value[1] : undefined;
    },
    30_000,
  );
  assert.equal(value, '1');

  // logs: JSON only; the session's lines name it; no secret anywhere
  for (const [who, p] of [
    ['worker', worker!],
    ['watcher', watcher!],
  ] as const) {
    for (const line of p.lines) assert.ok(parseJson(line), `${who} log line is JSON: ${line.slice(0, 200)}`);
    assert.ok(!p.lines.some((l) => l.includes(password)), `no secret in the ${who} log`);
  }
  const workflowId = `backupsession:${ns.name}/${ref.name}:${ref.uid}`;
  const finished = worker!.lines.map(parseJson).find((r) => r?.msg === 'session finished' && r.workflowId === workflowId);
  assert.deepEqual(
    { namespace: finished?.namespace, name: finished?.name, kind: finished?.kind, phase: finished?.phase },
    { namespace: ns.name, name: ref.name, kind: 'BackupSession', phase: 'Succeeded' },
  );
  const jobLine = worker!.lines.map(parseJson).find((r) => r?.msg === 'job finished' && r.workflowId === workflowId);
  assert.equal(jobLine?.name, ref.name, 'a Job line names the session, not only the Job');
  const started = watcher!.lines.map(parseJson).find((r) => r?.msg === 'session workflow started' && r.workflowId === workflowId);
  assert.deepEqual(
    { namespace: started?.namespace, name: started?.name, kind: started?.kind },
    { namespace: ns.name, name: ref.name, kind: 'BackupSession' },
  );
});
