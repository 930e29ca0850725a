// Verified backups, function level, on the real Elasticsearch: the dump's manifest holds per-index counts and
// checksums that match an independent fingerprint of the source; verifyDump restores into hidden scratch indices and
// finds a faithful dump verified, names the index of a tampered or truncated one, flags a manifest that is not the
// one the backup reported — and leaves no scratch index and no alias change behind either way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as EsClient } from '@elastic/elasticsearch';
import { dumpIndices, verifyDump } from '../../functions/elasticsearch/index.js';
import { MANIFEST_FILE, sidecarFile, type Manifest } from '../../functions/elasticsearch/layout.js';
import { summarizeManifest } from '../../functions/elasticsearch/manifest-checksum.js';
import { scratchPattern } from '../../functions/elasticsearch/verify-compare.js';
import { deletePrefixed, fingerprint } from '../helpers/es-compare.js';
import { rand } from '../helpers/sessions.js';
import { stackEnv } from '../helpers/stack.js';

const P = `vbf${rand()}`;
const es = new EsClient({ node: stackEnv('ES_SOURCE_URL') });
const DOCS = 3000;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'stashflow-verify-'));
  await es.indices.create({
    index: `${P}-docs`,
    settings: { number_of_shards: 2, number_of_replicas: 0 },
    mappings: { properties: { n: { type: 'integer' }, text: { type: 'text' }, tag: { type: 'keyword' } } },
    aliases: { [`${P}-alias`]: {} },
  });
  await es.indices.create({ index: `${P}-empty`, settings: { number_of_replicas: 0 } });
  const operations: object[] = [];
  for (let i = 0; i < DOCS; i++) {
    operations.push({ index: { _index: `${P}-docs`, _id: `d-${i}`, ...(i % 10 === 0 ? { routing: `r${i % 3}` } : {}) } });
    operations.push({ n: i, text: `doc ${i} — ünïcode`, tag: `t${i % 5}`, nested: { a: [i, i + 1], b: null } });
  }
  const r = await es.bulk({ operations, refresh: true });
  assert.equal(r.errors, false);
});

after(async () => {
  await deletePrefixed(es, P).catch(() => undefined);
  await es.close();
  await rm(work, { recursive: true, force: true });
});

async function dumpTo(name: string): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(work, name);
  await dumpIndices(es, dir, { include: [`${P}-*`] });
  const manifest = JSON.parse(await readFile(sidecarFile(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  return { dir, manifest };
}

async function scratchLeft(id: string): Promise<string[]> {
  const rows = await es.cat.indices({ index: scratchPattern(id), format: 'json', h: 'index', expand_wildcards: 'all' });
  return rows.map((x) => String(x.index));
}

test('the manifest records counts and checksums equal to an independent fingerprint of the source', async () => {
  const { manifest } = await dumpTo('plain');
  const byName = Object.fromEntries(manifest.indices.map((i) => [i.name, i]));
  for (const index of [`${P}-docs`, `${P}-empty`]) {
    const fp = await fingerprint(es, index);
    assert.equal(byName[index]?.docs, fp.count, `${index}: docs`);
    assert.equal(BigInt(`0x${byName[index]?.checksum}`), BigInt(`0x${fp.sum}`), `${index}: checksum`);
  }
  assert.equal(byName[`${P}-docs`]?.docs, DOCS);
});

test('a faithful dump verifies; scratch indices are gone and the source alias is untouched', async () => {
  const { dir, manifest } = await dumpTo('good');
  const id = rand().replace(/-/g, '');
  const out = await verifyDump(es, dir, {
    verifyId: id,
    workDir: join(work, 'good-scratch'),
    reported: summarizeManifest(manifest.indices),
  });
  assert.equal(out.verified, true, JSON.stringify(out));
  assert.deepEqual(out.indices.map((i) => [i.index, i.ok, i.actual?.docs]).sort(), [
    [`${P}-docs`, true, DOCS],
    [`${P}-empty`, true, 0],
  ]);
  assert.deepEqual(await scratchLeft(id), []);
  const aliases = await es.indices.getAlias({ name: `${P}-alias` });
  assert.deepEqual(Object.keys(aliases), [`${P}-docs`], 'the alias still names only the source index');
});

test('a tampered document names its index (checksum); a dropped one names the count; scratch indices are gone', async () => {
  const { dir } = await dumpTo('tampered');
  const file = join(dir, `${P}-docs.json`);
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines[7] = (lines[7] as string).replace(/"tag":"t(\d)"/, '"tag":"x$1"');
  await writeFile(file, lines.join('\n'));
  const id1 = rand();
  const out = await verifyDump(es, dir, { verifyId: id1, workDir: join(work, 'tampered-scratch') });
  assert.equal(out.verified, false);
  const bad = out.indices.filter((i) => !i.ok);
  assert.deepEqual(
    bad.map((i) => i.index),
    [`${P}-docs`],
  );
  assert.match(bad[0]?.reason ?? '', /^checksum [0-9a-f]{16}, dumped [0-9a-f]{16}$/);
  assert.equal(bad[0]?.actual?.docs, DOCS, 'same count, other content');
  assert.deepEqual(await scratchLeft(id1), []);

  const { dir: dir2 } = await dumpTo('dropped');
  const file2 = join(dir2, `${P}-docs.json`);
  const kept = (await readFile(file2, 'utf8')).split('\n').filter((l, i) => i !== 3);
  await writeFile(file2, kept.join('\n'));
  const id2 = rand();
  const out2 = await verifyDump(es, dir2, { verifyId: id2, workDir: join(work, 'dropped-scratch') });
  assert.equal(out2.verified, false);
  const bad2 = out2.indices.find((i) => !i.ok);
  assert.equal(bad2?.index, `${P}-docs`);
  assert.match(bad2?.reason ?? '', new RegExp(`^${DOCS - 1} documents restored, ${DOCS} dumped; checksum`));
  assert.deepEqual(await scratchLeft(id2), []);
});

test('a manifest that is not the one the backup reported fails verification even when the data matches it', async () => {
  const { dir, manifest } = await dumpTo('swapped');
  const reported = { ...summarizeManifest(manifest.indices), docs: DOCS + 1 };
  const id = rand();
  const out = await verifyDump(es, dir, { verifyId: id, workDir: join(work, 'swapped-scratch'), reported });
  assert.equal(out.verified, false);
  assert.ok(
    out.indices.every((i) => i.ok),
    'each index matches the manifest it came with',
  );
  assert.match(out.error ?? '', /is not the one the backup wrote/);
  assert.deepEqual(await scratchLeft(id), []);
});
