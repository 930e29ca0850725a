// Elasticsearch dump/restore bench (issue 4, "Performance"): ours vs multielasticdump (as Stash's addon invokes it,
// and with its best settings) vs the raw ceilings, on the same generated index, at one or more index sizes.
//   npx tsx bench/elasticsearch.ts [--docs 200000,1000000] [--slices 4] [--workers 3] [--timebox 60]
//                                  [--best-timebox 300] [--out bench/results/elasticsearch-<date>.json]
//                                  [--contenders ours,stash,best,raw]   (default: all four groups)
// Every contender runs as its own child process; its peak RSS is the VmHWM of that process (and, for
// multielasticdump, which forks one elasticdump per index and type, the peak of the summed VmRSS of its process
// tree), sampled from /proc while it runs. Nothing here is a test: numbers are recorded, never asserted.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, homedir, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, dumpIndices, loadDump } from '../functions/elasticsearch/index.js';
import { stackEnv } from '../test/helpers/stack.js';
import { MAPPINGS } from './es-generate.js';

const self = fileURLToPath(import.meta.url);
const repo = dirname(dirname(self));
// Stash's image installs its fork of elasticsearch-dump at 2932ffd: release 6.84.1 plus a NOT_FOUND fix. 6.84.1 is the
// baseline "as Stash invokes it"; npm's newest runs too, because it no longer enforces the interval cap.
const STASH_ELASTICDUMP = '6.84.1';
const NEWEST_ELASTICDUMP = '6.125.1';
const cache = process.env.STASHFLOW_CACHE ?? join(homedir(), '.cache', 'stashflow');
const edPrefix = (version: string) => join(cache, `elasticdump-${version}`);
const multielasticdump = (version: string) => join(edPrefix(version), 'node_modules', '.bin', 'multielasticdump');
const RESTIC = join(cache, 'restic-0.18.1', 'restic');
/** what ours uses per page and per bulk request (functions/elasticsearch defaults), reused by the raw ceilings */
const PAGE = 1000;
const BULK_DOCS = 2000;
const BULK_BYTES = 5 << 20;

// ---------------------------------------------------------------- child phases (each one process, one contender)

/** CPU seconds (user + system) this process used: on a shared machine a steadier measure of its own cost than wall time */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1e4) / 100;
};

async function oursDump(url: string, index: string, dir: string, slices: string) {
  const c = createClient({ url });
  const r = await dumpIndices(c, dir, { include: [index], slices: Number(slices), templates: ['none'] });
  await c.close();
  console.log(JSON.stringify({ docs: r.docs, bytes: r.bytes, cpuSeconds: cpuSeconds() }));
}

async function oursLoad(url: string, index: string, dir: string, workers: string) {
  const c = createClient({ url });
  const r = await loadDump(c, dir, { include: [index], workers: Number(workers) });
  await c.close();
  if (r.failed) throw new Error(`${r.failed} documents failed`);
  console.log(JSON.stringify({ docs: r.docs, cpuSeconds: cpuSeconds() }));
}

/** Bare parallel sliced PIT read: same slices, page size and sort as ours; bodies go to /dev/null unparsed. */
async function rawRead(url: string, index: string, slicesArg: string) {
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const total = ((await (await post(`/${index}/_count`)).json()) as { count: number }).count;
  const slices = Math.max(1, Math.min(Number(slicesArg), Math.ceil(total / 20_000)));
  const pit = ((await (await post(`/${index}/_pit?keep_alive=5m`)).json()) as { id: string }).id;
  const devnull = openSync('/dev/null', 'w');
  let docs = 0;
  let bytes = 0;
  const slice = async (id: number) => {
    let pitId = pit;
    let after: string | undefined;
    for (;;) {
      const res = await post('/_search', {
        pit: { id: pitId, keep_alive: '5m' },
        ...(slices > 1 ? { slice: { id, max: slices } } : {}),
        sort: ['_shard_doc'],
        size: PAGE,
        track_total_hits: false,
        ...(after ? { search_after: JSON.parse(`[${after}]`) as unknown[] } : {}),
      });
      const buf = Buffer.from(await res.arrayBuffer());
      writeSync(devnull, buf);
      bytes += buf.length;
      // no JSON parse: each hit carries exactly one "sort":[…]; the last one is the search_after cursor
      const text = buf.toString('latin1');
      const p = /"pit_id":"([^"]+)"/.exec(text.slice(0, 4096));
      if (p?.[1]) pitId = p[1];
      let n = 0;
      let at = -1;
      for (let i = text.indexOf('"sort":['); i !== -1; i = text.indexOf('"sort":[', i + 8)) {
        n++;
        at = i;
      }
      docs += n;
      if (n < PAGE) return;
      after = text.slice(at + 8, text.indexOf(']', at));
    }
  };
  await Promise.all(Array.from({ length: slices }, (_, i) => slice(i)));
  await fetch(`${url}/_pit`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: pit }),
  });
  console.log(JSON.stringify({ docs, bytes, slices, cpuSeconds: cpuSeconds() }));
}

/**
 * Bare parallel _bulk load of pre-built bodies: builds the request bodies from the dump file first (untimed, to disk),
 * then K workers POST them as fast as ES takes them. Same docs/bytes per request and worker count as ours.
 */
async function rawBulk(url: string, index: string, dumpFile: string, workersArg: string, bodiesDir: string) {
  await mkdir(bodiesDir, { recursive: true });
  const files: string[] = [];
  let parts: string[] = [];
  let size = 0;
  let total = 0;
  const flush = async () => {
    if (!parts.length) return;
    const f = join(bodiesDir, `${files.length}.ndjson`);
    await writeFile(f, parts.join(''));
    files.push(f);
    parts = [];
    size = 0;
  };
  for await (const line of createInterface({ input: createReadStream(dumpFile), crlfDelay: Infinity })) {
    if (!line) continue;
    const d = JSON.parse(line) as { _id: string; _routing?: string; _source: unknown };
    const pair =
      JSON.stringify({ index: { _index: index, _id: d._id, ...(d._routing ? { routing: d._routing } : {}) } }) +
      '\n' +
      JSON.stringify(d._source) +
      '\n';
    parts.push(pair);
    size += pair.length;
    total++;
    if (parts.length >= BULK_DOCS || size >= BULK_BYTES) await flush();
  }
  await flush();
  const put = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  await put('PUT', `/${index}`, {
    settings: { number_of_shards: 2, number_of_replicas: 0, refresh_interval: '-1' },
    mappings: MAPPINGS,
  });
  const t0 = performance.now();
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const body = await readFile(files[i] as string);
      bytes += body.length;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
        const text = await res.text();
        if (res.status === 429 && attempt < 8) continue;
        if (!res.ok || /"errors":\s*true/.test(text.slice(0, 200))) throw new Error(`bulk: ${res.status} ${text.slice(0, 500)}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(workersArg) }, worker));
  await put('POST', `/${index}/_refresh`);
  const seconds = (performance.now() - t0) / 1000;
  // cpuSeconds includes building the bodies (untimed)
  console.log(JSON.stringify({ docs: total, bytes, timedSeconds: seconds, requests: files.length, cpuSeconds: cpuSeconds() }));
}

// ---------------------------------------------------------------- measuring a child process

interface Run {
  seconds: number;
  peakRssMb: number;
  treePeakRssMb: number;
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderrTail: string;
}

function statusKb(pid: number, key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (kids) for (const k of kids.split(/\s+/)) out.push(...tree(Number(k)));
    }
  } catch {
    /* gone */
  }
  return out;
}

async function measure(cmd: string, args: string[], timeboxS?: number, env?: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: env ?? process.env });
  const pid = child.pid as number;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let peak = 0;
  let treePeak = 0;
  const sample = () => {
    peak = Math.max(peak, statusKb(pid, 'VmHWM'));
    const sum = tree(pid).reduce((s, p) => s + statusKb(p, 'VmRSS'), 0);
    treePeak = Math.max(treePeak, sum, peak);
  };
  const timer = setInterval(sample, 100);
  let timedOut = false;
  const box = timeboxS
    ? setTimeout(() => {
        timedOut = true;
        sample();
        try {
          process.kill(-pid, 'SIGKILL'); // our own child's process group (it and the elasticdump processes it forked)
        } catch {
          /* already gone */
        }
      }, timeboxS * 1000)
    : undefined;
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(timer);
  if (box) clearTimeout(box);
  const seconds = timedOut ? (timeboxS as number) : (performance.now() - t0) / 1000;
  if (!timedOut && exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${exitCode}: ${stderr}`);
  return {
    seconds,
    peakRssMb: Math.round(peak / 1024),
    treePeakRssMb: Math.round(treePeak / 1024),
    exitCode,
    timedOut,
    stdout,
    stderrTail: stderr.slice(-400),
  };
}

// ---------------------------------------------------------------- orchestration

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : def;
}

function lineCount(file: string): number {
  if (!existsSync(file)) return 0;
  const buf = readFileSync(file);
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

async function main() {
  const sizes = opt('docs', '200000,1000000').split(',').map(Number);
  const slices = opt('slices', '4');
  const workers = opt('workers', '3');
  const timebox = Number(opt('timebox', '60'));
  const bestTimebox = Number(opt('best-timebox', '300'));
  const date = new Date().toISOString().slice(0, 10);
  const outFile = opt('out', join(repo, 'bench', 'results', `elasticsearch-${date}.json`));
  // which groups run: ours, stash (multielasticdump with Stash's argv), best (its best settings), raw (the ceilings)
  const groups = new Set(opt('contenders', 'ours,stash,best,raw').split(','));
  for (const g of groups)
    if (!['ours', 'stash', 'best', 'raw'].includes(g)) throw new Error(`--contenders: unknown group ${g} (ours,stash,best,raw)`);
  // the load contenders read ours' dump, so ours' dump always runs (it is recorded only when 'ours' is chosen)
  const SRC = stackEnv('ES_SOURCE_URL');
  const DST = stackEnv('ES_TARGET_URL');
  for (const version of groups.has('stash') || groups.has('best') ? [STASH_ELASTICDUMP, NEWEST_ELASTICDUMP] : []) {
    if (existsSync(multielasticdump(version))) continue;
    await mkdir(edPrefix(version), { recursive: true });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', edPrefix(version), `elasticdump@${version}`]);
  }
  const src = createClient({ url: SRC });
  const dst = createClient({ url: DST });
  const esVersion = (await src.info()).version.number;
  const work = join(tmpdir(), `stashflow-esbench-${randomBytes(3).toString('hex')}`);
  await mkdir(work, { recursive: true });
  // Stash's addon always passes an auth file (user=…, password="…"); the local clusters run without security and ignore it
  const authFile = join(work, 'auth.txt');
  await writeFile(authFile, `user=bench\npassword="${randomBytes(8).toString('hex')}"\n`, { mode: 0o400 });
  const node = process.execPath;
  const tsx = ['--import', 'tsx'];
  // ours and the raw ceilings run compiled: this file bundled by esbuild (npm packages left external, so the bundle
  // lives under node_modules/ to resolve them), the way a Job runs compiled JavaScript rather than tsx
  const bundle = join(repo, 'node_modules', '.cache', 'stashflow-bench', 'elasticsearch.mjs');
  execFileSync(join(repo, 'node_modules', '.bin', 'esbuild'), [
    self,
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--packages=external',
    '--log-level=warning',
    `--outfile=${bundle}`,
  ]);
  const results: Record<string, unknown>[] = [];
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

  // written after every size, so a run stopped early keeps what it measured
  const writeReport = async () => {
    for (const s of results) {
      const rows = s.contenders as { name: string; docsPerSec: number }[];
      const rate = (name: string) => rows.find((x) => x.name === name)?.docsPerSec ?? NaN;
      const ratio = (a: string, b: string) => round(rate(a) / rate(b), 2);
      s.ratios = {
        dumpVsStashDefaults: ratio('ours dump', 'multielasticdump dump, stash-defaults'),
        loadVsStashDefaults: ratio('ours load', 'multielasticdump load, stash-defaults'),
        dumpVsBestSettings: ratio('ours dump', 'multielasticdump dump, best-settings'),
        loadVsBestSettings: ratio('ours load', 'multielasticdump load, best-settings'),
        dumpVsRawCeiling: ratio('ours dump', 'raw ceiling: sliced PIT read to /dev/null'),
        loadVsRawCeiling: ratio('ours load', 'raw ceiling: parallel _bulk of pre-built bodies'),
      };
    }
    const report = {
      startedAt,
      finishedAt: new Date().toISOString(),
      command: `npx tsx ${relative(repo, self)} ${process.argv.slice(2).join(' ')}`.trim(),
      argv: process.argv,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryBytes: totalmem(),
        kernel: release(),
        loadAverageAtStart: loadStart.map((x) => round(x, 2)),
        loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
        note: 'shared with other work during the run (other builds and tests on the same 2 cores)',
      },
      versions: {
        node: process.version,
        elasticsearch: esVersion,
        elasticdump: { stashPinned: STASH_ELASTICDUMP, newestOnNpm: NEWEST_ELASTICDUMP },
        restic: existsSync(RESTIC) ? execFileSync(RESTIC, ['version'], { encoding: 'utf8' }).trim() : 'not installed',
      },
      settings: {
        slices: Number(slices),
        workers: Number(workers),
        timeboxSeconds: timebox,
        bestTimeboxSeconds: bestTimebox,
        contenders: [...groups],
      },
      units: { mbPerSec: '10^6 bytes of dump-file NDJSON per second', peakRssMb: 'VmHWM of the contender process, MiB' },
      sizes: results,
    };
    await mkdir(dirname(outFile), { recursive: true });
    await writeFile(outFile, JSON.stringify(report, null, 2) + '\n');
    log(`wrote ${outFile}`);
  };

  const indices: string[] = [];
  try {
    for (const n of sizes) {
      const index = `sf-bench-${n}-${randomBytes(2).toString('hex')}`;
      indices.push(index);
      const dir = join(work, `${n}`);
      await mkdir(dir, { recursive: true });
      log(`generating ${index} (${n} docs)`);
      const gen = await measure(node, [...tsx, join(repo, 'bench', 'es-generate.ts'), SRC, index, String(n)]);
      const stats = (await src.indices.stats({ index, metric: ['store', 'docs'] })).indices?.[index]?.primaries;
      const size: Record<string, unknown> = {
        docs: n,
        index,
        generateSeconds: round(gen.seconds),
        storeBytes: stats?.store?.size_in_bytes,
        contenders: [] as unknown[],
      };
      results.push(size);
      const contenders = size.contenders as Record<string, unknown>[];
      const add = (name: string, kind: string, run: Run, docs: number, bytes: number, extra: Record<string, unknown> = {}) => {
        const seconds = (extra.timedSeconds as number | undefined) ?? run.seconds;
        let cpu: number | undefined; // what ours and the raw ceilings report of their own CPU time
        try {
          cpu = (JSON.parse(run.stdout) as { cpuSeconds?: number }).cpuSeconds;
        } catch {
          /* multielasticdump: not JSON */
        }
        const row = {
          name,
          kind,
          docs,
          bytes,
          seconds: round(seconds, 2),
          docsPerSec: Math.round(docs / seconds),
          mbPerSec: round(bytes / 1e6 / seconds, 2),
          peakRssMb: run.peakRssMb,
          treePeakRssMb: run.treePeakRssMb,
          ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
          timeBoxed: run.timedOut,
          ...extra,
        };
        contenders.push(row);
        log(JSON.stringify(row));
      };
      const dropTarget = async () => {
        await dst.indices.delete({ index }, { ignore: [404] });
      };
      const targetCount = async () => {
        await dst.indices.refresh({ index }, { ignore: [404] });
        return (await dst.count({ index }, { ignore: [404] })).count ?? 0;
      };

      // (1) ours
      const oursDir = join(dir, 'ours');
      let r = await measure(node, [bundle, 'ours-dump', SRC, index, oursDir, slices]);
      const dumped = JSON.parse(r.stdout) as { docs: number; bytes: number };
      if (groups.has('ours'))
        add('ours dump', 'dump', r, dumped.docs, dumped.bytes, {
          slices: Number(slices),
          runtime: 'compiled (esbuild bundle, node)',
        });
      const dumpBytes = dumped.bytes;
      if (groups.has('ours')) {
        const ours128 = join(dir, 'ours-128');
        r = await measure(node, ['--max-old-space-size=128', bundle, 'ours-dump', SRC, index, ours128, slices]);
        const d128 = JSON.parse(r.stdout) as { docs: number; bytes: number };
        add('ours dump, --max-old-space-size=128', 'dump', r, d128.docs, d128.bytes, {
          slices: Number(slices),
          runtime: 'compiled (esbuild bundle, node)',
        });
        await rm(ours128, { recursive: true, force: true });
        await dropTarget();
        r = await measure(node, [bundle, 'ours-load', DST, index, oursDir, workers]);
        add('ours load', 'load', r, (JSON.parse(r.stdout) as { docs: number }).docs, dumpBytes, {
          workers: Number(workers),
          runtime: 'compiled (esbuild bundle, node)',
          targetCount: await targetCount(),
        });
        await dropTarget();
        r = await measure(node, ['--max-old-space-size=128', bundle, 'ours-load', DST, index, oursDir, workers]);
        add('ours load, --max-old-space-size=128', 'load', r, (JSON.parse(r.stdout) as { docs: number }).docs, dumpBytes, {
          workers: Number(workers),
          runtime: 'compiled (esbuild bundle, node)',
          targetCount: await targetCount(),
        });
      }

      // (2) multielasticdump as Stash's addon invokes it (defaults: limit 100, concurrency 1, 5 requests / 5 s)
      const med = async (label: string, extra: string[], box: number, version = STASH_ELASTICDUMP) => {
        const out = join(dir, label);
        await mkdir(out, { recursive: true });
        const argv = [`--httpAuthFile=${authFile}`, `--input=${SRC}`, `--output=${out}`, `--match=^${index}$`, ...extra];
        const run = await measure(multielasticdump(version), argv, box, { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
        const file = join(out, `${index}.json`);
        const docs = lineCount(file);
        add(`multielasticdump ${version} dump, ${label}`, 'dump', run, docs, existsSync(file) ? statSync(file).size : 0, {
          command: `multielasticdump ${argv.map((a) => a.replace(work, '$WORK')).join(' ')}`,
          ...(run.timedOut ? { note: `time-boxed at ${box} s; docs counted from the output file's lines` } : {}),
        });
        await rm(out, { recursive: true, force: true });
      };
      const medLoad = async (label: string, extra: string[], box: number, version = STASH_ELASTICDUMP) => {
        await dropTarget();
        const argv = [
          `--httpAuthFile=${authFile}`,
          '--direction=load',
          `--input=${oursDir}`,
          `--output=${DST}`,
          `--match=^${index}$`,
          ...extra,
        ];
        const run = await measure(multielasticdump(version), argv, box, { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
        const docs = await targetCount();
        add(`multielasticdump ${version} load, ${label}`, 'load', run, docs, Math.round((dumpBytes * docs) / dumped.docs), {
          command: `multielasticdump ${argv.map((a) => a.replace(work, '$WORK')).join(' ')}`,
          ...(run.timedOut ? { note: `time-boxed at ${box} s; docs = the target index's count afterwards` } : {}),
        });
      };
      if (groups.has('stash')) {
        log('multielasticdump, Stash defaults');
        // elasticdump fails the whole dump with NOT_FOUND when the cluster has no legacy templates (ES 9 has
        // none); Stash's fork of elasticdump fixes exactly that, so skip that one tiny file here
        await med('stash-defaults', ['--ignoreType=template'], timebox);
        await medLoad('stash-defaults', [], timebox);
        await med('stash-defaults', ['--ignoreType=template'], timebox, NEWEST_ELASTICDUMP);
        await medLoad('stash-defaults', [], timebox, NEWEST_ELASTICDUMP);
      }
      // (3) multielasticdump with its best settings: big pages, no interval cap, more concurrency. (--parallel
      // forks one process per index, so with one index it cannot help; set anyway.)
      const best = [
        '--ignoreType=template',
        '--limit=10000',
        '--concurrency=4',
        '--intervalCap=10000',
        '--concurrencyInterval=0',
        '--parallel=2',
      ];
      if (groups.has('best')) {
        log('multielasticdump, best settings');
        await med('best-settings', best, bestTimebox);
        await medLoad('best-settings', best, bestTimebox);
      }

      // (4) raw ceilings
      if (groups.has('raw')) {
        r = await measure(node, [bundle, 'raw-read', SRC, index, slices]);
        const rr = JSON.parse(r.stdout) as { docs: number; bytes: number; slices: number };
        add('raw ceiling: sliced PIT read to /dev/null', 'dump', r, rr.docs, rr.bytes, { slices: rr.slices });
        await dropTarget();
        r = await measure(node, [bundle, 'raw-bulk', DST, index, join(oursDir, `${index}.json`), workers, join(dir, 'bodies')]);
        const rb = JSON.parse(r.stdout) as { docs: number; bytes: number; timedSeconds: number; requests: number };
        add('raw ceiling: parallel _bulk of pre-built bodies', 'load', r, rb.docs, dumpBytes, {
          workers: Number(workers),
          requests: rb.requests,
          timedSeconds: rb.timedSeconds,
          bulkBodyBytes: rb.bytes,
          note: 'seconds = the POSTs only (bodies built from the dump beforehand, untimed)',
          targetCount: await targetCount(),
        });
      }
      await dropTarget();
      await src.indices.delete({ index }, { ignore: [404] });
      await rm(dir, { recursive: true, force: true });
      await writeReport();
    }
  } finally {
    for (const index of indices) {
      await src.indices.delete({ index }, { ignore: [404] });
      await dst.indices.delete({ index }, { ignore: [404] });
    }
    await Promise.all([src.close(), dst.close()]);
    await rm(work, { recursive: true, force: true });
  }
}

const [, , phase, ...rest] = process.argv;
const [a = '', b = '', c = '', d = '', e = ''] = rest;
if (phase === 'ours-dump') await oursDump(a, b, c, d);
else if (phase === 'ours-load') await oursLoad(a, b, c, d);
else if (phase === 'raw-read') await rawRead(a, b, c);
else if (phase === 'raw-bulk') await rawBulk(a, b, c, d, e);
else if (process.argv.includes('--help') || process.argv.includes('-h'))
  console.log(
    'npx tsx bench/elasticsearch.ts [--docs 200000,1000000] [--slices 4] [--workers 3] [--timebox 60] [--best-timebox 300]\n' +
      '                               [--out bench/results/elasticsearch-<date>.json] [--contenders ours,stash,best,raw]\n' +
      'contender groups: ours (dump, load, each also with --max-old-space-size=128), stash (multielasticdump with\n' +
      "Stash's argv), best (multielasticdump's best settings), raw (sliced PIT read / parallel _bulk ceilings)",
  );
else await main();
