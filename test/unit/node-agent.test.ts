// Pure pieces of the node agent: $(VAR) expansion, image references -> images.json, the /etc/hosts block.
import { test } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { expand } from '../../dev/node-agent/expand.js';
import { ImageMap, imageCandidates } from '../../dev/node-agent/image-map.js';
import { BEGIN, END, withBlock } from '../../dev/node-agent/hosts-file.js';
import { repoRoot } from '../helpers/stack.js';

test('$(VAR) expansion follows the Kubernetes rules', () => {
  const vars = (n: string): string | undefined => ({ A: 'x', B: 'y' })[n];
  assert.equal(expand('$(A)-$(B)', vars), 'x-y');
  assert.equal(expand('$(MISSING)', vars), '$(MISSING)');
  assert.equal(expand('$$(A)', vars), '$(A)');
  assert.equal(expand('cost $5 $', vars), 'cost $5 $');
  assert.equal(expand('$(A', vars), '$(A');
});

test('image references map to host commands', () => {
  assert.deepEqual(imageCandidates('docker.io/library/busybox:1.36@sha256:abc'), [
    'docker.io/library/busybox',
    'library/busybox',
    'busybox',
  ]);
  const images = new ImageMap({ REPO: '/repo', STACK_DIR: '/stack' }, join(repoRoot, 'dev', 'node-agent', 'images.json'));
  const sf = images.resolve('ghcr.io/stashflow/stashflow:0.1.0');
  assert.ok(sf);
  assert.deepEqual(images.argv(sf, undefined, ['backup', '--x']), ['node', '/repo/dist/cli/main.js', 'backup', '--x']);
  assert.deepEqual(images.argv(sf, ['stashflow', 'restore'], undefined), ['node', '/repo/dist/cli/main.js', 'restore']);
  const bb = images.resolve('busybox');
  assert.ok(bb);
  assert.deepEqual(images.argv(bb, undefined, undefined), ['sh']);
  assert.deepEqual(images.argv(bb, ['echo'], ['hi']), ['echo', 'hi']);
  assert.equal(images.resolve('quay.io/unknown/image:1'), undefined);
});

test('the managed /etc/hosts block is replaced, not duplicated, and removed cleanly', () => {
  const base = '127.0.0.1 localhost\n';
  const one = withBlock(base, ['127.0.0.5 es.ns.svc']);
  assert.equal(one, `${base}${BEGIN}\n127.0.0.5 es.ns.svc\n${END}\n`);
  const two = withBlock(one, ['127.0.0.6 es.ns.svc']);
  assert.equal(two, `${base}${BEGIN}\n127.0.0.6 es.ns.svc\n${END}\n`);
  assert.equal(withBlock(two, undefined), base);
});
