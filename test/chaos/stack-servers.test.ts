// Chaos on the shared servers under Stashflow: kill -9 and restart, in the middle of a backup and of a restore, the
// Temporal server (SQLite-persisted), the kube-apiserver and the node agent; and kill -9 the Job's own container (a
// non-zero exit, so the workflow runs a new attempt Job). Each session ends Succeeded with one Job per attempt, one
// BackupSession per trigger, no duplicated snapshot and the restored data equal to the source; after the Temporal
// restart the Schedule still fires on its next slot. Outages are a few seconds: other tests share these servers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupSession } from '../../api/types.js';
import { waitFinal } from '../../dev/demo/es-scenario.js';
import { listObjects, patchObject } from '../../lib/objects.js';
import { scheduleId } from '../../workflows/contracts.js';
import { backupRow, report, restoreRow, startChaos, stopChaos, type Chaos, type ChaosFn } from './es-rows.js';
import { kill9, killAndRestart, restoreStack, type Component } from './stack-control.js';

let c: Chaos;

before(async () => {
  c = await startChaos('srv', { docs: 5000 });
});

after(async () => {
  await restoreStack();
  await stopChaos(c);
});

const outage =
  (component: Component): ChaosFn =>
  async () => {
    const o = await killAndRestart(component);
    return `${component} pid ${o.pid} killed, healthy again after ${o.downMs} ms`;
  };

test('Temporal server killed (-9) and restarted mid-backup and mid-restore; the Schedule fires on its next slot', async () => {
  report('Temporal server', 'backup Job running', await backupRow(c, outage('temporal'), 1));
  report('Temporal server', 'restore Job running', await restoreRow(c, outage('temporal'), 1));

  // every minute from now: the restarted server must fire the Schedule at its next slot
  const patchedAt = Date.now();
  await patchObject(c.kube, 'BackupConfiguration', c.s.namespace, c.s.backupConfiguration, { spec: { schedule: '* * * * *' } });
  const end = patchedAt + 150_000;
  let fired: BackupSession | undefined;
  while (!fired && Date.now() < end) {
    const all = await listObjects<BackupSession>(c.kube, 'BackupSession', c.s.namespace);
    fired = all.find((b) => !c.triggered.includes(b.metadata.name));
    if (!fired) await new Promise((r) => setTimeout(r, 500));
  }
  await patchObject(c.kube, 'BackupConfiguration', c.s.namespace, c.s.backupConfiguration, { spec: { paused: true } });
  assert.ok(fired, 'the Schedule created a BackupSession within 150 s of a * * * * * schedule');
  const created = Date.parse(String(fired.metadata.creationTimestamp));
  const slot = Math.floor(created / 60_000) * 60_000;
  // its next slot: at most the second minute boundary after the patch (the watcher updates the Schedule first)
  assert.ok(slot <= Math.ceil(patchedAt / 60_000) * 60_000 + 60_000, `fired at ${fired.metadata.creationTimestamp}`);
  const desc = await c.client.schedule
    .getHandle(scheduleId({ namespace: c.s.namespace, name: c.s.backupConfiguration }))
    .describe();
  assert.ok(desc.info.recentActions.length >= 1, 'the Schedule records its action');
  c.triggered.push(fired.metadata.name);
  const bs = await waitFinal<BackupSession>(c.kube, 'BackupSession', c.s.namespace, fired.metadata.name, 240_000);
  assert.equal(bs.status?.phase, 'Succeeded', JSON.stringify(bs.status));
  console.log(`chaos-row ${JSON.stringify({ what: 'schedule after Temporal restart', firedAfterSlotMs: created - slot })}`);
});

test('kube-apiserver killed (-9) and restarted mid-backup and mid-restore', async () => {
  report('kube-apiserver', 'backup Job running', await backupRow(c, outage('kube')));
  report('kube-apiserver', 'restore Job running', await restoreRow(c, outage('kube')));
});

test('node agent killed (-9) and restarted mid-backup and mid-restore: the lost pod fails, a new attempt Job runs', async () => {
  report('node agent', 'backup Job running', await backupRow(c, outage('node-agent')));
  report('node agent', 'restore Job running', await restoreRow(c, outage('node-agent')));
});

test("the Job's container killed (-9, exit 137) mid-backup and mid-restore: the workflow runs attempt 2", async () => {
  const killPod: ChaosFn = async (pod) => {
    assert.ok(pod);
    for (const pid of pod.pids) await kill9(pid);
    return `container pids ${pod.pids.join(',')} of pod ${pod.name} killed`;
  };
  report("Job's container", 'backup Job running', await backupRow(c, killPod, 2));
  report("Job's container", 'restore Job running', await restoreRow(c, killPod, 2));
});
