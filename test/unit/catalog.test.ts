import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { catalogFile, elasticsearchCatalog, elasticsearchVersions, renderCatalog } from '../../api/catalog.js';

test('deploy/catalog/elasticsearch.yaml is what api/catalog.ts renders', () => {
  assert.equal(readFileSync(catalogFile, 'utf8'), renderCatalog(), 'run: npx tsx api/catalog.ts --write');
});

test("every Stash Elasticsearch line has a backup and a restore Task and Function, under Stash's names", () => {
  const names = elasticsearchCatalog().map((o) => `${o.kind}/${o.metadata.name}`);
  for (const v of elasticsearchVersions)
    for (const kind of ['Function', 'Task'])
      for (const dir of ['backup', 'restore'])
        assert.ok(names.includes(`${kind}/elasticsearch-${dir}-${v}`), `${kind} ${dir} ${v}`);
  assert.ok(elasticsearchVersions.includes('8.2.0') && elasticsearchVersions.includes('5.6.4'));
});

test('Tasks run the Function of their name, then update-status', () => {
  for (const o of elasticsearchCatalog())
    if (o.kind === 'Task')
      assert.deepEqual(
        (o.spec as { steps: Array<{ name: string }> }).steps.map((s) => s.name),
        [o.metadata.name, 'update-status'],
      );
});
