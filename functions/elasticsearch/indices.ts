// What the cluster has: every index (hidden and closed ones too) with its aliases, for selection.ts to filter.
import type { Client } from '@elastic/elasticsearch';
import { selectIndices, type IndexFilter, type IndexInfo } from './selection.js';

export async function listIndices(client: Client): Promise<IndexInfo[]> {
  const cat = await client.cat.indices({ format: 'json', expand_wildcards: 'all', h: 'index,status' });
  const aliases = (await client.indices.getAlias({ index: '*', expand_wildcards: 'all' })) as Record<
    string,
    { aliases?: Record<string, unknown> }
  >;
  const hidden = (await client.indices.getSettings({
    index: '*',
    expand_wildcards: 'all',
    name: 'index.hidden',
    flat_settings: true,
  })) as Record<string, { settings?: Record<string, unknown> }>;
  return cat
    .filter((r): r is typeof r & { index: string } => typeof r.index === 'string')
    .map((r) => ({
      name: r.index,
      aliases: Object.keys(aliases[r.index]?.aliases ?? {}),
      hidden: String(hidden[r.index]?.settings?.['index.hidden']) === 'true',
      closed: r.status === 'close',
    }));
}

/** The selected indices; a selected closed index is an error naming it (its documents cannot be read). */
export async function resolveIndices(client: Client, filter: IndexFilter): Promise<IndexInfo[]> {
  const selected = selectIndices(await listIndices(client), filter);
  const closed = selected.filter((i) => i.closed).map((i) => i.name);
  if (closed.length) {
    throw new Error(`index ${closed.join(', ')} is closed: open it or exclude it from the backup`);
  }
  return selected;
}
