// The dependency index (configuration → objects it read, and back) and the coalesced reads of what the watcher
// does not watch (Secrets, PVCs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesce, depKey, DependencyIndex } from '../../watcher/dependencies.js';

test('depKey: namespaced and cluster-scoped keys are the informer key prefixed by the kind', () => {
  assert.equal(depKey('Repository', 'ns', 'repo'), 'Repository:ns/repo');
  assert.equal(depKey('Task', undefined, 'elasticsearch-backup-8.2.0'), 'Task:elasticsearch-backup-8.2.0');
});

test('DependencyIndex: users of a dependency follow each configuration’s latest reconcile', () => {
  const ix = new DependencyIndex();
  const repo = depKey('Repository', 'ns', 'r');
  const task = depKey('Task', undefined, 't');
  const fn = depKey('Function', undefined, 'f');
  ix.set('ns/a', [repo, task, fn, fn]);
  ix.set('ns/b', [repo, task]);
  assert.deepEqual(ix.usersOf(repo).sort(), ['ns/a', 'ns/b']);
  assert.deepEqual(ix.usersOf(fn), ['ns/a']);
  assert.deepEqual(ix.dependenciesOf('ns/a'), [repo, task, fn], 'duplicates are recorded once');

  // a changed spec: b now uses another Repository; the old one no longer lists it
  const other = depKey('Repository', 'ns', 'other');
  ix.set('ns/b', [other, task]);
  assert.deepEqual(ix.usersOf(repo), ['ns/a']);
  assert.deepEqual(ix.usersOf(other), ['ns/b']);

  // a deleted configuration is forgotten everywhere
  ix.delete('ns/a');
  assert.deepEqual(ix.usersOf(repo), []);
  assert.deepEqual(ix.usersOf(fn), []);
  assert.deepEqual(ix.usersOf(task), ['ns/b']);
  assert.equal(ix.size, 1);
  assert.deepEqual(ix.usersOf(depKey('AppBinding', 'ns', 'never')), []);
});

test('coalesce: concurrent reads share one call, results live ttlMs, errors are not kept', async () => {
  let calls = 0;
  let fail = false;
  const read = coalesce(async (ns: string, name: string) => {
    calls++;
    await new Promise((r) => setTimeout(r, 10));
    if (fail) throw new Error('boom');
    return `${ns}/${name}#${calls}`;
  }, 50);
  const got = await Promise.all(Array.from({ length: 100 }, () => read('ns', 's')));
  assert.equal(calls, 1, '100 concurrent reads of one key: one call');
  assert.ok(got.every((g) => g === 'ns/s#1'));
  assert.equal(await read('ns', 's'), 'ns/s#1', 'within ttl: the kept result');
  assert.equal(await read('ns', 'other'), 'ns/other#2', 'another key: its own call');
  await new Promise((r) => setTimeout(r, 70));
  fail = true;
  await assert.rejects(read('ns', 's'), /boom/);
  fail = false;
  assert.equal(await read('ns', 's'), 'ns/s#4', 'after an error the next call reads again');
});
