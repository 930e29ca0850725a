// Throughput and memory of the Elasticsearch function's dump and load on the local stack:
//   npx tsx bench/es-function.ts [docs=200000] [slices=4] [workers=3]
// Seeds one index on the source in a child process, then dumps it and loads it into the target in separate child
// processes, so each reported peak RSS belongs to that phase alone. Deletes its index on both clusters.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, dumpIndices, loadDump } from '../functions/elasticsearch/index.js';
import { stackEnv } from '../test/helpers/stack.js';

const [, , phase, ...rest] = process.argv;

function doc(i: number) {
  return {
    n: i,
    tag: `t${i % 50}`,
    at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    where: { lat: 40 + (i % 1000) / 100, lon: 10 - (i % 700) / 100 },
    body: `document ${i} `.repeat(20),
    items: [{ sku: `s${i % 13}`, qty: i % 7 }],
  };
}

async function seed(index: string, n: number) {
  const c = createClient({ url: stackEnv('ES_SOURCE_URL') });
  await c.indices.create({
    index,
    settings: { number_of_shards: 2, number_of_replicas: 0, refresh_interval: '-1' },
    mappings: { properties: { where: { type: 'geo_point' }, items: { type: 'nested' }, tag: { type: 'keyword' } } },
  });
  for (let i = 0; i < n; i += 5000) {
    const ops = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) ops.push({ index: { _index: index, _id: `d${j}` } }, doc(j));
    const r = await c.bulk({ operations: ops });
    if (r.errors) throw new Error('seed bulk errors');
  }
  await c.indices.putSettings({ index, settings: { refresh_interval: null as never } });
  await c.indices.refresh({ index });
  await c.close();
}

function rssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function child() {
  const [index, dir, a, b] = rest as [string, string, string, string];
  const t0 = Date.now();
  if (phase === 'seed') {
    await seed(index, Number(a));
    console.log(JSON.stringify({ phase, ms: Date.now() - t0 }));
  } else if (phase === 'dump') {
    const c = createClient({ url: stackEnv('ES_SOURCE_URL') });
    const r = await dumpIndices(c, dir, { include: [index], slices: Number(a), templates: ['none'] });
    await c.close();
    const ms = Date.now() - t0;
    console.log(
      JSON.stringify({
        phase,
        docs: r.docs,
        bytes: r.bytes,
        ms,
        docsPerSec: Math.round((r.docs / ms) * 1000),
        peakRssMb: rssMb(),
      }),
    );
  } else if (phase === 'load') {
    const c = createClient({ url: stackEnv('ES_TARGET_URL') });
    const r = await loadDump(c, dir, { include: [index], workers: Number(b) });
    await c.close();
    const ms = Date.now() - t0;
    console.log(
      JSON.stringify({
        phase,
        docs: r.docs,
        failed: r.failed,
        ms,
        docsPerSec: Math.round((r.docs / ms) * 1000),
        peakRssMb: rssMb(),
      }),
    );
  }
}

async function main() {
  const n = Number(rest[0] ?? 200_000);
  const slices = rest[1] ?? '4';
  const workers = rest[2] ?? '3';
  const index = `sf-bench-${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'stashflow-bench-'));
  const self = fileURLToPath(import.meta.url);
  const run = (...args: string[]) =>
    process.stdout.write(
      execFileSync(process.execPath, [...process.execArgv, self, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
  const src = createClient({ url: stackEnv('ES_SOURCE_URL') });
  const dst = createClient({ url: stackEnv('ES_TARGET_URL') });
  try {
    run('seed', index, join(dir, 'dump'), String(n), '');
    run('dump', index, join(dir, 'dump'), slices, '');
    run('load', index, join(dir, 'dump'), '', workers);
    console.log(
      JSON.stringify({ sourceCount: (await src.count({ index })).count, targetCount: (await dst.count({ index })).count }),
    );
  } finally {
    await src.indices.delete({ index }, { ignore: [404] });
    await dst.indices.delete({ index }, { ignore: [404] });
    await Promise.all([src.close(), dst.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

if (phase === 'seed' || phase === 'dump' || phase === 'load') await child();
else {
  rest.unshift(...(phase ? [phase] : []));
  await main();
}
