// Pure logic of the watcher: cron validation, the desired Schedule and its diff, status computation, session
// start decisions, the BackupSession a firing creates, and the watcher's config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleDescription } from '@temporalio/client';
import type { BackupConfiguration, BackupSession, RestoreSession } from '../../api/types.js';
import { buildBackupSession, LABEL_INVOKER_NAME, LABEL_INVOKER_TYPE, LABEL_TARGET_KIND } from '../../lib/backup-sessions.js';
import { ConfigError } from '../../lib/config.js';
import { setCondition, sameConditions } from '../../watcher/conditions.js';
import { loadWatcherConfig } from '../../watcher/config.js';
import { parseGoDuration, validateCron } from '../../watcher/cron.js';
import { computeStatus, statusChanged } from '../../watcher/reconcile-backup-configuration.js';
import { backupSessionStart, restoreSessionStart } from '../../watcher/reconcile-sessions.js';
import { desiredSchedule, diffSchedule } from '../../watcher/schedule.js';
import { backupSessionName, createBackupSessionWorkflowIdPrefix } from '../../workflows/contracts.js';

test('validateCron accepts Stash schedules', () => {
  for (const c of [
    '*/5 * * * *',
    '0 2 * * *',
    '0,30 9-17 * * MON-FRI',
    '15 3 1 jan,jul ?',
    '0 0 * * 0',
    '5-59/10 */2 1-15 * *',
    '@hourly',
    '@daily',
    '@every 1h30m',
    '@every 90s',
    'CRON_TZ=Europe/Berlin 0 3 * * *',
    '  0   1 * *   *  ',
  ])
    assert.equal(validateCron(c).ok, true, c);
});

test('validateCron rejects malformed schedules with a reason', () => {
  const cases: Array<[string | undefined, RegExp]> = [
    [undefined, /empty/],
    ['', /empty/],
    ['not a cron', /expected 5 fields/],
    ['* * * *', /got 4/],
    ['* * * * * *', /got 6/],
    ['61 * * * *', /minute.*outside 0-59/],
    ['* 24 * * *', /hour.*outside 0-23/],
    ['* * 0 * *', /day of month.*outside 1-31/],
    ['* * * 13 *', /month.*outside 1-12/],
    ['* * * * 7', /day of week.*outside 0-6/],
    ['*/0 * * * *', /step/],
    ['5-1 * * * *', /starts after/],
    ['* * * FOO *', /not a number or name/],
    ['@every', /@every needs/],
    ['@every 0.5s', /at least 1s/],
    ['@every 5 minutes', /@every needs/],
    ['@sometimes', /unknown descriptor/],
    ['CRON_TZ=Mars/Olympus 0 3 * * *', /unknown time zone/],
  ];
  for (const [c, re] of cases) {
    const r = validateCron(c);
    assert.equal(r.ok, false, String(c));
    if (!r.ok) assert.match(r.error, re, String(c));
  }
});

test('parseGoDuration', () => {
  assert.equal(parseGoDuration('1h30m'), 5400e9);
  assert.equal(parseGoDuration('1.5s'), 1.5e9);
  assert.equal(parseGoDuration('250ms'), 250e6);
  assert.equal(parseGoDuration('5'), undefined);
  assert.equal(parseGoDuration('1d'), undefined);
});

const bc = (
  over: Partial<BackupConfiguration['spec']> = {},
  meta: Partial<BackupConfiguration['metadata']> = {},
): BackupConfiguration => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'BackupConfiguration',
  metadata: { name: 'es-backup', namespace: 'demo', uid: 'uid-1', generation: 3, labels: { team: 'search' }, ...meta },
  spec: {
    schedule: '*/5 * * * *',
    repository: { name: 'gcs-repo' },
    retentionPolicy: { name: 'keep', keepLast: 5, prune: true },
    target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' } },
    task: { name: 'elasticsearch-backup-7.3.2' },
    ...over,
  },
});
const settings = { taskQueue: 'tq', catchupWindowMs: 60_000 };

test('desiredSchedule: cron, pause, overlap, catch-up, action input, memo and search attributes', () => {
  const d = desiredSchedule(bc(), '*/5 * * * *', settings);
  assert.equal(d.scheduleId, 'backup:demo/es-backup');
  assert.deepEqual(d.options.spec, { cronExpressions: ['*/5 * * * *'] });
  assert.equal(d.options.state?.paused, false);
  assert.deepEqual(d.options.policies, { overlap: 'SKIP', catchupWindow: 60_000, pauseOnFailure: false });
  assert.equal(d.options.action.workflowType, 'createBackupSession');
  assert.deepEqual(d.options.action.args, [{ namespace: 'demo', name: 'es-backup' }]);
  assert.equal(d.options.action.taskQueue, 'tq');
  assert.equal(d.options.action.workflowId, createBackupSessionWorkflowIdPrefix({ namespace: 'demo', name: 'es-backup' }));
  assert.deepEqual(d.options.memo, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    namespace: 'demo',
    name: 'es-backup',
    uid: 'uid-1',
    managedBy: 'stashflow-watcher',
  });
  const attrs = Object.fromEntries(
    (d.options.typedSearchAttributes as Array<{ key: { name: string }; value: unknown }>).map((p) => [p.key.name, p.value]),
  );
  assert.deepEqual(attrs, {
    StashNamespace: 'demo',
    StashInvokerKind: 'BackupConfiguration',
    StashInvokerName: 'es-backup',
    StashRepository: 'gcs-repo',
    StashTarget: 'AppBinding/sample-es',
  });
  assert.equal(desiredSchedule(bc({ paused: true }), '*/5 * * * *', settings).options.state?.paused, true);
});

test('desiredSchedule fingerprint: stable for the same object, different when anything we set changes', () => {
  const f = (b: BackupConfiguration, cron = '*/5 * * * *', s = settings) => desiredSchedule(b, cron, s).fingerprint;
  assert.equal(f(bc()), f(bc({}, { generation: 9, resourceVersion: '77' })));
  assert.notEqual(f(bc()), f(bc(), '0 * * * *'));
  assert.notEqual(f(bc()), f(bc({ paused: true })));
  assert.notEqual(f(bc()), f(bc({ repository: { name: 'other' } })));
  assert.notEqual(f(bc()), f(bc(), undefined, { ...settings, taskQueue: 'other' }));
  assert.notEqual(f(bc()), f(bc(), undefined, { ...settings, catchupWindowMs: 30_000 }));
});

function described(b: BackupConfiguration, cron = '*/5 * * * *'): ScheduleDescription {
  const d = desiredSchedule(b, cron, settings);
  return {
    scheduleId: d.scheduleId,
    memo: d.options.memo,
    action: {
      type: 'startWorkflow',
      workflowType: 'createBackupSession',
      taskQueue: 'tq',
      workflowId: d.options.action.workflowId,
      memo: d.options.action.memo,
      args: [],
    },
    policies: { overlap: 'SKIP', catchupWindow: 60_000, pauseOnFailure: false },
    state: { paused: d.options.state?.paused ?? false },
  } as unknown as ScheduleDescription;
}

test('diffSchedule: none when equal, update on change, recreate for another uid', () => {
  const want = desiredSchedule(bc(), '*/5 * * * *', settings);
  assert.equal(diffSchedule(described(bc()), want), 'none');
  assert.equal(diffSchedule(described(bc(), '0 * * * *'), want), 'update');
  const pausedByHand = described(bc());
  pausedByHand.state.paused = true;
  assert.equal(diffSchedule(pausedByHand, want), 'update');
  const otherQueue = described(bc());
  (otherQueue.action as { taskQueue: string }).taskQueue = 'x';
  assert.equal(diffSchedule(otherQueue, want), 'update');
  assert.equal(diffSchedule(described(bc({}, { uid: 'uid-0' })), want), 'recreate');
});

test('computeStatus: Ready, NotReady without Repository, Invalid with the field named', () => {
  const now = '2025-01-01T00:00:00Z';
  const ok = computeStatus(
    bc(),
    { validation: { ok: true }, schedule: { ok: true, message: 'in place' }, repository: { found: true, message: 'exists' } },
    now,
  );
  assert.equal(ok.phase, 'Ready');
  assert.equal(ok.observedGeneration, 3);
  assert.deepEqual(
    ok.conditions?.map((c) => [c.type, c.status, c.reason]),
    [
      ['ValidationPassed', 'True', 'ResourceValidationPassed'],
      ['ScheduleCreated', 'True', 'ScheduleCreationSucceeded'],
      ['RepositoryFound', 'True', 'RepositoryAvailable'],
    ],
  );
  const noRepo = computeStatus(
    bc(),
    { validation: { ok: true }, schedule: { ok: true, message: 'in place' }, repository: { found: false, message: 'missing' } },
    now,
  );
  assert.equal(noRepo.phase, 'NotReady');
  assert.equal(noRepo.conditions?.find((c) => c.type === 'RepositoryFound')?.reason, 'RepositoryNotAvailable');
  const invalid = computeStatus(
    bc(),
    {
      validation: { ok: false, message: 'spec.schedule "x": bad' },
      schedule: { ok: false, message: 'not created' },
      repository: { found: true, message: 'exists' },
    },
    now,
  );
  assert.equal(invalid.phase, 'Invalid');
  const v = invalid.conditions?.find((c) => c.type === 'ValidationPassed');
  assert.equal(v?.status, 'False');
  assert.equal(v?.reason, 'ResourceValidationFailed');
  assert.match(v?.message ?? '', /spec\.schedule/);
  // the same facts again on an object that already has this status: nothing to write
  const again = computeStatus(
    { ...bc(), status: ok },
    { validation: { ok: true }, schedule: { ok: true, message: 'in place' }, repository: { found: true, message: 'exists' } },
    '2030-01-01T00:00:00Z',
  );
  assert.equal(statusChanged(ok, again), false);
  assert.equal(again.conditions?.[0]?.lastTransitionTime, now, 'lastTransitionTime kept when status is unchanged');
  assert.equal(statusChanged(ok, noRepo), true);
});

test('setCondition keeps lastTransitionTime only while status holds', () => {
  const a = setCondition(undefined, { type: 'X', status: 'True', reason: 'r' }, 't1');
  const b = setCondition(a, { type: 'X', status: 'True', reason: 'r' }, 't2');
  const c = setCondition(b, { type: 'X', status: 'False', reason: 'r2' }, 't3');
  assert.equal(b[0]?.lastTransitionTime, 't1');
  assert.equal(c[0]?.lastTransitionTime, 't3');
  assert.equal(sameConditions(a, b), true);
  assert.equal(sameConditions(b, c), false);
});

const bs = (
  phase?: BackupSession['status'] extends infer S ? (S extends { phase?: infer P } ? P : never) : never,
): BackupSession => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'BackupSession',
  metadata: { name: 'es-backup-1700000000', namespace: 'demo', uid: 'bs-uid' },
  spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'es-backup' } },
  status: phase ? { phase } : undefined,
});

test('backupSessionStart: derived id, attributes from the invoker; nothing for final phases', () => {
  const s = backupSessionStart(bs(), bc());
  assert.ok(s);
  assert.equal(s.workflowType, 'backupSession');
  assert.equal(s.workflowId, 'backupsession:demo/es-backup-1700000000:bs-uid');
  assert.deepEqual(s.ref, { namespace: 'demo', name: 'es-backup-1700000000', uid: 'bs-uid' });
  const attrs = Object.fromEntries(s.attrs.map((p) => [p.key.name, p.value]));
  assert.deepEqual(attrs, {
    StashNamespace: 'demo',
    StashSessionKind: 'BackupSession',
    StashInvokerKind: 'BackupConfiguration',
    StashInvokerName: 'es-backup',
    StashRepository: 'gcs-repo',
    StashTarget: 'AppBinding/sample-es',
    StashPhase: 'Pending',
  });
  assert.ok(backupSessionStart(bs('Running'), bc()), 'a running session is (re)started: the start is a no-op if it runs');
  for (const p of ['Succeeded', 'Failed', 'Skipped'] as const) assert.equal(backupSessionStart(bs(p), bc()), undefined, p);
  const noBc = backupSessionStart(bs(), undefined);
  assert.equal(
    noBc?.attrs.some((p) => p.key.name === 'StashRepository'),
    false,
  );
});

test('restoreSessionStart: RestoreSession is its own invoker; nothing for final phases', () => {
  const rs: RestoreSession = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'RestoreSession',
    metadata: { name: 'es-restore', namespace: 'demo', uid: 'rs-uid' },
    spec: { repository: { name: 'gcs-repo' }, target: { ref: { apiVersion: 'v1', kind: 'AppBinding', name: 'es' } } },
  };
  const s = restoreSessionStart(rs);
  assert.equal(s?.workflowId, 'restoresession:demo/es-restore:rs-uid');
  assert.equal(s?.workflowType, 'restoreSession');
  const attrs = Object.fromEntries(s!.attrs.map((p) => [p.key.name, p.value]));
  assert.equal(attrs.StashInvokerKind, 'RestoreSession');
  assert.equal(attrs.StashInvokerName, 'es-restore');
  assert.equal(attrs.StashSessionKind, 'RestoreSession');
  assert.equal(attrs.StashRepository, 'gcs-repo');
  for (const p of ['Succeeded', 'Failed', 'Invalid'] as const)
    assert.equal(restoreSessionStart({ ...rs, status: { phase: p } }), undefined);
});

test('buildBackupSession: invoker, controller owner, Stash labels, retryLeft', () => {
  const s = buildBackupSession(bc({ retryConfig: { maxRetry: 2 } }), backupSessionName('es-backup', 1_700_000_000_999));
  assert.equal(s.metadata.name, 'es-backup-1700000000');
  assert.deepEqual(s.spec, {
    invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'es-backup' },
    retryLeft: 2,
  });
  assert.deepEqual(s.metadata.ownerReferences, [
    {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'BackupConfiguration',
      name: 'es-backup',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.equal(s.metadata.labels?.[LABEL_INVOKER_TYPE], 'BackupConfiguration');
  assert.equal(s.metadata.labels?.[LABEL_INVOKER_NAME], 'es-backup');
  assert.equal(s.metadata.labels?.[LABEL_TARGET_KIND], 'AppBinding');
  assert.equal(s.metadata.labels?.team, 'search', "the configuration's own labels are kept");
});

test('loadWatcherConfig: defaults and checked values', () => {
  const c = loadWatcherConfig({});
  assert.equal(c.leaseNamespace, 'stashflow-system');
  assert.equal(c.leaseName, 'stashflow-watcher');
  assert.equal(c.leaseDurationMs, 15_000);
  assert.equal(c.retryPeriodMs, 5_000);
  assert.equal(c.catchupWindowMs, 60_000);
  assert.equal(c.watchNamespace, undefined);
  assert.match(c.identity, /_\d+$/);
  assert.throws(() => loadWatcherConfig({ STASHFLOW_SCHEDULE_CATCHUP_WINDOW: '5s' }), ConfigError);
  assert.throws(() => loadWatcherConfig({ STASHFLOW_LEASE_DURATION: '3s' }), /retry period < renew deadline < lease duration/);
  assert.throws(() => loadWatcherConfig({ STASHFLOW_WATCH_NAMESPACE: 'Bad_NS' }), /STASHFLOW_WATCH_NAMESPACE/);
});
