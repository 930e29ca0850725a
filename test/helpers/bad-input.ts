// Shared by the bad-input tests (test/integration/bad-input*.test.ts): one namespace per row with the Elasticsearch
// scenario in it, and the four checks every row ends with — a False condition naming the field, a Warning Event,
// nothing lost, nothing left running.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { Client as EsClient } from '@elastic/elasticsearch';
import { resources, type BackupConfiguration, type Condition, type Kind } from '../../api/types.js';
import { applyScenario, seedSource, type Scenario, type StackAddresses } from '../../dev/demo/es-scenario.js';
import { deleteObject, getObject } from '../../lib/objects.js';
import { backupSessionWorkflowId, restoreSessionWorkflowId, type SessionRef } from '../../workflows/contracts.js';
import type { Watcher } from '../../watcher/watcher.js';
import { startScenarioWatcher } from './es-scenario.js';
import { eventsFor, rand } from './sessions.js';
import type { Harness } from './temporal.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** A row's scenario: its own namespace, index prefix and restic repository path. */
export function rowScenario(tag: string): Scenario {
  const id = rand();
  return { namespace: `bi-${tag}-${id}`, indexPrefix: `bi${tag}${id}-`, backupConfiguration: 'es-backup', repository: 'es-repo' };
}

/** The scenario's objects with the BackupConfiguration paused (sessions come only from the test). */
export async function applyRow(h: Harness, addr: StackAddresses, s: Scenario): Promise<void> {
  await applyScenario(h.kube, addr, s);
  await patchSpec(h, 'BackupConfiguration', s.namespace, s.backupConfiguration, { paused: true });
}

export interface RowOptions {
  /** a storage Secret with this restic password before the scenario (which keeps it) */
  password?: string;
  /** documents seeded in the source under the row's index prefix */
  docs?: number;
  /** clusters whose indices of the row the teardown deletes */
  es?: EsClient[];
}

export interface RowRun {
  s: Scenario;
  /** starts the row's watcher, once its mistake is in place; the teardown stops it */
  watch(): Watcher;
}

/** One row in a namespace of its own: the scenario applied (paused), `run`, and the row torn down whatever happened. */
export async function withRow<T>(
  h: Harness,
  addr: StackAddresses,
  tag: string,
  run: (r: RowRun) => Promise<T>,
  opts: RowOptions = {},
): Promise<T> {
  const s = rowScenario(tag);
  let watcher: Watcher | undefined;
  try {
    if (opts.password !== undefined) {
      await h.kube.core.createNamespace({ body: { metadata: { name: s.namespace } } });
      await h.kube.core.createNamespacedSecret({
        namespace: s.namespace,
        body: { metadata: { name: `${s.repository}-secret` }, stringData: { RESTIC_PASSWORD: opts.password } },
      });
    }
    if (opts.docs) await seedSource(addr, s.indexPrefix, opts.docs);
    await applyRow(h, addr, s);
    return await run({ s, watch: () => (watcher = startScenarioWatcher(h, s, s.namespace)) });
  } finally {
    await tearDownRow(h, s, watcher, opts.es);
  }
}

export async function patchSpec(h: Harness, kind: Kind, namespace: string, name: string, spec: object): Promise<void> {
  const r = resources[kind];
  await h.kube.custom.patchNamespacedCustomObject(
    { group: r.group, version: r.version, plural: r.plural, namespace, name, body: { spec } },
    mergePatch,
  );
}

export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(300);
  }
}

export interface Expect {
  type: string;
  reason: string;
  /** the field or object the message must name */
  names: RegExp;
  /** DeadlineExceeded is the one condition Stash sets True on failure */
  status?: 'True' | 'False';
}

/** (a) a condition of this type with status False, the reason, and a message naming the field. */
export function assertCondition(conds: Condition[] | undefined, e: Expect, label: string): Condition {
  const c = conds?.find((x) => x.type === e.type);
  assert.ok(c, `${label}: condition ${e.type} present (have ${JSON.stringify(conds?.map((x) => x.type))})`);
  assert.equal(c.status, e.status ?? 'False', `${label}: ${e.type} status`);
  assert.equal(c.reason, e.reason, `${label}: ${e.type} reason`);
  assert.match(c.message ?? '', e.names, `${label}: ${e.type} message names the field (was: ${c.message})`);
  return c;
}

/** (b) a Warning Event on the object with this reason whose message names the field. */
export async function assertWarningEvent(
  h: Harness,
  namespace: string,
  name: string,
  reason: string,
  names: RegExp,
  label: string,
): Promise<string> {
  const ev = await until(`${label}: Warning Event ${reason} on ${name}`, 60_000, async () =>
    (await eventsFor(h, namespace, name)).find((e) => e.type === 'Warning' && e.reason === reason),
  );
  assert.match(ev.message, names, `${label}: Event message names the field`);
  return ev.message;
}

/** (d) no session still Pending/Running, no active Job, no live pod, no open session workflow. */
export async function assertNothingRunning(h: Harness, namespace: string, sessions: SessionRefOf[], label: string) {
  const jobs = await h.kube.batch.listNamespacedJob({ namespace });
  assert.deepEqual(
    jobs.items.filter((j) => (j.status?.active ?? 0) > 0).map((j) => j.metadata?.name),
    [],
    `${label}: no active Job`,
  );
  const pods = await h.kube.core.listNamespacedPod({ namespace });
  assert.deepEqual(
    pods.items.filter((p) => ['Pending', 'Running'].includes(p.status?.phase ?? '')).map((p) => p.metadata?.name),
    [],
    `${label}: no live pod`,
  );
  for (const kind of ['BackupSession', 'RestoreSession'] as const) {
    const r = resources[kind];
    const list = (await h.kube.custom.listNamespacedCustomObject({
      group: r.group,
      version: r.version,
      plural: r.plural,
      namespace,
    })) as {
      items: Array<{ metadata: { name: string }; status?: { phase?: string } }>;
    };
    const open = list.items.filter((o) => ['Pending', 'Running', undefined].includes(o.status?.phase));
    assert.deepEqual(
      open.map((o) => o.metadata.name),
      [],
      `${label}: no ${kind} left Pending/Running`,
    );
  }
  for (const s of sessions) {
    const id = s.kind === 'BackupSession' ? backupSessionWorkflowId(s.ref) : restoreSessionWorkflowId(s.ref);
    // the phase is written before the last steps (metrics, Events): give the workflow a moment to close
    const status = await until(`${label}: workflow ${id} closed`, 90_000, async () => {
      const d = await h.client.workflow.getHandle(id).describe();
      return d.status.name === 'RUNNING' ? undefined : d.status.name;
    }).catch(() => 'RUNNING');
    assert.notEqual(status, 'RUNNING', `${label}: workflow ${id} closed`);
  }
}

export interface SessionRefOf {
  kind: 'BackupSession' | 'RestoreSession';
  ref: SessionRef;
}

/** Whether restic ever wrote this repository (its config file); a row that must not back up leaves none. */
export async function repositoryWritten(restUrl: string, s: Scenario): Promise<boolean> {
  const r = await fetch(`${restUrl}/${s.namespace}-${s.repository}/config`, { method: 'HEAD' });
  return r.status === 200;
}

export async function waitBcCondition(h: Harness, s: Scenario, type: string, timeoutMs = 30_000): Promise<BackupConfiguration> {
  return until(`${s.namespace}: BackupConfiguration condition ${type}=False`, timeoutMs, async () => {
    const bc = await getObject<BackupConfiguration>(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration);
    return bc?.status?.conditions?.some((c) => c.type === type && c.status === 'False') &&
      bc.status.observedGeneration === bc.metadata.generation
      ? bc
      : undefined;
  });
}

/** Deletes the row: the BackupConfiguration while its watcher runs (Schedule and finalizer go), then the rest. */
export async function tearDownRow(h: Harness, s: Scenario, watcher: Watcher | undefined, es: EsClient[] = []): Promise<void> {
  await deleteObject(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration).catch(() => undefined);
  for (let i = 0; i < 40 && (await getObject(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration)); i++)
    await sleep(250);
  await watcher?.stop();
  // a row that failed early may leave its session workflow open on this harness's task queue: end it
  const open = h.client.workflow.list({ query: `StashNamespace = '${s.namespace}' AND ExecutionStatus = 'Running'` });
  for await (const wf of open)
    await h.client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('bad-input test teardown')
      .catch(() => undefined);
  await h.kube.core.deleteNamespace({ name: s.namespace }).catch(() => undefined);
  for (const c of es) {
    const names = (await c.cat.indices({ index: `${s.indexPrefix}*`, format: 'json', h: 'index', expand_wildcards: 'all' })).map(
      (r) => String(r.index),
    );
    if (names.length) {
      await c.indices.putSettings({
        index: names,
        settings: { 'index.blocks.read_only': null, 'index.blocks.write': null } as never,
      });
      await c.indices.delete({ index: names });
    }
  }
}
