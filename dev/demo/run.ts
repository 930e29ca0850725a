// The demo (`npm run demo`): a Stash user's Elasticsearch backup and restore on the local stack, run by Stashflow's
// own processes (dev/product.sh) — Schedule, `stashflow trigger`, BackupSession, RestoreSession — then verified.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client as EsClient } from '@elastic/elasticsearch';
import { ensureCrds } from '../../test/helpers/crds.js';
import { fingerprint } from '../../test/helpers/es-compare.js';
import type { BackupSession, Repository, RestoreSession } from '../../api/types.js';
import { createKubeClients, loadKubeConfig } from '../../lib/kube.js';
import { getObject } from '../../lib/objects.js';
import { applyScenario, createRestore, fromEnv, installCatalog, seedSource, waitFinal, type Scenario } from './es-scenario.js';

const addr = fromEnv();
const kube = createKubeClients(loadKubeConfig(process.env.KUBECONFIG));
const s: Scenario = { namespace: 'demo', indexPrefix: 'demo-', backupConfiguration: 'es-backup', repository: 'es-repo' };
const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const step = (msg: string) => console.log(`\n▶ ${msg}`);
const source = new EsClient({ node: addr.esSourceUrl });
const target = new EsClient({ node: addr.esTargetUrl });
const indices = ['demo-products', 'demo-empty'];

step('installing the Stash CRDs and the Elasticsearch catalog (Tasks/Functions elasticsearch-{backup,restore}-<version>)');
await ensureCrds(kube.kc);
await installCatalog(kube);

if (!(await source.indices.exists({ index: 'demo-products' }))) {
  step('seeding the source Elasticsearch with demo-products (20,000 documents) and demo-empty');
  await seedSource(addr, s.indexPrefix, 20_000);
}
step('applying Secret, Repository (restic REST server), AppBindings, BackupConfiguration in namespace demo');
await applyScenario(kube, addr, s);

step('stashflow trigger demo/es-backup (the Schedule fires on its own every 30 minutes)');
const session = execFileSync('node', [cli, 'trigger', `${s.namespace}/${s.backupConfiguration}`], { encoding: 'utf8' })
  .trim()
  .split(/\s+/)
  .pop()!;
console.log(`  BackupSession ${session}`);
const bs = await waitFinal<BackupSession>(kube, 'BackupSession', s.namespace, session, 300_000, (p) =>
  console.log(`  phase: ${p ?? 'Pending'}`),
);
if (bs.status?.phase !== 'Succeeded') throw new Error(`backup ${bs.status?.phase}: ${JSON.stringify(bs.status?.conditions)}`);
const snap = bs.status?.targets?.[0]?.stats?.[0]?.snapshots?.[0];
const repo = await getObject<Repository>(kube, 'Repository', s.namespace, s.repository);
console.log(
  `  snapshot ${snap?.name} (${snap?.totalSize}), took ${bs.status?.sessionDuration}; repository: ${repo?.status?.snapshotCount} snapshot(s), ${repo?.status?.totalSize}`,
);

step('restoring the latest snapshot into the second Elasticsearch (RestoreSession → AppBinding es-target)');
for (const index of indices) if (await target.indices.exists({ index })) await target.indices.delete({ index });
const restoreName = `es-restore-${Math.floor(Date.now() / 1000)}`;
await createRestore(kube, s, restoreName);
const rs = await waitFinal<RestoreSession>(kube, 'RestoreSession', s.namespace, restoreName, 300_000, (p) =>
  console.log(`  phase: ${p ?? 'Pending'}`),
);
if (rs.status?.phase !== 'Succeeded') throw new Error(`restore ${rs.status?.phase}: ${JSON.stringify(rs.status?.conditions)}`);

step('verifying: per index, document count and an order-independent checksum of _id + _source');
let ok = true;
for (const index of indices) {
  const [a, b] = await Promise.all([fingerprint(source, index), fingerprint(target, index)]);
  const same = a.count === b.count && a.sum === b.sum;
  ok &&= same;
  console.log(`  ${same ? '✓' : '✗'} ${index}: source ${a.count} docs ${a.sum}, restored ${b.count} docs ${b.sum}`);
}
await source.close();
await target.close();
if (!ok) throw new Error('restored data differs from the source');

const ui = process.env.TEMPORAL_UI_URL;
console.log(`
Backup and restore verified.
  Temporal UI:  ${ui}/namespaces/default/workflows?query=${encodeURIComponent(`StashNamespace="${s.namespace}"`)}
  Schedule:     ${ui}/namespaces/default/schedules/${encodeURIComponent(`backup:${s.namespace}/${s.backupConfiguration}`)}
  kubectl:      export KUBECONFIG=${process.env.KUBECONFIG} PATH=$PWD/.stack/bin:$PATH
                kubectl -n demo get backupconfiguration,backupsession,restoresession,repository
  Stop:         bash dev/product.sh stop && bash dev/stack.sh down`);
