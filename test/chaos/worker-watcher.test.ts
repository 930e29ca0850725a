// Chaos on Stashflow's own processes: kill -9 the worker in the middle of a backup and of a restore (it is started
// again like a Deployment's pod); kill -9 the leading watcher of two replicas (the other takes over through the
// Lease) right after a BackupSession is created and in the middle of a restore. Each session still ends Succeeded
// with one Job per attempt, one BackupSession per trigger, no duplicated snapshot and the restored data equal.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { backupRow, report, restoreRow, startChaos, stopChaos, type Chaos } from './es-rows.js';
import { restoreStack } from './stack-control.js';

let c: Chaos;

before(async () => {
  c = await startChaos('proc', { watchers: 2 });
});

after(async () => {
  await stopChaos(c);
  await restoreStack();
});

test('worker killed (-9) in the middle of a backup and of a restore', async () => {
  const killWorker = async () => {
    const pid = await c.worker.kill9();
    const t = Date.now();
    await c.worker.waitRestarted(pid);
    return `worker pid ${pid} killed, new worker after ${Date.now() - t} ms`;
  };
  const b = await backupRow(c, killWorker, 1);
  report('worker', 'backup Job running', b);
  const r = await restoreRow(c, killWorker, 1);
  report('worker', 'restore Job running', r);
});

async function leaseHolder(): Promise<string | undefined> {
  const coord = c.kube.kc.makeApiClient(k8s.CoordinationV1Api);
  const lease = await coord
    .readNamespacedLease({ namespace: 'stashflow-system', name: `chaos-proc-${c.id}` })
    .catch(() => undefined);
  return lease?.spec?.holderIdentity ?? undefined;
}

async function waitHolder(not: string | undefined, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const h = await leaseHolder();
    if (h && h !== not) return h;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no watcher holds the lease (other than ${not}) after ${timeoutMs} ms`);
}

test('leading watcher killed (-9): the standby takes over through the Lease; sessions still run once', async () => {
  const killLeader = async () => {
    const holder = await waitHolder(undefined);
    const replica = c.watchers.find((w) => holder.endsWith(`-${w.name.split('-')[1]}`));
    assert.ok(replica, `a replica holds the lease (${holder})`);
    const t = Date.now();
    // kept down past the 4 s lease, as a killed pod is while it is rescheduled: a replica restarted at once under
    // the same identity would (rightly) just resume its own lease, and the standby's takeover is what is tested here
    await replica.kill9(8_000);
    const next = await waitHolder(holder);
    return `leader ${holder} killed; ${next} took the lease after ${Date.now() - t} ms`;
  };
  // right after the BackupSession is created: the workflow start may fall to the new leader
  const b = await backupRow(c, killLeader, 1, 'created');
  report('watcher (leader)', 'BackupSession just created', b);
  const r = await restoreRow(c, killLeader, 1);
  report('watcher (leader)', 'restore Job running', r);
});
