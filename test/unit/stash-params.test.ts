// spec.task.params checked against the Task (lib/stash-params.ts): unknown names, types from placeholder defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StashFunction, Task } from '../../api/types.js';
import { elasticsearchCatalog } from '../../api/catalog.js';
import { acceptedParams, checkParams } from '../../lib/stash-params.js';

const fn = (name: string, args: string[]): StashFunction => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Function',
  metadata: { name },
  spec: { image: 'x', args },
});
const task = (steps: Task['spec']['steps']): Task => ({
  apiVersion: 'stash.appscode.com/v1beta1',
  kind: 'Task',
  metadata: { name: 't' },
  spec: { steps },
});

test('the Elasticsearch catalog Task takes args; a typo names the field and what it takes', () => {
  const all = elasticsearchCatalog();
  const t = all.find((o): o is Task => o.kind === 'Task' && o.metadata.name === 'elasticsearch-backup-8.2.0')!;
  const fns = all.filter(
    (o): o is StashFunction => o.kind === 'Function' && t.spec.steps.some((s) => s.name === o.metadata.name),
  );
  assert.equal(checkParams([{ name: 'args', value: '--match=^a' }], 'spec.task.params', t, fns), undefined);
  assert.equal(checkParams(undefined, 'spec.task.params', t, fns), undefined);
  assert.match(
    checkParams([{ name: 'arg', value: 'x' }], 'spec.task.params', t, fns) ?? '',
    /^spec\.task\.params\[0\]\.name: 'arg' is not a parameter of Task elasticsearch-backup-8\.2\.0 \(it takes: args/,
  );
});

test('a placeholder default types its param; duplicates and non-strings are rejected', () => {
  const f = fn('f', [
    '--n=${MAX_CONNECTIONS:=0}',
    '--c=${ENABLE_CACHE:=true}',
    '--p=${path:=/x}',
    '--m=${MIXED:=1}',
    '--m2=${MIXED:=a}',
  ]);
  const t = task([{ name: 'f', params: [{ name: 'outputDir', value: '/tmp' }] }]);
  const acc = acceptedParams(t, [f]);
  assert.equal(acc.get('MAX_CONNECTIONS'), 'integer');
  assert.equal(acc.get('ENABLE_CACHE'), 'boolean');
  assert.equal(acc.get('path'), undefined);
  assert.equal(acc.get('MIXED'), undefined, 'defaults that disagree give no type');
  assert.ok(acc.has('outputDir'), 'a Task step param can be overridden');
  const check = (params: Array<{ name: string; value: unknown }>) =>
    checkParams(params as Array<{ name: string; value: string }>, 'spec.task.params', t, [f]);
  assert.equal(
    check([
      { name: 'MAX_CONNECTIONS', value: '4' },
      { name: 'ENABLE_CACHE', value: 'false' },
    ]),
    undefined,
  );
  assert.match(
    check([{ name: 'MAX_CONNECTIONS', value: 'many' }]) ?? '',
    /params\[0\]\.value: 'MAX_CONNECTIONS' must be an integer, got 'many'/,
  );
  assert.match(check([{ name: 'ENABLE_CACHE', value: 'yes' }]) ?? '', /must be true or false/);
  assert.match(
    check([
      { name: 'path', value: 'a' },
      { name: 'path', value: 'b' },
    ]) ?? '',
    /params\[1\]\.name: 'path' is given twice/,
  );
  assert.match(check([{ name: 'path', value: 5 }]) ?? '', /params\[0\]\.value \(path\) must be a string, got number/);
  assert.match(check([{ name: '', value: 'x' }]) ?? '', /params\[0\]\.name is required/);
});
