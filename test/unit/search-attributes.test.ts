import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { searchAttributes } from '../../api/search-attributes.js';
import { repoRoot } from '../helpers/stack.js';

test('the search attributes the code upserts are the ones the dev server registers', () => {
  const registered = readFileSync(join(repoRoot, 'dev/temporal/search-attributes.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('=') as [string, string]);
  const used = Object.values(searchAttributes).map((k) => [k.name, k.type]);
  assert.deepEqual(
    registered.map(([n, t]) => [n, t.toUpperCase()]).sort(),
    used.map(([n, t]) => [n, String(t).toUpperCase()]).sort(),
  );
});
