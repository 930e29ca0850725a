// RESTORE side, per index: read a dump directory (ours or a real multielasticdump one), create each index with its
// copyable settings, mappings and aliases, load the documents with refresh off and no replicas, then put the
// original values back. A marker in the index's mapping _meta (`stashflow_restore`: dump id + state) makes a
// retried restore skip indices it already completed and redo ones it left half-loaded; an index that exists
// without our marker is never touched.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, type Client } from '@elastic/elasticsearch';
import { bulkLoadFile, type BulkOptions, type DocError } from './bulk.js';
import { blockSettings, copyableSettings, decodeMetaFile, dumpFileName, parseDumpFileName } from './dump-format.js';
import {
  COMPONENT_TEMPLATES_FILE,
  INDEX_TEMPLATES_FILE,
  MANIFEST_FILE,
  readJsonIfExists,
  sidecarFile,
  type Manifest,
} from './layout.js';
import { silentProgress, type ProgressSink } from './progress.js';
import { DEFAULT_TYPES, selectIndices, type DumpType, type IndexFilter } from './selection.js';
import { writeTemplates, type NamedComponentTemplate, type NamedIndexTemplate } from './templates.js';

export const MARKER_KEY = 'stashflow_restore';

export interface LoadOptions extends IndexFilter, BulkOptions {
  types?: Iterable<DumpType>;
  /** identifies the dump for the resume marker; default: the manifest's dumpId, else the snapshot id given */
  dumpId?: string;
  progress?: { report: ProgressSink; done: ProgressSink };
}

export interface LoadedIndex {
  name: string;
  docs: number;
  failed: number;
  skipped?: boolean;
  errors?: DocError[];
}

export interface LoadResult {
  dumpId: string;
  indices: LoadedIndex[];
  docs: number;
  failed: number;
  skipped: number;
  templates: number;
  errors: (DocError & { index: string })[];
  durationMs: number;
}

type Json = Record<string, unknown>;

/** Groups a dump directory's files by index name. */
export async function scanDump(dir: string): Promise<Map<string, Set<DumpType>>> {
  const byIndex = new Map<string, Set<DumpType>>();
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    const f = parseDumpFileName(e.name);
    if (!f) continue;
    if (!byIndex.has(f.index)) byIndex.set(f.index, new Set());
    byIndex.get(f.index)?.add(f.type);
  }
  return byIndex;
}

/** The single top-level value of an elasticdump per-index file ({"<name>": {...}}), whatever the key. */
async function readFirst(dir: string, index: string, type: DumpType, present: Set<DumpType>): Promise<Json | undefined> {
  if (!present.has(type)) return undefined;
  const v = await readMetaFile(dir, index, type);
  if (!v) return undefined;
  return (v[index] ?? Object.values(v)[0]) as Json | undefined;
}

/** Pre-7 dumps wrap mappings in a type name ({doc:{properties}}); unwrap a single type. */
export function normalizeMappings(m: Json | undefined): Json {
  if (!m) return {};
  const keys = Object.keys(m);
  const single = keys.length === 1 ? (m[keys[0] as string] as Json) : undefined;
  if (!('properties' in m) && single && typeof single === 'object' && 'properties' in single) return single;
  return m;
}

export async function loadDump(client: Client, dir: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const t0 = Date.now();
  const types = new Set(opts.types ?? DEFAULT_TYPES);
  const manifest = await readJsonIfExists<Manifest>(sidecarFile(dir, MANIFEST_FILE));
  const dumpId = manifest?.dumpId ?? opts.dumpId ?? 'unknown';
  const files = await scanDump(dir);
  const names = selectIndices(
    [...files.keys()].map((name) => ({ name, aliases: [], hidden: false })),
    opts,
  ).map((i) => i.name);

  let templates = 0;
  if (types.has('template')) {
    const legacy: Record<string, Json> = {};
    for (const name of names) Object.assign(legacy, (await readFirstRaw(dir, name, files.get(name))) ?? {});
    const idx = await readJsonIfExists<{ index_templates?: NamedIndexTemplate[] }>(sidecarFile(dir, INDEX_TEMPLATES_FILE));
    const comp = await readJsonIfExists<{ component_templates?: NamedComponentTemplate[] }>(
      sidecarFile(dir, COMPONENT_TEMPLATES_FILE),
    );
    templates = await writeTemplates(client, {
      legacy,
      index: idx?.index_templates ?? [],
      component: comp?.component_templates ?? [],
    });
  }

  const indices: LoadedIndex[] = [];
  const allErrors: (DocError & { index: string })[] = [];
  for (const name of names) {
    const total = manifest?.indices.find((i) => i.name === name)?.docs ?? 0;
    const r = await loadIndex(client, dir, name, files.get(name) ?? new Set(), types, dumpId, total, opts);
    indices.push(r);
    for (const e of r.errors ?? []) if (allErrors.length < 5) allErrors.push({ index: name, ...e });
  }
  return {
    dumpId,
    indices,
    docs: indices.reduce((n, i) => n + i.docs, 0),
    failed: indices.reduce((n, i) => n + i.failed, 0),
    skipped: indices.filter((i) => i.skipped).length,
    templates,
    errors: allErrors,
    durationMs: Date.now() - t0,
  };
}

async function readFirstRaw(
  dir: string,
  index: string,
  present: Set<DumpType> | undefined,
): Promise<Record<string, Json> | undefined> {
  if (!present?.has('template')) return undefined;
  return (await readMetaFile(dir, index, 'template')) as Record<string, Json> | undefined;
}

async function readMetaFile(dir: string, index: string, type: DumpType): Promise<Json | undefined> {
  const path = join(dir, dumpFileName(index, type));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return text.trim() ? decodeMetaFile(text, path) : undefined;
}

/** What our marker says about an existing index: ours and done, ours and unfinished, or not ours. */
async function markerState(client: Client, index: string, dumpId: string): Promise<'absent' | 'done' | 'partial' | 'foreign'> {
  let mapping: Record<string, { mappings?: { _meta?: Json } }>;
  try {
    mapping = (await client.indices.getMapping({ index })) as typeof mapping;
  } catch (e) {
    if (e instanceof errors.ResponseError && e.statusCode === 404) return 'absent';
    throw e;
  }
  const m = Object.values(mapping)[0]?.mappings?._meta?.[MARKER_KEY] as { dump_id?: string; state?: string } | undefined;
  if (!m || m.dump_id !== dumpId) return 'foreign';
  return m.state === 'done' ? 'done' : 'partial';
}

async function loadIndex(
  client: Client,
  dir: string,
  index: string,
  present: Set<DumpType>,
  types: Set<DumpType>,
  dumpId: string,
  total: number,
  opts: LoadOptions,
): Promise<LoadedIndex> {
  const progress = opts.progress ?? silentProgress;
  const state = await markerState(client, index, dumpId);
  if (state === 'done') {
    progress.done({ index, docsDone: 0, docsTotal: 0, bytesDone: 0, phase: 'load' });
    return { name: index, docs: 0, failed: 0, skipped: true };
  }
  if (state === 'foreign')
    throw new Error(`index ${index} already exists in the target and was not restored from this backup: delete it or exclude it`);
  if (state === 'partial') await client.indices.delete({ index });

  const want = (t: DumpType) => types.has(t) && present.has(t);
  const whole = want('index') ? await readFirst(dir, index, 'index', present) : undefined;
  const settingsDoc = (want('settings') ? await readFirst(dir, index, 'settings', present) : undefined) ?? whole;
  const srcSettings = ((settingsDoc?.settings as Json | undefined)?.index ?? settingsDoc?.settings ?? {}) as Json;
  const settings = copyableSettings(srcSettings);
  if (want('analyzer') && !settingsDoc) {
    const a = await readFirst(dir, index, 'analyzer', present);
    const analysis = ((a?.settings as Json | undefined)?.index as Json | undefined)?.analysis;
    if (analysis) Object.assign(settings, copyableSettings({ analysis }));
  }
  const mappingDoc = (want('mapping') ? await readFirst(dir, index, 'mapping', present) : undefined) ?? whole;
  const mappings = normalizeMappings(mappingDoc?.mappings as Json | undefined);
  const aliasDoc = (want('alias') ? await readFirst(dir, index, 'alias', present) : undefined) ?? whole;
  const aliases = (aliasDoc?.aliases ?? {}) as Json;

  const origMeta = (mappings._meta ?? {}) as Json;
  const refresh = settings.refresh_interval;
  const replicas = settings.number_of_replicas;
  await client.indices.create({
    index,
    settings: { ...settings, refresh_interval: '-1', number_of_replicas: 0 },
    mappings: { ...mappings, _meta: { ...origMeta, [MARKER_KEY]: { dump_id: dumpId, state: 'loading' } } } as never,
    aliases: aliases as never,
    wait_for_active_shards: 1,
  });

  let docs = 0;
  let failed = 0;
  let docErrors: DocError[] = [];
  if (want('data')) {
    const r = await bulkLoadFile(client, index, join(dir, dumpFileName(index, 'data')), total, opts);
    docs = r.docs;
    failed = r.failed;
    docErrors = r.errors;
  }

  // back to the dump's values (null = the cluster default when the source had none set)
  await client.indices.putSettings({
    index,
    settings: { refresh_interval: refresh ?? null, number_of_replicas: replicas ?? null } as never,
  });
  await client.indices.refresh({ index });
  await client.indices.putMapping({
    index,
    _meta: { ...origMeta, [MARKER_KEY]: { dump_id: dumpId, state: 'done', docs, failed, at: new Date().toISOString() } },
  });
  const blocks = blockSettings(srcSettings);
  if (Object.keys(blocks).length) await client.indices.putSettings({ index, settings: blocks as never });
  return { name: index, docs, failed, ...(docErrors.length ? { errors: docErrors } : {}) };
}
