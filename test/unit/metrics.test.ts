// lib/metrics.ts and lib/stash-format.ts: Stash's metric names, labels and values, its size/duration strings, the
// text exposition format and the job name rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backupSessionMetrics,
  escapeLabelValue,
  invokerLabels,
  prometheusJobName,
  pushPath,
  renderText,
  repositoryBackendLabels,
  repositoryMetrics,
  restoreSessionMetrics,
  targetLabels,
  type MetricFamily,
} from '../../lib/metrics.js';
import {
  formatBytes,
  formatGoDuration,
  formatSeconds,
  parseClockSeconds,
  parseDurationSeconds,
  parseGoDuration,
  parseSize,
} from '../../lib/stash-format.js';

const invoker = { kind: 'BackupConfiguration', name: 'sample-es-backup', namespace: 'demo' };

function value(fams: MetricFamily[], name: string, match: Record<string, string> = {}): number | undefined {
  const f = fams.find((x) => x.name === name);
  const s = f?.samples.find((x) => Object.entries(match).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
function labelsOf(fams: MetricFamily[], name: string): Record<string, string>[] {
  return fams.find((x) => x.name === name)?.samples.map((s) => s.labels) ?? [];
}

test('size strings: Stash/restic format and parse (1024-based)', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1024), '1024 B'); // strictly above the unit
  assert.equal(formatBytes(1025), '1.001 KiB');
  assert.equal(formatBytes(1.5 * 1024 * 1024), '1.500 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3 + 1), '3.000 GiB');
  assert.equal(parseSize('1.234 MiB'), 1.234 * 1024 * 1024);
  assert.equal(parseSize('12 B'), 12);
  assert.equal(parseSize('12B'), 12);
  assert.equal(parseSize('2 KiB'), 2048);
  assert.equal(parseSize('1 GiB'), 1024 ** 3);
  assert.equal(parseSize('1 TiB'), 1024 ** 4);
  assert.throws(() => parseSize('lots'), /invalid size 'lots'/);
  assert.throws(() => parseSize('1 MB'), /invalid size/);
});

test('durations: Go time.Duration strings and Stash clock strings', () => {
  assert.equal(parseGoDuration('1m2.5s'), 62.5);
  assert.equal(parseGoDuration('1h0m0s'), 3600);
  assert.equal(parseGoDuration('850ms'), 0.85);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('-1.5h'), -5400);
  assert.ok(Math.abs(parseGoDuration('1.5µs') - 1.5e-6) < 1e-15);
  assert.throws(() => parseGoDuration('5'), /invalid duration '5'/);
  assert.throws(() => parseGoDuration('1m2x'), /invalid duration/);
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(0.85), '850ms');
  assert.equal(formatGoDuration(1.5), '1.5s');
  assert.equal(formatGoDuration(62.5), '1m2.5s');
  assert.equal(formatGoDuration(120), '2m0s');
  assert.equal(formatGoDuration(7200), '2h0m0s');
  assert.equal(formatGoDuration(0.0000015), '1.5µs');
  for (const s of [0.001, 1.25, 59.999, 61, 3723.5]) assert.equal(parseGoDuration(formatGoDuration(s)), s);

  assert.equal(formatSeconds(2), '0:02');
  assert.equal(formatSeconds(62), '1:02');
  assert.equal(formatSeconds(3723), '1:02:03');
  assert.equal(parseClockSeconds('1:02'), 62);
  assert.equal(parseClockSeconds('1:02:03'), 3723);
  assert.equal(parseClockSeconds('45'), 45);
  assert.throws(() => parseClockSeconds('1:xx'), /invalid processing time/);
  assert.equal(parseDurationSeconds('1m2.5s'), 62.5);
  assert.equal(parseDurationSeconds('01:05'), 65);
});

test('job name and push path follow Stash', () => {
  assert.equal(prometheusJobName(invoker), 'backupconfiguration-demo-sample-es-backup');
  assert.equal(
    prometheusJobName({ kind: 'RestoreSession', namespace: 'demo', name: 'sample-restore' }),
    'restoresession-demo-sample-restore',
  );
  assert.equal(pushPath('backupconfiguration-demo-x'), '/metrics/job/backupconfiguration-demo-x');
  assert.equal(pushPath('a/b'), `/metrics/job@base64/${Buffer.from('a/b').toString('base64url')}`);
});

test('invoker and target labels', () => {
  assert.deepEqual(invokerLabels({ invoker, repository: 'rest-repo', userLabels: ['team=db', 'bad', 'x=y=z'] }), {
    team: 'db',
    invoker_kind: 'BackupConfiguration',
    invoker_name: 'sample-es-backup',
    namespace: 'demo',
    driver: 'Restic',
    repository: 'rest-repo',
  });
  assert.deepEqual(invokerLabels({ invoker, driver: 'VolumeSnapshotter' }), {
    invoker_kind: 'BackupConfiguration',
    invoker_name: 'sample-es-backup',
    namespace: 'demo',
    driver: 'VolumeSnapshotter',
    kind: 'PersistentVolumeClaim',
    group: '',
  });
  assert.deepEqual(targetLabels({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'es' }), {
    kind: 'StatefulSet',
    group: 'apps',
    name: 'es',
  });
  assert.deepEqual(targetLabels({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' }), {
    kind: 'PersistentVolumeClaim',
    group: '',
    name: 'data',
  });
  const ab = { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'sample-es' };
  assert.deepEqual(targetLabels({ ...ab, appBindingType: 'kubedb.com/elasticsearch' }), {
    kind: 'elasticsearch',
    group: 'kubedb.com',
    name: 'sample-es',
  });
  assert.deepEqual(targetLabels({ ...ab, appBindingType: '' }), {
    kind: 'appbindings',
    group: 'appcatalog.appscode.com',
    name: 'sample-es',
  });
  assert.deepEqual(targetLabels({ ...ab, appBindingType: null }), { name: 'sample-es' });
});

test('repository backend labels: provider, bucket, prefix as Stash derives them', () => {
  assert.deepEqual(repositoryBackendLabels({ s3: { bucket: 'b', prefix: 'p/q' } }), {
    backend: 's3',
    bucket: 'b',
    prefix: 'p/q',
  });
  assert.deepEqual(repositoryBackendLabels({ gcs: { bucket: 'g' } }), { backend: 'gcs', bucket: 'g' });
  assert.deepEqual(repositoryBackendLabels({ azure: { container: 'c', prefix: 'x' } }), {
    backend: 'azure',
    bucket: 'c',
    prefix: 'x',
  });
  assert.deepEqual(repositoryBackendLabels({ local: { mountPath: '/safe/data' } }), { backend: 'local', bucket: '/safe/data' });
  assert.deepEqual(repositoryBackendLabels({ rest: { url: 'http://rest.demo:8000/es-repo' } }), {
    backend: 'rest',
    bucket: 'rest.demo:8000',
    prefix: '/es-repo',
  });
  assert.throws(() => repositoryBackendLabels({}), /no storage provider/);
});

const succeededBackup = {
  invoker,
  repository: 'rest-repo',
  phase: 'Succeeded',
  sessionDuration: '1m2.5s',
  now: new Date('2026-01-02T03:04:05Z'),
  targets: [
    {
      ref: {
        apiVersion: 'appcatalog.appscode.com/v1alpha1',
        kind: 'AppBinding',
        name: 'sample-es',
        appBindingType: 'kubedb.com/elasticsearch',
      },
      phase: 'Succeeded',
      totalHosts: 1,
      stats: [
        {
          hostname: 'host-0',
          phase: 'Succeeded',
          duration: '30.5s',
          snapshots: [
            {
              name: 'abc',
              path: '/a',
              totalSize: '1.500 MiB',
              uploaded: '512 B',
              processingTime: '0:20',
              fileStats: { totalFiles: 10, newFiles: 3, modifiedFiles: 2, unmodifiedFiles: 5 },
            },
            {
              name: 'def',
              path: '/b',
              totalSize: '2.000 KiB',
              uploaded: '1.000 KiB',
              processingTime: '1:05',
              fileStats: { totalFiles: 1, newFiles: 1, modifiedFiles: 0, unmodifiedFiles: 0 },
            },
          ],
        },
      ],
    },
  ],
};

test('backup session: every Stash family under both prefixes with Stash labels and values', () => {
  const fams = backupSessionMetrics(succeededBackup);
  const session = {
    invoker_kind: 'BackupConfiguration',
    invoker_name: 'sample-es-backup',
    namespace: 'demo',
    driver: 'Restic',
    repository: 'rest-repo',
  };
  const target = { ...session, kind: 'elasticsearch', group: 'kubedb.com', name: 'sample-es' };
  const host = { ...target, hostname: 'host-0' };
  const expected: Array<[string, string, Record<string, string>, number]> = [
    ['stash_backup_session_success', 'stash_appscode_com_backupsession_success', session, 1],
    ['stash_backup_session_duration_seconds', 'stash_appscode_com_backupsession_duration_seconds', session, 62.5],
    ['stash_backup_target_count_total', 'stash_appscode_com_backupsession_target_count_total', session, 1],
    [
      'stash_backup_last_success_time_seconds',
      'stash_appscode_com_backupsession_last_success_time_seconds',
      session,
      Date.parse('2026-01-02T03:04:05Z') / 1000,
    ],
    ['stash_backup_target_success', 'stash_appscode_com_backupsession_target_success', target, 1],
    ['stash_backup_target_host_count_total', 'stash_appscode_com_backupsession_target_host_count_total', target, 1],
    [
      'stash_backup_target_last_success_time_seconds',
      'stash_appscode_com_backupsession_target_last_success_time_seconds',
      target,
      Date.parse('2026-01-02T03:04:05Z') / 1000,
    ],
    ['stash_backup_host_backup_success', 'stash_appscode_com_backupsession_host_backup_success', host, 1],
    ['stash_backup_host_backup_duration_seconds', 'stash_appscode_com_backupsession_host_backup_duration_seconds', host, 30.5],
    [
      'stash_backup_host_data_size_bytes',
      'stash_appscode_com_backupsession_host_data_size_bytes',
      host,
      1.5 * 1024 * 1024 + 2048,
    ],
    ['stash_backup_host_data_uploaded_bytes', 'stash_appscode_com_backupsession_host_data_uploaded_bytes', host, 512 + 1024],
    [
      'stash_backup_host_data_processing_time_seconds',
      'stash_appscode_com_backupsession_host_data_processing_time_seconds',
      host,
      85,
    ],
    ['stash_backup_host_files_total', 'stash_appscode_com_backupsession_host_files_total', host, 11],
    ['stash_backup_host_files_new', 'stash_appscode_com_backupsession_host_files_new', host, 4],
    ['stash_backup_host_files_modified', 'stash_appscode_com_backupsession_host_files_modified', host, 2],
    ['stash_backup_host_files_unmodified', 'stash_appscode_com_backupsession_host_files_unmodified', host, 5],
  ];
  assert.equal(fams.length, expected.length * 2, fams.map((f) => f.name).join(' '));
  for (const [legacy, current, labels, v] of expected) {
    for (const name of [legacy, current]) {
      const f = fams.find((x) => x.name === name);
      assert.ok(f, `${name} missing`);
      assert.equal(f.type, 'gauge');
      assert.equal(f.samples.length, 1, name);
      assert.deepEqual(f.samples[0]?.labels, labels, name);
      assert.equal(f.samples[0]?.value, v, name);
    }
  }
  // same help under both names
  assert.equal(
    fams.find((f) => f.name === 'stash_backup_host_files_new')?.help,
    fams.find((f) => f.name === 'stash_appscode_com_backupsession_host_files_new')?.help,
  );
});

test('backup session failure: only success=0 at session level, host error only host_backup_success=0', () => {
  const failed = backupSessionMetrics({
    ...succeededBackup,
    phase: 'Failed',
    sessionDuration: undefined,
    targets: [
      {
        ref: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'es' },
        phase: 'Failed',
        totalHosts: 2,
        stats: [
          { hostname: 'host-0', phase: 'Failed', error: 'restic: repository is locked' },
          {
            hostname: 'host-1',
            phase: 'Succeeded',
            duration: '1s',
            snapshots: [{ totalSize: '1 B', uploaded: '1 B', processingTime: '0:01', fileStats: { totalFiles: 1 } }],
          },
        ],
      },
    ],
  });
  const names = failed.map((f) => f.name);
  assert.equal(value(failed, 'stash_backup_session_success'), 0);
  assert.equal(value(failed, 'stash_appscode_com_backupsession_success'), 0);
  assert.ok(!names.includes('stash_backup_session_duration_seconds'));
  assert.ok(!names.includes('stash_backup_last_success_time_seconds'));
  assert.ok(!names.includes('stash_backup_target_last_success_time_seconds'));
  assert.equal(value(failed, 'stash_backup_target_success', { kind: 'StatefulSet', group: 'apps' }), 0);
  assert.equal(value(failed, 'stash_backup_host_backup_success', { hostname: 'host-0' }), 0);
  assert.equal(value(failed, 'stash_backup_host_backup_success', { hostname: 'host-1' }), 1);
  assert.deepEqual(
    labelsOf(failed, 'stash_backup_host_files_total').map((l) => l.hostname),
    ['host-1'],
  );
  // a Failed phase with every target Succeeded still reports failure
  const phaseOnly = backupSessionMetrics({ ...succeededBackup, phase: 'Failed' });
  assert.equal(value(phaseOnly, 'stash_backup_session_success'), 0);
  // succeeded sessions need a duration
  assert.throws(() => backupSessionMetrics({ ...succeededBackup, sessionDuration: undefined }), /sessionDuration/);
  assert.throws(() => backupSessionMetrics({ ...succeededBackup, sessionDuration: 'soon' }), /invalid duration 'soon'/);
});

test('backup session with several targets keeps one series per target', () => {
  const t = (name: string) => ({ ref: { apiVersion: 'apps/v1', kind: 'Deployment', name }, phase: 'Succeeded', totalHosts: 1 });
  const fams = backupSessionMetrics({ ...succeededBackup, targets: [t('a'), t('b')] });
  assert.deepEqual(
    labelsOf(fams, 'stash_appscode_com_backupsession_target_success').map((l) => l.name),
    ['a', 'b'],
  );
  assert.equal(value(fams, 'stash_backup_target_count_total'), 2);
});

test('restore session: Stash families, labels and values', () => {
  const rinvoker = { kind: 'RestoreSession', name: 'sample-es-restore', namespace: 'demo' };
  const ok = restoreSessionMetrics({
    invoker: rinvoker,
    repository: 'rest-repo',
    phase: 'Succeeded',
    sessionDuration: '45s',
    targets: [
      {
        ref: {
          apiVersion: 'appcatalog.appscode.com/v1alpha1',
          kind: 'AppBinding',
          name: 'sample-es',
          appBindingType: 'kubedb.com/elasticsearch',
        },
        phase: 'Succeeded',
        totalHosts: 1,
        stats: [{ hostname: 'host-0', phase: 'Succeeded', duration: '40.25s' }],
      },
    ],
  });
  const session = {
    invoker_kind: 'RestoreSession',
    invoker_name: 'sample-es-restore',
    namespace: 'demo',
    driver: 'Restic',
    repository: 'rest-repo',
  };
  const host = { ...session, kind: 'elasticsearch', group: 'kubedb.com', name: 'sample-es', hostname: 'host-0' };
  for (const [legacy, current, v] of [
    ['stash_restore_session_success', 'stash_appscode_com_restoresession_success', 1],
    ['stash_restore_session_duration_seconds', 'stash_appscode_com_restoresession_duration_seconds', 45],
    ['stash_restore_target_count_total', 'stash_appscode_com_restoresession_target_count_total', 1],
  ] as const) {
    assert.equal(value(ok, legacy), v, legacy);
    assert.equal(value(ok, current), v, current);
    assert.deepEqual(labelsOf(ok, legacy)[0], session);
  }
  assert.equal(value(ok, 'stash_restore_target_success', { name: 'sample-es' }), 1);
  assert.equal(value(ok, 'stash_appscode_com_restoresession_target_host_count_total'), 1);
  assert.deepEqual(labelsOf(ok, 'stash_restore_host_restore_success')[0], host);
  assert.equal(value(ok, 'stash_restore_host_restore_duration_seconds'), 40.25);
  assert.equal(value(ok, 'stash_appscode_com_restoresession_host_restore_duration_seconds'), 40.25);
  assert.ok(!ok.some((f) => f.name.includes('last_success')));
  assert.equal(ok.length, 14);

  const failed = restoreSessionMetrics({
    invoker: rinvoker,
    repository: 'rest-repo',
    phase: 'Failed',
    targets: [
      {
        ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' },
        phase: 'Failed',
        stats: [{ hostname: 'host-0', phase: 'Failed', error: 'no snapshot' }],
      },
    ],
  });
  assert.deepEqual(failed.map((f) => `${f.name}=${f.samples[0]?.value}`).sort(), [
    'stash_appscode_com_restoresession_host_restore_success=0',
    'stash_appscode_com_restoresession_success=0',
    'stash_appscode_com_restoresession_target_success=0',
    'stash_restore_host_restore_success=0',
    'stash_restore_session_success=0',
    'stash_restore_target_success=0',
  ]);
});

test('repository metrics: invoker labels overridden by the Repository name/namespace/backend/bucket/prefix', () => {
  const fams = repositoryMetrics({
    invoker,
    repo: { name: 'rest-repo', namespace: 'backups', ...repositoryBackendLabels({ s3: { bucket: 'stash', prefix: 'es' } }) },
    stats: { integrity: true, size: '1.500 GiB', snapshotCount: 7, snapshotsRemovedOnLastCleanup: 2 },
  });
  const labels = {
    invoker_kind: 'BackupConfiguration',
    invoker_name: 'sample-es-backup',
    namespace: 'backups',
    driver: 'Restic',
    repository: 'rest-repo',
    name: 'rest-repo',
    backend: 's3',
    bucket: 'stash',
    prefix: 'es',
  };
  for (const [key, v] of [
    ['integrity', 1],
    ['size_bytes', 1.5 * 1024 ** 3],
    ['snapshot_count', 7],
    ['snapshot_cleaned', 2],
  ] as const) {
    for (const name of [`stash_repository_${key}`, `stash_appscode_com_repository_${key}`]) {
      assert.equal(value(fams, name), v, name);
      assert.deepEqual(labelsOf(fams, name)[0], labels, name);
    }
  }
  const noCheck = repositoryMetrics({ invoker, repo: { name: 'r', namespace: 'demo', backend: 'local' }, stats: { size: 2048 } });
  assert.equal(value(noCheck, 'stash_repository_integrity'), 0);
  assert.equal(value(noCheck, 'stash_repository_size_bytes'), 2048);
  assert.ok(!('bucket' in (labelsOf(noCheck, 'stash_repository_integrity')[0] ?? {})));
});

test('text exposition: HELP/TYPE, sorted labels, escaped values', () => {
  const text = renderText([
    {
      name: 'stash_backup_session_success',
      help: 'line1\nline2 \\ end',
      type: 'gauge',
      samples: [{ labels: { z: 'a"b', a: 'back\\slash\nnew' }, value: 1 }],
    },
    { name: 'x_total', help: 'h', type: 'gauge', samples: [{ labels: {}, value: Infinity }] },
  ]);
  assert.equal(
    text,
    [
      '# HELP stash_backup_session_success line1\\nline2 \\\\ end',
      '# TYPE stash_backup_session_success gauge',
      'stash_backup_session_success{a="back\\\\slash\\nnew",z="a\\"b"} 1',
      '# HELP x_total h',
      '# TYPE x_total gauge',
      'x_total +Inf',
      '',
    ].join('\n'),
  );
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.throws(
    () => renderText([{ name: 'm', help: '', type: 'gauge', samples: [{ labels: { 'bad-name': 'x' }, value: 1 }] }]),
    /invalid label name 'bad-name'/,
  );
  assert.throws(() => renderText([{ name: '1m', help: '', type: 'gauge', samples: [] }]), /invalid metric name/);
});
