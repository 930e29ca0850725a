// The watcher against the real stack (kube-apiserver + Temporal): BackupConfiguration ↔ Schedule, the
// createBackupSession workflow a firing runs, sessions → workflows, leader election, and `stashflow trigger`.
// The watcher runs in-process (and once as a child process), scoped to a random namespace, with its Lease in that
// namespace and a random task queue. A Worker on that queue hosts the real createBackupSession (+ its activity) and
// stand-ins for backupSession/restoreSession that only hold their input (fixtures/watcher-workflows.ts): this suite
// checks that sessions are started (id, input, attributes, no duplicates), not what they do. Everything made here
// is removed at the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { searchAttributes as sa } from '../../api/search-attributes.js';
import { resources, type BackupConfiguration, type BackupSession, type Kind } from '../../api/types.js';
import { createBackupSessionActivities } from '../../activities/backup-sessions.js';
import { LABEL_INVOKER_NAME, LABEL_INVOKER_TYPE, LABEL_TARGET_KIND, LABEL_TARGET_NAME } from '../../lib/backup-sessions.js';
import { createKubeClients, isNotFound, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createLogger } from '../../lib/log.js';
import { connectClient } from '../../lib/temporal.js';
import { installCatalog } from '../../dev/demo/es-scenario.js';
import { FINALIZER } from '../../watcher/reconcile-backup-configuration.js';
import { Watcher, type WatcherSettings } from '../../watcher/watcher.js';
import {
  backupSessionWorkflowId,
  restoreSessionWorkflowId,
  scheduleId,
  workflowTypes,
  type CreateBackupSessionResult,
} from '../../workflows/contracts.js';
import { ensureCrds } from '../helpers/crds.js';
import { runProcess, type Run } from '../helpers/process.js';
import { refQuery } from './fixtures/watcher-workflows.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const suffix = () => randomBytes(4).toString('hex');
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const log = createLogger('watcher-test');
log.level = process.env.LOG_LEVEL ?? 'warn';

async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

let kube: KubeClients;
let client: Client;
let worker: Worker;
let workerConn: NativeConnection;
let workerRun: Promise<void>;
let ns: string;
const taskQueue = `watcher-test-${suffix()}`;
const watchers: Watcher[] = [];

function settings(over: Partial<WatcherSettings> = {}): WatcherSettings {
  return {
    taskQueue,
    leaseNamespace: ns,
    leaseName: 'stashflow-watcher',
    identity: `test-${suffix()}`,
    leaseDurationMs: 4000,
    renewDeadlineMs: 3000,
    retryPeriodMs: 500,
    watchNamespace: ns,
    catchupWindowMs: 10_000,
    resyncMs: 60_000,
    ...over,
  };
}

function startWatcher(over: Partial<WatcherSettings> = {}): Watcher {
  const w = new Watcher({ cfg: settings(over), kube, client, log });
  watchers.push(w);
  w.start();
  return w;
}

async function stopWatcher(w: Watcher): Promise<void> {
  await w.stop();
  watchers.splice(watchers.indexOf(w), 1);
}

const api = (kind: Kind) => resources[kind];
const create = <T>(kind: Kind, body: object) =>
  kube.custom.createNamespacedCustomObject({ ...pick(kind), namespace: ns, body }) as Promise<T>;
const get = <T>(kind: Kind, name: string) =>
  kube.custom.getNamespacedCustomObject({ ...pick(kind), namespace: ns, name }) as Promise<T>;
const patch = (kind: Kind, name: string, body: object) =>
  kube.custom.patchNamespacedCustomObject({ ...pick(kind), namespace: ns, name, body }, mergePatch);
const del = (kind: Kind, name: string) => kube.custom.deleteNamespacedCustomObject({ ...pick(kind), namespace: ns, name });
const list = async <T>(kind: Kind, labelSelector?: string) =>
  ((await kube.custom.listNamespacedCustomObject({ ...pick(kind), namespace: ns, labelSelector })) as { items: T[] }).items;
function pick(kind: Kind) {
  const r = api(kind);
  return { group: r.group, version: r.version, plural: r.plural };
}

function backupConfiguration(name: string, spec: Partial<BackupConfiguration['spec']> = {}): BackupConfiguration {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    metadata: { name, namespace: ns, labels: { app: 'es-demo' } },
    spec: {
      schedule: '17 3 * * *',
      task: { name: 'elasticsearch-backup-8.2.0' },
      repository: { name: 'repo' },
      target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' } },
      retentionPolicy: { name: 'keep-last-5', keepLast: 5, prune: true },
      ...spec,
    },
  };
}

const describeSchedule = (name: string) => client.schedule.getHandle(scheduleId({ namespace: ns, name })).describe();
async function scheduleGone(name: string): Promise<boolean> {
  return describeSchedule(name).then(
    () => false,
    (err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return true;
      throw err;
    },
  );
}
const condition = (bc: BackupConfiguration, type: string) => bc.status?.conditions?.find((c) => c.type === type);

async function waitPhase(name: string, phase: string): Promise<BackupConfiguration> {
  return eventually(`BackupConfiguration ${name} phase ${phase}`, 30_000, async () => {
    const bc = await get<BackupConfiguration>('BackupConfiguration', name);
    return bc.status?.phase === phase && bc.status.observedGeneration === bc.metadata.generation ? bc : undefined;
  });
}

before(async () => {
  kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  await ensureCrds(kube.kc);
  client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
  ns = `watcher-${suffix()}`;
  await kube.core.createNamespace({ body: { metadata: { name: ns } } });
  await create('Repository', {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'repo', namespace: ns },
    spec: { backend: { storageSecretName: 'repo-secret', rest: { url: 'http://127.0.0.1:8000/x' } } },
  });
  // what the configurations reference, so they can be Ready (the watcher checks them at apply time)
  await installCatalog(kube);
  await kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'repo-secret' }, stringData: { RESTIC_PASSWORD: randomBytes(12).toString('hex') } },
  });
  await create('AppBinding', {
    apiVersion: 'appcatalog.appscode.com/v1alpha1',
    kind: 'AppBinding',
    metadata: { name: 'sample-es', namespace: ns },
    spec: { type: 'kubedb.com/elasticsearch', clientConfig: { url: 'http://127.0.0.1:9200' } },
  });
  workerConn = await NativeConnection.connect({ address: stackEnv('TEMPORAL_ADDRESS') });
  worker = await Worker.create({
    connection: workerConn,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(
      new URL('./fixtures/watcher-workflows' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url),
    ),
    activities: createBackupSessionActivities(kube),
  });
  workerRun = worker.run();
});

after(async () => {
  // configurations go first, while a watcher still runs to release their finalizers and delete their Schedules
  const w = watchers[0] ?? startWatcher();
  for (const bc of await list<BackupConfiguration>('BackupConfiguration'))
    await del('BackupConfiguration', bc.metadata.name).catch(() => undefined);
  await eventually('configurations gone', 30_000, async () =>
    (await list('BackupConfiguration')).length === 0 ? true : undefined,
  ).catch((err: unknown) => console.error(String(err)));
  void w;
  for (const x of [...watchers]) await stopWatcher(x);
  for await (const wf of client.workflow.list({ query: `StashNamespace = '${ns}' AND ExecutionStatus = 'Running'` }))
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('test cleanup')
      .catch(() => undefined);
  for await (const s of client.schedule.list())
    if (s.scheduleId.startsWith(`backup:${ns}/`))
      await client.schedule
        .getHandle(s.scheduleId)
        .delete()
        .catch(() => undefined);
  worker.shutdown();
  await workerRun;
  await workerConn.close();
  await client.connection.close();
  await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
});

test('BackupConfiguration → Schedule with the right spec, finalizer and Ready status; reconciling again changes nothing', async () => {
  const w = startWatcher();
  await eventually('leader', 10_000, async () => (w.isLeader ? true : undefined));
  await create('BackupConfiguration', backupConfiguration('bc-a'));
  const bc = await waitPhase('bc-a', 'Ready');
  assert.ok(bc.metadata.finalizers?.includes(FINALIZER));
  assert.equal(condition(bc, 'ValidationPassed')?.status, 'True');
  assert.equal(condition(bc, 'ScheduleCreated')?.status, 'True');
  assert.equal(condition(bc, 'ScheduleCreated')?.reason, 'ScheduleCreationSucceeded');
  assert.equal(condition(bc, 'RepositoryFound')?.status, 'True');

  const d = await describeSchedule('bc-a');
  assert.equal(d.action.workflowType, workflowTypes.createBackupSession);
  assert.equal(d.action.taskQueue, taskQueue);
  assert.deepEqual(d.action.args, [{ namespace: ns, name: 'bc-a' }]);
  assert.equal(d.action.workflowId, `createbackupsession:${ns}/bc-a`);
  assert.equal(d.state.paused, false);
  assert.equal(d.policies.overlap, 'SKIP');
  assert.equal(d.policies.catchupWindow, 10_000);
  assert.deepEqual(d.memo, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    namespace: ns,
    name: 'bc-a',
    uid: bc.metadata.uid,
    managedBy: 'stashflow-watcher',
  });
  assert.equal(d.typedSearchAttributes.get(sa.namespace), ns);
  assert.equal(d.typedSearchAttributes.get(sa.invokerKind), 'BackupConfiguration');
  assert.equal(d.typedSearchAttributes.get(sa.invokerName), 'bc-a');
  assert.equal(d.typedSearchAttributes.get(sa.repository), 'repo');
  assert.equal(d.typedSearchAttributes.get(sa.target), 'AppBinding/sample-es');
  const next = d.info.nextActionTimes[0]!;
  assert.equal(next.getUTCHours(), 3, `next action ${next.toISOString()} follows "17 3 * * *"`);
  assert.equal(next.getUTCMinutes(), 17);

  // an unrelated change makes the watcher reconcile again: nothing is written to the Schedule or the status
  const before = d.raw.conflictToken ? Buffer.from(d.raw.conflictToken).toString('hex') : '';
  await patch('BackupConfiguration', 'bc-a', { metadata: { annotations: { touched: '1' } } });
  await sleep(1500);
  await w.idle();
  const d2 = await describeSchedule('bc-a');
  assert.equal(Buffer.from(d2.raw.conflictToken ?? []).toString('hex'), before, 'schedule not updated');
  assert.equal(d2.info.lastUpdatedAt?.getTime(), d.info.lastUpdatedAt?.getTime());
  const bc2 = await get<BackupConfiguration>('BackupConfiguration', 'bc-a');
  assert.deepEqual(bc2.status, bc.status, 'status not rewritten');
});

test('cron change updates the Schedule; paused pauses it; resume unpauses', async () => {
  const w = watchers[0] ?? startWatcher();
  await create('BackupConfiguration', backupConfiguration('bc-b'));
  await waitPhase('bc-b', 'Ready');
  const first = await describeSchedule('bc-b');
  await patch('BackupConfiguration', 'bc-b', { spec: { schedule: '45 */2 * * *' } });
  await eventually('schedule follows the new cron', 20_000, async () => {
    const d = await describeSchedule('bc-b');
    const t = d.info.nextActionTimes[0];
    return t && t.getUTCMinutes() === 45 && t.getUTCHours() % 2 === 0 ? d : undefined;
  });
  await patch('BackupConfiguration', 'bc-b', { spec: { paused: true } });
  const paused = await eventually('schedule paused', 20_000, async () => {
    const d = await describeSchedule('bc-b');
    return d.state.paused ? d : undefined;
  });
  assert.equal(paused.scheduleId, first.scheduleId);
  assert.equal((await waitPhase('bc-b', 'Ready')).spec.paused, true);
  await patch('BackupConfiguration', 'bc-b', { spec: { paused: false } });
  await eventually('schedule resumed', 20_000, async () => ((await describeSchedule('bc-b')).state.paused ? undefined : true));
  await w.idle();
});

test('invalid cron → Invalid phase, ValidationPassed=False naming spec.schedule, Warning Event, no Schedule', async () => {
  await create('BackupConfiguration', backupConfiguration('bc-c'));
  await waitPhase('bc-c', 'Ready');
  assert.equal(await scheduleGone('bc-c'), false);
  await patch('BackupConfiguration', 'bc-c', { spec: { schedule: '61 * * * *' } });
  const bc = await waitPhase('bc-c', 'Invalid');
  const v = condition(bc, 'ValidationPassed');
  assert.equal(v?.status, 'False');
  assert.equal(v?.reason, 'ResourceValidationFailed');
  assert.match(v?.message ?? '', /spec\.schedule "61 \* \* \* \*": minute/);
  assert.equal(condition(bc, 'ScheduleCreated')?.status, 'False');
  assert.equal(await scheduleGone('bc-c'), true, 'the Schedule of the valid spec was deleted');
  const ev = await eventually('Warning event', 15_000, async () => {
    const evs = await kube.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=bc-c` });
    return evs.items.find((e) => e.reason === 'InvalidSchedule');
  });
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.involvedObject.kind, 'BackupConfiguration');
  assert.equal(ev.involvedObject.uid, bc.metadata.uid);
  assert.match(ev.message ?? '', /spec\.schedule/);

  // created invalid from the start: never a Schedule
  await create('BackupConfiguration', backupConfiguration('bc-c2', { schedule: 'every day' }));
  const bc2 = await waitPhase('bc-c2', 'Invalid');
  assert.match(condition(bc2, 'ValidationPassed')?.message ?? '', /spec\.schedule "every day": expected 5 fields/);
  assert.equal(await scheduleGone('bc-c2'), true);
  // fixed → Ready with a Schedule
  await patch('BackupConfiguration', 'bc-c2', { spec: { schedule: '@every 1h' } });
  await waitPhase('bc-c2', 'Ready');
  assert.equal(await scheduleGone('bc-c2'), false);
});

test('missing Repository → RepositoryFound=False, NotReady, Schedule kept; Repository created → Ready', async () => {
  await create('BackupConfiguration', backupConfiguration('bc-d', { repository: { name: 'repo-later' } }));
  const bc = await waitPhase('bc-d', 'NotReady');
  const r = condition(bc, 'RepositoryFound');
  assert.equal(r?.status, 'False');
  assert.equal(r?.reason, 'RepositoryNotAvailable');
  assert.match(r?.message ?? '', /repo-later/);
  assert.equal(await scheduleGone('bc-d'), false, 'Schedule exists although the Repository does not');
  await create('Repository', {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: 'repo-later', namespace: ns },
    spec: { backend: { storageSecretName: 'repo-secret', rest: { url: 'http://127.0.0.1:8000/y' } } },
  });
  const ready = await waitPhase('bc-d', 'Ready');
  assert.equal(condition(ready, 'RepositoryFound')?.status, 'True');
});

test('delete → Schedule deleted and finalizer released', async () => {
  await create('BackupConfiguration', backupConfiguration('bc-e'));
  await waitPhase('bc-e', 'Ready');
  await del('BackupConfiguration', 'bc-e');
  await eventually('bc-e gone', 20_000, async () =>
    get('BackupConfiguration', 'bc-e').then(
      () => undefined,
      (err: unknown) => (isNotFound(err) ? true : undefined),
    ),
  );
  assert.equal(await scheduleGone('bc-e'), true);
});

async function sessionsOf(config: string): Promise<BackupSession[]> {
  return list<BackupSession>('BackupSession', `${LABEL_INVOKER_NAME}=${config}`);
}

test('a Schedule firing creates one BackupSession (invoker, owner, labels), and the watcher starts its workflow', async () => {
  await create('BackupConfiguration', backupConfiguration('bc-f', { retryConfig: { maxRetry: 1 } }));
  const bc = await waitPhase('bc-f', 'Ready');
  await client.schedule.getHandle(scheduleId({ namespace: ns, name: 'bc-f' })).trigger();
  const [bs] = await eventually('BackupSession from the firing', 30_000, async () => {
    const s = await sessionsOf('bc-f');
    return s.length ? s : undefined;
  });
  assert.ok(bs);
  assert.match(bs.metadata.name, /^bc-f-\d{10}$/);
  assert.deepEqual(bs.spec.invoker, { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'bc-f' });
  assert.equal(bs.spec.retryLeft, 1);
  assert.deepEqual(bs.metadata.ownerReferences, [
    {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'BackupConfiguration',
      name: 'bc-f',
      uid: bc.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.equal(bs.metadata.labels?.[LABEL_INVOKER_TYPE], 'BackupConfiguration');
  assert.equal(bs.metadata.labels?.[LABEL_TARGET_KIND], 'AppBinding');
  assert.equal(bs.metadata.labels?.[LABEL_TARGET_NAME], 'sample-es');
  assert.equal(bs.metadata.labels?.app, 'es-demo');
  // the firing's workflow completed with Created
  const d = await describeSchedule('bc-f');
  const run = d.info.recentActions[0]?.action.workflow;
  assert.ok(run, 'the schedule recorded its action');
  assert.ok(run.workflowId.startsWith(`createbackupsession:${ns}/bc-f-`), run.workflowId);
  const result = (await client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result()) as CreateBackupSessionResult;
  assert.equal(result.reason, 'Created');
  assert.equal(result.sessionName, bs.metadata.name);

  // the watcher started backupSession for it, with the derived id and search attributes
  const wfId = backupSessionWorkflowId({ namespace: ns, name: bs.metadata.name, uid: bs.metadata.uid! });
  const wf = await eventually('backupSession workflow', 20_000, () => client.workflow.getHandle(wfId).describe());
  assert.equal(wf.type, workflowTypes.backupSession);
  assert.equal(wf.taskQueue, taskQueue);
  assert.equal(wf.typedSearchAttributes.get(sa.sessionKind), 'BackupSession');
  assert.equal(wf.typedSearchAttributes.get(sa.invokerName), 'bc-f');
  assert.equal(wf.typedSearchAttributes.get(sa.repository), 'repo');
  assert.equal(wf.typedSearchAttributes.get(sa.phase), 'Pending');
  assert.deepEqual(await client.workflow.getHandle(wfId).query(refQuery), {
    namespace: ns,
    name: bs.metadata.name,
    uid: bs.metadata.uid,
  });
  assert.deepEqual(await wf.memo, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    namespace: ns,
    name: bs.metadata.name,
    uid: bs.metadata.uid,
    invoker: { kind: 'BackupConfiguration', name: 'bc-f' },
  });
});

test('the same firing twice (workflow re-run, activity retried) creates one BackupSession; paused or missing configurations create none', async () => {
  await create('BackupConfiguration', backupConfiguration('bc-g'));
  await waitPhase('bc-g', 'Ready');
  const input = { namespace: ns, name: 'bc-g', sessionName: 'bc-g-1700000000' };
  const run = (i: number) =>
    client.workflow.execute(workflowTypes.createBackupSession, {
      taskQueue,
      workflowId: `cbs-${ns}-${i}`,
      args: [input],
    }) as Promise<CreateBackupSessionResult>;
  const [a, b] = [await run(1), await run(2)];
  assert.equal(a.reason, 'Created');
  assert.equal(b.reason, 'AlreadyExists');
  assert.equal(b.created, false);
  // the activity itself, called twice as a retry would
  const act = createBackupSessionActivities(kube);
  assert.equal((await act.createBackupSession(input)).reason, 'AlreadyExists');
  assert.deepEqual(
    (await sessionsOf('bc-g')).map((s) => s.metadata.name),
    ['bc-g-1700000000'],
  );

  await patch('BackupConfiguration', 'bc-g', { spec: { paused: true } });
  const paused = await act.createBackupSession({ namespace: ns, name: 'bc-g', sessionName: 'bc-g-1700000060' });
  assert.equal(paused.reason, 'Paused');
  const gone = await act.createBackupSession({ namespace: ns, name: 'nope', sessionName: 'nope-1' });
  assert.equal(gone.reason, 'NotFound');
  assert.match(gone.message, /not found/);
  assert.equal((await sessionsOf('bc-g')).length, 1);
});

test('BackupSession/RestoreSession → one workflow each; a restarted watcher starts no duplicate; final phases are left alone', async () => {
  let w = watchers[0] ?? startWatcher();
  const bs = await create<BackupSession>('BackupSession', {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name: 'manual-1', namespace: ns },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'bc-a' } },
  });
  const rs = await create<{ metadata: { uid: string } }>('RestoreSession', {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'RestoreSession',
    metadata: { name: 'restore-1', namespace: ns },
    spec: {
      repository: { name: 'repo' },
      target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' } },
    },
  });
  const bsId = backupSessionWorkflowId({ namespace: ns, name: 'manual-1', uid: bs.metadata.uid! });
  const rsId = restoreSessionWorkflowId({ namespace: ns, name: 'restore-1', uid: rs.metadata.uid });
  const bsWf = await eventually('backupSession workflow', 20_000, () => client.workflow.getHandle(bsId).describe());
  const rsWf = await eventually('restoreSession workflow', 20_000, () => client.workflow.getHandle(rsId).describe());
  assert.equal(rsWf.type, workflowTypes.restoreSession);
  assert.equal(rsWf.typedSearchAttributes.get(sa.invokerKind), 'RestoreSession');
  assert.equal(rsWf.typedSearchAttributes.get(sa.invokerName), 'restore-1');
  assert.equal(rsWf.typedSearchAttributes.get(sa.repository), 'repo');
  assert.deepEqual(await client.workflow.getHandle(rsId).query(refQuery), {
    namespace: ns,
    name: 'restore-1',
    uid: rs.metadata.uid,
  });

  // restart: a new watcher instance (new identity) takes over and re-lists everything
  await stopWatcher(w);
  w = startWatcher();
  await eventually('new leader', 10_000, async () => (w.isLeader ? true : undefined));
  await sleep(1000);
  await w.idle();
  // ...and the same object seen again (an update event) changes nothing either
  await patch('BackupSession', 'manual-1', { metadata: { annotations: { again: '1' } } });
  await sleep(1000);
  await w.idle();
  for (const [id, first] of [
    [bsId, bsWf],
    [rsId, rsWf],
  ] as const) {
    const runs: string[] = [];
    for await (const x of client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(x.runId);
    assert.deepEqual(runs, [first.runId], `exactly one run of ${id}`);
  }

  // a session already final is not started at all
  const done = await create<BackupSession>('BackupSession', {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name: 'finished-1', namespace: ns },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'bc-a' } },
  });
  // status is a subresource: set it before the watcher could start it is racy, so use a second watcher-free window
  await stopWatcher(w);
  await kube.custom.patchNamespacedCustomObjectStatus(
    { ...pick('BackupSession'), namespace: ns, name: 'finished-1', body: { status: { phase: 'Succeeded' } } },
    mergePatch,
  );
  const doneId = backupSessionWorkflowId({ namespace: ns, name: 'finished-1', uid: done.metadata.uid! });
  // the first watcher may have started it before we stopped it; terminate that and check the restarted one does not
  await client.workflow
    .getHandle(doneId)
    .terminate('test: pretend it finished')
    .catch(() => undefined);
  const before = await client.workflow
    .getHandle(doneId)
    .describe()
    .then(
      (x) => x.runId,
      () => undefined,
    );
  w = startWatcher();
  await eventually('leader', 10_000, async () => (w.isLeader ? true : undefined));
  await sleep(1000);
  await w.idle();
  const afterRun = await client.workflow
    .getHandle(doneId)
    .describe()
    .then(
      (x) => x.runId,
      (err: unknown) => (err instanceof WorkflowNotFoundError ? undefined : Promise.reject(err)),
    );
  assert.equal(afterRun, before, 'no new run for a final session');
});

test('two watchers: one leads; when it stops the other takes over', async () => {
  const leaseName = `lease-${suffix()}`;
  // watchNamespace of an empty namespace keeps these two away from the objects above
  const idle = `${ns}-idle`;
  await kube.core.createNamespace({ body: { metadata: { name: idle } } });
  try {
    const a = startWatcher({ leaseName, watchNamespace: idle, identity: 'watcher-a' });
    const b = startWatcher({ leaseName, watchNamespace: idle, identity: 'watcher-b' });
    const leader = await eventually('a leader', 10_000, async () => (a.isLeader ? a : b.isLeader ? b : undefined));
    await sleep(2000);
    assert.equal([a, b].filter((x) => x.isLeader).length, 1, 'exactly one leads');
    const other = leader === a ? b : a;
    const lease = await kube.kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: leaseName, namespace: ns });
    assert.equal(lease.spec?.holderIdentity, leader === a ? 'watcher-a' : 'watcher-b');
    const t0 = Date.now();
    await stopWatcher(leader);
    await eventually('takeover', 10_000, async () => (other.isLeader ? true : undefined));
    assert.ok(Date.now() - t0 < 5000, 'a released lease is taken over without waiting for expiry');
    await stopWatcher(other);
  } finally {
    await kube.core.deleteNamespace({ name: idle }).catch(() => undefined);
  }
});

test('a leader whose lease is taken stops its controllers and reports the loss (main exits non-zero)', async () => {
  const leaseName = `steal-${suffix()}`;
  let lost = 0;
  const w = new Watcher({
    cfg: settings({ leaseName, watchNamespace: `${ns}-none`, identity: 'victim' }),
    kube,
    client,
    log,
    onLostLeadership: () => lost++,
  });
  watchers.push(w);
  w.start();
  await eventually('leader', 10_000, async () => (w.isLeader ? true : undefined));
  const coord = kube.kc.makeApiClient(k8s.CoordinationV1Api);
  const lease = await coord.readNamespacedLease({ name: leaseName, namespace: ns });
  const now = new k8s.V1MicroTime();
  await coord.replaceNamespacedLease({
    name: leaseName,
    namespace: ns,
    body: {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60, renewTime: now, acquireTime: now },
    },
  });
  await eventually('loss noticed', 10_000, async () => (lost === 1 ? true : undefined));
  assert.equal(w.isLeader, false);
  const after = await coord.readNamespacedLease({ name: leaseName, namespace: ns });
  assert.equal(after.spec?.holderIdentity, 'intruder', 'the former leader does not fight for the lease');
  await stopWatcher(w);
  assert.equal(lost, 1, 'stop() after a loss reports nothing more');
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return runProcess(cmd, args, { cwd: repoRoot, env });
}
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');

test('stashflow trigger: creates a BackupSession now; clear errors for a missing object, no cluster access, usage', async () => {
  await eventually('bc-a exists', 5000, () => get('BackupConfiguration', 'bc-a'));
  const env = { KUBECONFIG: stackEnv('KUBECONFIG') };
  const ok = await run(tsx, ['cli/main.ts', 'trigger', `${ns}/bc-a`], env);
  assert.equal(ok.code, 0, ok.stderr);
  const name = ok.stdout.trim();
  assert.match(name, /^bc-a-\d{10}$/);
  const bs = await get<BackupSession>('BackupSession', name);
  assert.equal(bs.spec.invoker.name, 'bc-a');
  assert.equal(bs.metadata.ownerReferences?.[0]?.kind, 'BackupConfiguration');

  const missing = await run(tsx, ['cli/main.ts', 'trigger', `${ns}/does-not-exist`], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /BackupConfiguration .*does-not-exist not found/);

  const dir = mkdtempSync(join(tmpdir(), 'stashflow-kc-'));
  const bad = join(dir, 'kubeconfig');
  writeFileSync(
    bad,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    }),
  );
  const noCluster = await run(tsx, ['cli/main.ts', 'trigger', `${ns}/bc-a`], { KUBECONFIG: bad });
  assert.equal(noCluster.code, 1);
  assert.match(noCluster.stderr, /cannot reach the Kubernetes API \(ECONNREFUSED\)/);

  const help = await run(tsx, ['cli/main.ts', 'trigger', '--help'], env);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: stashflow trigger <namespace>\/<backupconfiguration>/);
  const usage = await run(tsx, ['cli/main.ts', 'trigger'], env);
  assert.equal(usage.code, 2);
});

test('watcher process: leads, and on SIGTERM releases the lease and exits 0', async () => {
  const leaseName = `proc-${suffix()}`;
  const p = spawn(tsx, ['watcher/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KUBECONFIG: stackEnv('KUBECONFIG'),
      TEMPORAL_ADDRESS: stackEnv('TEMPORAL_ADDRESS'),
      STASHFLOW_TASK_QUEUE: taskQueue,
      STASHFLOW_LEASE_NAMESPACE: ns,
      STASHFLOW_LEASE_NAME: leaseName,
      STASHFLOW_IDENTITY: 'proc-watcher',
      STASHFLOW_WATCH_NAMESPACE: `${ns}-none`,
      STASHFLOW_LEASE_RETRY_PERIOD: '500ms',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => p.on('close', r));
  const coord = kube.kc.makeApiClient(k8s.CoordinationV1Api);
  try {
    await eventually('process holds the lease', 30_000, async () => {
      const l = await coord.readNamespacedLease({ name: leaseName, namespace: ns });
      return l.spec?.holderIdentity === 'proc-watcher' ? true : undefined;
    });
    await eventually('controllers started', 15_000, async () => (out.includes('controllers started') ? true : undefined));
  } finally {
    p.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out);
  const l = await coord.readNamespacedLease({ name: leaseName, namespace: ns });
  assert.equal(l.spec?.holderIdentity ?? '', '', 'lease released');
  const lines = out.split('\n').filter((x) => x.startsWith('{'));
  assert.ok(lines.length > 0 && lines.every((x) => JSON.parse(x).component === 'watcher'), 'JSON logs');
});
