// Comparing an index on two clusters (tests of the Elasticsearch function): an order-independent checksum of the
// documents, and mappings/settings/aliases with our restore marker left out.
import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { MARKER_KEY } from '../../functions/elasticsearch/index.js';
import { copyableSettings } from '../../functions/elasticsearch/dump-format.js';

/** Deletes this file's indices and templates by exact name (wildcard deletes are refused: destructive_requires_name). */
export async function deletePrefixed(c: Client, P: string): Promise<void> {
  const names = (await c.cat.indices({ index: `${P}-*`, format: 'json', h: 'index', expand_wildcards: 'all' })).map((r) =>
    String(r.index),
  );
  if (names.length) await c.indices.delete({ index: names });
  const it = await c.indices.getIndexTemplate({ name: `${P}-*` }).catch(() => ({ index_templates: [] }));
  for (const t of it.index_templates) await c.indices.deleteIndexTemplate({ name: t.name });
  const ct = await c.cluster.getComponentTemplate({ name: `${P}-*` }).catch(() => ({ component_templates: [] }));
  for (const t of ct.component_templates) await c.cluster.deleteComponentTemplate({ name: t.name });
}

/** Order-independent checksum of _id + _source over all documents (sum of per-doc hashes mod 2^64). */
export async function fingerprint(c: Client, index: string): Promise<{ count: number; sum: string }> {
  let sum = 0n;
  let count = 0;
  const pit = await c.openPointInTime({ index, keep_alive: '1m' });
  let after: unknown[] | undefined;
  try {
    for (;;) {
      const r = await c.search({
        pit: { id: pit.id, keep_alive: '1m' },
        sort: ['_shard_doc'],
        size: 500,
        ...(after ? { search_after: after as never } : {}),
      });
      if (!r.hits.hits.length) break;
      for (const h of r.hits.hits) {
        const d = createHash('sha256')
          .update(`${h._id}\0${h._routing ?? ''}\0${JSON.stringify(h._source)}`)
          .digest();
        sum = (sum + d.readBigUInt64BE(0)) & 0xffffffffffffffffn;
        count++;
      }
      after = r.hits.hits.at(-1)?.sort as unknown[];
    }
  } finally {
    await c.closePointInTime({ id: pit.id });
  }
  return { count, sum: sum.toString(16) };
}

type Json = Record<string, unknown>;
/** Mappings (without our restore marker), copyable settings and aliases of an index. */
export async function describeIndex(c: Client, index: string) {
  const m = ((await c.indices.getMapping({ index })) as unknown as Record<string, { mappings: Json }>)[index]?.mappings ?? {};
  const meta = { ...((m._meta as Json | undefined) ?? {}) };
  delete meta[MARKER_KEY];
  const mappings = { ...m, ...(Object.keys(meta).length ? { _meta: meta } : {}) };
  if (!Object.keys(meta).length) delete mappings._meta;
  const s = ((await c.indices.getSettings({ index })) as unknown as Record<string, { settings: Json }>)[index]?.settings ?? {};
  const aliases = ((await c.indices.getAlias({ index })) as unknown as Record<string, { aliases: Json }>)[index]?.aliases ?? {};
  return { mappings, settings: copyableSettings(s.index), aliases };
}
