// Compatibility with the tool Stash's addon runs: a dump made by the real multielasticdump (npm elasticdump, pinned,
// installed into $STASHFLOW_CACHE outside package.json) loads with ours, and ours loads with multielasticdump.
// The version is the release Stash's image pins: its fork of elasticsearch-dump at 2932ffd is 6.84.1 plus a fix for
// NOT_FOUND on clusters without legacy templates (ES 9 has none), so the template type is left out here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@elastic/elasticsearch';
import { createClient, dumpIndices, loadDump } from '../../functions/elasticsearch/index.js';
import { deletePrefixed, describeIndex, fingerprint } from '../helpers/es-compare.js';
import { stackEnv } from '../helpers/stack.js';

const run = promisify(execFile);
const cache = process.env.STASHFLOW_CACHE ?? join(homedir(), '.cache', 'stashflow');
const VERSIONS = [{ version: '6.84.1', types: 'data,mapping,settings,alias,analyzer' }];
const binary = (version: string) => join(cache, `elasticdump-${version}`, 'node_modules', '.bin', 'multielasticdump');

const P = `sf-esed-${randomBytes(3).toString('hex')}`;
const SRC = stackEnv('ES_SOURCE_URL');
const DST = stackEnv('ES_TARGET_URL');
const src = createClient({ url: SRC });
const dst = createClient({ url: DST });
const work = await mkdtemp(join(tmpdir(), 'stashflow-esed-'));
const indices = [`${P}-docs`, `${P}-empty`];

before(async () => {
  for (const { version } of VERSIONS) {
    if (existsSync(binary(version))) continue;
    const prefix = join(cache, `elasticdump-${version}`);
    await mkdir(prefix, { recursive: true });
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `elasticdump@${version}`], { timeout: 300_000 });
  }
  await deletePrefixed(src, P);
  await deletePrefixed(dst, P);
  await src.indices.create({
    index: indices[0] as string,
    settings: { number_of_shards: 2 },
    aliases: { [`${P}-alias`]: { filter: { term: { k: 'a' } } } },
    mappings: {
      properties: { k: { type: 'keyword' }, at: { type: 'date' }, where: { type: 'geo_point' }, nested: { type: 'nested' } },
    },
  });
  await src.indices.create({ index: indices[1] as string });
  const ops = Array.from({ length: 750 }, (_, i) => [
    { index: { _index: indices[0] as string, _id: `ü-${i}`, ...(i % 5 === 0 ? { routing: `r${i % 3}` } : {}) } },
    {
      k: i % 2 ? 'a' : 'b',
      at: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(),
      where: { lat: 1 + i / 1000, lon: 2 },
      nested: [{ x: i }],
      text: `日本 ${i}`,
    },
  ]).flat();
  const r = await src.bulk({ operations: ops, refresh: true });
  assert.equal(r.errors, false);
});

after(async () => {
  await deletePrefixed(src, P);
  await deletePrefixed(dst, P);
  await Promise.all([src.close(), dst.close()]);
  await rm(work, { recursive: true, force: true });
});

async function sameDocsAndMappings(c: Client, index: string) {
  assert.deepEqual(await fingerprint(c, index), await fingerprint(src, index), `documents of ${index}`);
  const [a, b] = [await describeIndex(src, index), await describeIndex(c, index)];
  assert.deepEqual(b.mappings, a.mappings, `mappings of ${index}`);
  assert.equal(b.settings.number_of_shards, a.settings.number_of_shards);
  return { a, b };
}

for (const { version, types } of VERSIONS) {
  test(`a multielasticdump ${version} dump (Stash addon style) restores with ours`, async () => {
    const dir = join(work, `theirs-${version}`);
    await mkdir(dir);
    // what the addon runs, plus the user args a Stash user would pass to get aliases and analyzers too
    await run(binary(version), [`--input=${SRC}`, `--output=${dir}`, `--match=^${P}-`, `--includeType=${types}`, '--quiet'], {
      env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' },
      timeout: 120_000,
    });
    const files = (await readdir(dir)).sort();
    assert.ok(
      files.includes(`${P}-docs.json`) && files.includes(`${P}-docs.settings.json`) && files.includes(`${P}-docs.alias.json`),
      files.join(' '),
    );
    const r = await loadDump(dst, dir, {});
    assert.deepEqual(r.indices.map((i) => i.name).sort(), [...indices].sort());
    assert.equal(r.docs, 750);
    for (const index of indices) {
      const { a, b } = await sameDocsAndMappings(dst, index);
      assert.deepEqual(b.aliases, a.aliases);
    }
    await deletePrefixed(dst, P);
  });

  test(`our dump restores with multielasticdump ${version} --direction=load`, async () => {
    const dir = join(work, `ours-${version}`);
    await dumpIndices(src, dir, { include: [`${P}-*`], templates: ['none'] });
    await run(binary(version), ['--direction=load', `--input=${dir}`, `--output=${DST}`, '--quiet'], { timeout: 120_000 });
    for (const index of indices) await sameDocsAndMappings(dst, index);
    // with aliases too (it needs a non-empty alias file for every index it loads, so only the aliased one)
    await deletePrefixed(dst, P);
    await run(
      binary(version),
      [
        '--direction=load',
        `--input=${dir}`,
        `--output=${DST}`,
        `--match=^${P}-docs$`,
        '--includeType=data,mapping,settings,alias',
        '--quiet',
      ],
      {
        timeout: 120_000,
      },
    );
    const { a, b } = await sameDocsAndMappings(dst, indices[0] as string);
    assert.deepEqual(b.aliases, a.aliases);
    await deletePrefixed(dst, P);
  });
}
