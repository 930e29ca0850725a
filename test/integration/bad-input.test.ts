// Bad input caught before anything runs (issue 6), table-driven: every row applies the Elasticsearch scenario in its
// own namespace with one mistake, runs the real watcher (and, for RestoreSessions, the real worker), and checks
// (a) a False condition with a reason and a message naming the field, (b) a Warning Event with a reason on the
// object, (c) nothing written (the restic repository was never touched, no Job, no interim volume), (d) nothing left
// running. Runtime failures (Jobs) are in bad-input-runtime.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { BackupConfiguration, RestoreSession, StashFunction, Task } from '../../api/types.js';
import type { Scenario } from '../../dev/demo/es-scenario.js';
import { deleteObject, getObject } from '../../lib/objects.js';
import { scheduleId } from '../../workflows/contracts.js';
import {
  assertCondition,
  assertNothingRunning,
  assertWarningEvent,
  patchSpec,
  repositoryWritten,
  until,
  waitBcCondition,
  withRow,
  type Expect,
} from '../helpers/bad-input.js';
import { scenarioAddresses, startCatalogHarness } from '../helpers/es-scenario.js';
import { createClusterObject, createRestoreSession, getRestoreSession, rand } from '../helpers/sessions.js';
import { stackEnv } from '../helpers/stack.js';
import type { Harness } from '../helpers/temporal.js';

const addr = scenarioAddresses();
const restUrl = stackEnv('RESTIC_REST_URL');
const id = rand();
let h: Harness;
const cleanups: Array<() => Promise<void>> = [];

// a Task whose only step names a Function that does not exist, and one whose Function types a param (integer default)
const missingFnTask: Task = {
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Task',
  metadata: { name: `bi-missing-fn-${id}` },
  spec: { steps: [{ name: `bi-no-such-function-${id}` }] },
};
const typedFn: StashFunction = {
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Function',
  metadata: { name: `bi-typed-${id}` },
  spec: { image: 'stashflow/stashflow:dev', args: ['--max-connections=${MAX_CONNECTIONS:=0}', '--es-args=${args:=}'] },
};
const typedTask: Task = {
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Task',
  metadata: { name: `bi-typed-${id}` },
  spec: { steps: [{ name: typedFn.metadata.name }] },
};

interface Row {
  name: string;
  tag: string;
  /** makes the mistake, after the scenario is applied and before the watcher starts */
  mistake: (s: Scenario) => Promise<void>;
  condition: Expect;
  event: string;
  phase: 'Invalid' | 'NotReady';
  /** a secret value the row created: must appear in no condition or Event */
  secret?: string;
}

const bcSpec = (s: Scenario, spec: Partial<BackupConfiguration['spec']>) =>
  patchSpec(h, 'BackupConfiguration', s.namespace, s.backupConfiguration, spec);
const delSecret = (s: Scenario, name: string) => h.kube.core.deleteNamespacedSecret({ namespace: s.namespace, name });
const notAPassword = `not-a-password-${randomBytes(6).toString('hex')}`;

const rows: Row[] = [
  {
    name: 'invalid cron',
    tag: 'cron',
    mistake: (s) => bcSpec(s, { schedule: '61 * * * *' }),
    condition: { type: 'ValidationPassed', reason: 'ResourceValidationFailed', names: /spec\.schedule "61 \* \* \* \*": minute/ },
    event: 'InvalidSchedule',
    phase: 'Invalid',
  },
  {
    name: 'missing Repository',
    tag: 'repo',
    mistake: (s) => deleteObject(h.kube, 'Repository', s.namespace, s.repository),
    condition: {
      type: 'RepositoryFound',
      reason: 'RepositoryNotAvailable',
      names: /Repository \S+\/es-repo \(spec\.repository\)/,
    },
    event: 'RepositoryNotAvailable',
    phase: 'NotReady',
  },
  {
    name: 'missing Task',
    tag: 'task',
    mistake: (s) => bcSpec(s, { task: { name: `bi-no-such-task-${id}` } }),
    condition: {
      type: 'ValidationPassed',
      reason: 'ResourceValidationFailed',
      names: /Task bi-no-such-task-\w+ \(spec\.task\.name\)/,
    },
    event: 'ResourceValidationFailed',
    phase: 'Invalid',
  },
  {
    name: 'missing Function',
    tag: 'func',
    mistake: (s) => bcSpec(s, { task: { name: missingFnTask.metadata.name } }),
    condition: {
      type: 'ValidationPassed',
      reason: 'ResourceValidationFailed',
      names: /Function bi-no-such-function-\w+ \(Task bi-missing-fn-\w+ spec\.steps\[0\]\.name\) not found/,
    },
    event: 'ResourceValidationFailed',
    phase: 'Invalid',
  },
  {
    name: 'missing AppBinding',
    tag: 'ab',
    mistake: (s) => deleteObject(h.kube, 'AppBinding', s.namespace, 'es-source'),
    condition: {
      type: 'BackupTargetFound',
      reason: 'TargetNotAvailable',
      names: /AppBinding \S+\/es-source \(spec\.target\.ref\)/,
    },
    event: 'TargetNotAvailable',
    phase: 'NotReady',
  },
  {
    name: "missing AppBinding's Secret",
    tag: 'absec',
    mistake: (s) => delSecret(s, 'es-source-auth').then(() => undefined),
    condition: {
      type: 'BackupTargetFound',
      reason: 'TargetNotAvailable',
      names: /Secret \S+\/es-source-auth \(AppBinding \S+\/es-source spec\.secret\) not found/,
    },
    event: 'TargetNotAvailable',
    phase: 'NotReady',
  },
  {
    name: 'missing storage Secret',
    tag: 'sec',
    mistake: (s) => delSecret(s, `${s.repository}-secret`).then(() => undefined),
    condition: {
      type: 'BackendSecretFound',
      reason: 'BackendSecretNotAvailable',
      names: /Secret \S+\/es-repo-secret \(Repository \S+\/es-repo spec\.backend\.storageSecretName\) not found/,
    },
    event: 'BackendSecretNotAvailable',
    phase: 'NotReady',
  },
  {
    name: 'storage Secret without RESTIC_PASSWORD',
    tag: 'nopw',
    mistake: async (s) => {
      await delSecret(s, `${s.repository}-secret`);
      await h.kube.core.createNamespacedSecret({
        namespace: s.namespace,
        body: { metadata: { name: `${s.repository}-secret` }, stringData: { RESTIC_PASSWORD_TYPO: notAPassword } },
      });
    },
    condition: {
      type: 'BackendSecretFound',
      reason: 'BackendSecretNotAvailable',
      names: /es-repo-secret .*has no RESTIC_PASSWORD key/,
    },
    event: 'BackendSecretNotAvailable',
    phase: 'NotReady',
    secret: notAPassword,
  },
  {
    name: 'params: unknown key',
    tag: 'pkey',
    mistake: (s) => bcSpec(s, { task: { name: 'elasticsearch-backup-8.2.0', params: [{ name: 'arg', value: '--match=x' }] } }),
    condition: {
      type: 'ValidationPassed',
      reason: 'ResourceValidationFailed',
      names: /spec\.task\.params\[0\]\.name: 'arg' is not a parameter of Task elasticsearch-backup-8\.2\.0 \(it takes: args/,
    },
    event: 'ResourceValidationFailed',
    phase: 'Invalid',
  },
  {
    name: 'params: wrong type',
    tag: 'ptype',
    mistake: (s) =>
      bcSpec(s, {
        task: {
          name: typedTask.metadata.name,
          params: [
            { name: 'args', value: '--match=x' },
            { name: 'MAX_CONNECTIONS', value: 'many' },
          ],
        },
      }),
    condition: {
      type: 'ValidationPassed',
      reason: 'ResourceValidationFailed',
      names: /spec\.task\.params\[1\]\.value: 'MAX_CONNECTIONS' must be an integer, got 'many'/,
    },
    event: 'ResourceValidationFailed',
    phase: 'Invalid',
  },
];

before(async () => {
  h = await startCatalogHarness();
  for (const o of [missingFnTask, typedTask]) cleanups.push(await createClusterObject(h, 'Task', o));
  cleanups.push(await createClusterObject(h, 'Function', typedFn));
});

after(async () => {
  for (const c of cleanups) await c();
  await h?.close();
});

async function scheduleExists(s: Scenario): Promise<boolean> {
  try {
    await h.client.schedule.getHandle(scheduleId({ namespace: s.namespace, name: s.backupConfiguration })).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

function runRow(row: Row): Promise<string> {
  return withRow(h, addr, row.tag, async ({ s, watch }) => {
    await row.mistake(s);
    watch();
    const bc = await waitBcCondition(h, s, row.condition.type);
    const label = row.name;
    // (a)
    const c = assertCondition(bc.status?.conditions, row.condition, label);
    assert.equal(bc.status?.phase, row.phase, `${label}: phase`);
    // (b)
    const ev = await assertWarningEvent(h, s.namespace, s.backupConfiguration, row.event, row.condition.names, label);
    if (row.secret) assert.ok(!c.message?.includes(row.secret) && !ev.includes(row.secret), `${label}: no secret value`);
    // an Invalid configuration has no Schedule; a NotReady one keeps it (paused here) for when the object appears
    assert.equal(
      await scheduleExists(s),
      row.phase === 'NotReady',
      `${label}: Schedule ${row.phase === 'NotReady' ? 'kept' : 'removed'}`,
    );
    // (c) nothing written: the repository was never initialised, no interim volume
    assert.equal(await repositoryWritten(restUrl, s), false, `${label}: restic repository untouched`);
    const pvcs = await h.kube.core.listNamespacedPersistentVolumeClaim({ namespace: s.namespace });
    assert.equal(pvcs.items.length, 0, `${label}: no interim volume`);
    // (d)
    await assertNothingRunning(h, s.namespace, [], label);
    return `${row.name} | ${c.type}=False ${c.reason}: ${c.message} | Warning ${row.event}`;
  });
}

test('BackupConfiguration mistakes: each sets a False condition naming the field and a Warning Event; nothing runs', async () => {
  const results = await Promise.allSettled(rows.map(runRow));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${rows[i]!.name}: ${String(r.reason)}`] : []));
  for (const r of results) if (r.status === 'fulfilled') console.log(`row | ${r.value}`);
  assert.deepEqual(failed, []);
});

test('a param value that is not a string is rejected by the apiserver, naming the field', async () => {
  await withRow(h, addr, 'pval', async ({ s }) => {
    await assert.rejects(
      patchSpec(h, 'BackupConfiguration', s.namespace, s.backupConfiguration, {
        task: { name: 'elasticsearch-backup-8.2.0', params: [{ name: 'args', value: 5 }] },
      }),
      (err: unknown) => {
        const body = String((err as { body?: unknown }).body ?? err);
        assert.match(body, /spec\.task\.params\[0\]\.value/);
        return true;
      },
    );
    const bc = await getObject<BackupConfiguration>(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration);
    assert.equal(bc?.spec.task?.params?.[0]?.value, `--match=^${s.indexPrefix}`, 'the stored spec is unchanged');
  });
});

interface RestoreRow {
  name: string;
  tag: string;
  spec: (s: Scenario) => RestoreSession['spec'];
  phase: 'Invalid' | 'Failed';
  condition: Expect;
}

const restoreSpec = (s: Scenario, over: Partial<RestoreSession['spec']>): RestoreSession['spec'] =>
  ({
    task: { name: 'elasticsearch-restore-8.2.0', params: [{ name: 'args', value: `--match=^${s.indexPrefix}` }] },
    repository: { name: s.repository },
    target: {
      ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es-target' },
      rules: [{ snapshots: ['latest'] }],
    },
    ...over,
  }) as RestoreSession['spec'];

const restoreRows: RestoreRow[] = [
  {
    name: 'RestoreSession: missing Repository',
    tag: 'rrepo',
    spec: (s) => restoreSpec(s, { repository: { name: 'no-such-repo' } }),
    phase: 'Failed',
    condition: {
      type: 'RepositoryFound',
      reason: 'RepositoryNotAvailable',
      names: /Repository \S+\/no-such-repo \(spec\.repository\) not found/,
    },
  },
  {
    name: 'RestoreSession: params unknown key',
    tag: 'rparam',
    spec: (s) =>
      restoreSpec(s, { task: { name: 'elasticsearch-restore-8.2.0', params: [{ name: 'snapshot', value: 'latest' }] } }),
    phase: 'Invalid',
    condition: {
      type: 'ValidationPassed',
      reason: 'ResourceValidationFailed',
      names: /spec\.task\.params\[0\]\.name: 'snapshot' is not a parameter of Task elasticsearch-restore-8\.2\.0/,
    },
  },
  {
    name: 'RestoreSession: missing target AppBinding',
    tag: 'rab',
    spec: (s) =>
      restoreSpec(s, {
        target: {
          ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'no-such-target' },
          rules: [{ snapshots: ['latest'] }],
        },
      } as Partial<RestoreSession['spec']>),
    phase: 'Failed',
    condition: {
      type: 'BackupTargetFound',
      reason: 'TargetNotAvailable',
      names: /AppBinding \S+\/no-such-target \(spec\.target\.ref\) not found/,
    },
  },
];

function runRestoreRow(row: RestoreRow): Promise<string> {
  return withRow(h, addr, row.tag, async ({ s, watch }) => {
    watch();
    const ref = await createRestoreSession(h, s.namespace, 'restore', row.spec(s));
    const rs = await until(`${row.name}: final phase`, 60_000, async () => {
      const o = await getRestoreSession(h, ref);
      return o?.status?.phase && ['Succeeded', 'Failed', 'Invalid'].includes(o.status.phase) ? o : undefined;
    });
    assert.equal(rs.status?.phase, row.phase, `${row.name}: phase`);
    const c = assertCondition(rs.status?.conditions, row.condition, row.name);
    await assertWarningEvent(h, s.namespace, ref.name, 'RestoreSessionFailed', row.condition.names, row.name);
    // nothing lost: no Job ran, so the target was not touched; no interim volume either
    const jobs = await h.kube.batch.listNamespacedJob({ namespace: s.namespace });
    assert.equal(jobs.items.length, 0, `${row.name}: no Job`);
    await assertNothingRunning(h, s.namespace, [{ kind: 'RestoreSession', ref }], row.name);
    return `${row.name} | ${rs.status?.phase}; ${c.type}=False ${c.reason}: ${c.message} | Warning RestoreSessionFailed`;
  });
}

test('RestoreSession mistakes: the session ends Failed/Invalid at planning, naming the field, before any Job', async () => {
  const results = await Promise.allSettled(restoreRows.map((r) => h.withWorker(() => runRestoreRow(r))));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${restoreRows[i]!.name}: ${String(r.reason)}`] : []));
  for (const r of results) if (r.status === 'fulfilled') console.log(`row | ${r.value}`);
  assert.deepEqual(failed, []);
});
