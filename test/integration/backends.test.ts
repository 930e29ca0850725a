// Backends of the local stack, used for real: restic (from $STACK_DIR/bin on PATH) backs up and restores a
// directory on a local repository, on the restic REST server and on the S3-compatible server (MinIO); the
// Pushgateway takes a pushed metric, shows it, and deletes it. Start the stack first: bash dev/stack.sh up backends
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stackDir, stackEnv } from '../helpers/stack.js';

const PATH_WITH_STACK = `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`;

interface Run {
  stdout: string;
  stderr: string;
}

/** Runs `restic` from PATH (the stack's bin first) with the given extra environment; rejects on a non-zero exit. */
function restic(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('restic', args, {
      env: { ...process.env, PATH: PATH_WITH_STACK, RESTIC_CACHE_DIR: join(tmpdir(), 'stashflow-restic-cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // restic prints neither the password nor the S3 secret; the arguments and stderr are safe to show.
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`restic ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** A small tree with text, binary, empty and nested files. */
async function makeSource(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stashflow-src-'));
  await mkdir(join(dir, 'indices', 'logs-2026.11'), { recursive: true });
  await writeFile(join(dir, 'README.txt'), 'snapshot of an index\n');
  await writeFile(join(dir, 'indices', 'logs-2026.11', 'docs.ndjson'), '{"a":1}\n{"a":2}\n'.repeat(500));
  await writeFile(join(dir, 'indices', 'blob.bin'), randomBytes(300_000));
  await writeFile(join(dir, 'indices', 'empty'), '');
  return dir;
}

/** Every regular file below dir, as relative path -> contents. */
async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await readdir(dir, { recursive: true })) {
    const p = join(dir, name);
    if ((await stat(p)).isFile()) out.set(relative(dir, p), await readFile(p));
  }
  return out;
}

interface Snapshot {
  id: string;
  short_id: string;
  hostname: string;
  tags?: string[];
  paths: string[];
}

/** init, backup with host and tags, list as JSON, check, restore, and compare every file. */
async function roundTrip(repository: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const env = { RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: randomBytes(24).toString('hex'), ...extraEnv };
  const src = await makeSource();
  const dst = await mkdtemp(join(tmpdir(), 'stashflow-dst-'));
  try {
    const init = await restic(['init'], env);
    assert.match(init.stdout, /created restic repository/);

    const host = 'stashflow-test-host';
    const tags = ['stashflow', `run-${randomBytes(4).toString('hex')}`];
    const backup = await restic(['backup', '--json', '--host', host, ...tags.flatMap((t) => ['--tag', t]), src], env);
    const summary = backup.stdout
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as { message_type: string; files_new?: number; snapshot_id?: string })
      .find((m) => m.message_type === 'summary');
    assert.ok(summary, 'backup printed a summary');
    assert.equal(summary.files_new, 4);

    const list = JSON.parse((await restic(['snapshots', '--json', '--host', host, '--tag', tags[1]!], env)).stdout) as Snapshot[];
    assert.equal(list.length, 1);
    const snap = list[0]!;
    assert.equal(snap.id, summary.snapshot_id);
    assert.equal(snap.hostname, host);
    assert.deepEqual([...(snap.tags ?? [])].sort(), [...tags].sort());
    assert.deepEqual(snap.paths, [src]);

    await restic(['check'], env);

    await restic(['restore', `${snap.id}:${src}`, '--target', dst], env);
    const want = await readTree(src);
    const got = await readTree(dst);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [name, data] of want) assert.ok(got.get(name)?.equals(data), `restored ${name} has the same bytes`);

    // A wrong password must not open the repository.
    await assert.rejects(
      restic(['snapshots', '--json'], { ...env, RESTIC_PASSWORD: 'not-the-password' }),
      /wrong password|no key found/,
    );
  } finally {
    await rm(src, { recursive: true, force: true });
    await rm(dst, { recursive: true, force: true });
  }
}

test('restic is the pinned build on PATH', async () => {
  const { stdout } = await restic(['version'], {});
  assert.match(stdout, /^restic 0\.18\.1 /);
});

test('restic round trip on a local repository', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'stashflow-repo-'));
  try {
    await roundTrip(repo);
    assert.ok((await stat(join(repo, 'config'))).isFile());
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});

test('restic round trip on the REST server', async () => {
  const name = `test-${randomBytes(6).toString('hex')}`;
  try {
    await roundTrip(`rest:${stackEnv('RESTIC_REST_URL')}/${name}`);
    // The server keeps the repository as plain files under its --path.
    assert.ok((await stat(join(stackDir, 'backends', 'rest', name, 'config'))).isFile());
  } finally {
    await rm(join(stackDir, 'backends', 'rest', name), { recursive: true, force: true });
  }
});

test('restic round trip on S3 (MinIO)', async () => {
  const creds: Record<string, string> = {};
  for (const line of (await readFile(stackEnv('S3_CREDENTIALS_FILE'), 'utf8')).split('\n')) {
    const m = /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)=(.+)$/.exec(line.trim());
    if (m?.[1] && m[2]) creds[m[1]] = m[2];
  }
  assert.ok(creds.AWS_ACCESS_KEY_ID && creds.AWS_SECRET_ACCESS_KEY, 'the credentials file has both keys');
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const repo = `s3:${stackEnv('S3_ENDPOINT')}/${stackEnv('S3_BUCKET')}/${prefix}`;
  await roundTrip(repo, creds);
  // The repository's objects are in the bucket, under the prefix.
  const stored = await readdir(join(stackDir, 'backends', 's3', stackEnv('S3_BUCKET'), prefix));
  assert.ok(stored.includes('config') && stored.includes('data'), `bucket prefix holds the repository: ${stored.join(',')}`);
  // Without a signature the server refuses to hand out the repository (restic itself would retry for minutes).
  const anonymous = await fetch(`${stackEnv('S3_ENDPOINT')}/${stackEnv('S3_BUCKET')}/${prefix}/config`);
  assert.equal(anonymous.status, 403);
  assert.match(await anonymous.text(), /AccessDenied/);
});

interface PushgatewayGroup {
  labels: Record<string, string>;
  [metric: string]: unknown;
}

test('Pushgateway: push, read back, delete', async () => {
  const base = stackEnv('PUSHGATEWAY_URL');
  const job = `stashflow_test_${randomBytes(4).toString('hex')}`;
  const group = `${base}/metrics/job/${job}/instance/es-source`;
  const body =
    '# TYPE stashflow_backup_bytes gauge\n' +
    '# HELP stashflow_backup_bytes Bytes written by the last backup.\n' +
    'stashflow_backup_bytes{index="logs"} 12345\n';

  const push = await fetch(group, { method: 'POST', body, headers: { 'Content-Type': 'text/plain; version=0.0.4' } });
  assert.equal(push.status, 200);

  const api = (await (await fetch(`${base}/api/v1/metrics`)).json()) as { status: string; data: PushgatewayGroup[] };
  assert.equal(api.status, 'success');
  const mine = api.data.find((g) => g.labels.job === job);
  assert.ok(mine, 'pushed group is listed');
  assert.equal(mine.labels.instance, 'es-source');
  const metric = mine.stashflow_backup_bytes as { type: string; metrics: { labels: Record<string, string>; value: string }[] };
  assert.equal(metric.type, 'GAUGE');
  assert.equal(metric.metrics[0]?.labels.index, 'logs');
  assert.equal(Number(metric.metrics[0]?.value), 12345);

  const text = await (await fetch(`${base}/metrics`)).text();
  assert.ok(
    text.split('\n').some((l) => l.startsWith('stashflow_backup_bytes{') && l.includes(`job="${job}"`) && l.endsWith(' 12345')),
    'scrape endpoint shows the pushed sample',
  );

  const del = await fetch(group, { method: 'DELETE' });
  assert.equal(del.status, 202);
  const after = (await (await fetch(`${base}/api/v1/metrics`)).json()) as { data: PushgatewayGroup[] };
  assert.equal(
    after.data.find((g) => g.labels.job === job),
    undefined,
  );
});
