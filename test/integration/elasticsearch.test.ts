// The local Elasticsearch pair (dev/elasticsearch): real 9.5.3 nodes driven with the project's client
// @elastic/elasticsearch — directly (source and restore target, no auth) and through nginx (TLS with our CA + basic
// auth). Every test works in indices of its own with random names and deletes them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, errors } from '@elastic/elasticsearch';
import { stackEnv } from '../helpers/stack.js';

function credentials(): { username: string; password: string } {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(stackEnv('ES_CREDENTIALS_FILE'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) vars[m[1]] = m[2];
  }
  assert.ok(vars.ES_USERNAME && vars.ES_PASSWORD, 'credentials file has ES_USERNAME and ES_PASSWORD');
  return { username: vars.ES_USERNAME, password: vars.ES_PASSWORD };
}

const clients: Client[] = [];
function client(node: string, opts: { auth?: { username: string; password: string }; tls?: boolean } = {}): Client {
  const c = new Client({
    node,
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.tls ? { tls: { ca: readFileSync(stackEnv('ES_SECURE_CA')), rejectUnauthorized: true } } : {}),
    maxRetries: 0,
    requestTimeout: 30_000,
  });
  clients.push(c);
  return c;
}
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

const indexName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const mappings = {
  properties: {
    tag: { type: 'keyword' },
    body: { type: 'text' },
    n: { type: 'long' },
    at: { type: 'date' },
    where: { type: 'geo_point' },
    items: { type: 'nested', properties: { sku: { type: 'keyword' }, qty: { type: 'integer' } } },
  },
} as const;

function doc(i: number) {
  return {
    tag: `t${i % 5}`,
    body: `document number ${i} ${i % 2 ? 'odd' : 'even'}`,
    n: i,
    at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    where: { lat: 48.1 + i / 1000, lon: 11.5 },
    items: [{ sku: `sku-${i % 3}`, qty: i }],
  };
}

/** index, _bulk, refresh, search, PIT + search_after, on any client; returns the docs read back through the PIT. */
async function roundTrip(es: Client, prefix: string): Promise<void> {
  const index = indexName(prefix);
  try {
    await es.indices.create({ index, mappings, settings: { number_of_shards: 2, number_of_replicas: 0 } });
    const one = await es.index({ index, id: 'one', document: doc(0) });
    assert.equal(one.result, 'created');

    const operations = [];
    for (let i = 1; i <= 120; i++) operations.push({ index: { _index: index, _id: String(i) } }, doc(i));
    const bulk = await es.bulk({ operations });
    assert.equal(bulk.errors, false, JSON.stringify(bulk.items.find((it) => it.index?.error)));
    assert.equal(bulk.items.length, 120);
    await es.indices.refresh({ index });

    assert.equal((await es.count({ index })).count, 121);
    const odd = await es.search({ index, query: { match: { body: 'odd' } }, size: 0, track_total_hits: true });
    assert.deepEqual(odd.hits.total, { value: 60, relation: 'eq' });
    const nested = await es.search({
      index,
      size: 0,
      query: { nested: { path: 'items', query: { term: { 'items.sku': 'sku-1' } } } },
    });
    assert.equal((nested.hits.total as { value: number }).value, 40);
    const near = await es.search({
      index,
      size: 0,
      query: { geo_distance: { distance: '5km', where: { lat: 48.1, lon: 11.5 } } },
    });
    assert.ok((near.hits.total as { value: number }).value > 0, 'geo_distance finds documents');
    const byTag = await es.search({ index, size: 0, aggs: { tags: { terms: { field: 'tag' } } } });
    const buckets = (byTag.aggregations?.tags as { buckets: { key: string; doc_count: number }[] }).buckets;
    assert.equal(buckets.length, 5);

    // point in time + search_after, in pages of 25, sorted by n
    const pit = await es.openPointInTime({ index, keep_alive: '1m' });
    const seen: number[] = [];
    try {
      let searchAfter: (string | number | null)[] | undefined;
      for (;;) {
        const page = await es.search<{ n: number }>({
          pit: { id: pit.id, keep_alive: '1m' },
          size: 25,
          sort: [{ n: 'asc' }],
          ...(searchAfter ? { search_after: searchAfter } : {}),
        });
        if (page.hits.hits.length === 0) break;
        for (const h of page.hits.hits) seen.push(h._source!.n);
        searchAfter = page.hits.hits.at(-1)!.sort as (string | number | null)[];
      }
    } finally {
      await es.closePointInTime({ id: pit.id });
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 121 }, (_, i) => i),
    );
  } finally {
    await es.indices.delete({ index, ignore_unavailable: true });
  }
}

test('source node, direct: version, product header, index/_bulk/refresh/search/PIT', async () => {
  const es = client(stackEnv('ES_SOURCE_URL'));
  const info = await es.info();
  assert.match(info.version.number, /^9\./);
  assert.equal(info.cluster_name, 'stashflow-source');
  const raw = await es.cluster.health({}, { meta: true });
  assert.equal(raw.headers['x-elastic-product'], 'Elasticsearch');
  assert.ok(['green', 'yellow'].includes(raw.body.status));
  await roundTrip(es, 'it-direct');
});

test('source node through nginx: TLS with our CA + basic auth', async () => {
  const es = client(stackEnv('ES_SECURE_URL'), { auth: credentials(), tls: true });
  const info = await es.info();
  assert.equal(info.cluster_name, 'stashflow-source');
  await roundTrip(es, 'it-secure');
});

test('through nginx a wrong password or no credentials gives 401', async () => {
  const { username } = credentials();
  const wrong = client(stackEnv('ES_SECURE_URL'), { auth: { username, password: 'not-the-password' }, tls: true });
  await assert.rejects(wrong.cluster.health(), (e: unknown) => {
    assert.ok(e instanceof errors.ResponseError, `ResponseError expected, got ${String(e)}`);
    assert.equal(e.statusCode, 401);
    return true;
  });
  const anonymous = client(stackEnv('ES_SECURE_URL'), { tls: true });
  await assert.rejects(anonymous.info(), (e: unknown) => e instanceof errors.ResponseError && e.statusCode === 401);
});

test('TLS is verified: without our CA the connection is refused', async () => {
  const es = new Client({ node: stackEnv('ES_SECURE_URL'), auth: credentials(), maxRetries: 0 });
  clients.push(es);
  await assert.rejects(es.info(), (e: unknown) => e instanceof errors.ConnectionError);
});

test('restore target node: direct and through nginx, a separate cluster', async () => {
  const direct = client(stackEnv('ES_TARGET_URL'));
  const info = await direct.info();
  assert.equal(info.cluster_name, 'stashflow-target');
  const source = await client(stackEnv('ES_SOURCE_URL')).info();
  assert.notEqual(info.cluster_uuid, source.cluster_uuid);
  await roundTrip(direct, 'it-target');
  const secure = client(stackEnv('ES_TARGET_SECURE_URL'), { auth: credentials(), tls: true });
  assert.equal((await secure.info()).cluster_name, 'stashflow-target');
});

test('aliases, index and component templates, sliced scroll', async () => {
  const es = client(stackEnv('ES_SOURCE_URL'));
  const base = indexName('it-tpl');
  const component = `${base}-mappings`;
  const template = `${base}-template`;
  const index = `${base}-000001`;
  try {
    await es.cluster.putComponentTemplate({ name: component, template: { mappings } });
    await es.indices.putIndexTemplate({
      name: template,
      index_patterns: [`${base}-*`],
      composed_of: [component],
      template: { settings: { number_of_shards: 1, number_of_replicas: 0 }, aliases: { [`${base}-all`]: {} } },
    });
    const operations = [];
    for (let i = 0; i < 40; i++) operations.push({ index: { _index: index } }, doc(i));
    assert.equal((await es.bulk({ operations, refresh: true })).errors, false);

    const mapping = await es.indices.getMapping({ index });
    assert.equal(mapping[index]?.mappings.properties?.items?.type, 'nested', 'mapping came from the component template');
    assert.equal((await es.count({ index: `${base}-all` })).count, 40, 'alias from the index template');
    await es.indices.putAlias({ index, name: `${base}-extra`, filter: { term: { tag: 't1' } } });
    assert.equal((await es.count({ index: `${base}-extra` })).count, 8, 'filtered alias');

    let total = 0;
    for (const id of ['0', '1']) {
      let page = await es.search({ index, scroll: '1m', size: 7, slice: { id, max: 2 }, sort: ['_doc'] });
      const scrollIds = new Set<string>();
      while (page.hits.hits.length) {
        total += page.hits.hits.length;
        scrollIds.add(page._scroll_id!);
        page = await es.scroll({ scroll_id: page._scroll_id!, scroll: '1m' });
      }
      await es.clearScroll({ scroll_id: [...scrollIds] });
    }
    assert.equal(total, 40, 'two slices together read every document once');
  } finally {
    await es.indices.delete({ index, ignore_unavailable: true });
    await es.indices.deleteIndexTemplate({ name: template }).catch(() => undefined);
    await es.cluster.deleteComponentTemplate({ name: component }).catch(() => undefined);
  }
});
