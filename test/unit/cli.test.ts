// The CLI's pure parts: argument parsing, tables, ages, session rows, restore Task derivation and RestoreSession body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupConfiguration, BackupSession, RestoreSession } from '../../api/types.js';
import {
  UsageError,
  formatAge,
  formatElapsed,
  parseOutput,
  parseRef,
  renderTable,
  CommandFailure,
} from '../../cli/commands/common.js';
import { backupRow, renderStatusTable, restoreRow, sortRows } from '../../cli/commands/status.js';
import { renderSnapshotsTable, snapshotRows } from '../../cli/commands/snapshots.js';
import {
  deriveRestoreTask,
  failureMessage,
  parseTimeout,
  progressBar,
  progressLine,
  restoreSessionBody,
  restoreTaskName,
} from '../../cli/commands/restore.js';

test('parseRef: ns/name, name with --namespace, and usage errors', () => {
  assert.deepEqual(parseRef('ns1/bc', undefined, 'x'), { namespace: 'ns1', name: 'bc' });
  assert.deepEqual(parseRef('bc', 'ns2', 'x'), { namespace: 'ns2', name: 'bc' });
  assert.deepEqual(parseRef('ns1/bc', 'ns1', 'x'), { namespace: 'ns1', name: 'bc' });
  assert.throws(() => parseRef('bc', undefined, 'x'), UsageError);
  assert.throws(() => parseRef('a/b/c', undefined, 'x'), UsageError);
  assert.throws(() => parseRef('/b', undefined, 'x'), UsageError);
  assert.throws(() => parseRef('ns1/bc', 'other', 'x'), /contradicts/);
  assert.throws(() => parseRef(undefined, 'ns', 'repository'), /<namespace>\/<repository>/);
});

test('parseOutput: table by default, json, anything else a usage error', () => {
  assert.equal(parseOutput(undefined), 'table');
  assert.equal(parseOutput('json'), 'json');
  assert.throws(() => parseOutput('yaml'), UsageError);
});

test('renderTable: aligned columns, <none> for empty cells, no trailing spaces', () => {
  const t = renderTable(
    ['NAME', 'PHASE', 'AGE'],
    [
      ['a', 'Succeeded', '5s'],
      ['longer-name', '', '10m'],
    ],
  );
  assert.equal(t, 'NAME          PHASE       AGE\na             Succeeded   5s\nlonger-name   <none>      10m\n');
});

test('formatAge follows kubectl; formatElapsed for progress', () => {
  const now = new Date('2026-01-02T00:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
  assert.equal(formatAge(ago(45), now), '45s');
  assert.equal(formatAge(ago(310), now), '5m10s');
  assert.equal(formatAge(ago(3600), now), '60m');
  assert.equal(formatAge(ago(4 * 3600 + 20 * 60), now), '4h20m');
  assert.equal(formatAge(ago(3 * 86400 + 5 * 3600), now), '3d5h');
  assert.equal(formatAge(ago(400 * 86400), now), '400d');
  assert.equal(formatAge(undefined, now), '<unknown>');
  assert.equal(formatElapsed(5), '5s');
  assert.equal(formatElapsed(65), '1m05s');
  assert.equal(formatElapsed(3723), '1h02m03s');
});

const bs = (name: string, created: string, status?: BackupSession['status']): BackupSession => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'BackupSession',
  metadata: { name, namespace: 'ns', creationTimestamp: created },
  spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'bc' } },
  ...(status ? { status } : {}),
});

test('session rows: snapshot and size from status.targets[].stats[].snapshots[], newest first, table and -A', () => {
  const b = bs('bc-2', '2026-01-01T00:10:00Z', {
    phase: 'Succeeded',
    sessionDuration: '14s',
    targets: [{ stats: [{ hostname: 'host-0', snapshots: [{ name: 'ec1c2700', totalSize: '5.179 MiB' }] }] }],
  });
  const old = bs('bc-1', '2026-01-01T00:00:00Z', {
    phase: 'Failed',
    conditions: [{ type: 'BackupCompleted', status: 'False', message: 'restic failed' }],
  });
  const r: RestoreSession = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'RestoreSession',
    metadata: { name: 'r1', namespace: 'ns', creationTimestamp: '2026-01-01T00:05:00Z' },
    spec: {
      repository: { name: 'repo' },
      target: {
        ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es' },
        rules: [{ snapshots: ['abc'] }],
      },
    },
  };
  const rows = sortRows([backupRow(old), restoreRow(r), backupRow(b)]);
  assert.deepEqual(
    rows.map((x) => x.name),
    ['bc-2', 'r1', 'bc-1'],
  );
  assert.deepEqual(rows[0]!.snapshots, ['ec1c2700']);
  assert.equal(rows[0]!.size, '5.179 MiB');
  assert.equal(rows[0]!.invoker, 'BackupConfiguration/bc');
  assert.equal(rows[1]!.invoker, 'AppBinding/es');
  assert.equal(rows[1]!.phase, 'Pending');
  assert.equal(rows[2]!.message, 'restic failed');
  const now = new Date('2026-01-01T00:11:00Z');
  const table = renderStatusTable(rows, false, now).split('\n');
  assert.match(table[0]!, /^KIND\s+NAME\s+INVOKER\s+PHASE\s+DURATION\s+SNAPSHOT\s+SIZE\s+AGE$/);
  assert.match(table[1]!, /^BackupSession\s+bc-2\s+BackupConfiguration\/bc\s+Succeeded\s+14s\s+ec1c2700\s+5\.179 MiB\s+60s$/);
  assert.equal(table[1]!.indexOf('bc-2'), table[0]!.indexOf('NAME'), 'columns align');
  assert.match(renderStatusTable(rows, true, now), /^NAMESPACE\s+KIND/);
});

test('snapshot rows: newest first, size from restic summary, short ids in the table', () => {
  const rows = snapshotRows([
    { id: 'a'.repeat(64), short_id: 'aaaaaaaa', time: '2026-01-01T00:00:00.123456Z', hostname: 'host-0', paths: ['/data'] },
    {
      id: 'b'.repeat(64),
      short_id: 'bbbbbbbb',
      time: '2026-01-02T00:00:00.5Z',
      hostname: 'host-0',
      paths: ['/data', '/x'],
      tags: ['t1'],
      summary: { total_bytes_processed: 2048 },
    },
  ]);
  assert.deepEqual(
    rows.map((r) => r.shortId),
    ['bbbbbbbb', 'aaaaaaaa'],
  );
  assert.equal(rows[0]!.size, 2048);
  assert.equal(rows[1]!.size, undefined);
  const t = renderSnapshotsTable(rows).split('\n');
  assert.match(t[0]!, /^ID\s+TIME\s+HOST\s+TAGS\s+PATHS\s+SIZE$/);
  assert.match(t[1]!, /^bbbbbbbb\s+2026-01-02T00:00:00Z\s+host-0\s+t1\s+\/data,\/x\s+2\.000 KiB$/);
  assert.match(t[2]!, /<none>\s+\/data\s+<none>$/);
});

const bc = (name: string, repo: string, task?: string): BackupConfiguration => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'BackupConfiguration',
  metadata: { name, namespace: 'ns' },
  spec: {
    schedule: '* * * * *',
    repository: { name: repo },
    retentionPolicy: { name: 'k', keepLast: 1, prune: true },
    ...(task ? { task: { name: task } } : {}),
  },
});

test('restore Task: backup → restore in the BackupConfiguration Task name, or a clear reason to pass --task', () => {
  assert.equal(restoreTaskName('elasticsearch-backup-8.2.0'), 'elasticsearch-restore-8.2.0');
  assert.equal(restoreTaskName('dir-backup'), 'dir-restore');
  assert.equal(restoreTaskName('backup-backup-1'), 'backup-restore-1');
  assert.equal(restoreTaskName('pvc-snapshot'), undefined);
  assert.equal(
    deriveRestoreTask([bc('a', 'repo', 'elasticsearch-backup-8.2.0'), bc('b', 'other', 'x-backup')], 'ns', 'repo'),
    'elasticsearch-restore-8.2.0',
  );
  assert.throws(() => deriveRestoreTask([bc('b', 'other', 'x-backup')], 'ns', 'repo'), /no BackupConfiguration.*--task/);
  assert.throws(
    () => deriveRestoreTask([bc('a', 'repo', 'a-backup'), bc('b', 'repo', 'b-backup')], 'ns', 'repo'),
    /different Tasks/,
  );
  assert.throws(() => deriveRestoreTask([bc('a', 'repo')], 'ns', 'repo'), CommandFailure);
  assert.throws(() => deriveRestoreTask([bc('a', 'repo', 'pvc-snapshot')], 'ns', 'repo'), /cannot derive.*pvc-snapshot/);
});

test('RestoreSession body: repository, Task, AppBinding target, a snapshot rule unless latest', () => {
  const o = { namespace: 'ns', repository: 'repo', appBinding: 'es', task: 'elasticsearch-restore-8.2.0', name: 'r' };
  const latest = restoreSessionBody(o);
  assert.equal(latest.apiVersion, 'stash.appscode.com/v1beta1');
  assert.deepEqual(latest.spec.repository, { name: 'repo' });
  assert.deepEqual(latest.spec.task, { name: 'elasticsearch-restore-8.2.0' });
  assert.deepEqual(latest.spec.target, {
    ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es' },
  });
  assert.deepEqual(restoreSessionBody({ ...o, snapshot: 'latest' }).spec.target?.rules, undefined);
  assert.deepEqual(restoreSessionBody({ ...o, snapshot: 'ec1c2700' }).spec.target?.rules, [{ snapshots: ['ec1c2700'] }]);
});

test('restore helpers: failure message, progress line, --timeout', () => {
  const s = {
    status: { phase: 'Failed', conditions: [{ type: 'RestoreCompleted', status: 'False', message: 'boom' }] },
  } as RestoreSession;
  assert.equal(failureMessage(s), 'RestoreCompleted: boom');
  assert.equal(failureMessage({ status: { stats: [{ error: 'host err' }] } } as RestoreSession), 'host err');
  assert.equal(progressLine('Running', 65, 'r1'), 'RestoreSession r1: Running   1m05s');
  const p = { step: 'load', indices: 2, docsDone: 500, docsTotal: 2000, bytesDone: 9000, percent: 25 };
  assert.equal(
    progressLine('Running', 5, 'r1', p),
    'RestoreSession r1: Running   5s  [######..................]  25%  500/2000 docs',
  );
  assert.equal(progressBar({ ...p, docsDone: 2000, percent: 100 }, 4), '[####] 100%  2000/2000 docs');
  assert.equal(progressBar({ step: 'load' }), '', 'no bar before a total is known');
  assert.equal(progressBar(undefined), '');
  assert.equal(parseTimeout('90s'), 90_000);
  assert.equal(parseTimeout('1h30m'), 5_400_000);
  assert.throws(() => parseTimeout('10'), UsageError);
  assert.throws(() => parseTimeout('5x'), UsageError);
});
