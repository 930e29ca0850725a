// lib/kube.ts reuseConnections(): client-node 1.4 builds a new https.Agent (TLS context + handshake) per request;
// ours hands out one keep-alive agent per connection settings. It patches a private method, so this test fails
// loudly if a client-node upgrade renames it (the watcher would silently be back to a handshake per request).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { reuseConnections } from '../../lib/kube.js';

function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const agentOf = async (kc: k8s.KubeConfig) => (await kc.applyToFetchOptions({})).agent as Agent;

test('client-node still builds its agent through the method reuseConnections replaces', () => {
  assert.equal(typeof (k8s.KubeConfig.prototype as unknown as { createAgent?: unknown }).createAgent, 'function');
});

test('without reuseConnections every request gets a new agent; with it, one keep-alive agent', async () => {
  const plain = kubeConfig('https://127.0.0.1:6443');
  assert.notEqual(await agentOf(plain), await agentOf(plain), 'client-node default: a new agent per request');

  const kc = reuseConnections(kubeConfig('https://127.0.0.1:6443'));
  const a = await agentOf(kc);
  assert.equal(await agentOf(kc), a);
  assert.equal((a as Agent & { keepAlive?: boolean }).keepAlive, true);
  assert.equal(reuseConnections(kc), kc, 'applying it twice changes nothing');
  assert.equal(await agentOf(kc), a);
});

test('other connection settings get their own agent', async () => {
  const one = reuseConnections(kubeConfig('https://127.0.0.1:6443'));
  const other = reuseConnections(kubeConfig('https://127.0.0.2:6443'));
  assert.notEqual(await agentOf(one), await agentOf(other));
});
