// Bad input found only when a session runs (issue 6), table-driven: every row applies the Elasticsearch scenario in
// its own namespace with one mistake, triggers a session through the real watcher and worker (Jobs run our
// function on the node agent), and checks (a) a False condition with a reason and a message naming the cause,
// (b) a Warning Event with that session reason, (c) nothing lost (source untouched, no snapshot; for restores the
// target's existing index untouched), (d) nothing left running. "Elasticsearch down mid-dump" and "object deleted
// while its session runs" go through a small TCP proxy in front of the source that this test cuts or holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Client as EsClient } from '@elastic/elasticsearch';
import type { BackupSession, Condition, RestoreSession } from '../../api/types.js';
import { waitFinal, type Scenario } from '../../dev/demo/es-scenario.js';
import { createBackupSessionFor } from '../../lib/backup-sessions.js';
import { deleteObject, getObject } from '../../lib/objects.js';
import * as restic from '../../lib/restic.js';
import type { SessionRef } from '../../workflows/contracts.js';
import { backupSessionWorkflowId } from '../../workflows/contracts.js';
import {
  assertCondition,
  assertNothingRunning,
  assertWarningEvent,
  patchSpec,
  until,
  withRow,
  type Expect,
  type RowRun,
} from '../helpers/bad-input.js';
import { fingerprint } from '../helpers/es-compare.js';
import { scenarioAddresses, startCatalogHarness } from '../helpers/es-scenario.js';
import { createRestoreSession, rand } from '../helpers/sessions.js';
import { stackEnv } from '../helpers/stack.js';
import type { Harness } from '../helpers/temporal.js';

const addr = scenarioAddresses();
const restUrl = stackEnv('RESTIC_REST_URL');
const id = rand();
const DOCS = 60;
let h: Harness;
const source = new EsClient({ node: addr.esSourceUrl });
const target = new EsClient({ node: addr.esTargetUrl });

/** A TCP proxy on 127.0.0.1 in front of the source Elasticsearch that cuts or holds at the dump's first search. */
class SearchTrap {
  private server = net.createServer((c) => this.accept(c));
  private sockets = new Set<net.Socket>();
  private tripped!: () => void;
  /** resolves when the dump's first _search request reached the proxy */
  readonly reached = new Promise<void>((r) => (this.tripped = r));
  hit = false;
  constructor(private readonly mode: 'cut' | 'hold') {}

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  private accept(client: net.Socket): void {
    const up = new URL(addr.esSourceUrl);
    const server = net.connect(Number(up.port), up.hostname);
    for (const s of [client, server]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    }
    server.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (/^(GET|POST) \S*_search/m.test(chunk.toString('latin1'))) {
        this.hit = true;
        this.tripped();
        if (this.mode === 'cut') this.close();
        return; // held (or cut): the search never reaches Elasticsearch
      }
      server.write(chunk);
    });
    client.on('end', () => server.end());
  }

  /** Elasticsearch "goes down": every connection is reset and nothing listens any more. */
  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

/** The source AppBinding pointed at a proxy (plain HTTP, so no CA). */
async function sourceVia(s: Scenario, url: string): Promise<void> {
  await patchSpec(h, 'AppBinding', s.namespace, 'es-source', { clientConfig: { url, caBundle: null } });
}

const repoOf = (s: Scenario, password: string, path = `${s.namespace}-${s.repository}`): restic.ResticRepo => ({
  repository: `rest:${restUrl}/${path}`,
  password,
  noCache: true,
});

async function snapshotCount(repo: restic.ResticRepo): Promise<number> {
  const r = await fetch(`${repo.repository.slice('rest:'.length)}/config`, { method: 'HEAD' });
  if (r.status !== 200) return 0; // never initialised
  return (await restic.snapshots(repo)).length;
}

interface Ctx {
  s: Scenario;
  password: string;
  /** set by a row that needs the session name beforehand */
  sessionName: string;
  cleanup: Array<() => Promise<void>>;
  /** a row that deletes the session (or its configuration) does it here, then the session cannot be read */
  whileRunning?: (ref: SessionRef) => Promise<void>;
  trap?: SearchTrap;
}

interface BackupRow {
  name: string;
  tag: string;
  prepare?: (c: Ctx) => Promise<void>;
  /** expected end: a Failed session with this condition, or gone (deleted mid-run) with this Event */
  condition?: Expect;
  gone?: { event: RegExp };
  succeeds?: boolean;
  after?: (c: Ctx) => Promise<void>;
}

const backupRows: BackupRow[] = [
  {
    name: 'wrong restic password',
    tag: 'rpw',
    prepare: async (c) => {
      // the repository exists with another password: the Secret's RESTIC_PASSWORD cannot open it
      await restic.init(repoOf(c.s, `other-${randomBytes(9).toString('hex')}`));
    },
    condition: { type: 'BackupCompleted', reason: 'BackupJobFailed', names: /RESTIC_PASSWORD|wrong password/ },
  },
  {
    name: 'unreachable backend',
    tag: 'unr',
    // restic retries a refused backend for minutes: spec.timeOut is what bounds the session (and deletes its Job)
    prepare: async (c) => {
      await patchSpec(h, 'Repository', c.s.namespace, c.s.repository, { backend: { rest: { url: 'http://127.0.0.1:1/bi' } } });
      await patchSpec(h, 'BackupConfiguration', c.s.namespace, c.s.backupConfiguration, { timeOut: '60s' });
    },
    condition: {
      type: 'DeadlineExceeded',
      status: 'True',
      reason: 'FailedToCompleteWithinDeadline',
      names: /spec\.timeOut \(60s\)/,
    },
  },
  {
    name: 'wrong Elasticsearch credentials',
    tag: 'escred',
    prepare: async (c) => {
      await h.kube.core.replaceNamespacedSecret({
        namespace: c.s.namespace,
        name: 'es-source-auth',
        body: { metadata: { name: 'es-source-auth' }, stringData: { username: 'elastic', password: `wrong-${c.password}` } },
      });
    },
    condition: {
      type: 'BackupCompleted',
      reason: 'BackupJobFailed',
      names: /HTTP 401, authentication failed.*AppBinding's Secret/,
    },
  },
  {
    name: 'Elasticsearch down mid-dump',
    tag: 'esdown',
    prepare: async (c) => {
      c.trap = new SearchTrap('cut');
      await sourceVia(c.s, await c.trap.listen());
      const trap = c.trap;
      c.cleanup.push(async () => trap.close());
    },
    after: async (c) => assert.ok(c.trap?.hit, 'the connection was cut at the first search of the dump, after it had started'),
    condition: {
      type: 'BackupCompleted',
      reason: 'BackupJobFailed',
      names: /ECONN|socket|connect|refused|reset|closed|terminated|Elasticsearch/i,
    },
  },
  {
    name: 'closed index',
    tag: 'closed',
    prepare: async (c) => {
      await source.indices.create({ index: `${c.s.indexPrefix}closed` });
      await source.indices.close({ index: `${c.s.indexPrefix}closed` });
    },
    condition: { type: 'BackupCompleted', reason: 'BackupJobFailed', names: /index bi\w+-closed is closed/ },
  },
  {
    name: 'args: wrong type (--limit=abc)',
    tag: 'args',
    prepare: (c) =>
      patchSpec(h, 'BackupConfiguration', c.s.namespace, c.s.backupConfiguration, {
        task: {
          name: 'elasticsearch-backup-8.2.0',
          params: [{ name: 'args', value: `--match=^${c.s.indexPrefix} --limit=abc` }],
        },
      }),
    condition: { type: 'BackupCompleted', reason: 'BackupJobFailed', names: /--limit must be a positive integer, got 'abc'/ },
  },
  {
    name: '0-byte interim volume (disk full)',
    tag: 'full',
    prepare: async (c) => {
      // the claim the session will use, bound first, its host directory replaced by a 4 KiB tmpfs
      const claim = `${c.sessionName}-interim`;
      await h.kube.core.createNamespacedPersistentVolumeClaim({
        namespace: c.s.namespace,
        body: {
          metadata: { name: claim },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      });
      const dir = await until('interim claim bound', 30_000, async () => {
        const pvc = await h.kube.core.readNamespacedPersistentVolumeClaim({ namespace: c.s.namespace, name: claim });
        if (pvc.status?.phase !== 'Bound' || !pvc.spec?.volumeName) return undefined;
        const pv = await h.kube.core.readPersistentVolume({ name: pvc.spec.volumeName });
        return pv.spec?.hostPath?.path;
      });
      execFileSync('mkdir', ['-p', dir]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', `bi-full-${id}`, dir]);
      c.cleanup.push(async () => void execFileSync('umount', ['-l', dir]));
    },
    condition: { type: 'BackupCompleted', reason: 'BackupJobFailed', names: /ENOSPC|no space left/i },
  },
  {
    name: 'read-only source index (index.blocks.read_only)',
    tag: 'ro',
    prepare: async (c) => {
      await source.indices.putSettings({ index: `${c.s.indexPrefix}products`, settings: { 'index.blocks.read_only': true } });
    },
    succeeds: true,
  },
  {
    name: 'BackupSession deleted while it runs',
    tag: 'delbs',
    prepare: (c) => holdAndDelete(c, (ref) => deleteObject(h.kube, 'BackupSession', ref.namespace, ref.name)),
    gone: { event: /no longer exists/ },
  },
  {
    name: 'BackupConfiguration deleted while its session runs',
    tag: 'delbc',
    prepare: (c) => holdAndDelete(c, () => deleteObject(h.kube, 'BackupConfiguration', c.s.namespace, c.s.backupConfiguration)),
    gone: { event: /no longer exists/ },
  },
];

/** Holds the dump at its first search, deletes an object then, and releases the proxy at the end of the row. */
async function holdAndDelete(c: Ctx, del: (ref: SessionRef) => Promise<unknown>): Promise<void> {
  const trap = new SearchTrap('hold');
  await sourceVia(c.s, await trap.listen());
  c.cleanup.push(async () => trap.close());
  c.whileRunning = async (ref) => {
    await Promise.race([trap.reached, new Promise((_, rej) => setTimeout(() => rej(new Error('dump never reached')), 240_000))]);
    await del(ref);
  };
}

let snapshotRepo: { path: string; password: string; prefix: string } | undefined;

function runBackupRow(row: BackupRow): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  const run = async ({ s, watch }: RowRun): Promise<string> => {
    const c: Ctx = { s, password, sessionName: `bs-${rand()}`, cleanup: [] };
    try {
      return await checkBackupRow(row, c, watch);
    } finally {
      for (const f of c.cleanup.reverse()) await f().catch((e: unknown) => console.log(`cleanup ${row.name}: ${String(e)}`));
    }
  };
  return withRow(h, addr, row.tag, run, { password, docs: DOCS, es: [source] });
}

async function checkBackupRow(row: BackupRow, c: Ctx, watch: () => void): Promise<string> {
  const { s } = c;
  const label = row.name;
  await row.prepare?.(c);
  const before = await fingerprint(source, `${s.indexPrefix}products`);
  watch();
  const created = await createBackupSessionFor(h.kube, { namespace: s.namespace, name: s.backupConfiguration }, c.sessionName, {
    ignorePaused: true,
  });
  assert.ok(created.created, created.message);
  const bs = await until('session uid', 10_000, () =>
    getObject<BackupSession>(h.kube, 'BackupSession', s.namespace, c.sessionName),
  );
  const ref: SessionRef = { namespace: s.namespace, name: c.sessionName, uid: bs.metadata.uid! };
  let summary: string;
  if (row.gone) {
    await c.whileRunning!(ref);
    // the workflow ends (the Job goes with its session), naming what happened in an Event on the deleted session
    const wf = h.client.workflow.getHandle(backupSessionWorkflowId(ref));
    const result = (await Promise.race([
      wf.result(),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`${label}: workflow still running after 150 s`)), 150_000)),
    ])) as { phase: string; error?: string };
    assert.equal(result.phase, 'Failed', `${label}: workflow result`);
    await until(`${label}: session gone`, 30_000, async () =>
      (await getObject(h.kube, 'BackupSession', s.namespace, c.sessionName)) ? undefined : true,
    );
    const ev = await assertWarningEvent(h, s.namespace, c.sessionName, 'BackupSessionFailed', row.gone.event, label);
    summary = `${label} | session gone; workflow ended Failed: ${result.error} | Warning BackupSessionFailed: ${ev}`;
  } else {
    const done = await waitFinal<BackupSession>(h.kube, 'BackupSession', s.namespace, c.sessionName, 240_000);
    if (row.succeeds) {
      assert.equal(done.status?.phase, 'Succeeded', `${label}: ${JSON.stringify(done.status?.conditions)}`);
      assert.equal(await snapshotCount(repoOf(s, c.password)), 1, `${label}: one snapshot`);
      snapshotRepo = { path: `${s.namespace}-${s.repository}`, password: c.password, prefix: s.indexPrefix };
      summary = `${label} | Succeeded (a read-only index can be read; its block is recorded and restored) | Normal BackupSessionSucceeded`;
    } else {
      assert.equal(done.status?.phase, 'Failed', `${label}: phase`);
      const cond = assertCondition(done.status?.conditions, row.condition!, label);
      assert.ok(!cond.message?.includes(c.password), `${label}: no restic password in the message`);
      await assertWarningEvent(h, s.namespace, c.sessionName, 'BackupSessionFailed', row.condition!.names, label);
      // (c) no (partial) snapshot in the row's repository
      if (row.tag !== 'rpw' && row.tag !== 'unr')
        assert.equal(await snapshotCount(repoOf(s, c.password)), 0, `${label}: no snapshot`);
      summary = `${label} | Failed; ${cond.type}=${cond.status} ${cond.reason}: ${cond.message} | Warning BackupSessionFailed`;
    }
  }
  // (c) the source is untouched
  assert.deepEqual(await fingerprint(source, `${s.indexPrefix}products`), before, `${label}: source unchanged`);
  // (d)
  await until(`${label}: pods gone or finished`, 60_000, async () => {
    const pods = await h.kube.core.listNamespacedPod({ namespace: s.namespace });
    return pods.items.some((p) => ['Pending', 'Running'].includes(p.status?.phase ?? '')) ? undefined : true;
  }).catch(() => undefined);
  await assertNothingRunning(h, s.namespace, [{ kind: 'BackupSession', ref }], label);
  await row.after?.(c);
  return summary;
}

before(async () => {
  h = await startCatalogHarness();
});

after(async () => {
  await source.close();
  await target.close();
  await h?.close();
});

// BI_ROWS=tag,tag runs only those rows (debugging one row on a busy machine)
const only = process.env.BI_ROWS?.split(',');
const settle = async <T extends { tag: string }>(all: T[], run: (x: T) => Promise<string>, name: (x: T) => string) => {
  const items = all.filter((x) => !only || only.includes(x.tag));
  const results = await Promise.allSettled(items.map((x) => h.withWorker(() => run(x))));
  for (const r of results) if (r.status === 'fulfilled') console.log(`row | ${r.value}`);
  return results.flatMap((r, i) => (r.status === 'rejected' ? [`${name(items[i]!)}: ${String(r.reason)}`] : []));
};

test('backup sessions with bad input fail naming the cause, lose nothing, leave nothing running', async () => {
  assert.deepEqual(await settle(backupRows, runBackupRow, (r) => r.name), []);
});

interface RestoreRow {
  name: string;
  tag: string;
  /** index of the snapshot to restore (selected by --match), created in the target before the restore */
  index: string;
  existing?: { mappings: object; settings?: object };
  snapshot?: string;
  condition: Expect;
}

const restoreRows: RestoreRow[] = [
  {
    name: 'restore into an index with conflicting mappings',
    tag: 'rmap',
    index: 'products',
    existing: { mappings: { properties: { price: { type: 'keyword' }, name: { type: 'integer' } } } },
    condition: {
      type: 'RestoreCompleted',
      reason: 'RestoreJobFailed',
      names: /index bi\w+-products already exists in the target/,
    },
  },
  {
    name: 'restore into a write-blocked index (index.blocks.write)',
    tag: 'rblk',
    index: 'empty',
    existing: { mappings: { properties: { note: { type: 'keyword' } } }, settings: { 'index.blocks.write': true } },
    condition: { type: 'RestoreCompleted', reason: 'RestoreJobFailed', names: /index bi\w+-empty already exists in the target/ },
  },
  {
    name: 'RestoreSession naming a missing snapshot',
    tag: 'rsnap',
    index: 'products',
    snapshot: 'deadbeef',
    condition: { type: 'RestoreCompleted', reason: 'RestoreJobFailed', names: /deadbeef/ },
  },
];

async function runRestoreRow(row: RestoreRow): Promise<string> {
  const snap = snapshotRepo!;
  const label = row.name;
  // the missing-snapshot row restores into a name of its own, so it can prove nothing was created
  const index = `${snap.prefix}${row.index}`;
  const run = async ({ s, watch }: RowRun): Promise<string> => {
    await patchSpec(h, 'Repository', s.namespace, s.repository, { backend: { rest: { url: `${restUrl}/${snap.path}` } } });
    let before: unknown;
    if (row.existing) {
      await target.indices.create({ index, mappings: row.existing.mappings as never });
      await target.index({ index, id: 'keep-me', document: { note: 'existing data' }, refresh: true });
      if (row.existing.settings) await target.indices.putSettings({ index, settings: row.existing.settings as never });
      before = { fp: await fingerprint(target, index), mapping: await target.indices.getMapping({ index }) };
    }
    watch();
    const ref = await createRestoreSession(h, s.namespace, 'restore', {
      task: {
        name: 'elasticsearch-restore-8.2.0',
        params: [{ name: 'args', value: `--match=^${snap.prefix}${row.snapshot ? '' : `${row.index}$`}` }],
      },
      repository: { name: s.repository },
      target: {
        ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es-target' },
        rules: [{ snapshots: [row.snapshot ?? 'latest'] }],
      },
    } as RestoreSession['spec']);
    const done = await waitFinal<RestoreSession>(h.kube, 'RestoreSession', s.namespace, ref.name, 240_000);
    assert.equal(done.status?.phase, 'Failed', `${label}: phase`);
    const cond: Condition = assertCondition(done.status?.conditions, row.condition, label);
    await assertWarningEvent(h, s.namespace, ref.name, 'RestoreSessionFailed', row.condition.names, label);
    // (c) the target's existing data is untouched (documents, mappings, the write block); nothing new was created
    if (row.existing) {
      assert.deepEqual(
        { fp: await fingerprint(target, index), mapping: await target.indices.getMapping({ index }) },
        before,
        `${label}: target index untouched`,
      );
      if (row.existing.settings) {
        const st = await target.indices.getSettings({ index, flat_settings: true });
        assert.equal(Object.values(st)[0]?.settings?.['index.blocks.write'], 'true', `${label}: block kept`);
      }
    } else {
      const made = await target.cat.indices({ index: `${snap.prefix}*`, format: 'json', h: 'index' });
      assert.deepEqual(made, [], `${label}: nothing restored`);
    }
    // (d)
    await assertNothingRunning(h, s.namespace, [{ kind: 'RestoreSession', ref }], label);
    return `${label} | Failed; ${cond.type}=False ${cond.reason}: ${cond.message} | Warning RestoreSessionFailed`;
  };
  try {
    return await withRow(h, addr, row.tag, run, { password: snap.password });
  } finally {
    if (row.existing) {
      await target.indices.putSettings({ index, settings: { 'index.blocks.write': null } as never }).catch(() => undefined);
      await target.indices.delete({ index }).catch(() => undefined);
    }
  }
}

test('restore sessions with bad input fail naming the cause and leave the target as it was', async () => {
  if (only && !only.includes('ro')) return;
  assert.ok(snapshotRepo, 'the read-only-source backup made the snapshot these rows restore from');
  // the missing-snapshot row runs first, alone: it asserts the target has no index of the snapshot at all
  const failed = await settle(
    restoreRows.filter((r) => r.snapshot),
    runRestoreRow,
    (r) => r.name,
  );
  failed.push(
    ...(await settle(
      restoreRows.filter((r) => !r.snapshot),
      runRestoreRow,
      (r) => r.name,
    )),
  );
  assert.deepEqual(failed, []);
});
