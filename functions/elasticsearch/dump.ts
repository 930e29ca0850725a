// BACKUP side: writes multielasticdump-compatible files for each selected index. Documents are read with a
// point-in-time and search_after in N slices that run in parallel and share one output file; each slice awaits the
// file stream's drain before fetching its next page, so memory is bounded by slices × page size whatever the
// index size. Page size adapts to document size (a page of 5 MB documents is small, one of 100 B ones large).
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { dumpFileName, encodeMetaFile, formatDocLine, stripForDump } from './dump-format.js';
import { resolveIndices } from './indices.js';
import { ChecksumAccumulator } from './manifest-checksum.js';
import {
  COMPONENT_TEMPLATES_FILE,
  INDEX_TEMPLATES_FILE,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  sidecarDir,
  writeJson,
  type Manifest,
  type ManifestIndex,
} from './layout.js';
import { silentProgress, type ProgressSink } from './progress.js';
import { DEFAULT_TYPES, type DumpType, type IndexFilter } from './selection.js';
import { readTemplates, type Templates } from './templates.js';

export interface DumpOptions extends IndexFilter {
  types?: Iterable<DumpType>;
  /** parallel PIT slices per index (an index with few docs uses fewer) */
  slices?: number;
  /** max docs per page */
  batchSize?: number;
  /** target bytes per page; the page size shrinks for large documents */
  pageBytes?: number;
  /** indices dumped at the same time (helps many small indices) */
  indexConcurrency?: number;
  keepAlive?: string;
  /** glob patterns of template names to back up; default all user templates */
  templates?: string[];
  progress?: { report: ProgressSink; done: ProgressSink };
}

export interface DumpResult {
  dumpId: string;
  indices: ManifestIndex[];
  docs: number;
  bytes: number;
  templates: number;
  durationMs: number;
}

type Json = Record<string, unknown>;

export async function dumpIndices(client: Client, dir: string, opts: DumpOptions = {}): Promise<DumpResult> {
  const t0 = Date.now();
  const types = new Set(opts.types ?? DEFAULT_TYPES);
  const selected = await resolveIndices(client, opts);
  await mkdir(dir, { recursive: true });
  const side = sidecarDir(dir);
  await mkdir(side, { recursive: true });

  let templates: Templates = { legacy: {}, index: [], component: [] };
  if (types.has('template')) {
    templates = await readTemplates(client, opts.includeHidden, opts.templates);
    await writeJson(join(side, INDEX_TEMPLATES_FILE), { index_templates: templates.index });
    await writeJson(join(side, COMPONENT_TEMPLATES_FILE), { component_templates: templates.component });
  }

  const results: ManifestIndex[] = [];
  const queue = selected.map((i) => i.name);
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      results.push(await dumpIndex(client, dir, name, types, templates, opts));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.indexConcurrency ?? 2) }, worker));
  results.sort((a, b) => (a.name < b.name ? -1 : 1));

  const info = await client.info();
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    dumpId: randomUUID(),
    createdAt: new Date().toISOString(),
    source: { clusterName: info.cluster_name, version: info.version.number },
    types: [...types],
    indices: results,
  };
  await writeJson(join(side, MANIFEST_FILE), manifest);
  return {
    dumpId: manifest.dumpId,
    indices: results,
    docs: results.reduce((n, r) => n + r.docs, 0),
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    templates: Object.keys(templates.legacy).length + templates.index.length + templates.component.length,
    durationMs: Date.now() - t0,
  };
}

async function dumpIndex(
  client: Client,
  dir: string,
  index: string,
  types: Set<DumpType>,
  templates: Templates,
  opts: DumpOptions,
): Promise<ManifestIndex> {
  const file = (t: DumpType) => join(dir, dumpFileName(index, t));
  const put = (t: DumpType, v: unknown) => writeFile(file(t), encodeMetaFile(t, v));

  if (types.has('settings') || types.has('analyzer') || types.has('index')) {
    const settings = (await client.indices.getSettings({ index })) as Record<string, { settings: Json }>;
    const own = settings[index]?.settings ?? {};
    const body = { [index]: { settings: stripForDump(own) } };
    if (types.has('settings')) await put('settings', body);
    if (types.has('analyzer')) await put('analyzer', body);
    if (types.has('index')) {
      const whole = (await client.indices.get({ index })) as Record<string, Json>;
      await put('index', { [index]: { ...whole[index], settings: stripForDump(own) } });
    }
  }
  if (types.has('mapping')) await put('mapping', await client.indices.getMapping({ index }));
  if (types.has('alias')) {
    const aliases = (await client.indices.getAlias({ index, name: '*' }, { ignore: [404] })) as unknown as Record<string, Json>;
    await put('alias', { [index]: { aliases: aliases[index]?.aliases ?? {} } });
  }
  if (types.has('template')) await put('template', templates.legacy);

  if (!types.has('data')) return { name: index, docs: 0, bytes: 0 };
  return dumpDocs(client, index, file('data'), opts);
}

async function write(out: WriteStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function dumpDocs(client: Client, index: string, path: string, opts: DumpOptions): Promise<ManifestIndex> {
  const progress = opts.progress ?? silentProgress;
  const total = (await client.count({ index })).count;
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const keepAlive = opts.keepAlive ?? '5m';
  const batchSize = opts.batchSize ?? 1000;
  const pageBytes = opts.pageBytes ?? 4 << 20;
  // one slice per ~20k docs, up to the requested number: slicing a tiny index only adds requests
  const slices = Math.max(1, Math.min(opts.slices ?? 2, Math.ceil(total / 20_000)));
  let docs = 0;
  let bytes = 0;
  const sum = new ChecksumAccumulator(); // count + checksum for the manifest, what a verification compares

  const pit = await client.openPointInTime({ index, keep_alive: keepAlive });
  try {
    const runSlice = async (sliceId: number) => {
      let pitId = pit.id;
      let size = batchSize;
      let after: unknown[] | undefined;
      for (;;) {
        const res = await client.search<unknown>({
          pit: { id: pitId, keep_alive: keepAlive },
          ...(slices > 1 ? { slice: { id: String(sliceId), max: slices } } : {}),
          sort: ['_shard_doc'],
          size,
          track_total_hits: false,
          ...(after ? { search_after: after as never } : {}),
        });
        if (res.pit_id) pitId = res.pit_id;
        const hits = res.hits.hits;
        if (hits.length === 0) return;
        let chunk = '';
        for (const h of hits) {
          if (h._source === undefined) throw new Error(`index ${index}: document ${h._id} has no _source (source disabled?)`);
          const src = JSON.stringify(h._source);
          chunk += formatDocLine(index, h, src);
          sum.add(String(h._id), h._routing, src);
        }
        const buf = Buffer.from(chunk); // encoded once: its length is the byte count, and the stream writes it as is
        const n = buf.length;
        await write(out, buf);
        docs += hits.length;
        bytes += n;
        progress.report({ index, docsDone: docs, docsTotal: total, bytesDone: bytes, phase: 'dump' });
        after = hits[hits.length - 1]?.sort as unknown[] | undefined;
        if (hits.length < size) return;
        size = Math.max(1, Math.min(batchSize, Math.floor(pageBytes / Math.max(1, n / hits.length))));
      }
    };
    await Promise.all(Array.from({ length: slices }, (_, i) => runSlice(i)));
  } finally {
    await client.closePointInTime({ id: pit.id }).catch(() => undefined);
    out.end();
    await once(out, 'close');
  }
  progress.done({ index, docsDone: docs, docsTotal: total, bytesDone: bytes, phase: 'dump' });
  return { name: index, docs, bytes, checksum: sum.hex };
}
