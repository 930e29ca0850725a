// End to end, as a Stash user runs it: Secret + Repository (restic REST server) + AppBinding + BackupConfiguration
// naming Stash's `elasticsearch-backup-8.2.0` Task → the watcher keeps a Temporal Schedule → a firing creates a
// BackupSession → the backupSession workflow runs our Elasticsearch function in a Job → snapshot, statuses, Events,
// metrics → a RestoreSession loads it into a second Elasticsearch → the data is the same.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupSession, Repository } from '../../api/types.js';
import { createLogger } from '../../lib/log.js';
import { getObject } from '../../lib/objects.js';
import { scheduleId } from '../../workflows/contracts.js';
import { createRestore, waitFinal, waitForSessionOf } from '../../dev/demo/es-scenario.js';
import { describeIndex, fingerprint } from '../helpers/es-compare.js';
import { newScenario, waitConfigReady } from '../helpers/es-scenario.js';
import { eventsFor } from '../helpers/sessions.js';
import { stackEnv } from '../helpers/stack.js';
import type { Harness } from '../helpers/temporal.js';

const sc = newScenario('e2e');
const { s, P, source, target } = sc;
let h: Harness;

before(async () => {
  ({ h } = await sc.start({ docs: 20_000, log: createLogger('watcher-e2e') }));
});

after(() => sc.stop());

test('backup through a Temporal Schedule and restore into another Elasticsearch: same documents, mappings, aliases', async () => {
  // the watcher turned the BackupConfiguration into a Schedule and reported it Ready
  const handle = h.client.schedule.getHandle(scheduleId({ namespace: s.namespace, name: s.backupConfiguration }));
  assert.ok(await waitConfigReady(h, s), 'BackupConfiguration Ready');
  const desc = await handle.describe();
  assert.equal(desc.state.paused, false);

  // a firing (trigger now) creates the BackupSession; the watcher starts its workflow; the Job does the backup
  await h.withWorker(async () => {
    await handle.trigger();
    const name = await waitForSessionOf(h.kube, s.namespace, s.backupConfiguration, 30_000);
    const bs = await waitFinal<BackupSession>(h.kube, 'BackupSession', s.namespace, name, 240_000);
    assert.equal(bs.status?.phase, 'Succeeded', JSON.stringify(bs.status));
    const host = bs.status?.targets?.[0]?.stats?.[0];
    assert.equal(host?.hostname, 'host-0');
    assert.match(host?.snapshots?.[0]?.name ?? '', /^[0-9a-f]{8,64}$/, JSON.stringify(host));
    // the Event follows the status write; give it a moment
    let events: Awaited<ReturnType<typeof eventsFor>> = [];
    for (let i = 0; i < 40 && !events.some((e) => e.reason === 'BackupSessionSucceeded'); i++) {
      events = await eventsFor(h, s.namespace, name);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(
      events.some((e) => e.reason === 'BackupSessionSucceeded'),
      JSON.stringify(events),
    );

    // our function's container runs with a capped heap (bounded memory whatever the index size)
    const jobs = await h.kube.batch.listNamespacedJob({ namespace: s.namespace, labelSelector: `stashflow.dev/session=${name}` });
    const backupJob = jobs.items.find((j) => j.metadata?.name?.startsWith('stash-backup-'));
    const env = backupJob?.spec?.template.spec?.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=128');

    const repo = await getObject<Repository>(h.kube, 'Repository', s.namespace, s.repository);
    assert.equal(repo?.status?.snapshotCount, 1);
    assert.ok(repo?.status?.lastBackupTime);

    // the restore, into the second node, found by the Service name the AppBinding names
    await createRestore(h.kube, s, 'es-restore');
    const rs = await waitFinal(h.kube, 'RestoreSession', s.namespace, 'es-restore', 240_000);
    assert.equal(rs.status?.phase, 'Succeeded', JSON.stringify(rs.status));
  });

  for (const index of [`${P}-products`, `${P}-empty`]) {
    const [a, b] = await Promise.all([fingerprint(source, index), fingerprint(target, index)]);
    assert.deepEqual(b, a, `${index}: documents`);
    const [da, db] = await Promise.all([describeIndex(source, index), describeIndex(target, index)]);
    assert.deepEqual(db.mappings, da.mappings, `${index}: mappings`);
    assert.deepEqual(db.aliases, da.aliases, `${index}: aliases`);
  }
  assert.equal((await fingerprint(target, `${P}-products`)).count, 20_000);

  // Stash's metrics for both sessions, on the real Pushgateway
  const metrics = await (await fetch(`${stackEnv('PUSHGATEWAY_URL')}/metrics`)).text();
  const has = (name: string, invoker: string) =>
    metrics
      .split('\n')
      .some(
        (l) =>
          l.startsWith(`${name}{`) &&
          l.includes(`invoker_name="${invoker}"`) &&
          l.includes(`namespace="${s.namespace}"`) &&
          l.endsWith(' 1'),
      );
  assert.ok(has('stash_backup_session_success', s.backupConfiguration), 'backup success metric');
  assert.ok(has('stash_restore_session_success', 'es-restore'), 'restore success metric');
});
