// Verified backups end to end on the real stack: a Stash user's Elasticsearch BackupConfiguration with the
// stashflow.dev/verify-backup annotation. The backup session succeeds, then a verify Job restores the snapshot into
// scratch indices and compares them with the dump's manifest: BackupVerified=True, a Normal Event, the
// stashflow_backup_verified metric 1 on the Pushgateway, no scratch index left, the source's alias untouched.
// Negative: an index template in the cluster that drops a field from _source on exactly the scratch index (so a
// restore would not give the documents back) → the session still Succeeded (the snapshot exists) but
// BackupVerified=False naming the index, a Warning Event and the metric 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as EsClient } from '@elastic/elasticsearch';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { BackupSession } from '../../api/types.js';
import { BACKUP_VERIFIED_CONDITION, VERIFY_BACKUP_ANNOTATION } from '../../api/verification.js';
import { patchObject } from '../../lib/objects.js';
import { scratchName } from '../../functions/elasticsearch/verify-compare.js';
import { verifyJobName } from '../../workflows/backup-verification.js';
import { backupSessionWorkflowId, type SessionRef } from '../../workflows/contracts.js';
import type { SessionResult } from '../../workflows/backup-session.js';
import { applyScenario, installCatalog, seedSource, type Scenario } from '../../dev/demo/es-scenario.js';
import { ensureCrds } from '../helpers/crds.js';
import { createBackupSession, eventsFor, getBackupSession, rand, runBackupSession } from '../helpers/sessions.js';
import { stackEnv } from '../helpers/stack.js';
import { scenarioAddresses, tearDownScenario } from '../helpers/es-scenario.js';
import { startHarness, type Harness } from '../helpers/temporal.js';

const id = rand();
const P = `vb${id}`;
const s: Scenario = { namespace: `vb-${id}`, indexPrefix: `${P}-`, backupConfiguration: 'es-backup', repository: 'es-repo' };
const DOCS = 2000;
let h: Harness;
const addr = scenarioAddresses();
const source = new EsClient({ node: addr.esSourceUrl });

before(async () => {
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  await installCatalog(h.kube);
  await seedSource(addr, s.indexPrefix, DOCS);
  await applyScenario(h.kube, addr, s);
  await patchObject(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration, {
    metadata: { annotations: { [VERIFY_BACKUP_ANNOTATION]: 'true' } },
  });
  // a Job's pod cannot be created before the namespace's default ServiceAccount exists (the Job controller then backs
  // off, which on a loaded machine costs minutes): wait for it here
  await eventually(
    () => h.kube.core.readNamespacedServiceAccount({ namespace: s.namespace, name: 'default' }).catch(() => undefined),
    'the default ServiceAccount',
    120,
  );
});

after(async () => {
  await tearDownScenario(h, s, undefined, P, [source]);
  await h?.close();
});

const verifyId = (ref: SessionRef) => ref.uid.replace(/-/g, '').slice(0, 8);

async function scratchLeft(ref: SessionRef): Promise<string[]> {
  const rows = await source.cat.indices({
    index: scratchName(verifyId(ref), '*'),
    format: 'json',
    h: 'index',
    expand_wildcards: 'all',
  });
  return rows.map((r) => String(r.index));
}

async function verifiedMetric(): Promise<string | undefined> {
  const text = await (await fetch(`${stackEnv('PUSHGATEWAY_URL')}/metrics`)).text();
  return text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('stashflow_backup_verified{') &&
        l.includes(`invoker_name="${s.backupConfiguration}"`) &&
        l.includes(`namespace="${s.namespace}"`),
    );
}

/** Runs the session's workflow; when a watcher running on the machine (dev/product.sh) started it first, follows that run. */
function run(ref: SessionRef): Promise<SessionResult> {
  return h.withWorker(() =>
    runBackupSession(h, ref).catch((e: unknown) => {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      return h.client.workflow.getHandle(backupSessionWorkflowId(ref)).result() as Promise<SessionResult>;
    }),
  );
}

async function backUp(): Promise<{ ref: SessionRef; bs: BackupSession }> {
  const ref = await createBackupSession(h, s.namespace, s.backupConfiguration);
  const result = await run(ref);
  assert.equal(result.phase, 'Succeeded', JSON.stringify(result));
  const bs = await getBackupSession(h, ref);
  assert.ok(bs);
  return { ref, bs };
}

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, tries = 40): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not seen: ${what}`);
}

test('an annotated backup is verified: BackupVerified=True, Normal Event, metric 1, no scratch index left', async () => {
  const { ref, bs } = await backUp();
  assert.equal(bs.status?.phase, 'Succeeded');
  const cond = bs.status?.conditions?.find((c) => c.type === BACKUP_VERIFIED_CONDITION);
  assert.equal(cond?.status, 'True', JSON.stringify(bs.status?.conditions));
  assert.equal(cond?.reason, 'SnapshotMatchesSource');
  const snapshot = bs.status?.targets?.[0]?.stats?.[0]?.snapshots?.[0]?.name ?? '';
  assert.match(snapshot, /^[0-9a-f]{8}$/);
  assert.match(cond?.message ?? '', new RegExp(`snapshot ${snapshot} .*: 2 indices, documents and checksums match`));

  const ev = await eventually(
    async () => (await eventsFor(h, s.namespace, ref.name)).find((e) => e.reason === 'BackupVerified'),
    'BackupVerified Event',
  );
  assert.equal(ev.type, 'Normal');
  assert.match(await eventually(verifiedMetric, 'metric'), / 1$/);

  // the verify Job: our image, secrets by reference only, succeeded; and it left nothing in the cluster
  const job = await h.kube.batch.readNamespacedJob({ namespace: s.namespace, name: verifyJobName(ref) });
  assert.equal(job.status?.succeeded, 1);
  const c = job.spec?.template.spec?.containers[0];
  assert.deepEqual(c?.args?.slice(0, 3), ['function', 'elasticsearch', 'verify-es']);
  assert.ok(c?.args?.includes(`--snapshot=${snapshot}`), JSON.stringify(c?.args));
  for (const e of c?.env ?? []) if (/PASSWORD/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef && !e.value, e.name);
  assert.deepEqual(await scratchLeft(ref), []);
  const aliases = await source.indices.getAlias({ name: `${P}-catalog` });
  assert.deepEqual(Object.keys(aliases), [`${P}-products`]);
});

test('a restore that would not give the documents back: BackupVerified=False naming the index, Warning, metric 0', async () => {
  const ref = await createBackupSession(h, s.namespace, s.backupConfiguration);
  // only this session's scratch copy of the products index stores _source without `name` (cleaned up by prefix P)
  await source.indices.putIndexTemplate({
    name: `${P}-drops-name`,
    index_patterns: [scratchName(verifyId(ref), `${P}-products`)],
    priority: 900,
    template: { mappings: { _source: { excludes: ['name'] } } },
  });
  const result = await run(ref);
  assert.equal(result.phase, 'Succeeded', 'the snapshot exists: a failed verification does not fail the backup');
  const bs = await getBackupSession(h, ref);
  assert.equal(bs?.status?.phase, 'Succeeded');
  const cond = bs?.status?.conditions?.find((c) => c.type === BACKUP_VERIFIED_CONDITION);
  assert.equal(cond?.status, 'False', JSON.stringify(bs?.status?.conditions));
  assert.equal(cond?.reason, 'SnapshotMismatch');
  assert.match(cond?.message ?? '', new RegExp(`${P}-products: checksum [0-9a-f]{16}, dumped [0-9a-f]{16}`));
  assert.doesNotMatch(cond?.message ?? '', new RegExp(`${P}-empty`), 'only the mismatching index is named');

  const ev = await eventually(
    async () => (await eventsFor(h, s.namespace, ref.name)).find((e) => e.reason === 'BackupVerificationFailed'),
    'BackupVerificationFailed Event',
  );
  assert.equal(ev.type, 'Warning');
  assert.match(ev.message, new RegExp(`${P}-products`));
  assert.match(
    await eventually(async () => ((await verifiedMetric())?.endsWith(' 0') ? await verifiedMetric() : undefined), 'metric 0'),
    / 0$/,
  );
  assert.deepEqual(await scratchLeft(ref), []);
});
