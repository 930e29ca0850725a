// TLS to Elasticsearch (issue 6): the source AppBinding points at the nginx TLS + basic-auth front (ES_SECURE_URL)
// with the CA that signed it in clientConfig.caBundle, as KubeDB writes it. A backup through it succeeds; with a
// CA bundle of another authority the backup fails with a condition naming the certificate problem, no snapshot is
// recorded, and the Elasticsearch password appears in no result, condition or Event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppBinding, Repository } from '../../api/types.js';
import { getObject, patchObject } from '../../lib/objects.js';
import { applyScenario, installCatalog, seedSource, type Scenario } from '../../dev/demo/es-scenario.js';
import { Client as EsClient } from '@elastic/elasticsearch';
import { ensureCrds } from '../helpers/crds.js';
import { deletePrefixed } from '../helpers/es-compare.js';
import { scenarioAddresses } from '../helpers/es-scenario.js';
import { createBackupSession, eventsFor, getBackupSession, rand, runBackupSession } from '../helpers/sessions.js';
import { startHarness, type Harness } from '../helpers/temporal.js';

const run = promisify(execFile);
const id = rand();
const s: Scenario = {
  namespace: `estls-${id}`,
  indexPrefix: `estls${id}-`,
  backupConfiguration: 'es-backup',
  repository: 'es-repo',
};
const addr = scenarioAddresses();
const source = new EsClient({ node: addr.esSourceUrl });
const esPassword =
  readFileSync(addr.esCredentialsFile, 'utf8')
    .split('\n')
    .map((l) => /^ES_PASSWORD=(.*)$/.exec(l)?.[1])
    .find((v) => v !== undefined) ?? '';
let h: Harness;

before(async () => {
  assert.ok(esPassword.length >= 6, 'the ES password is known (to search for it)');
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  await installCatalog(h.kube);
  await seedSource(addr, s.indexPrefix, 100);
  await applyScenario(h.kube, addr, s);
});

after(async () => {
  await h?.kube.core.deleteNamespace({ name: s.namespace }).catch(() => undefined);
  await deletePrefixed(source, s.indexPrefix).catch(() => undefined);
  await source.close();
  await h?.close();
});

const snapshots = async () =>
  (await getObject<Repository>(h.kube, 'Repository', s.namespace, s.repository))?.status?.snapshotCount ?? 0;

test('a backup through the TLS front with the right CA bundle succeeds', async () => {
  const ab = await getObject<AppBinding>(h.kube, 'AppBinding', s.namespace, 'es-source');
  assert.equal(ab?.spec.clientConfig.url, addr.esSourceSecureUrl);
  assert.match(addr.esSourceSecureUrl, /^https:/);
  assert.ok(ab?.spec.clientConfig.caBundle, 'the AppBinding carries the CA bundle');
  const ref = await createBackupSession(h, s.namespace, s.backupConfiguration);
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Succeeded', result.error);
  assert.equal(await snapshots(), 1);
});

test('a wrong CA bundle fails the backup with a clear certificate condition, no snapshot and no password', async () => {
  // a CA of another authority: the front's certificate does not chain to it
  const dir = await mkdtemp(join(tmpdir(), 'estls-'));
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=not-the-es-ca', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
    ]); // prettier-ignore
    const wrongCa = (await readFile(join(dir, 'ca.crt'))).toString('base64');
    await patchObject(h.kube, 'AppBinding', s.namespace, 'es-source', { spec: { clientConfig: { caBundle: wrongCa } } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const before = await snapshots();
  const ref = await createBackupSession(h, s.namespace, s.backupConfiguration);
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Failed');
  const tlsError = /certificate|self[- ]signed|unable to verify|UNABLE_TO_VERIFY|CERT_/i;
  assert.match(result.error ?? '', tlsError, result.error);
  const bs = await getBackupSession(h, ref);
  assert.equal(bs?.status?.phase, 'Failed');
  const cond = bs?.status?.conditions?.find((c) => c.type === 'BackupCompleted');
  assert.equal(cond?.status, 'False', JSON.stringify(bs?.status?.conditions));
  assert.match(cond?.message ?? '', tlsError);
  assert.equal(await snapshots(), before, 'no snapshot recorded');
  const events = await eventsFor(h, s.namespace, ref.name);
  assert.ok(
    events.some((e) => e.type === 'Warning' && tlsError.test(e.message)),
    JSON.stringify(events),
  );
  const said = [result.error ?? '', JSON.stringify(bs?.status ?? {}), ...events.map((e) => e.message)].join('\n');
  for (const form of [esPassword, encodeURIComponent(esPassword), Buffer.from(esPassword).toString('base64')])
    assert.ok(!said.includes(form), 'the Elasticsearch password is in no message');
});
