// One chaos "row" on the Elasticsearch scenario: start a backup (or restore) the way a user does, wait until its Job's
// container runs, kill something, and check what must hold afterwards: a final phase, one Job per attempt, one
// BackupSession per trigger, no duplicated restic snapshot, and (restore) the restored index equal to the source.
// Stashflow runs as real processes (product.ts) on a task queue and namespace of this file only.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Client as EsClient } from '@elastic/elasticsearch';
import type { Client } from '@temporalio/client';
import type { BackupSession, RestoreSession } from '../../api/types.js';
import {
  applyScenario,
  createRestore,
  installCatalog,
  seedSource,
  waitFinal,
  type Scenario,
} from '../../dev/demo/es-scenario.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createObject, deleteObject, getObject, listObjects, patchObject } from '../../lib/objects.js';
import * as restic from '../../lib/restic.js';
import { connectClient } from '../../lib/temporal.js';
import { ensureCrds } from '../helpers/crds.js';
import { deletePrefixed, fingerprint } from '../helpers/es-compare.js';
import { scenarioAddresses } from '../helpers/es-scenario.js';
import { stackDir, stackEnv } from '../helpers/stack.js';
import { watcherProcess, workerProcess, type SupervisedProcess } from './product.js';
import { runningPods, type RunningPod } from './stack-control.js';

// restic for the checks: the stack's binary
process.env.PATH = `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Chaos {
  id: string;
  P: string;
  s: Scenario;
  kube: KubeClients;
  client: Client;
  source: EsClient;
  target: EsClient;
  worker: SupervisedProcess;
  watchers: SupervisedProcess[];
  logDir: string;
  /** BackupSessions this file created (by trigger or Schedule) */
  triggered: string[];
}

/** Seeds a small index, applies the scenario (no schedule slot during the test, retries fast) and starts the product. */
export async function startChaos(label: string, opts: { watchers?: number; docs?: number } = {}): Promise<Chaos> {
  const id = randomUUID().slice(0, 6);
  const P = `chaos${label}${id}`;
  const s: Scenario = {
    namespace: `chaos-${label}-${id}`,
    indexPrefix: `${P}-`,
    backupConfiguration: 'es-backup',
    repository: 'es-repo',
  };
  const addr = scenarioAddresses();
  const kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  await ensureCrds(kube.kc);
  await installCatalog(kube);
  await seedSource(addr, s.indexPrefix, opts.docs ?? 20_000);
  await applyScenario(kube, addr, s);
  // before any watcher sees it: a slot far away (the tests trigger), fast retries, all sessions kept for counting
  await patchObject(kube, 'BackupConfiguration', s.namespace, s.backupConfiguration, {
    spec: {
      schedule: '0 0 1 1 *',
      retryConfig: { maxRetry: 2, delay: '1s' },
      backupHistoryLimit: 20,
      retentionPolicy: { name: 'keep-last-20', keepLast: 20, prune: true },
    },
  });
  const logDir = join(tmpdir(), `stashflow-chaos-${label}-${id}`);
  const p = { taskQueue: `chaos-${label}-${id}`, watchNamespace: s.namespace, leaseName: `chaos-${label}-${id}`, logDir };
  const worker = workerProcess(p);
  const watchers = Array.from({ length: opts.watchers ?? 1 }, (_, i) => watcherProcess(p, i));
  worker.start();
  for (const w of watchers) w.start();
  return {
    id,
    P,
    s,
    kube,
    client: await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' }),
    source: new EsClient({ node: addr.esSourceUrl }),
    target: new EsClient({ node: addr.esTargetUrl }),
    worker,
    watchers,
    logDir,
    triggered: [],
  };
}

/** Removes the BackupConfiguration while the watchers run (Schedule + finalizer go), then everything else. */
export async function stopChaos(c: Chaos | undefined): Promise<void> {
  if (!c) return;
  const { kube, s } = c;
  await deleteObject(kube, 'BackupConfiguration', s.namespace, s.backupConfiguration).catch(() => undefined);
  for (
    let i = 0;
    i < 40 && (await getObject(kube, 'BackupConfiguration', s.namespace, s.backupConfiguration).catch(() => 1));
    i++
  )
    await sleep(250);
  for (const w of c.watchers) await w.stop();
  await c.worker.stop();
  await kube.core.deleteNamespace({ name: s.namespace }).catch(() => undefined);
  for (const es of [c.source, c.target]) {
    await deletePrefixed(es, c.P).catch(() => undefined);
    await es.close();
  }
  await c.client.connection.close();
}

/** What `stashflow trigger` does: a BackupSession invoked by the configuration. */
export async function triggerBackup(c: Chaos): Promise<string> {
  const name = `${c.s.backupConfiguration}-${randomUUID().slice(0, 6)}`;
  await createObject<BackupSession>(c.kube, 'BackupSession', c.s.namespace, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name, namespace: c.s.namespace },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: c.s.backupConfiguration } },
  });
  c.triggered.push(name);
  return name;
}

/** Waits until a container of the session's (backup|restore) Job runs, polling the node agent's local records. */
export async function waitJobRunning(c: Chaos, purpose: 'backup' | 'restore', session: string, timeoutMs = 240_000) {
  const prefix = `stash-${purpose}-${session}-`;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const pod = runningPods(c.s.namespace).find((p) => p.name.startsWith(prefix));
    if (pod) return pod;
    await sleep(50);
  }
  throw new Error(`no running container of a ${prefix}* Job within ${timeoutMs} ms (logs: ${c.logDir})`);
}

/** what a row does to the world; gets the running Job container (undefined when run at creation); returns a note */
export type ChaosFn = (pod: RunningPod | undefined, session: string) => Promise<string>;

export interface RowOutcome {
  session: string;
  phase: string;
  /** attempt numbers of the session's main Jobs */
  attempts: number[];
  totalMs: number;
  detail: string;
}

/** The session's Jobs grouped by purpose: every attempt number once, 1..n, each Job with at most one pod. */
async function checkJobs(c: Chaos, session: string): Promise<Record<string, number[]>> {
  const jobs = await c.kube.batch.listNamespacedJob({
    namespace: c.s.namespace,
    labelSelector: `stashflow.dev/session=${session}`,
  });
  const byPurpose: Record<string, number[]> = {};
  for (const j of jobs.items) {
    const name = j.metadata!.name!;
    const m = /^stash-(backup|restore|maintenance)-.*-(\d+)$/.exec(name);
    assert.ok(m, `unexpected Job name ${name}`);
    (byPurpose[m[1]!] ??= []).push(Number(m[2]));
    const pods = await c.kube.core.listNamespacedPod({ namespace: c.s.namespace, labelSelector: `job-name=${name}` });
    assert.ok(pods.items.length <= 1, `Job ${name} has ${pods.items.length} pods (backoffLimit 0: one pod per attempt)`);
  }
  for (const [purpose, attempts] of Object.entries(byPurpose)) {
    attempts.sort((a, b) => a - b);
    assert.deepEqual(
      attempts,
      attempts.map((_, i) => i + 1),
      `${purpose} Jobs of ${session}: one per attempt, attempts ${attempts.join(',')}`,
    );
  }
  return byPurpose;
}

async function repoSnapshots(c: Chaos): Promise<restic.Snapshot[]> {
  const secret = await c.kube.core.readNamespacedSecret({ namespace: c.s.namespace, name: `${c.s.repository}-secret` });
  const password = Buffer.from(secret.data!.RESTIC_PASSWORD!, 'base64').toString();
  const repository = `rest:${stackEnv('RESTIC_REST_URL')}/${c.s.namespace}-${c.s.repository}`;
  return restic.snapshots({ repository, password, noCache: true });
}

/**
 * A backup during which `chaos` runs (called once the Job's container runs); asserts the row's invariants.
 * expectAttempts: how many Job attempts the kill must cause (undefined: any); at: when chaos runs.
 */
export async function backupRow(
  c: Chaos,
  chaos: ChaosFn,
  expectAttempts?: number,
  at: 'created' | 'job-running' = 'job-running',
): Promise<RowOutcome> {
  const t0 = Date.now();
  const session = await triggerBackup(c);
  const detail = await chaos(at === 'created' ? undefined : await waitJobRunning(c, 'backup', session), session);
  const bs = await waitFinal<BackupSession>(c.kube, 'BackupSession', c.s.namespace, session, 240_000);
  assert.equal(bs.status?.phase, 'Succeeded', `${session}: ${JSON.stringify(bs.status)}`);
  const jobs = await checkJobs(c, session);
  const attempts = jobs.backup ?? [];
  if (expectAttempts !== undefined) assert.equal(attempts.length, expectAttempts, `${session}: backup Job attempts`);
  // one BackupSession per trigger: nothing created a second session for it
  const sessions = await listObjects<BackupSession>(c.kube, 'BackupSession', c.s.namespace);
  assert.deepEqual(sessions.map((b) => b.metadata.name).sort(), [...c.triggered].sort(), 'BackupSessions = the triggers');
  // no duplicated snapshot: one per succeeded session (keepLast 20 > sessions per file), the session's one among them
  const succeeded = sessions.filter((b) => b.status?.phase === 'Succeeded').length;
  const snaps = await repoSnapshots(c);
  assert.equal(snaps.length, succeeded, `snapshots ${snaps.map((x) => x.short_id).join(',')} for ${succeeded} backups`);
  const reported = bs.status?.targets?.[0]?.stats?.[0]?.snapshots?.[0]?.name;
  assert.ok(
    snaps.some((x) => x.id === reported || x.short_id === reported),
    `${session} reports snapshot ${reported}`,
  );
  return { session, phase: 'Succeeded', attempts, totalMs: Date.now() - t0, detail };
}

let restores = 0;

/** A restore (of the latest snapshot into the emptied target) during which `chaos` runs; the data must equal the source. */
export async function restoreRow(
  c: Chaos,
  chaos: ChaosFn,
  expectAttempts?: number,
  at: 'created' | 'job-running' = 'job-running',
): Promise<RowOutcome> {
  await deletePrefixed(c.target, c.P);
  const t0 = Date.now();
  const session = await createRestore(c.kube, c.s, `es-restore-${++restores}-${c.id}`);
  const detail = await chaos(at === 'created' ? undefined : await waitJobRunning(c, 'restore', session), session);
  const rs = await waitFinal<RestoreSession>(c.kube, 'RestoreSession', c.s.namespace, session, 240_000);
  assert.equal(rs.status?.phase, 'Succeeded', `${session}: ${JSON.stringify(rs.status)}`);
  const jobs = await checkJobs(c, session);
  const attempts = jobs.restore ?? [];
  if (expectAttempts !== undefined) assert.equal(attempts.length, expectAttempts, `${session}: restore Job attempts`);
  for (const index of [`${c.P}-products`, `${c.P}-empty`]) {
    const [a, b] = await Promise.all([fingerprint(c.source, index), fingerprint(c.target, index)]);
    assert.deepEqual(b, a, `${index}: restored documents equal the source`);
  }
  return { session, phase: 'Succeeded', attempts, totalMs: Date.now() - t0, detail };
}

/** One line per row for the test output (docs/reliability.md is filled from these). */
export function report(what: string, when: string, o: RowOutcome): void {
  console.log(
    `chaos-row ${JSON.stringify({ what, when, phase: o.phase, attempts: o.attempts.length, totalMs: o.totalMs, detail: o.detail })}`,
  );
}
