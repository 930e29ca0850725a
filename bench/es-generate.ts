// Realistic bench index for the Elasticsearch bench: about 1 KB of _source per document with mixed field types
// (keyword, text, long, integer, double, boolean, date, ip, geo_point, object, nested). Documents are deterministic
// (a small PRNG seeded by the document number), so two runs of the same size build the same index.
//   npx tsx bench/es-generate.ts <es-url> <index> <docs>
import type { Client } from '@elastic/elasticsearch';
import { createClient } from '../functions/elasticsearch/index.js';

const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo ' +
  'sierra tango uniform victor whiskey xray yankee zulu backup restore snapshot shard replica index cluster node ' +
  'document mapping segment merge refresh flush query filter aggregate bucket metric latency throughput memory'
).split(' ');
const CITIES = ['Berlin', 'Lisbon', 'Osaka', 'Lima', 'Nairobi', 'Oslo', 'Austin', 'Hanoi', 'Perth', 'Quito'];

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export const MAPPINGS = {
  properties: {
    order_id: { type: 'keyword' },
    customer: {
      properties: {
        id: { type: 'long' },
        name: { type: 'text', fields: { raw: { type: 'keyword' } } },
        email: { type: 'keyword' },
        vip: { type: 'boolean' },
      },
    },
    status: { type: 'keyword' },
    created_at: { type: 'date' },
    updated_at: { type: 'date' },
    total: { type: 'double' },
    quantity: { type: 'integer' },
    client_ip: { type: 'ip' },
    location: { type: 'geo_point' },
    city: { type: 'keyword' },
    tags: { type: 'keyword' },
    title: { type: 'text' },
    description: { type: 'text' },
    lines: {
      type: 'nested',
      properties: { sku: { type: 'keyword' }, qty: { type: 'integer' }, price: { type: 'double' } },
    },
  },
} as const;

export function benchDoc(i: number): Record<string, unknown> {
  const r = prng(i * 2654435761 + 7);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const t = Date.UTC(2025, 0, 1) + Math.floor(r() * 365 * 86400_000);
  const lines = Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({
    sku: `SKU-${Math.floor(r() * 100000)}`,
    qty: 1 + Math.floor(r() * 9),
    price: Math.round(r() * 50000) / 100,
  }));
  return {
    order_id: `ORD-${i.toString(36).padStart(8, '0')}`,
    customer: {
      id: Math.floor(r() * 1e9),
      name: `${pick(WORDS)} ${pick(WORDS)}`,
      email: `user${Math.floor(r() * 1e6)}@example.test`,
      vip: r() < 0.1,
    },
    status: pick(['new', 'paid', 'shipped', 'delivered', 'returned']),
    created_at: new Date(t).toISOString(),
    updated_at: new Date(t + Math.floor(r() * 86400_000)).toISOString(),
    total: lines.reduce((s, l) => s + l.qty * l.price, 0),
    quantity: lines.reduce((s, l) => s + l.qty, 0),
    client_ip: `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`,
    location: { lat: Math.round((r() * 180 - 90) * 1e5) / 1e5, lon: Math.round((r() * 360 - 180) * 1e5) / 1e5 },
    city: pick(CITIES),
    tags: Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(WORDS)),
    title: words(8),
    description: words(70 + Math.floor(r() * 30)),
    lines,
  };
}

/** Creates `index` on the cluster and fills it with `docs` bench documents (2 shards, no replicas). */
export async function generateIndex(client: Client, index: string, docs: number, batch = 4000): Promise<void> {
  await client.indices.create({
    index,
    settings: { number_of_shards: 2, number_of_replicas: 0, refresh_interval: '-1' },
    mappings: MAPPINGS as never,
  });
  let next = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= docs) return;
      next = Math.min(docs, from + batch);
      const ops: unknown[] = [];
      for (let j = from; j < next; j++) ops.push({ index: { _index: index, _id: `o${j}` } }, benchDoc(j));
      const res = await client.bulk({ operations: ops });
      if (res.errors) throw new Error(`generate: bulk errors in ${index}`);
    }
  };
  await Promise.all([worker(), worker()]);
  await client.indices.putSettings({ index, settings: { refresh_interval: null } as never });
  await client.indices.refresh({ index });
}

// (a name check, not import.meta.url: bench/elasticsearch.ts bundles this module)
if (process.argv[1]?.endsWith('es-generate.ts')) {
  const [url, index, n] = process.argv.slice(2);
  if (!url || !index || !n) throw new Error('usage: es-generate.ts <es-url> <index> <docs>');
  const c = createClient({ url });
  const t0 = Date.now();
  await generateIndex(c, index, Number(n));
  console.log(JSON.stringify({ index, docs: Number(n), seconds: (Date.now() - t0) / 1000 }));
  await c.close();
}
