// PersistentVolume provisioner stand-in: a Pending claim without a volume gets a hostPath PV (pre-bound to the claim
// via claimRef, node affinity to this node) whose directory is $STACK_DIR/node-agent/pvc/<namespace>/<claim>;
// the real PV controller then binds them. When the claim is deleted, the PV and its directory are deleted.
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentConfig } from './config.js';
import { isConflict, isNotFound, type Json, type KubeApi } from './kube-api.js';
import { errMsg, log } from './log.js';
import { pvcDir } from './volumes.js';

const LABEL = 'stashflow.dev/provisioned-by';

export class PvcProvisioner {
  private informer: { stop: () => void } | undefined;
  private readonly claims = new Map<string, Json>();

  constructor(
    private readonly api: KubeApi,
    private readonly cfg: AgentConfig,
  ) {}

  start(): void {
    this.informer = this.api.informer(
      '/api/v1/persistentvolumeclaims',
      {},
      async (items) => {
        const seen = new Set(items.map((c) => c.metadata.uid as string));
        for (const [uid, c] of this.claims) if (!seen.has(uid)) await this.release(c);
        this.claims.clear();
        for (const c of items) {
          this.claims.set(c.metadata.uid as string, c);
          await this.provision(c);
        }
        await this.collectOrphans(seen);
      },
      (type, c) => {
        if (type === 'DELETED') {
          this.claims.delete(c.metadata.uid as string);
          void this.release(c);
        } else {
          this.claims.set(c.metadata.uid as string, c);
          void this.provision(c);
        }
      },
    );
  }

  private async provision(c: Json): Promise<void> {
    if (c.status?.phase !== 'Pending' || c.spec?.volumeName || c.spec?.selector || c.metadata?.deletionTimestamp) return;
    const ns = c.metadata.namespace as string;
    const name = c.metadata.name as string;
    const dir = pvcDir(this.cfg.dataDir, ns, name);
    mkdirSync(dir, { recursive: true });
    const pv: Json = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: `pvc-${c.metadata.uid}`,
        labels: { [LABEL]: 'node-agent' },
        annotations: { 'pv.kubernetes.io/provisioned-by': 'stashflow-node-agent' },
      },
      spec: {
        capacity: { storage: c.spec?.resources?.requests?.storage ?? '1Gi' },
        accessModes: c.spec?.accessModes?.length ? c.spec.accessModes : ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: c.spec?.storageClassName ?? '',
        volumeMode: c.spec?.volumeMode ?? 'Filesystem',
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: c.metadata.uid },
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [this.cfg.nodeName] }] }],
          },
        },
      },
    };
    try {
      await this.api.post('/api/v1/persistentvolumes', pv);
      log('provisioned PV for claim', { claim: `${ns}/${name}`, pv: pv.metadata.name, dir });
    } catch (err) {
      if (!isConflict(err)) log('PV provisioning failed', { claim: `${ns}/${name}`, err: errMsg(err) });
    }
  }

  private async release(c: Json): Promise<void> {
    const pvName = `pvc-${c.metadata.uid}`;
    try {
      const pv = await this.api.get(`/api/v1/persistentvolumes/${pvName}`);
      if (pv.metadata?.labels?.[LABEL] !== 'node-agent') return;
      await this.api.delete(`/api/v1/persistentvolumes/${pvName}`);
      const reused = [...this.claims.values()].some((o) => o.metadata.namespace === c.metadata.namespace && o.metadata.name === c.metadata.name);
      if (!reused) {
        const dir = pvcDir(this.cfg.dataDir, c.metadata.namespace as string, c.metadata.name as string);
        rmSync(dir, { recursive: true, force: true });
        try {
          rmdirSync(dirname(dir)); // the namespace's folder, when it was the last claim
        } catch {
          /* not empty */
        }
      }
      log('released PV of deleted claim', { claim: `${c.metadata.namespace}/${c.metadata.name}`, pv: pvName });
    } catch (err) {
      if (!isNotFound(err)) log('PV release failed', { pv: pvName, err: errMsg(err) });
    }
  }

  /** PVs we made whose claim no longer exists (e.g. deleted while the agent was down). */
  private async collectOrphans(liveClaims: Set<string>): Promise<void> {
    try {
      const list = await this.api.get<{ items: Json[] }>(`/api/v1/persistentvolumes?labelSelector=${encodeURIComponent(LABEL + '=node-agent')}`);
      for (const pv of list.items) {
        const ref = pv.spec?.claimRef as Json | undefined;
        if (ref && !liveClaims.has(ref.uid as string)) await this.release({ metadata: { uid: ref.uid, namespace: ref.namespace, name: ref.name } });
      }
    } catch (err) {
      log('orphan PV scan failed', { err: errMsg(err) });
    }
  }

  stop(): void {
    this.informer?.stop();
  }
}
