// What a person sees in the real Temporal UI (headless Debian Chromium driven by playwright-core) after a real
// Elasticsearch backup through a Temporal Schedule: the running session's awaitJob heartbeats carry the Job's
// progress (docs/bytes done of total), the session list filters by our search attributes, the session's history
// names its steps, its memo holds the object reference and StashPhase ended at the final phase.
// Screenshots go to docs/ (the README shows them) only with STASHFLOW_UPDATE_SCREENSHOTS=1, else to a temp dir.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { searchAttributes as sa } from '../../api/search-attributes.js';
import type { AwaitProgress } from '../../activities/jobs.js';
import type { BackupSession } from '../../api/types.js';
import { getObject } from '../../lib/objects.js';
import { backupSessionWorkflowId, scheduleId } from '../../workflows/contracts.js';
import { waitFinal, waitForSessionOf } from '../../dev/demo/es-scenario.js';
import { newScenario, waitConfigReady } from '../helpers/es-scenario.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';
import type { Harness } from '../helpers/temporal.js';

const sc = newScenario('ui');
const { s } = sc;
// enough documents that the dump and its upload outlast a few heartbeats on a busy 2-core machine
const DOCS = 30_000;
const UI = stackEnv('TEMPORAL_UI_URL');
const update = process.env.STASHFLOW_UPDATE_SCREENSHOTS === '1';
const shots = update ? join(repoRoot, 'docs') : mkdtempSync(join(tmpdir(), 'stashflow-ui-shots-'));
const profile = mkdtempSync(join(tmpdir(), 'stashflow-chromium-'));
let h: Harness;
let browser: BrowserContext | undefined;
let workflowId = '';
let runId = '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ({ h } = await sc.start({ docs: DOCS }));
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1500, height: 1300 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  rmSync(profile, { recursive: true, force: true });
  if (!update) rmSync(shots, { recursive: true, force: true });
  await sc.stop();
});

const workflowUrl = () => `${UI}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}`;

/** A page of the UI, loaded until `text` shows (the UI renders skeletons first, slowly on 2 busy cores). */
async function open(url: string, text: string): Promise<Page> {
  const page = await browser!.newPage();
  await page.goto(url);
  await page.getByText(text).first().waitFor({ timeout: 60_000 });
  return page;
}

test('a running Elasticsearch backup: awaitJob heartbeats carry docs/bytes done of total; the session succeeds', async () => {
  assert.ok(await waitConfigReady(h, s), 'BackupConfiguration Ready');
  await h.withWorker(async () => {
    await h.client.schedule.getHandle(scheduleId({ namespace: s.namespace, name: s.backupConfiguration })).trigger();
    const name = await waitForSessionOf(h.kube, s.namespace, s.backupConfiguration, 30_000);
    const bs = await getObject<BackupSession>(h.kube, 'BackupSession', s.namespace, name);
    workflowId = backupSessionWorkflowId({ namespace: s.namespace, name, uid: bs!.metadata.uid! });

    // what the server holds for the pending awaitJob (the UI's Pending Activities tab shows the same details)
    let progress: AwaitProgress['progress'];
    let heartbeat: AwaitProgress | undefined;
    let shotTaken = false;
    for (let i = 0; i < 600 && !progress?.docsDone; i++) {
      const desc = await h.client.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      if (desc) runId = desc.runId;
      if (desc && desc.status.name !== 'RUNNING') break;
      const pending = desc?.raw.pendingActivities?.find((a) => a.activityType?.name === 'awaitJob');
      const payload = pending?.heartbeatDetails?.payloads?.[0];
      if (payload) {
        heartbeat = defaultPayloadConverter.fromPayload<AwaitProgress>(payload);
        progress = heartbeat.progress;
      }
      if (!progress?.docsDone) await sleep(250);
    }
    assert.ok(progress?.docsDone, `a heartbeat with progress while the Job ran: ${JSON.stringify(heartbeat)}`);
    assert.match(heartbeat!.job, /^stash-backup-/);
    assert.ok(progress.docsTotal! >= progress.docsDone! && progress.docsTotal! <= DOCS, JSON.stringify(progress));
    assert.ok(progress.bytesDone! > 0, JSON.stringify(progress));
    assert.equal(progress.step, 'dump');

    // the same progress in the UI, when the Job still runs by the time the page is drawn (informative screenshot)
    const page = await browser!.newPage();
    await page.goto(`${workflowUrl()}/pending-activities`);
    shotTaken = await page
      .getByText('docsDone')
      .first()
      .waitFor({ timeout: 20_000 })
      .then(() => true)
      .catch(() => false);
    if (shotTaken) await page.screenshot({ path: join(shots, 'temporal-ui-heartbeat.png') });
    else console.log('# the backup finished before the Pending Activities tab was drawn: no heartbeat screenshot');
    await page.close();

    const done = await waitFinal<BackupSession>(h.kube, 'BackupSession', s.namespace, name, 240_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    // StashPhase follows the status write (the workflow upserts it once finishSession returned)
    let phase: string | undefined;
    for (let i = 0; i < 40 && phase !== 'Succeeded'; i++) {
      phase = (await h.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(sa.phase);
      if (phase !== 'Succeeded') await sleep(250);
    }
    assert.equal(phase, 'Succeeded');
  });
});

test('Temporal UI: sessions filtered by search attributes, one session opened: its steps, memo and search attributes', async () => {
  assert.ok(workflowId && runId, 'the backup test ran first');
  const target = `AppBinding/${s.namespace}/es-source`;
  const query = `StashSessionKind="BackupSession" AND StashTarget="${target}" AND StashPhase="Succeeded"`;
  const link = `a[href*="${encodeURIComponent(workflowId)}"]`;

  // the list, filtered by the query; the session's row shows up (visibility is eventually consistent: reload)
  const list = await browser!.newPage();
  let found = false;
  for (let i = 0; i < 6 && !found; i++) {
    await list.goto(`${UI}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    found = await list
      .locator(link)
      .first()
      .waitFor({ timeout: 30_000 })
      .then(() => true)
      .catch(() => false);
  }
  assert.ok(found, `the session ${workflowId} is listed for ${query}`);
  assert.match(await list.innerText('body'), /StashTarget/);
  await list.screenshot({ path: join(shots, 'temporal-ui-sessions.png') });

  // open it from the list: the history names each step as an activity
  await list.locator(link).first().click();
  await list.waitForURL(/\/workflows\/[^/]+\/[^/]+\//);
  const historyUrl = `${workflowUrl()}/history`;
  await list.goto(historyUrl);
  await list.getByText('finishSession').first().waitFor({ timeout: 60_000 });
  const history = await list.innerText('body');
  for (const step of ['beginSession', 'planSession', 'ensureJob', 'awaitJob', 'finishSession', 'recordSessionEvent'])
    assert.ok(history.includes(step), `history shows ${step}`);
  assert.match(history, /backupSession/);
  await list.screenshot({ path: join(shots, 'temporal-ui-backup-session.png') });
  await list.close();

  const memo = await open(`${workflowUrl()}/memo`, 'stash.appscode.com/v1beta1');
  const memoText = await memo.innerText('body');
  for (const v of ['"kind": "BackupSession"', `"namespace": "${s.namespace}"`, `"uid": "${workflowId.split(':').at(-1)}"`])
    assert.ok(memoText.includes(v), `memo shows ${v}`);
  await memo.screenshot({ path: join(shots, 'temporal-ui-memo.png') });
  await memo.close();

  const attrs = await open(`${workflowUrl()}/search-attributes`, 'StashPhase');
  const attrsText = await attrs.innerText('body');
  for (const v of ['"StashPhase": "Succeeded"', `"StashTarget": "${target}"`, '"StashRepository": "es-repo"'])
    assert.ok(attrsText.includes(v), `search attributes show ${v}`);
  await attrs.close();
});
