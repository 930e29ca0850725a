// A container's environment: envFrom (secretRef/configMapRef, prefix) then env (value with $(VAR) expansion,
// valueFrom secretKeyRef/configMapKeyRef/fieldRef/resourceFieldRef), as the kubelet builds it.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { expand } from './expand.js';
import { isNotFound, type Json, type KubeApi } from './kube-api.js';

/** A missing Secret/ConfigMap/key that is not optional: the kubelet reports CreateContainerConfigError and retries. */
export class ConfigError extends Error {}

export class ObjectReader {
  constructor(private readonly api: KubeApi) {}

  /** data of a Secret (base64-decoded) or ConfigMap (data + binaryData); undefined when it does not exist. */
  async data(kind: 'secret' | 'configmap', namespace: string, name: string): Promise<Record<string, Buffer> | undefined> {
    const path = `/api/v1/namespaces/${namespace}/${kind === 'secret' ? 'secrets' : 'configmaps'}/${name}`;
    let obj: Json;
    try {
      obj = await this.api.get(path);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const out: Record<string, Buffer> = {};
    if (kind === 'secret') {
      for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
    } else {
      for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'utf8');
      for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
    }
    return out;
  }
}

/** metadata.name, metadata.labels['x'], status.podIP ... (the fields the downward API allows). */
export function podField(pod: V1Pod, path: string, hostIP: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) {
    const map = (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return map[m[2] as string] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return Object.entries(pod.metadata?.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'metadata.annotations':
      return Object.entries(pod.metadata?.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.hostIP':
      return hostIP;
    case 'status.podIPs':
    case 'status.hostIPs':
      return hostIP;
    default:
      throw new ConfigError(`unsupported fieldRef ${path}`);
  }
}

/** resourceFieldRef: limits.cpu etc. Without a limit the kubelet reports node allocatable; we do the same roughly. */
export function resourceField(container: V1Container, resource: string, divisor: string | undefined, nodeCpu: number, nodeMem: number): string {
  const [kind, res] = resource.split('.') as [string, string];
  const spec = (kind === 'limits' ? container.resources?.limits : container.resources?.requests) as Record<string, string> | undefined;
  const raw = spec?.[res];
  const quantity = raw !== undefined ? parseQuantity(raw) : res === 'cpu' ? (kind === 'limits' ? nodeCpu : 0) : kind === 'limits' ? nodeMem : 0;
  const div = divisor ? parseQuantity(divisor) : 1;
  return String(Math.ceil(quantity / (div || 1)));
}

export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m) return Number(q) || 0;
  const n = Number(m[1]);
  const units: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  };
  return n * (units[m[2] ?? ''] ?? 1);
}

export async function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  reader: ObjectReader,
  base: Record<string, string>,
  hostIP: string,
  node: { cpu: number; memory: number },
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  const cache = new Map<string, Record<string, Buffer> | undefined>();
  const fetch = async (kind: 'secret' | 'configmap', name: string): Promise<Record<string, Buffer> | undefined> => {
    const key = `${kind}/${name}`;
    if (!cache.has(key)) cache.set(key, await reader.data(kind, ns, name));
    return cache.get(key);
  };

  for (const src of container.envFrom ?? []) {
    const ref = src.secretRef ?? src.configMapRef;
    if (!ref) continue;
    const kind = src.secretRef ? 'secret' : 'configmap';
    const data = await fetch(kind, ref.name ?? '');
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env[(src.prefix ?? '') + k] = v.toString('utf8');
  }

  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined || e.valueFrom === null) {
      // $(VAR) refers to variables defined earlier in this container's env (and the service variables).
      env[e.name] = expand(e.value ?? '', (n) => env[n] ?? base[n]);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.secretKeyRef || vf.configMapKeyRef) {
      const ref = (vf.secretKeyRef ?? vf.configMapKeyRef)!;
      const kind = vf.secretKeyRef ? 'secret' : 'configmap';
      const data = await fetch(kind, ref.name ?? '');
      const v = data?.[ref.key];
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ConfigError(data ? `key "${ref.key}" not found in ${kind} "${ref.name}"` : `${kind} "${ref.name}" not found`);
      }
      env[e.name] = v.toString('utf8');
    } else if (vf.fieldRef) {
      env[e.name] = podField(pod, vf.fieldRef.fieldPath, hostIP);
    } else if (vf.resourceFieldRef) {
      env[e.name] = resourceField(container, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor as string | undefined, node.cpu, node.memory);
    }
  }
  return { ...base, ...env };
}
