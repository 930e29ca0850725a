// The Elasticsearch function for real: source ES → dump → restic (a local repository in a temp dir, and the REST
// server) → restore into the target ES. Per index: doc count and an order-independent checksum of _id+_source,
// mappings, settings and aliases are compared. Every index and template this file creates has a random prefix and
// is deleted at the end; nothing else is deleted.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { stackDir, stackEnv } from '../helpers/stack.js';
import {
  backupElasticsearch,
  createClient,
  dumpIndices,
  loadDump,
  restoreElasticsearch,
} from '../../functions/elasticsearch/index.js';
import { deletePrefixed, describeIndex as describe, fingerprint } from '../helpers/es-compare.js';
import * as restic from '../../lib/restic.js';

process.env.PATH = `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`;
const P = `sf-esf-${randomBytes(3).toString('hex')}`;
const src = createClient({ url: stackEnv('ES_SOURCE_URL') });
const dst = createClient({ url: stackEnv('ES_TARGET_URL') });
const work = await mkdtemp(join(tmpdir(), 'stashflow-esf-'));
const cacheDir = join(tmpdir(), 'stashflow-restic-cache');

const I = {
  empty: `${P}-empty`,
  geo: `${P}-geo`,
  big: `${P}-big`,
  uni: `${P}-unicode`,
  aliased: `${P}-aliased`,
  fromTpl: `${P}-tpl-1`,
  excluded: `${P}-excluded`,
  closed: `${P}-closed`,
  small: Array.from({ length: 12 }, (_, i) => `${P}-small-${String(i).padStart(2, '0')}`),
};
const included = [I.empty, I.geo, I.big, I.uni, I.aliased, I.fromTpl, ...I.small].sort();
const filter = { include: [`${P}-*`], exclude: [I.excluded, I.closed], templates: [`${P}-*`] };

const cleanup = (c: Client) => deletePrefixed(c, P);

async function bulk(c: Client, index: string, docs: { id: string; routing?: string; doc: unknown }[]) {
  if (!docs.length) return;
  const r = await c.bulk({
    refresh: true,
    operations: docs.flatMap((d) => [
      { index: { _index: index, _id: d.id, ...(d.routing ? { routing: d.routing } : {}) } },
      d.doc,
    ]),
  });
  assert.equal(r.errors, false, JSON.stringify(r.items.find((i) => i.index?.error)));
}

before(async () => {
  await cleanup(src);
  await cleanup(dst);
  await src.indices.create({ index: I.empty, mappings: { properties: { a: { type: 'keyword' } } } });
  await src.indices.create({
    index: I.geo,
    settings: {
      number_of_shards: 3,
      number_of_replicas: 0,
      refresh_interval: '7s',
      max_result_window: 20000,
      analysis: { analyzer: { my_lower: { type: 'standard', max_token_length: 100, stopwords: ['a', 'the'] } } },
    },
    mappings: {
      _meta: { owner: 'test' },
      properties: {
        where: { type: 'geo_point' },
        at: { type: 'date' },
        n: { type: 'long' },
        body: { type: 'text', analyzer: 'my_lower' },
        items: { type: 'nested', properties: { sku: { type: 'keyword' }, qty: { type: 'integer' } } },
      },
    },
  });
  await bulk(
    src,
    I.geo,
    Array.from({ length: 3000 }, (_, i) => ({
      id: `g${i}`,
      ...(i % 7 === 0 ? { routing: `r${i % 3}` } : {}),
      doc: {
        where: { lat: 48 + i / 10000, lon: 11 - i / 10000 },
        at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        n: i,
        body: `Doc ${i} Mixed CASE`,
        items: [
          { sku: `s${i % 5}`, qty: i },
          { sku: 'x', qty: -i },
        ],
      },
    })),
  );
  await src.indices.create({
    index: I.big,
    mappings: { properties: { blob: { type: 'keyword', index: false, doc_values: false } } },
  });
  await bulk(src, I.big, [
    { id: 'large', doc: { blob: 'x'.repeat(5 * 1024 * 1024), note: 'five megabytes' } },
    ...Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, doc: { blob: 'y'.repeat(i * 1000) } })),
  ]);
  await src.indices.create({ index: I.uni });
  await bulk(src, I.uni, [
    { id: 'ünïcødé-日本語-🎉', doc: { text: 'Grüße, 世界 🌍', quote: 'he said "hi"\n\ttab' } },
    {
      id: 'with space/and slash?&=',
      doc: { n: 1.5, big: 9007199254740991, neg: -0.001, arr: ['one', 'two', null], obj: [{ three: 3 }, { three: 4 }] },
    },
    { id: 'מזהה', doc: { empty: {}, list: [] } },
  ]);
  await src.indices.create({
    index: I.aliased,
    aliases: {
      [`${P}-alias-all`]: {},
      [`${P}-alias-filtered`]: { filter: { term: { kind: 'a' } }, routing: '1' },
      [`${P}-alias-write`]: { is_write_index: true },
    },
    mappings: { properties: { kind: { type: 'keyword' } } },
  });
  await bulk(
    src,
    I.aliased,
    Array.from({ length: 50 }, (_, i) => ({ id: `a${i}`, doc: { kind: i % 2 ? 'a' : 'b' } })),
  );
  await src.cluster.putComponentTemplate({
    name: `${P}-comp`,
    template: { mappings: { properties: { fromComponent: { type: 'keyword' } } } },
  });
  await src.indices.putIndexTemplate({
    name: `${P}-tmpl`,
    index_patterns: [`${P}-tpl-*`],
    composed_of: [`${P}-comp`],
    priority: 500,
    template: {
      settings: { number_of_shards: 2 },
      mappings: { properties: { t: { type: 'keyword' } } },
      aliases: { [`${P}-tpl-alias`]: {} },
    },
  });
  await bulk(src, I.fromTpl, [{ id: '1', doc: { t: 'x', fromComponent: 'y' } }]);
  await src.indices.create({ index: I.excluded });
  await bulk(src, I.excluded, [{ id: '1', doc: { no: true } }]);
  for (const [k, name] of I.small.entries()) {
    await src.indices.create({ index: name, settings: { number_of_shards: 1 } });
    await bulk(
      src,
      name,
      Array.from({ length: k % 4 }, (_, i) => ({ id: `${k}-${i}`, doc: { k, i } })),
    );
  }
  await src.indices.create({ index: I.closed });
  await src.indices.close({ index: I.closed });
});

after(async () => {
  await cleanup(src);
  await cleanup(dst);
  await Promise.all([src.close(), dst.close()]);
  await rm(work, { recursive: true, force: true });
});

async function assertSameIndex(index: string) {
  assert.deepEqual(await fingerprint(dst, index), await fingerprint(src, index), `documents of ${index}`);
  const [a, b] = [await describe(src, index), await describe(dst, index)];
  assert.deepEqual(b.mappings, a.mappings, `mappings of ${index}`);
  assert.deepEqual(b.settings, a.settings, `settings of ${index}`);
  assert.deepEqual(b.aliases, a.aliases, `aliases of ${index}`);
}

async function targetIndices(): Promise<string[]> {
  const r = await dst.cat.indices({ index: `${P}-*`, format: 'json', h: 'index', expand_wildcards: 'all' });
  return r.map((x) => String(x.index)).sort();
}

async function roundTrip(repository: string) {
  const repo: restic.ResticRepo = { repository, password: randomBytes(16).toString('hex'), cacheDir };
  const interim = join(work, `interim-${randomBytes(3).toString('hex')}`);
  const outDir = join(work, 'out-backup');
  const b = await backupElasticsearch({
    es: { url: stackEnv('ES_SOURCE_URL') },
    restic: repo,
    interimDir: interim,
    tags: ['stashflow-test'],
    dump: { ...filter, slices: 3, batchSize: 400 },
    outputDir: outDir,
    terminationPath: join(work, 'termination-backup'),
    progress: false,
  });
  assert.equal(b.phase, 'Succeeded');
  assert.deepEqual(b.indexNames, included);
  assert.match(b.snapshotId ?? '', /^[0-9a-f]{64}$/);
  assert.ok((b.resticSize ?? 0) > 5 * 1024 * 1024 * 0.001, 'repository has data');
  assert.ok(b.docs >= 3000 + 21 + 3 + 50 + 1);
  const snaps = await restic.snapshots(repo);
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0]?.hostname, 'host-0');
  assert.deepEqual(snaps[0]?.tags, ['stashflow-test']);
  const out = JSON.parse(await readFile(join(outDir, 'output.json'), 'utf8'));
  assert.equal(out.targetStatus.stats[0].phase, 'Succeeded');
  assert.equal(out.targetStatus.stats[0].snapshots[0].name, b.snapshotId?.slice(0, 8));
  const term = JSON.parse(await readFile(join(work, 'termination-backup'), 'utf8'));
  assert.equal(term.phase, 'Succeeded');
  assert.equal(term.details.snapshotId, b.snapshotId);
  assert.equal(term.backup.snapshots[0].name, b.snapshotId?.slice(0, 8));
  await assert.rejects(readdir(interim), /ENOENT/, 'interim data removed');

  const r = await restoreElasticsearch({
    es: { url: stackEnv('ES_TARGET_URL') },
    restic: repo,
    interimDir: join(work, 'restore'),
    snapshot: 'latest',
    outputDir: join(work, 'out-restore'),
    terminationPath: join(work, 'termination-restore'),
    progress: false,
  });
  assert.equal(r.phase, 'Succeeded', r.error);
  assert.equal(r.snapshotId, b.snapshotId);
  assert.equal(r.docs, b.docs);
  assert.equal(r.failedDocs, 0);
  assert.deepEqual(await targetIndices(), included);
  for (const index of included) await assertSameIndex(index);
  const tmpl = await dst.indices.getIndexTemplate({ name: `${P}-tmpl` });
  assert.deepEqual(tmpl.index_templates[0]?.index_template.composed_of, [`${P}-comp`]);
  assert.ok((await dst.cluster.getComponentTemplate({ name: `${P}-comp` })).component_templates.length === 1);

  // a retried restore of the same snapshot skips what is complete
  const again = await restoreElasticsearch({
    es: { url: stackEnv('ES_TARGET_URL') },
    restic: repo,
    interimDir: join(work, 'restore'),
    snapshot: b.snapshotId,
    terminationPath: false,
    progress: false,
  });
  assert.equal(again.skippedIndices, included.length);
  assert.equal(again.docs, 0);
  for (const index of [I.geo, I.uni]) await assertSameIndex(index);
  await cleanup(dst);
}

test('round trip source → restic (local repository) → target', async () => {
  await roundTrip(join(work, 'repo-local'));
});

test('round trip source → restic (REST server) → target', async () => {
  await roundTrip(`rest:${stackEnv('RESTIC_REST_URL')}/${P}-repo`);
});

test('the dump has multielasticdump files only, in its formats; our extras live in the sidecar', async () => {
  const dir = join(work, 'dump-only');
  const r = await dumpIndices(src, dir, { include: [I.aliased, I.uni], templates: [`${P}-*`] });
  assert.deepEqual(
    r.indices.map((i) => i.name),
    [I.aliased, I.uni],
  );
  const files = (await readdir(dir)).sort();
  const types = ['alias', 'analyzer', 'mapping', 'settings', 'template'];
  assert.deepEqual(files, [I.aliased, I.uni].flatMap((i) => [`${i}.json`, ...types.map((t) => `${i}.${t}.json`)]).sort());
  const lines = (await readFile(join(dir, `${I.uni}.json`), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  for (const l of lines) assert.deepEqual(Object.keys(l).slice(0, 2), ['_index', '_id']);
  assert.ok(lines.some((l) => l._id === 'ünïcødé-日本語-🎉' && l._source.text === 'Grüße, 世界 🌍'));
  const settings = JSON.parse(JSON.parse(await readFile(join(dir, `${I.aliased}.settings.json`), 'utf8')));
  assert.ok(settings[I.aliased].settings.index.number_of_shards);
  assert.equal(settings[I.aliased].settings.index.uuid, undefined);
  const alias = JSON.parse(JSON.parse(await readFile(join(dir, `${I.aliased}.alias.json`), 'utf8')));
  assert.deepEqual(Object.keys(alias[I.aliased].aliases).sort(), [`${P}-alias-all`, `${P}-alias-filtered`, `${P}-alias-write`]);
  const mapping = JSON.parse(await readFile(join(dir, `${I.aliased}.mapping.json`), 'utf8'));
  assert.equal(mapping[I.aliased].mappings.properties.kind.type, 'keyword');
  const sidecar = (await readdir(`${dir}.stashflow`)).sort();
  assert.deepEqual(sidecar, ['component_template.json', 'index_template.json', 'manifest.json']);
  const it = JSON.parse(await readFile(join(`${dir}.stashflow`, 'index_template.json'), 'utf8'));
  assert.deepEqual(
    it.index_templates.map((t: { name: string }) => t.name),
    [`${P}-tmpl`],
  );
});

test('include/exclude and --match (on index or alias name) are honoured', async () => {
  const dir = join(work, 'dump-match');
  const r = await dumpIndices(src, dir, {
    include: [`${P}-*`],
    exclude: [`${P}-small-*`, I.closed],
    match: `^${P}-(alias-all|unicode)$`,
    templates: ['none'],
  });
  assert.deepEqual(
    r.indices.map((i) => i.name),
    [I.aliased, I.uni],
  );
  const l = await loadDump(dst, dir, { exclude: [I.uni] });
  assert.deepEqual(
    l.indices.map((i) => i.name),
    [I.aliased],
  );
  assert.deepEqual(await targetIndices(), [I.aliased]);
  await assertSameIndex(I.aliased);
  await cleanup(dst);
});

test('a closed index is a clear error naming it', async () => {
  await assert.rejects(
    backupElasticsearch({
      es: { url: stackEnv('ES_SOURCE_URL') },
      restic: { repository: join(work, 'repo-closed'), password: 'unused-password' },
      interimDir: join(work, 'interim-closed'),
      dump: { include: [`${P}-c*`] },
      terminationPath: join(work, 'termination-closed'),
      progress: false,
    }),
    (e: Error) => e.message.includes(I.closed) && /closed/.test(e.message),
  );
  const term = JSON.parse(await readFile(join(work, 'termination-closed'), 'utf8'));
  assert.equal(term.phase, 'Failed');
  assert.match(term.error, new RegExp(I.closed));
});

test('a wrong restic password is a clear error without the password in it', async () => {
  const repository = join(work, 'repo-pw');
  const good = 'the-right-password-' + randomBytes(4).toString('hex');
  await restic.init({ repository, password: good });
  const wrong = 'wrong-password-' + randomBytes(6).toString('hex');
  const outDir = join(work, 'out-pw');
  const err = await backupElasticsearch({
    es: { url: stackEnv('ES_SOURCE_URL') },
    restic: { repository, password: wrong },
    interimDir: join(work, 'interim-pw'),
    dump: { include: [I.uni] },
    outputDir: outDir,
    terminationPath: join(work, 'termination-pw'),
    progress: false,
  }).then(
    () => assert.fail('backup with a wrong password succeeded'),
    (e: Error) => e,
  );
  assert.match(err.message, /wrong repository password/);
  assert.ok(!err.message.includes(wrong));
  const files = [await readFile(join(outDir, 'output.json'), 'utf8'), await readFile(join(work, 'termination-pw'), 'utf8')];
  for (const f of files) {
    assert.match(f, /wrong repository password/);
    assert.ok(!f.includes(wrong));
  }
  // and restic's own message, scrubbed, when a secret would appear in it
  assert.equal(restic.scrubSecrets(`Fatal: ${wrong} rejected`, { repository, password: wrong }), 'Fatal: *** rejected');
});

test('through nginx: TLS with our CA and basic auth', async () => {
  const creds: Record<string, string> = {};
  for (const line of (await readFile(stackEnv('ES_CREDENTIALS_FILE'), 'utf8')).split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) creds[m[1]] = m[2];
  }
  const caPem = await readFile(stackEnv('ES_SECURE_CA'), 'utf8');
  const es = { url: stackEnv('ES_SECURE_URL'), username: creds.ES_USERNAME, password: creds.ES_PASSWORD, caPem };
  const client = createClient(es);
  const dir = join(work, 'dump-tls');
  try {
    const r = await dumpIndices(client, dir, { include: [I.geo], slices: 2, templates: ['none'] });
    assert.equal(r.docs, 3000);
  } finally {
    await client.close();
  }
  const target = createClient({ ...es, url: stackEnv('ES_TARGET_SECURE_URL') });
  try {
    const l = await loadDump(target, dir, { workers: 3, maxBulkBytes: 64 * 1024 });
    assert.equal(l.docs, 3000);
    await assertSameIndex(I.geo);
  } finally {
    await target.close();
    await cleanup(dst);
  }
  await assert.rejects(
    dumpIndices(createClient({ ...es, password: 'nope' }), join(work, 'x'), {}),
    /401|security_exception|Unauthorized/i,
  );
});

test('a restore refuses to overwrite an index it did not create', async () => {
  const dir = join(work, 'dump-foreign');
  await dumpIndices(src, dir, { include: [I.uni], templates: ['none'] });
  await dst.indices.create({ index: I.uni });
  await assert.rejects(loadDump(dst, dir, {}), new RegExp(`index ${I.uni} already exists`));
  assert.equal((await dst.count({ index: I.uni })).count, 0);
  await cleanup(dst);
});
