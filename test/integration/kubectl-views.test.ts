// What `kubectl get` and `kubectl describe` show a Stash user after real sessions on the real apiserver: an
// Elasticsearch backup through the Schedule, a restore, and a restore that fails (its Task does not exist). The
// printer columns carry real values (default and -o wide), describe shows conditions with reason and message and
// the Events of each step and failure, on the BackupConfiguration, BackupSession, RestoreSession and Repository.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupSession, RestoreSession } from '../../api/types.js';
import { createObject } from '../../lib/objects.js';
import { scheduleId } from '../../workflows/contracts.js';
import { createRestore, waitFinal, waitForSessionOf } from '../../dev/demo/es-scenario.js';
import { newScenario, waitConfigReady } from '../helpers/es-scenario.js';
import { kubectlOut as kubectl } from '../helpers/kubectl.js';
import { eventsFor } from '../helpers/sessions.js';
import type { Harness } from '../helpers/temporal.js';

const sc = newScenario('kv');
const { s, id } = sc;
let h: Harness;
let backupName = '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `kubectl get` as header → value of the single row (columns split on runs of 2+ spaces, as kubectl aligns them). */
async function row(resource: string, name: string, wide = false): Promise<Record<string, string>> {
  const out = await kubectl('get', resource, name, '-n', s.namespace, ...(wide ? ['-o', 'wide'] : []));
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 2, out);
  // an empty cell (e.g. Paused unset) is spaces: cut the value line at the header's column starts
  const header = lines[0]!;
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
  const cells: Record<string, string> = {};
  starts.forEach((start, i) => {
    const end = starts[i + 1] ?? Infinity;
    cells[header.slice(start, end).trim()] = lines[1]!.slice(start, end === Infinity ? undefined : end).trim();
  });
  return cells;
}

/** Waits until every reason has an Event on the object (Events follow the status writes). */
async function waitEvents(name: string, reasons: string[]): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const have = new Set((await eventsFor(h, s.namespace, name)).map((e) => e.reason));
    if (reasons.every((r) => have.has(r))) return;
    await sleep(250);
  }
}

before(async () => {
  ({ h } = await sc.start({ docs: 2_000 }));
  assert.ok(await waitConfigReady(h, s), 'BackupConfiguration Ready');
  await h.withWorker(async () => {
    await h.client.schedule.getHandle(scheduleId({ namespace: s.namespace, name: s.backupConfiguration })).trigger();
    backupName = await waitForSessionOf(h.kube, s.namespace, s.backupConfiguration, 30_000);
    const bs = await waitFinal<BackupSession>(h.kube, 'BackupSession', s.namespace, backupName, 240_000);
    assert.equal(bs.status?.phase, 'Succeeded', JSON.stringify(bs.status));
    await createRestore(h.kube, s, 'es-restore');
    const rs = await waitFinal<RestoreSession>(h.kube, 'RestoreSession', s.namespace, 'es-restore', 240_000);
    assert.equal(rs.status?.phase, 'Succeeded', JSON.stringify(rs.status));
    // a restore whose Task does not exist: Invalid, with a condition and a Warning Event naming the Task
    await createObject<RestoreSession>(h.kube, 'RestoreSession', s.namespace, {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'RestoreSession',
      metadata: { name: 'bad-restore', namespace: s.namespace },
      spec: {
        task: { name: `no-such-task-${id}` },
        repository: { name: s.repository },
        target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es-target' } },
      },
    });
    await waitFinal<RestoreSession>(h.kube, 'RestoreSession', s.namespace, 'bad-restore', 120_000);
    await waitEvents(backupName, ['BackupSessionRunning', 'BackupSessionSucceeded']);
    await waitEvents('bad-restore', ['RestoreSessionFailed']);
    await waitEvents(s.repository, ['RepositoryStatusUpdated']);
  });
});

after(() => sc.stop());

const duration = /^\d+(\.\d+)?(ms|s)$|^\d+m\d+(\.\d+)?s$/;

test('kubectl get: printer columns with real values, default and -o wide', async () => {
  const bc = await row('backupconfiguration', s.backupConfiguration);
  assert.deepEqual(Object.keys(bc), ['NAME', 'TASK', 'SCHEDULE', 'PAUSED', 'PHASE', 'AGE']);
  assert.equal(bc.TASK, 'elasticsearch-backup-8.2.0');
  assert.equal(bc.SCHEDULE, '*/30 * * * *');
  assert.equal(bc.PHASE, 'Ready');
  assert.match(bc.AGE!, /^\d+(s|m)/);
  assert.equal((await row('bc', s.backupConfiguration, true)).SCHEDULE, '*/30 * * * *'); // short name, wide

  const bs = await row('backupsession', backupName, true);
  assert.deepEqual(Object.keys(bs), ['NAME', 'INVOKER-TYPE', 'INVOKER-NAME', 'PHASE', 'DURATION', 'AGE']);
  assert.deepEqual([bs['INVOKER-TYPE'], bs['INVOKER-NAME'], bs.PHASE], ['BackupConfiguration', 'es-backup', 'Succeeded']);
  assert.match(bs.DURATION!, duration);

  const rs = await row('restore', 'es-restore');
  assert.deepEqual(Object.keys(rs), ['NAME', 'REPOSITORY', 'PHASE', 'DURATION', 'AGE']);
  assert.deepEqual([rs.REPOSITORY, rs.PHASE], ['es-repo', 'Succeeded']);
  assert.match(rs.DURATION!, duration);
  assert.equal((await row('restoresession', 'bad-restore', true)).PHASE, 'Invalid');

  const repo = await row('repository', s.repository, true);
  assert.deepEqual(Object.keys(repo), ['NAME', 'INTEGRITY', 'SIZE', 'SNAPSHOT-COUNT', 'LAST-SUCCESSFUL-BACKUP', 'AGE']);
  assert.match(repo.SIZE!, /^\d+(\.\d+)? (B|KiB|MiB)$/);
  assert.equal(repo['SNAPSHOT-COUNT'], '1');
  assert.match(repo['LAST-SUCCESSFUL-BACKUP']!, /^\d+(s|m)/);
});

test('kubectl describe: conditions with reason and message, and the Events of each step and failure', async () => {
  const bs = await kubectl('describe', 'backupsession', backupName, '-n', s.namespace);
  assert.match(bs, /Phase:\s+Succeeded/);
  assert.match(bs, /Reason:\s+SuccessfullyAppliedRetentionPolicy/);
  assert.match(bs, /Message:\s+\d+ snapshot\(s\) removed by policy keep-last-5/);
  assert.match(bs, /Type:\s+RetentionPolicyApplied/);
  assert.match(bs, /Normal\s+BackupSessionRunning\s+.*BackupSession \S+ is running/);
  assert.match(bs, /Normal\s+BackupSessionSucceeded\s+.*backup of AppBinding\/es-source succeeded/);

  const rs = await kubectl('describe', 'restoresession', 'es-restore', '-n', s.namespace);
  assert.match(rs, /Reason:\s+PostRestoreTasksExecuted/);
  assert.match(rs, /Normal\s+RestoreSessionSucceeded\s+.*restore of AppBinding\/es-target succeeded/);

  const bad = await kubectl('describe', 'restoresession', 'bad-restore', '-n', s.namespace);
  assert.match(bad, /Phase:\s+Invalid/);
  assert.match(bad, /Status:\s+False/);
  assert.match(bad, new RegExp(`Message:\\s+.*no-such-task-${id}`));
  assert.match(bad, new RegExp(`Warning\\s+RestoreSessionFailed\\s+.*no-such-task-${id}`));

  const repo = await kubectl('describe', 'repository', s.repository, '-n', s.namespace);
  assert.match(repo, /Snapshot Count:\s+1/);
  assert.match(repo, /Normal\s+RepositoryStatusUpdated\s+.*1 snapshot\(s\), \d/);

  const bc = await kubectl('describe', 'backupconfiguration', s.backupConfiguration, '-n', s.namespace);
  assert.match(bc, /Reason:\s+ScheduleCreationSucceeded/);
  assert.match(bc, /Type:\s+ScheduleCreated/);
  assert.match(bc, /Normal\s+ScheduleCreated\s+.*Schedule backup:\S+ created \(\*\/30 \* \* \* \*\)/);
});
