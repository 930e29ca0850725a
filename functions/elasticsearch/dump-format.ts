// The on-disk layout multielasticdump writes and reads, so a dump made here loads with Stash's addon and a Stash
// dump loads here. Learned from elasticsearch-dump's behaviour (bin/multielasticdump, lib/transports):
//   <index>.json           one JSON object per line: a search hit {_index,_id,(_routing),_source,...}
//   <index>.mapping.json   GET /<index>/_mapping          → {"<index>":{"mappings":{...}}}
//   <index>.settings.json  GET /<index>/_settings         → {"<index>":{"settings":{"index":{...}}}} minus uuid etc.
//   <index>.analyzer.json  same content as settings (its loader applies only settings.index.analysis)
//   <index>.alias.json     GET /<index>/_alias/*          → {"<index>":{"aliases":{...}}}
//   <index>.template.json  GET /_template/*               → {"<name>":{legacy template}} (cluster-wide copy)
//   <index>.index.json     GET /<index>                   → {"<index>":{aliases,mappings,settings}}
// Every file is one line ending in a newline. Quirk kept on purpose: elasticdump writes settings, analyzer, alias,
// template and index as a JSON *string* holding the JSON (its loader JSON.parses what it reads once more); only
// mapping is a plain object. encodeMetaFile/decodeMetaFile do both. The loader lists the directory and treats every other file name as
// an index, so nothing else may live in the dump directory (our extras go to a sidecar directory, see layout.ts).
import type { DumpType } from './selection.js';

export function dumpFileName(index: string, type: DumpType): string {
  return type === 'data' ? `${index}.json` : `${index}.${type}.json`;
}

const TYPE_SUFFIX = /\.(mapping|analyzer|alias|settings|template|index)\.json$/;

/** Index name and file type of a dump file name; undefined for what is not a dump file (e.g. meta.txt). */
export function parseDumpFileName(file: string): { index: string; type: DumpType } | undefined {
  if (/\.json\.gz$/.test(file)) throw new Error(`compressed dump file ${file} (--fsCompress) is not supported`);
  if (/\.split-\d+/.test(file)) throw new Error(`split dump file ${file} (--fileSize) is not supported`);
  const m = TYPE_SUFFIX.exec(file);
  if (m?.[1]) return { index: file.slice(0, m.index), type: m[1] as DumpType };
  if (file.endsWith('.json')) return { index: file.slice(0, -'.json'.length), type: 'data' };
  return undefined;
}

/** How elasticdump frames a per-index metadata file of the given type. */
export function encodeMetaFile(type: DumpType, v: unknown): string {
  const json = JSON.stringify(v);
  return (type === 'mapping' ? json : JSON.stringify(json)) + '\n';
}

/** Reads either framing (string-wrapped or plain), whatever the type: older elasticdump versions differ. */
export function decodeMetaFile(text: string, file: string): Record<string, unknown> {
  try {
    let v: unknown = JSON.parse(text);
    if (typeof v === 'string') v = JSON.parse(v);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** One search hit as elasticdump writes it; only _id, _routing and _source matter on load. */
export interface DumpDoc {
  _index: string;
  _id: string;
  _routing?: string;
  _source: unknown;
}

export function formatDocLine(
  index: string,
  hit: { _id?: string | null; _routing?: string; _source?: unknown },
  /** JSON.stringify(hit._source) when the caller has it already (the dump hashes it too): saves a second stringify */
  sourceJson?: string,
): string {
  if (sourceJson !== undefined) {
    const routing = hit._routing !== undefined ? `,"_routing":${JSON.stringify(hit._routing)}` : '';
    return `{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(String(hit._id))}${routing},"_source":${sourceJson}}\n`;
  }
  const doc: DumpDoc = { _index: index, _id: String(hit._id), _source: hit._source };
  if (hit._routing !== undefined) doc._routing = hit._routing;
  // key order as in a search hit (elasticdump writes hits as ES returns them): _index, _id, _routing, _source
  const ordered =
    hit._routing !== undefined ? { _index: doc._index, _id: doc._id, _routing: doc._routing, _source: doc._source } : doc;
  return JSON.stringify(ordered) + '\n';
}

/** Parses one data line; throws with the line number so a corrupt dump names the spot. */
export function parseDocLine(line: string, lineNo: number, file: string): DumpDoc {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new Error(`${file}:${lineNo}: not JSON (${(e as Error).message})`);
  }
  const d = v as Partial<DumpDoc> & { routing?: string; fields?: { _routing?: string } };
  if (!d || typeof d !== 'object' || d._source === undefined) throw new Error(`${file}:${lineNo}: no _source`);
  const routing = d._routing ?? d.routing ?? d.fields?._routing;
  return {
    _index: String(d._index ?? ''),
    _id: d._id === undefined || d._id === null ? '' : String(d._id),
    _source: d._source,
    ...(routing !== undefined ? { _routing: routing } : {}),
  };
}

/** A _bulk pair (action + source) for one doc, as NDJSON text. */
export function bulkPair(index: string, doc: DumpDoc): string {
  const action: Record<string, string> = { _index: index };
  if (doc._id) action._id = doc._id;
  if (doc._routing !== undefined) action.routing = doc._routing;
  return `${JSON.stringify({ index: action })}\n${JSON.stringify(doc._source)}\n`;
}

// ---- settings ----

type Json = Record<string, unknown>;

/** Dotted setting keys (below `index.`) that describe one physical index and must not be copied to a new one. */
const NOT_COPYABLE = [
  'uuid',
  'creation_date',
  'creation_date_string',
  'version',
  'provided_name',
  'resize',
  'routing.allocation',
  'history.uuid',
  'verified_before_close',
  'shrink',
  'store.snapshot',
  'frozen',
  'blocks', // applied after loading, or the load itself would be blocked
];

/** Flattens nested settings to dotted keys ({a:{b:1}} → {"a.b":1}); arrays stay values. */
export function flattenSettings(obj: unknown, prefix = '', out: Json = {}): Json {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj as Json)) flattenSettings(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = obj;
  }
  return out;
}

/** Index settings (flat, without the `index.` prefix) that can create a new index. */
export function copyableSettings(indexSettings: unknown): Json {
  const flat = flattenSettings(indexSettings);
  const out: Json = {};
  for (const [k, v] of Object.entries(flat)) {
    const key = k.startsWith('index.') ? k.slice('index.'.length) : k;
    if (NOT_COPYABLE.some((p) => key === p || key.startsWith(p + '.'))) continue;
    out[key] = v;
  }
  return out;
}

/** The `blocks.*` settings of an index (set again once the data is in). */
export function blockSettings(indexSettings: unknown): Json {
  const flat = flattenSettings(indexSettings);
  const out: Json = {};
  for (const [k, v] of Object.entries(flat)) {
    const key = k.startsWith('index.') ? k.slice('index.'.length) : k;
    if (key.startsWith('blocks.')) out[key] = v;
  }
  return out;
}

/** What elasticdump removes from a settings dump (its settingsExclude) — for byte-compatible settings files. */
export function stripForDump(settings: Json): Json {
  const index = { ...((settings.index as Json | undefined) ?? {}) };
  for (const k of ['version', 'creation_date', 'uuid', 'provided_name', 'resize']) delete index[k];
  const routing = index.routing as Json | undefined;
  const alloc = routing?.allocation as Json | undefined;
  if (alloc?.initial_recovery !== undefined) {
    const rest = { ...alloc };
    delete rest.initial_recovery;
    index.routing = { ...routing, allocation: rest };
  }
  return { ...settings, index };
}
