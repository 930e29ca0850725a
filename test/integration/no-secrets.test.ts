// Issue 6, "Secrets and access": no secret value (restic password, S3 keys, Elasticsearch password) appears in any
// log line, Event, status, Job spec or Temporal history. A full Elasticsearch backup (through the Schedule) and
// restore runs on the real stack with an S3 (MinIO) Repository; then every log we can reach (the in-process worker
// and watcher, every pod's container log, the node agent's log), `kubectl get -o yaml` of every object of the
// namespace except its Secrets, and every workflow history of the namespace's sessions are searched for each secret
// value, raw, base64 and URL-encoded. A canary proves each search reaches its data; the Job specs must reference the
// secrets by secretKeyRef, so the test cannot pass by looking at nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { BackupSession, Repository } from '../../api/types.js';
import { createLogger } from '../../lib/log.js';
import { createObject } from '../../lib/objects.js';
import { scheduleId } from '../../workflows/contracts.js';
import { createRestore, waitFinal, waitForSessionOf } from '../../dev/demo/es-scenario.js';
import { fingerprint } from '../helpers/es-compare.js';
import { newScenario } from '../helpers/es-scenario.js';
import { kubectlOut as kubectl } from '../helpers/kubectl.js';
import { stackDir, stackEnv } from '../helpers/stack.js';
import type { Harness } from '../helpers/temporal.js';

// Everything this process logs: Temporal's runtime logger (worker, workflow and activity logs), the watcher's pino
// logger, and anything written to stdout/stderr.
const captured: string[] = [];
Runtime.install({
  logger: new DefaultLogger('DEBUG', (e) => captured.push(JSON.stringify({ ...e, timestampNanos: String(e.timestampNanos) }))),
});
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
const pinoSink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    captured.push(chunk.toString('utf8'));
    cb();
  },
});

const sc = newScenario('nosec');
const { s, P, target } = sc;
// a distinctive string that must be found in each searched place (objects, histories, logs): the restore's name
const canary = `canary${randomBytes(6).toString('hex')}`;

const kv = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string])
      .filter(([k, v]) => k && v),
  );
const s3 = kv(stackEnv('S3_CREDENTIALS_FILE'));
const es = kv(stackEnv('ES_CREDENTIALS_FILE'));
const secrets: Record<string, string> = {
  RESTIC_PASSWORD: randomBytes(24).toString('base64url'),
  AWS_ACCESS_KEY_ID: s3.AWS_ACCESS_KEY_ID ?? '',
  AWS_SECRET_ACCESS_KEY: s3.AWS_SECRET_ACCESS_KEY ?? '',
  ES_PASSWORD: es.ES_PASSWORD ?? '',
};

/**
 * The forms a value could leak in: raw, URL-encoded, JSON-escaped, and base64 (both alphabets) at each of the three
 * byte alignments it can have inside a longer encoded text (only the characters that depend on the value alone).
 */
function forms(v: string): string[] {
  const out = [v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)];
  for (const k of [0, 1, 2]) {
    const enc = Buffer.from(' '.repeat(k) + v).toString('base64');
    const mid = enc.slice([0, 2, 3][k], Math.floor((k + Buffer.byteLength(v)) / 3) * 4);
    out.push(mid, mid.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(out)];
}

/** Which secrets (by name) occur in `text`, in any form. */
function leaks(text: string, values: Record<string, string>): string[] {
  return Object.entries(values)
    .filter(([, v]) => forms(v).some((f) => text.includes(f)))
    .map(([k]) => k);
}

/** A workflow history as searchable text: its JSON, and every byte field decoded (payload data is JSON bytes). */
function historyText(h: unknown): string {
  const out: string[] = [];
  const walk = (o: unknown): void => {
    if (o instanceof Uint8Array) {
      out.push(Buffer.from(o).toString('utf8'), Buffer.from(o).toString('base64'));
    } else if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') for (const v of Object.values(o)) walk(v);
    else if (typeof o === 'string') {
      out.push(o);
      // a base64 string may hold a payload too
      if (/^[A-Za-z0-9+/=]{8,}$/.test(o)) out.push(Buffer.from(o, 'base64').toString('utf8'));
    }
  };
  walk(h);
  return JSON.stringify(h) + '\n' + out.join('\n');
}

let h: Harness;

before(async () => {
  for (const [k, v] of Object.entries(secrets)) assert.ok(v.length >= 8, `${k} is known (${v.length} chars)`);
  ({ h } = await sc.start({ docs: 2_000, log: createLogger('watcher-nosecrets', pinoSink), beforeApply: storageFirst }));
});

/** The storage Secret (known restic password + S3 keys) and an S3 Repository first; the scenario keeps existing ones. */
async function storageFirst({ kube }: Harness): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name: s.namespace } } });
  await kube.core.createNamespacedSecret({
    namespace: s.namespace,
    body: {
      metadata: { name: `${s.repository}-secret` },
      stringData: {
        RESTIC_PASSWORD: secrets.RESTIC_PASSWORD!,
        AWS_ACCESS_KEY_ID: secrets.AWS_ACCESS_KEY_ID!,
        AWS_SECRET_ACCESS_KEY: secrets.AWS_SECRET_ACCESS_KEY!,
      },
    },
  });
  await createObject<Repository>(kube, 'Repository', s.namespace, {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name: s.repository, namespace: s.namespace },
    spec: {
      backend: {
        s3: { endpoint: stackEnv('S3_ENDPOINT'), bucket: stackEnv('S3_BUCKET'), prefix: `${s.namespace}/${s.repository}` },
        storageSecretName: `${s.repository}-secret`,
      },
    },
  });
}

after(() => sc.stop());

test('a full Elasticsearch backup and restore on S3 leaks no secret into logs, objects or workflow histories', async () => {
  // 1. the scenario, end to end: Schedule → BackupSession → Job; then a RestoreSession into the second node
  const handle = h.client.schedule.getHandle(scheduleId({ namespace: s.namespace, name: s.backupConfiguration }));
  for (let i = 0; i < 120; i++) {
    try {
      await handle.describe();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await h.withWorker(async () => {
    await handle.trigger();
    const name = await waitForSessionOf(h.kube, s.namespace, s.backupConfiguration, 30_000);
    const bs = await waitFinal<BackupSession>(h.kube, 'BackupSession', s.namespace, name, 120_000);
    assert.equal(bs.status?.phase, 'Succeeded', JSON.stringify(bs.status));
    await createRestore(h.kube, s, canary);
    const rs = await waitFinal(h.kube, 'RestoreSession', s.namespace, canary, 120_000);
    assert.equal(rs.status?.phase, 'Succeeded', JSON.stringify(rs.status));
  });
  assert.equal((await fingerprint(target, `${P}-products`)).count, 2_000, 'the restore loaded the documents');
  // the S3 backend really held the repository (so the S3 keys were in use)
  assert.ok(existsSync(join(stackDir, 'backends', 's3', stackEnv('S3_BUCKET'), s.namespace, s.repository, 'config')));

  // 2. the Job specs reference every secret by secretKeyRef (and carry no value)
  const jobs = (await h.kube.batch.listNamespacedJob({ namespace: s.namespace })).items;
  assert.ok(jobs.length >= 2, `a backup and a restore Job: ${jobs.map((j) => j.metadata?.name).join(', ')}`);
  for (const job of jobs) {
    const env = (job.spec?.template.spec?.containers ?? []).flatMap((c) => c.env ?? []);
    const ref = (n: string) => env.find((e) => e.name === n)?.valueFrom?.secretKeyRef;
    assert.deepEqual(
      { name: ref('RESTIC_PASSWORD')?.name, key: ref('RESTIC_PASSWORD')?.key },
      { name: `${s.repository}-secret`, key: 'RESTIC_PASSWORD' },
      `${job.metadata?.name}: RESTIC_PASSWORD by secretKeyRef`,
    );
    assert.equal(ref('AWS_SECRET_ACCESS_KEY')?.name, `${s.repository}-secret`, `${job.metadata?.name}: S3 key by secretKeyRef`);
    assert.equal(ref('AWS_ACCESS_KEY_ID')?.name, `${s.repository}-secret`, `${job.metadata?.name}: S3 key id by secretKeyRef`);
    for (const e of env) assert.ok(e.value === undefined || !e.valueFrom, `${e.name}: a value or a reference`);
  }
  const backupJob = jobs.find((j) =>
    (j.spec?.template.spec?.containers ?? []).some((c) => c.env?.some((e) => e.name === 'STASHFLOW_TARGET_PASSWORD')),
  );
  const esRef = backupJob?.spec?.template.spec?.containers
    .flatMap((c) => c.env ?? [])
    .find((e) => e.name === 'STASHFLOW_TARGET_PASSWORD')?.valueFrom?.secretKeyRef;
  assert.deepEqual({ name: esRef?.name, key: esRef?.key }, { name: 'es-source-auth', key: 'password' }, 'ES password by ref');

  // 3. every object of the namespace but its Secrets, as `kubectl get -o yaml` shows them
  const kinds = (await kubectl('api-resources', '--verbs=list', '--namespaced', '-o', 'name'))
    .split('\n')
    .filter((k) => k && k !== 'secrets');
  const objects = await kubectl('get', kinds.join(','), '-n', s.namespace, '-o', 'yaml', '--ignore-not-found');
  for (const kind of [
    'Job',
    'Pod',
    'BackupSession',
    'RestoreSession',
    'Repository',
    'AppBinding',
    'Event',
    'BackupConfiguration',
  ])
    assert.ok(objects.includes(`kind: ${kind}\n`), `kubectl get -o yaml lists ${kind} objects`);
  assert.ok(objects.includes('kind: PersistentVolumeClaim\n') || !objects.includes('persistentVolumeClaim:'), 'PVCs listed');
  assert.deepEqual(leaks(objects, { canary }), ['canary'], 'the object search finds the canary');
  // the same search over the Secrets themselves finds every value (base64 in `data`): the values are the right ones
  const secretYaml = await kubectl('get', 'secrets', '-n', s.namespace, '-o', 'yaml');
  assert.deepEqual(leaks(secretYaml, secrets).sort(), Object.keys(secrets).sort(), 'the Secrets hold every searched value');
  assert.deepEqual(leaks(objects, secrets), [], 'no secret in any object of the namespace (Secrets excepted)');

  // 4. every workflow history of the namespace's sessions
  const histories: string[] = [];
  for await (const wf of h.client.workflow.list({ query: `StashNamespace = '${s.namespace}'` })) {
    const history = await h.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    histories.push(`${wf.type} ${wf.workflowId}\n${historyText(history)}`);
  }
  assert.ok(histories.length >= 2, `session workflows found: ${histories.length}`);
  const allHistories = histories.join('\n');
  assert.deepEqual(leaks(allHistories, { canary }), ['canary'], 'the history search finds the canary (the restore name)');
  for (const text of histories) assert.deepEqual(leaks(text, secrets), [], `no secret in ${text.split('\n')[0]}`);

  // 5. logs: this process (worker + watcher), every pod's containers, the node agent
  const pods = (await h.kube.core.listNamespacedPod({ namespace: s.namespace })).items;
  assert.ok(pods.length >= 2, 'pods of the backup and the restore');
  const podLogs: string[] = [];
  for (const pod of pods) {
    podLogs.push(await kubectl('logs', '-n', s.namespace, pod.metadata!.name!, '--all-containers'));
    const dir = join(stackDir, 'node-agent', 'pods', pod.metadata!.uid!, 'logs');
    if (existsSync(dir))
      for (const c of readdirSync(dir))
        for (const f of readdirSync(join(dir, c)))
          if (statSync(join(dir, c, f)).isFile()) podLogs.push(readFileSync(join(dir, c, f), 'utf8'));
  }
  assert.ok(podLogs.join('').length > 0, 'the pods logged something');
  assert.ok(podLogs.join('\n').includes(`${P}-products`), 'the backup and restore containers logged their progress');
  assert.deepEqual(leaks(podLogs.join('\n'), secrets), [], 'no secret in any container log');
  const agentLog = join(stackDir, 'logs', 'node-agent.log');
  if (existsSync(agentLog))
    assert.deepEqual(leaks(readFileSync(agentLog, 'utf8'), secrets), [], 'no secret in the node agent log');
  const own = captured.join('\n');
  assert.ok(own.includes(s.namespace), 'the captured worker/watcher logs mention the namespace');
  assert.deepEqual(leaks(own, { canary }), ['canary'], 'the log search finds the canary');
  assert.deepEqual(leaks(own, secrets), [], 'no secret in the worker or watcher logs');
});
