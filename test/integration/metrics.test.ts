// lib/metrics.ts against the stack's real Pushgateway: Stash's families are pushed under Stash's job name and read
// back from /api/v1/metrics with their labels and values; POST keeps families a later push does not carry (Stash's
// last_success_time survives a failed session); errors are clear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import {
  backupSessionMetrics,
  deleteMetrics,
  prometheusJobName,
  pushMetrics,
  PushError,
  repositoryBackendLabels,
  repositoryMetrics,
  restoreSessionMetrics,
} from '../../lib/metrics.js';
import { stackEnv } from '../helpers/stack.js';

interface ApiMetric {
  type: string;
  help: string;
  metrics: { labels: Record<string, string>; value: string }[];
}
interface ApiGroup {
  labels: Record<string, string>;
  [metric: string]: unknown;
}

async function group(base: string, job: string): Promise<ApiGroup | undefined> {
  const api = (await (await fetch(`${base}/api/v1/metrics`)).json()) as { status: string; data: ApiGroup[] };
  assert.equal(api.status, 'success');
  return api.data.find((g) => g.labels.job === job);
}

function metric(g: ApiGroup | undefined, name: string): ApiMetric {
  const m = g?.[name] as ApiMetric | undefined;
  assert.ok(m, `${name} is in the group`);
  return m;
}

test('backup, repository and restore metrics land in the Pushgateway under Stash job names', async () => {
  const base = stackEnv('PUSHGATEWAY_URL');
  const id = randomBytes(4).toString('hex');
  const invoker = { kind: 'BackupConfiguration', name: `es-backup-${id}`, namespace: 'demo' };
  const job = prometheusJobName(invoker);
  assert.equal(job, `backupconfiguration-demo-es-backup-${id}`);
  const rinvoker = { kind: 'RestoreSession', name: `es-restore-${id}`, namespace: 'demo' };
  const rjob = prometheusJobName(rinvoker);
  const now = new Date('2026-03-04T05:06:07Z');
  try {
    await pushMetrics(
      base,
      job,
      backupSessionMetrics({
        invoker,
        repository: 'rest-repo',
        userLabels: { note: 'say "hi"\\ \nbye' },
        phase: 'Succeeded',
        sessionDuration: '1m2.5s',
        now,
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
                    path: '/data',
                    totalSize: '1.500 MiB',
                    uploaded: '512 B',
                    processingTime: '0:20',
                    fileStats: { totalFiles: 10, newFiles: 3, modifiedFiles: 2, unmodifiedFiles: 5 },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    let g = await group(base, job);
    assert.ok(g, 'the job group exists');
    const success = metric(g, 'stash_backup_session_success');
    assert.equal(success.type, 'GAUGE');
    assert.equal(success.help, 'Indicates whether the entire backup session was succeeded or not');
    assert.equal(Number(success.metrics[0]?.value), 1);
    assert.deepEqual(
      { ...success.metrics[0]?.labels },
      {
        job,
        instance: '',
        invoker_kind: 'BackupConfiguration',
        invoker_name: invoker.name,
        namespace: 'demo',
        driver: 'Restic',
        repository: 'rest-repo',
        note: 'say "hi"\\ \nbye',
      },
    );
    assert.equal(Number(metric(g, 'stash_appscode_com_backupsession_duration_seconds').metrics[0]?.value), 62.5);
    assert.equal(Number(metric(g, 'stash_backup_last_success_time_seconds').metrics[0]?.value), now.getTime() / 1000);
    const size = metric(g, 'stash_appscode_com_backupsession_host_data_size_bytes').metrics[0];
    assert.equal(Number(size?.value), 1.5 * 1024 * 1024);
    assert.equal(size?.labels.hostname, 'host-0');
    assert.equal(size?.labels.kind, 'elasticsearch');
    assert.equal(size?.labels.group, 'kubedb.com');
    assert.equal(size?.labels.name, 'sample-es');
    assert.equal(Number(metric(g, 'stash_backup_host_files_new').metrics[0]?.value), 3);
    assert.equal(Number(metric(g, 'stash_backup_host_data_processing_time_seconds').metrics[0]?.value), 20);

    // repository metrics go to the same job group and keep the session's families (POST semantics)
    await pushMetrics(
      base,
      job,
      repositoryMetrics({
        invoker,
        repo: { name: 'rest-repo', namespace: 'demo', ...repositoryBackendLabels({ rest: { url: 'http://rest.demo:8000/es' } }) },
        stats: { integrity: true, size: '2.000 MiB', snapshotCount: 3, snapshotsRemovedOnLastCleanup: 1 },
      }),
    );
    // a later failed session replaces success (now 0) but leaves last_success_time from the good one
    await pushMetrics(base, job, backupSessionMetrics({ invoker, repository: 'rest-repo', phase: 'Failed', targets: [] }));
    g = await group(base, job);
    const repoSize = metric(g, 'stash_appscode_com_repository_size_bytes').metrics[0];
    assert.equal(Number(repoSize?.value), 2 * 1024 * 1024);
    assert.equal(repoSize?.labels.backend, 'rest');
    assert.equal(repoSize?.labels.bucket, 'rest.demo:8000');
    assert.equal(repoSize?.labels.prefix, '/es');
    assert.equal(repoSize?.labels.name, 'rest-repo');
    assert.equal(Number(metric(g, 'stash_repository_snapshot_count').metrics[0]?.value), 3);
    assert.equal(Number(metric(g, 'stash_backup_session_success').metrics[0]?.value), 0);
    assert.equal(Number(metric(g, 'stash_appscode_com_backupsession_success').metrics[0]?.value), 0);
    assert.equal(Number(metric(g, 'stash_backup_last_success_time_seconds').metrics[0]?.value), now.getTime() / 1000);

    // restore
    await pushMetrics(
      base,
      rjob,
      restoreSessionMetrics({
        invoker: rinvoker,
        repository: 'rest-repo',
        phase: 'Succeeded',
        sessionDuration: '45s',
        targets: [
          {
            ref: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'es' },
            phase: 'Succeeded',
            totalHosts: 1,
            stats: [{ hostname: 'host-0', phase: 'Succeeded', duration: '40.25s' }],
          },
        ],
      }),
    );
    const rg = await group(base, rjob);
    assert.equal(rjob, `restoresession-demo-es-restore-${id}`);
    assert.equal(Number(metric(rg, 'stash_restore_session_duration_seconds').metrics[0]?.value), 45);
    const host = metric(rg, 'stash_appscode_com_restoresession_host_restore_duration_seconds').metrics[0];
    assert.equal(Number(host?.value), 40.25);
    assert.equal(host?.labels.group, 'apps');
    assert.equal(host?.labels.kind, 'StatefulSet');
    assert.equal(host?.labels.invoker_kind, 'RestoreSession');
  } finally {
    await deleteMetrics(base, job);
    await deleteMetrics(base, rjob);
  }
  assert.equal(await group(base, job), undefined, 'deleted');
});

test('push errors are clear: HTTP error, refused connection, timeout', async () => {
  const base = stackEnv('PUSHGATEWAY_URL');
  // the Pushgateway refuses the same series twice in one push, and says why
  await assert.rejects(
    pushMetrics(base, `stashflow-bad-${randomBytes(3).toString('hex')}`, [
      {
        name: 'stashflow_dup',
        help: 'h',
        type: 'gauge',
        samples: [
          { labels: { a: '1' }, value: 1 },
          { labels: { a: '1' }, value: 2 },
        ],
      },
    ]),
    (e: unknown) =>
      e instanceof PushError && /failed: HTTP 400: .*same name and label values/.test(e.message) && e.status === 400,
  );

  // nothing listens: a closed port
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(
    pushMetrics(`http://user:s3cret@127.0.0.1:${port}`, 'job-a', []),
    (e: unknown) =>
      e instanceof PushError &&
      /ECONNREFUSED/.test(e.message) &&
      !e.message.includes('s3cret') &&
      e.message.includes(`127.0.0.1:${port}`),
  );

  // accepts but never answers
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const sport = (silent.address() as { port: number }).port;
  try {
    const t0 = Date.now();
    await assert.rejects(pushMetrics(`http://127.0.0.1:${sport}`, 'job-b', [], { timeoutMs: 300 }), /timed out after 300 ms/);
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    silent.close();
  }
});
