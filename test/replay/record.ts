// Records real workflow histories for the replay test (test/unit/replay.test.ts): runs a few real sessions on the
// local stack with the test harness's worker, fetches each workflow's event history from Temporal and writes it as
// JSON to test/replay/histories/<name>.json. Refuses to write anything if a history contains a secret value used
// here (the workflows carry references only, by design). Run: `npx tsx test/replay/record.ts` (stack up, and the
// project built: the dir function's Jobs run dist/cli/main.js). See test/replay/README.md for when to re-record.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from './history-json.js';
import * as prettier from 'prettier';
import type { BackupConfiguration, RestoreSession, StashFunction, Task } from '../../api/types.js';
import { createObject } from '../../lib/objects.js';
import {
  createBackupSessionWorkflowIdPrefix,
  workflowTypes,
  backupSessionWorkflowId,
  restoreSessionWorkflowId,
} from '../../workflows/contracts.js';
import type { SessionRef } from '../../workflows/contracts.js';
import { ensureCrds } from '../helpers/crds.js';
import {
  backupConfiguration,
  createBackupSession,
  createClusterObject,
  createRestoreSession,
  createRestRepository,
  createStorageSecret,
  rand,
} from '../helpers/sessions.js';
import { repoRoot } from '../helpers/stack.js';
import { startHarness, tempNamespace, type Harness } from '../helpers/temporal.js';
import { secretsIn } from './leaks.js';

// REPLAY_HISTORIES_DIR: write elsewhere (a trial run that leaves the committed histories alone)
const OUT = process.env.REPLAY_HISTORIES_DIR ?? join(repoRoot, 'test', 'replay', 'histories');
const id = rand();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Recording {
  name: string;
  workflowId: string;
  json: string;
}

let h!: Harness;
let ns!: { name: string; remove: () => Promise<void> };
const cleanups: Array<() => Promise<void>> = [];
const recordings: Recording[] = [];
const secrets: string[] = [];

/**
 * Starts the workflow on the harness's worker and waits for it. A watcher running on the same stack (e.g. the one
 * dev/product.sh starts) may have started the session's workflow first, under the same id: then that run is followed.
 */
async function run(
  workflowType: string,
  workflowId: string,
  args: unknown[],
): Promise<{ handle: WorkflowHandle; result: unknown }> {
  let handle: WorkflowHandle;
  try {
    handle = await h.client.workflow.start(workflowType, {
      workflowId,
      taskQueue: h.taskQueue,
      args,
      workflowExecutionTimeout: '10 minutes',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = h.client.workflow.getHandle(workflowId);
    console.log(`  ${workflowId}: already started by another starter (a watcher); following that run`);
  }
  const result = await h.withWorker(() => handle.result());
  return { handle, result };
}

async function record(
  name: string,
  workflowType: string,
  workflowId: string,
  args: unknown[],
  check: (result: Record<string, unknown>) => void,
): Promise<void> {
  const t0 = Date.now();
  console.log(`▶ ${name} (${workflowType})`);
  const { handle, result } = await run(workflowType, workflowId, args);
  check(result as Record<string, unknown>);
  const desc = await handle.describe();
  if (desc.status.name !== 'COMPLETED') throw new Error(`${name}: workflow ended ${desc.status.name}, expected COMPLETED`);
  const history = await handle.fetchHistory();
  const json = await prettier.format(historyToJSON(history), { parser: 'json', printWidth: 130 });
  recordings.push({ name, workflowId, json });
  console.log(
    `  ${name}: ${JSON.stringify(result)} — ${history.events?.length} events, task queue ${desc.taskQueue}, ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
}

function expectPhase(phase: string, more: (r: Record<string, unknown>) => boolean = () => true) {
  return (r: Record<string, unknown>) => {
    if (r.phase !== phase || !more(r)) throw new Error(`unexpected result ${JSON.stringify(r)}, expected phase ${phase}`);
  };
}

/** The hostPath directory the node agent provisioned for a claim (written to directly: the recorder is on the node). */
async function claimDir(claim: string): Promise<string> {
  await h.kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: claim }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pvc = await h.kube.core.readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: claim });
    if (pvc.status?.phase === 'Bound' && pvc.spec?.volumeName) {
      const pv = await h.kube.core.readPersistentVolume({ name: pvc.spec.volumeName });
      const path = pv.spec?.hostPath?.path;
      if (!path) throw new Error(`PV ${pvc.spec.volumeName} has no hostPath`);
      return path;
    }
    if (Date.now() > deadline) throw new Error(`PVC ${ns.name}/${claim} not Bound after 60s`);
    await sleep(250);
  }
}

// A real function, deliberately flaky (as in test/integration/backup-session.test.ts): counts its runs on the
// session's interim volume, fails the first two, and on the third backs the counter up with restic.
const flakyScript = `set -e
n=$(cat /stash-interim/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /stash-interim/count
if [ "$n" -lt 3 ]; then echo "attempt $n fails on purpose" >&2; exit 1; fi
restic cat config >/dev/null 2>&1 || restic init >/dev/null
id=$(restic backup /stash-interim/count --host host-0 --json | grep '"summary"' | sed 's/.*"snapshot_id":"\\([^"]*\\)".*/\\1/')
printf '{"phase":"Succeeded","backup":{"snapshots":[{"name":"%s","path":"/stash-interim"}]}}' "$id" > /dev/termination-log`;

const shellFn = (name: string, script: string): StashFunction => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Function',
  metadata: { name },
  spec: { image: 'busybox', command: ['sh', '-c'], args: [script] },
});
const oneStepTask = (name: string, fn: string): Task => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Task',
  metadata: { name },
  spec: { steps: [{ name: fn }, { name: 'update-status' }] },
});

/** The dir catalog (deploy/catalog/dir) under names private to this run, so nothing shared is touched. */
async function installDirCatalog(): Promise<{ backupTask: string; restoreTask: string }> {
  const dir = join(repoRoot, 'deploy', 'catalog', 'dir');
  const rename = (n: string) => `${n}-${id}`;
  for (const f of loadAllYaml(readFileSync(join(dir, 'functions.yaml'), 'utf8')) as StashFunction[]) {
    cleanups.push(await createClusterObject(h, 'Function', { ...f, metadata: { name: rename(f.metadata.name) } }));
  }
  for (const t of loadAllYaml(readFileSync(join(dir, 'tasks.yaml'), 'utf8')) as Task[]) {
    const steps = t.spec.steps.map((s) => (s.name === 'update-status' ? s : { ...s, name: rename(s.name) }));
    cleanups.push(
      await createClusterObject(h, 'Task', { ...t, metadata: { name: rename(t.metadata.name) }, spec: { ...t.spec, steps } }),
    );
  }
  return { backupTask: rename('dir-backup'), restoreTask: rename('dir-restore') };
}

/** A BackupConfiguration, paused so a watcher's Schedule never fires it on its own (sessions still run). */
async function config(name: string, spec: Partial<BackupConfiguration['spec']>): Promise<void> {
  await createObject(h.kube, 'BackupConfiguration', ns.name, backupConfiguration(ns.name, name, { paused: true, ...spec }));
}

async function backup(name: string, configName: string, check: (r: Record<string, unknown>) => void): Promise<SessionRef> {
  const ref = await createBackupSession(h, ns.name, configName, `${configName}-${id}`);
  await record(name, workflowTypes.backupSession, backupSessionWorkflowId(ref), [ref], check);
  return ref;
}

async function main(): Promise<void> {
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  ns = await tempNamespace(h.kube, 'replay');
  console.log(`namespace ${ns.name}, task queue ${h.taskQueue}`);
  secrets.push(await createStorageSecret(h, ns.name));
  await createRestRepository(h, ns.name, 'repo');
  await createRestRepository(h, ns.name, 'dir-repo');
  cleanups.push(await createClusterObject(h, 'Function', shellFn(`flaky-${id}`, flakyScript)));
  cleanups.push(await createClusterObject(h, 'Task', oneStepTask(`flaky-${id}`, `flaky-${id}`)));
  cleanups.push(await createClusterObject(h, 'Function', shellFn(`sleepy-${id}`, 'sleep 120')));
  cleanups.push(await createClusterObject(h, 'Task', oneStepTask(`sleepy-${id}`, `sleepy-${id}`)));
  const { backupTask, restoreTask } = await installDirCatalog();

  // the target: a claim with one tiny file, and an empty claim to restore into
  const dataDir = await claimDir('data');
  writeFileSync(join(dataDir, 'hello.txt'), 'recorded for the replay test\n');
  const restoredDir = await claimDir('restored');
  const pvcTarget = (claim: string) => ({
    ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: claim },
    volumeMounts: [{ name: claim, mountPath: '/data' }],
  });

  await config('missing-repo', { task: { name: `flaky-${id}` }, target: pvcTarget('data'), repository: { name: 'nope' } });
  await config('flaky', {
    task: { name: `flaky-${id}` },
    target: pvcTarget('data'),
    interimVolumeTemplate: {
      metadata: { name: 'interim' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
    retryConfig: { maxRetry: 2, delay: '1s' },
  });
  await config('sleepy', { task: { name: `sleepy-${id}` }, target: pvcTarget('data'), timeOut: '5s' });
  await config('dir', {
    task: { name: backupTask },
    target: { ...pvcTarget('data'), paths: ['/data'] },
    repository: { name: 'dir-repo' },
  });

  // what a Schedule firing runs; the configuration is paused, so it creates nothing (the workflow's code is the same)
  await record(
    'create-backup-session-paused',
    workflowTypes.createBackupSession,
    `${createBackupSessionWorkflowIdPrefix({ namespace: ns.name, name: 'dir' })}-replay-${id}`,
    [{ namespace: ns.name, name: 'dir' }],
    (r) => {
      if (r.reason !== 'Paused') throw new Error(`unexpected ${JSON.stringify(r)}`);
    },
  );
  await backup(
    'backup-missing-repository',
    'missing-repo',
    expectPhase('Failed', (r) => /nope/.test(String(r.error))),
  );
  const missingRestore = await createRestoreSession(h, ns.name, `missing-repo-${id}`, {
    task: { name: restoreTask },
    repository: { name: 'nope' },
    target: { ...pvcTarget('restored'), rules: [{ snapshots: ['latest'] }] },
  } as RestoreSession['spec']);
  await record(
    'restore-missing-repository',
    workflowTypes.restoreSession,
    restoreSessionWorkflowId(missingRestore),
    [missingRestore],
    expectPhase('Failed'),
  );

  await Promise.all([
    backup(
      'backup-flaky-succeeds-on-attempt-3',
      'flaky',
      expectPhase('Succeeded', (r) => r.attempts === 3),
    ),
    backup(
      'backup-timed-out',
      'sleepy',
      expectPhase('Failed', (r) => /timeOut/.test(String(r.error))),
    ),
  ]);
  await backup(
    'backup-dir-succeeds',
    'dir',
    expectPhase('Succeeded', (r) => r.attempts === 1),
  );
  const restore = await createRestoreSession(h, ns.name, `dir-restore-${id}`, {
    task: { name: restoreTask },
    repository: { name: 'dir-repo' },
    target: { ...pvcTarget('restored'), rules: [{ snapshots: ['latest'] }] },
  } as RestoreSession['spec']);
  await record(
    'restore-dir-succeeds',
    workflowTypes.restoreSession,
    restoreSessionWorkflowId(restore),
    [restore],
    expectPhase('Succeeded'),
  );
  const restored = readFileSync(join(restoredDir, 'hello.txt'), 'utf8');
  if (restored !== 'recorded for the replay test\n') throw new Error(`restored file differs: ${JSON.stringify(restored)}`);

  await record(
    'smoke',
    'smokeWorkflow',
    `replay-smoke-${id}`,
    [{ namespace: ns.name, image: 'stashflow/stashflow:latest', message: 'replay' }],
    (r) => {
      if (r.succeeded !== true) throw new Error(`unexpected ${JSON.stringify(r)}`);
    },
  );

  // no secret in any history; and the check itself finds one that is there (so it cannot pass vacuously)
  const probe = JSON.stringify({
    events: [{ payload: { data: Buffer.from(JSON.stringify({ v: secrets[0] })).toString('base64') } }],
  });
  if (secretsIn(probe, secrets).length !== 1) throw new Error('the secret check does not find a planted secret');
  for (const r of recordings) {
    const found = secretsIn(r.json, secrets);
    if (found.length) throw new Error(`${r.name}: the history contains ${found.length} secret value(s); nothing written`);
  }

  mkdirSync(OUT, { recursive: true });
  for (const r of recordings) writeFileSync(join(OUT, `${r.name}.json`), r.json);
  console.log(`wrote ${recordings.length} histories to ${OUT} (checked for ${secrets.length} secret value(s): none found)`);
}

try {
  await main();
} finally {
  for (const c of cleanups) await c();
  await ns?.remove();
  await h?.close();
}
