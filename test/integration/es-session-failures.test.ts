// Elasticsearch sessions that must fail clearly and lose nothing: wrong Elasticsearch credentials (backup) and a
// snapshot that does not exist (restore). Sessions run through the real workflows, Jobs and function.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client as EsClient } from '@elastic/elasticsearch';
import type { Repository, RestoreSession } from '../../api/types.js';
import * as restic from '../../lib/restic.js';
import { getObject } from '../../lib/objects.js';
import { applyScenario, installCatalog, type Scenario } from '../../dev/demo/es-scenario.js';
import { ensureCrds } from '../helpers/crds.js';
import {
  createBackupSession,
  createRestoreSession,
  getBackupSession,
  getRestoreSession,
  rand,
  runBackupSession,
  runRestoreSession,
} from '../helpers/sessions.js';
import { scenarioAddresses } from '../helpers/es-scenario.js';
import { startHarness, type Harness } from '../helpers/temporal.js';

const id = rand();
const s: Scenario = {
  namespace: `esfail-${id}`,
  indexPrefix: `esfail${id}-`,
  backupConfiguration: 'es-backup',
  repository: 'es-repo',
};
const addr = scenarioAddresses();
const resticPassword = randomBytes(18).toString('base64url');
const wrongEsPassword = `wrong-${randomBytes(9).toString('hex')}`;
let h: Harness;
const target = new EsClient({ node: addr.esTargetUrl });

before(async () => {
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  await installCatalog(h.kube);
  // created before the scenario, which keeps existing objects: a known restic password and a wrong ES password
  await h.kube.core.createNamespace({ body: { metadata: { name: s.namespace } } });
  await h.kube.core.createNamespacedSecret({
    namespace: s.namespace,
    body: { metadata: { name: `${s.repository}-secret` }, stringData: { RESTIC_PASSWORD: resticPassword } },
  });
  await h.kube.core.createNamespacedSecret({
    namespace: s.namespace,
    body: { metadata: { name: 'es-source-auth' }, stringData: { username: 'elastic', password: wrongEsPassword } },
  });
  await applyScenario(h.kube, addr, s);
});

after(async () => {
  await h.kube.core.deleteNamespace({ name: s.namespace }).catch(() => undefined);
  await target.close();
  await h?.close();
});

test('wrong Elasticsearch credentials: the backup fails naming the authentication error, no snapshot is made', async () => {
  const ref = await createBackupSession(h, s.namespace, s.backupConfiguration);
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Failed');
  assert.match(result.error ?? '', /401|unauthori[sz]ed|authentication/i, result.error);
  assert.ok(!(result.error ?? '').includes(wrongEsPassword), 'the password is not in the message');
  const bs = await getBackupSession(h, ref);
  const cond = bs?.status?.conditions?.find((c) => c.type === 'BackupCompleted');
  assert.equal(cond?.status, 'False');
  assert.match(cond?.message ?? '', /401|unauthori[sz]ed|authentication/i);
  const repo = await getObject<Repository>(h.kube, 'Repository', s.namespace, s.repository);
  assert.ok(!repo?.status?.snapshotCount, 'no snapshot recorded');
});

test('a missing snapshot: the restore fails naming it and the target is untouched', async () => {
  // an initialised, empty repository: the snapshot id below cannot exist in it
  await restic.init({
    repository: `rest:${addr.resticRestUrl}/${s.namespace}-${s.repository}`,
    password: resticPassword,
    noCache: true,
  });
  const missing = 'deadbeef';
  const ref = await createRestoreSession(h, s.namespace, 'missing-snapshot', {
    task: { name: 'elasticsearch-restore-8.2.0', params: [{ name: 'args', value: `--match=^${s.indexPrefix}` }] },
    repository: { name: s.repository },
    target: {
      ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es-target' },
      rules: [{ snapshots: [missing] }],
    },
  } as RestoreSession['spec']);
  const result = await h.withWorker(() => runRestoreSession(h, ref));
  assert.equal(result.phase, 'Failed');
  assert.match(result.error ?? '', new RegExp(missing), result.error);
  const rs = await getRestoreSession(h, ref);
  assert.equal(rs?.status?.phase, 'Failed');
  assert.equal(rs?.status?.conditions?.find((c) => c.type === 'RestoreCompleted')?.status, 'False');
  const created = await target.cat.indices({ index: `${s.indexPrefix}*`, format: 'json' });
  assert.equal(created.length, 0, 'nothing was created in the target');
});
