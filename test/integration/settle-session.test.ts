// No session stays Running for good: when a session's workflow ends without finishing it (here: terminated by an
// operator), the watcher gives the session a final phase with a condition naming the workflow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BackupSession } from '../../api/types.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createLogger } from '../../lib/log.js';
import { createObject, getObject } from '../../lib/objects.js';
import { connectClient } from '../../lib/temporal.js';
import { Watcher } from '../../watcher/watcher.js';
import { backupSessionWorkflowId } from '../../workflows/contracts.js';
import { ensureCrds } from '../helpers/crds.js';
import { stackEnv } from '../helpers/stack.js';
import { tempNamespace } from '../helpers/temporal.js';
import type { Client } from '@temporalio/client';

let kube: KubeClients;
let client: Client;
let ns: { name: string; remove: () => Promise<void> };
let watcher: Watcher;
const id = randomUUID().slice(0, 8);

before(async () => {
  kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
  await ensureCrds(kube.kc);
  ns = await tempNamespace(kube, 'settle');
  watcher = new Watcher({
    // no worker polls this queue: the workflow starts and waits, as when every worker is down
    cfg: {
      taskQueue: `nobody-${id}`,
      leaseNamespace: ns.name,
      leaseName: 'settle',
      identity: `settle-${id}`,
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      watchNamespace: ns.name,
      catchupWindowMs: 10_000,
      resyncMs: 1000,
    },
    kube,
    client,
    log: createLogger('watcher-settle'),
  });
  watcher.start();
});

after(async () => {
  await watcher?.stop();
  await ns?.remove();
  await client?.connection.close();
});

test('a terminated session workflow leaves its BackupSession Failed with a condition naming the workflow', async () => {
  const bs = await createObject<BackupSession>(kube, 'BackupSession', ns.name, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name: 'orphan', namespace: ns.name },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'gone' } },
  });
  const wid = backupSessionWorkflowId({ namespace: ns.name, name: 'orphan', uid: bs.metadata.uid! });
  const handle = client.workflow.getHandle(wid);
  const until = async (what: string, ms: number, f: () => Promise<boolean>) => {
    const deadline = Date.now() + ms;
    while (!(await f().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await until('the workflow to start', 20_000, async () => (await handle.describe()).status.name === 'RUNNING');
  await handle.terminate('operator stopped it');
  await until(
    'the session to be Failed',
    20_000,
    async () => (await getObject<BackupSession>(kube, 'BackupSession', ns.name, 'orphan'))?.status?.phase === 'Failed',
  );
  const s = await getObject<BackupSession>(kube, 'BackupSession', ns.name, 'orphan');
  const c = s?.status?.conditions?.find((x) => x.type === 'SessionWorkflowCompleted');
  assert.equal(c?.status, 'False');
  assert.equal(c?.reason, 'WorkflowEndedWithoutResult');
  assert.match(c?.message ?? '', new RegExp(`workflow ${wid.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ended terminated`));
});
