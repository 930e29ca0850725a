// What a Schedule firing runs, end to end on the real stack: a real Temporal Schedule (the watcher's action:
// createBackupSession on our task queue) is triggered, its workflow creates the BackupSession named after the
// firing through a LOCAL activity (no activity task through matching: one marker instead of the three activity
// events and the second workflow task), behind the patch `create-session-local-activity` so runs recorded before it
// still replay (test/unit/replay.test.ts). Re-running the same firing creates nothing more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { BackupSession } from '../../api/types.js';
import { createObject, listObjects } from '../../lib/objects.js';
import { workflowTypes, type CreateBackupSessionResult } from '../../workflows/contracts.js';
import { ensureCrds } from '../helpers/crds.js';
import { backupConfiguration } from '../helpers/sessions.js';
import { startHarness, tempNamespace, type Harness } from '../helpers/temporal.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
let ns: { name: string; remove: () => Promise<void> };
const scheduleId = `test-firing-${randomUUID().slice(0, 8)}`;

before(async () => {
  h = await startHarness();
  await ensureCrds(h.kube.kc);
  ns = await tempNamespace(h.kube, 'firing');
  // yearly, so a watcher running on the stack (the demo's) never fires its own Schedule for it during the test
  const target = { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es' } };
  await createObject(
    h.kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'bc', { schedule: '0 0 1 1 *', target }),
  );
});

after(async () => {
  await h?.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await ns?.remove();
  await h?.close();
});

const sessions = async () =>
  (await listObjects<BackupSession>(h.kube, 'BackupSession', ns.name)).filter((s) => s.spec.invoker?.name === 'bc');

test('a triggered Schedule creates the BackupSession through a local activity', async (t) => {
  const handle = await h.client.schedule.create({
    scheduleId,
    spec: { cronExpressions: ['0 0 1 1 *'] },
    action: {
      type: 'startWorkflow',
      workflowType: workflowTypes.createBackupSession,
      workflowId: `createbackupsession:${ns.name}/bc`,
      taskQueue: h.taskQueue,
      args: [{ namespace: ns.name, name: 'bc' }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
  const t0 = Date.now();
  await handle.trigger();

  // the firing's workflow, from the Schedule's own record of it
  let workflowId: string | undefined;
  for (let i = 0; i < 120 && !workflowId; i++) {
    workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
    if (!workflowId) await sleep(250);
  }
  assert.ok(workflowId, 'the trigger started a workflow within 30 s');
  const result = (await h.withWorker(() => h.client.workflow.getHandle(workflowId).result())) as CreateBackupSessionResult;
  assert.equal(result.reason, 'Created', result.message);
  t.diagnostic(`trigger → BackupSession created: ${Date.now() - t0} ms`);

  const [created, ...more] = await sessions();
  assert.equal(more.length, 0, 'one BackupSession');
  assert.equal(created?.metadata.name, result.sessionName);
  assert.match(result.sessionName, /^bc-\d{10}$/, 'named <config>-<unix seconds of the firing>');

  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const markers = events.flatMap((e) => (e.markerRecordedEventAttributes?.markerName ? [e] : []));
  assert.ok(
    markers.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
    'the session was created by a local activity (its marker is recorded)',
  );
  assert.ok(
    markers.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'),
    'the create-session-local-activity patch marker is recorded',
  );
  assert.ok(!events.some((e) => e.activityTaskScheduledEventAttributes), 'no activity task was scheduled');
  assert.equal(events.filter((e) => e.workflowTaskCompletedEventAttributes).length, 1, 'the whole firing took one workflow task');
  assert.ok(events.at(-1)?.workflowExecutionCompletedEventAttributes, 'the workflow completed');
});

test('the same firing run again (a re-run or retried workflow) creates no second BackupSession', async () => {
  const [first] = await sessions();
  assert.ok(first, 'the first test created a session');
  const again = (await h.withWorker(() =>
    h.client.workflow.execute(workflowTypes.createBackupSession, {
      workflowId: `createbackupsession:${ns.name}/bc-rerun-${randomUUID().slice(0, 8)}`,
      taskQueue: h.taskQueue,
      args: [{ namespace: ns.name, name: 'bc', sessionName: first.metadata.name }],
    }),
  )) as CreateBackupSessionResult;
  assert.equal(again.reason, 'AlreadyExists');
  assert.equal(again.created, false);
  assert.deepEqual(
    (await sessions()).map((s) => s.metadata.name),
    [first.metadata.name],
  );
});
