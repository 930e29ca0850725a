// Pod volumes as host directories under $STACK_DIR/node-agent: emptyDir per pod, persistentVolumeClaim per claim
// (the bound PV's hostPath), secret / configMap / downwardAPI / projected (incl. serviceAccountToken from the
// TokenRequest API) written as files, hostPath as is. Containers get them bind-mounted (see container-process.ts).
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { V1KeyToPath, V1Pod, V1Volume, V1VolumeProjection } from '@kubernetes/client-node';
import { ConfigError, type ObjectReader, podField, resourceField } from './env-resolver.js';
import { isNotFound, type Json, type KubeApi } from './kube-api.js';

export interface PreparedVolume {
  hostPath: string;
  /** secret, configMap, downwardAPI and projected volumes are always read-only (as with the kubelet). */
  forceReadOnly: boolean;
}

export interface PreparedVolumes {
  volumes: Map<string, PreparedVolume>;
  /** seconds until the shortest-lived service account token should be refreshed (undefined: no token). */
  refreshAfterSeconds: number | undefined;
}

export function pvcDir(dataDir: string, namespace: string, claim: string): string {
  return join(dataDir, 'pvc', namespace, claim);
}

function writeFile(dir: string, rel: string, data: Buffer | string, mode: number | undefined): void {
  const target = normalize(join(dir, rel));
  if (!target.startsWith(dir + '/')) throw new ConfigError(`volume item path ${rel} escapes the volume`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, data);
  chmodSync(target, mode ?? 0o644);
}

function writeKeys(
  dir: string,
  data: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number | undefined,
  what: string,
  optional: boolean,
): void {
  if (items && items.length) {
    for (const it of items) {
      const v = data[it.key];
      if (v === undefined) {
        if (optional) continue;
        throw new ConfigError(`key "${it.key}" not found in ${what}`);
      }
      writeFile(dir, it.path, v, it.mode ?? defaultMode);
    }
  } else {
    for (const [k, v] of Object.entries(data)) writeFile(dir, k, v, defaultMode);
  }
}

export class VolumeManager {
  constructor(
    private readonly api: KubeApi,
    private readonly reader: ObjectReader,
    private readonly dataDir: string,
    private readonly node: { cpu: number; memory: number },
  ) {}

  podDir(uid: string): string {
    return join(this.dataDir, 'pods', uid);
  }

  async prepare(pod: V1Pod): Promise<PreparedVolumes> {
    const uid = pod.metadata?.uid ?? '';
    const out = new Map<string, PreparedVolume>();
    let refresh: number | undefined;
    for (const v of pod.spec?.volumes ?? []) {
      const r = await this.prepareOne(pod, v, join(this.podDir(uid), 'volumes', v.name));
      out.set(v.name, r.volume);
      if (r.refresh !== undefined) refresh = refresh === undefined ? r.refresh : Math.min(refresh, r.refresh);
    }
    return { volumes: out, refreshAfterSeconds: refresh };
  }

  private async prepareOne(pod: V1Pod, v: V1Volume, dir: string): Promise<{ volume: PreparedVolume; refresh?: number }> {
    const ns = pod.metadata?.namespace ?? 'default';
    if (v.emptyDir) {
      mkdirSync(dir, { recursive: true });
      return { volume: { hostPath: dir, forceReadOnly: false } };
    }
    if (v.hostPath) {
      if (v.hostPath.type === 'DirectoryOrCreate' || !v.hostPath.type) mkdirSync(v.hostPath.path, { recursive: true });
      return { volume: { hostPath: v.hostPath.path, forceReadOnly: false } };
    }
    if (v.persistentVolumeClaim) {
      return { volume: { hostPath: await this.claimPath(ns, v.persistentVolumeClaim.claimName), forceReadOnly: !!v.persistentVolumeClaim.readOnly } };
    }
    if (v.secret || v.configMap) {
      const kind = v.secret ? 'secret' : 'configmap';
      const name = (v.secret ? v.secret.secretName : v.configMap?.name) ?? '';
      const src = (v.secret ?? v.configMap)!;
      const data = await this.reader.data(kind, ns, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      if (!data) {
        if (!src.optional) throw new ConfigError(`${kind} "${name}" not found`);
      } else {
        writeKeys(dir, data, src.items, src.defaultMode, `${kind} "${name}"`, !!src.optional);
      }
      return { volume: { hostPath: dir, forceReadOnly: true } };
    }
    if (v.downwardAPI) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      this.writeDownward(pod, dir, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode);
      return { volume: { hostPath: dir, forceReadOnly: true } };
    }
    if (v.projected) {
      const tmp = `${dir}.new`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      let refresh: number | undefined;
      for (const s of v.projected.sources ?? []) {
        const r = await this.writeProjection(pod, tmp, s, v.projected.defaultMode);
        if (r !== undefined) refresh = refresh === undefined ? r : Math.min(refresh, r);
      }
      // Replace the contents in place: the directory itself may be bind-mounted into a running container.
      mkdirSync(dir, { recursive: true });
      await copyTree(tmp, dir);
      rmSync(tmp, { recursive: true, force: true });
      return refresh === undefined ? { volume: { hostPath: dir, forceReadOnly: true } } : { volume: { hostPath: dir, forceReadOnly: true }, refresh };
    }
    throw new ConfigError(`volume ${v.name}: unsupported volume type (supported: emptyDir, hostPath, persistentVolumeClaim, secret, configMap, downwardAPI, projected)`);
  }

  private writeDownward(pod: V1Pod, dir: string, items: { path: string; fieldRef?: { fieldPath: string }; resourceFieldRef?: { containerName?: string; resource: string; divisor?: unknown }; mode?: number }[], defaultMode: number | undefined): void {
    for (const it of items) {
      let value = '';
      if (it.fieldRef) value = podField(pod, it.fieldRef.fieldPath, '127.0.0.1');
      else if (it.resourceFieldRef) {
        const c = pod.spec?.containers.find((x) => x.name === it.resourceFieldRef?.containerName) ?? pod.spec?.containers[0];
        if (c) value = resourceField(c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor as string | undefined, this.node.cpu, this.node.memory);
      }
      writeFile(dir, it.path, value, it.mode ?? defaultMode);
    }
  }

  private async writeProjection(pod: V1Pod, dir: string, s: V1VolumeProjection, defaultMode: number | undefined): Promise<number | undefined> {
    const ns = pod.metadata?.namespace ?? 'default';
    if (s.secret || s.configMap) {
      const kind = s.secret ? 'secret' : 'configmap';
      const src = (s.secret ?? s.configMap)!;
      const data = await this.reader.data(kind, ns, src.name ?? '');
      if (!data) {
        if (src.optional) return undefined;
        throw new ConfigError(`${kind} "${src.name}" not found`);
      }
      writeKeys(dir, data, src.items, defaultMode, `${kind} "${src.name}"`, !!src.optional);
      return undefined;
    }
    if (s.downwardAPI) {
      this.writeDownward(pod, dir, s.downwardAPI.items ?? [], defaultMode);
      return undefined;
    }
    if (s.serviceAccountToken) {
      const sa = pod.spec?.serviceAccountName ?? 'default';
      const expirationSeconds = s.serviceAccountToken.expirationSeconds ?? 3600;
      const spec: Json = {
        expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
      };
      if (s.serviceAccountToken.audience) spec.audiences = [s.serviceAccountToken.audience];
      const tr = await this.api.post(`/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec,
      });
      writeFile(dir, s.serviceAccountToken.path, String(tr.status?.token ?? ''), defaultMode ?? 0o644);
      return Math.floor(expirationSeconds * 0.8);
    }
    if (s.clusterTrustBundle) throw new ConfigError('clusterTrustBundle projections are not supported by the node agent');
    return undefined;
  }

  private async claimPath(ns: string, claim: string): Promise<string> {
    let pvc: Json;
    try {
      pvc = await this.api.get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claim}`);
    } catch (err) {
      if (isNotFound(err)) throw new ConfigError(`persistentvolumeclaim "${claim}" not found`);
      throw err;
    }
    if (pvc.status?.phase !== 'Bound' || !pvc.spec?.volumeName) throw new ConfigError(`persistentvolumeclaim "${claim}" is not bound yet`);
    const pv = await this.api.get(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
    const path = (pv.spec?.hostPath?.path ?? pv.spec?.local?.path) as string | undefined;
    const dir = path ?? pvcDir(this.dataDir, ns, claim);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  cleanup(uid: string): void {
    rmSync(this.podDir(uid), { recursive: true, force: true });
  }
}

async function copyTree(from: string, to: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(from, to, { recursive: true, force: true });
}
