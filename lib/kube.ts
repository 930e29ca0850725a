// One place that builds Kubernetes clients: from KUBECONFIG when set, else in-cluster (a Job's pod).
import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import * as k8s from '@kubernetes/client-node';

export interface KubeClients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
}

export function loadKubeConfig(kubeconfig: string | undefined = process.env.KUBECONFIG): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

type CreateAgent = (cluster: k8s.Cluster | null, options: Record<string, unknown>) => Agent;
const reusing = new WeakSet<k8s.KubeConfig>();

/**
 * client-node 1.4 builds a new https.Agent for every request: a new TLS context (CA and key parsed again) and a new
 * TLS handshake each time, no connection reuse. Profiled, that was most of the watcher's CPU at hundreds of
 * BackupConfigurations. This hands out one keep-alive agent per distinct set of options (hashed: key material and
 * passphrase are never kept as map keys); new options (a rotated client certificate) get a new agent.
 */
export function reuseConnections(kc: k8s.KubeConfig): k8s.KubeConfig {
  const target = kc as unknown as { createAgent?: CreateAgent };
  if (reusing.has(kc) || typeof target.createAgent !== 'function') return kc;
  const create = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    const h = createHash('sha256').update(`${cluster?.server ?? ''}|${cluster?.proxyUrl ?? ''}`);
    for (const k of Object.keys(options).sort()) {
      const v = options[k];
      if (v === undefined) continue;
      h.update(`|${k}=`);
      h.update(Buffer.isBuffer(v) ? v : typeof v === 'string' ? v : JSON.stringify(v));
    }
    const key = h.digest('hex');
    let agent = agents.get(key);
    if (!agent) {
      if (agents.size >= 8) agents.clear(); // rotated credentials: drop old agents (their sockets close when idle)
      agent = create(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  reusing.add(kc);
  return kc;
}

export function createKubeClients(kc: k8s.KubeConfig = loadKubeConfig()): KubeClients {
  reuseConnections(kc);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
  };
}

/** HTTP status of a client-node error, or undefined when it is not an API error. */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  for (const v of [e?.code, e?.statusCode, e?.response?.statusCode]) if (typeof v === 'number') return v;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isAlreadyExists = (err: unknown): boolean => statusCode(err) === 409;

/** The object a GET resolves to, or undefined when the apiserver answers 404; every other error is thrown. */
export async function undefinedIfNotFound<T>(get: Promise<T>): Promise<T | undefined> {
  try {
    return await get;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
