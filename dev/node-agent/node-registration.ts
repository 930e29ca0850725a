// Registers the Node object, keeps its Ready condition fresh and renews its Lease in kube-node-lease,
// as the kubelet does (so the node lifecycle controller keeps it Ready and untainted).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { AgentConfig } from './config.js';
import { isConflict, isNotFound, type Json, type KubeApi, microTime, rfc3339 } from './kube-api.js';
import { errMsg, log } from './log.js';

const LEASE_SECONDS = 40;
const LEASE_RENEW_MS = 10_000;
const STATUS_MS = 20_000;
export const AGENT_VERSION = 'stashflow-node-agent://0.1.0';

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

export class NodeRegistration {
  private timers: NodeJS.Timeout[] = [];
  private nodeUid = '';
  private kubeletVersion = 'v0.0.0';

  constructor(
    private readonly api: KubeApi,
    private readonly cfg: AgentConfig,
  ) {}

  private capacity(): Record<string, string> {
    return {
      cpu: String(os.cpus().length),
      memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
      pods: '110',
      'ephemeral-storage': '100Gi',
    };
  }

  private status(): Json {
    const now = rfc3339();
    const cond = (type: string, status: string, reason: string, message: string): Json => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: this.startedAt,
    });
    return {
      capacity: this.capacity(),
      allocatable: this.capacity(),
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'node agent has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'node agent has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'node agent has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'stashflow node agent is posting ready status'),
      ],
      // Only InternalIP: the apiserver prefers Hostname addresses, which would not match the serving cert's SAN.
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.cfg.port } },
      nodeInfo: {
        machineID: readOr('/etc/machine-id', 'stashflow'),
        systemUUID: readOr('/sys/class/dmi/id/product_uuid', 'stashflow'),
        bootID: readOr('/proc/sys/kernel/random/boot_id', 'stashflow'),
        kernelVersion: os.release(),
        osImage: 'stashflow local stack (host processes)',
        containerRuntimeVersion: AGENT_VERSION,
        kubeletVersion: this.kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
  }

  private readonly startedAt = rfc3339();

  async register(): Promise<void> {
    try {
      const v = await this.api.get<{ gitVersion: string }>('/version');
      this.kubeletVersion = v.gitVersion;
    } catch (err) {
      log('cannot read apiserver version', { err: errMsg(err) });
    }
    await this.createNode();
    await this.heartbeat();
    await this.renewLease();
    this.timers.push(setInterval(() => void this.heartbeat(), STATUS_MS));
    this.timers.push(setInterval(() => void this.renewLease(), LEASE_RENEW_MS));
  }

  private nodeObject(): Json {
    const name = this.cfg.nodeName;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
      },
      spec: {},
      status: this.status(),
    };
  }

  private async createNode(): Promise<void> {
    const name = this.cfg.nodeName;
    let created: Json;
    try {
      created = await this.api.post('/api/v1/nodes', this.nodeObject());
      log('node registered', { name });
    } catch (err) {
      if (!isConflict(err)) throw err;
      created = await this.api.get(`/api/v1/nodes/${name}`);
      log('node already registered', { name });
    }
    this.nodeUid = created.metadata.uid as string;
  }

  async heartbeat(): Promise<void> {
    try {
      await this.api.patch(`/api/v1/nodes/${this.cfg.nodeName}/status`, { status: this.status() }, 'strategic');
    } catch (err) {
      if (isNotFound(err)) {
        // the Node was deleted (or the control plane's store was reset): register again, as the kubelet does
        log('node object missing, registering again');
        await this.createNode().catch((e) => log('node re-registration failed', { err: errMsg(e) }));
        return;
      }
      log('node status update failed', { err: errMsg(err) });
    }
  }

  async renewLease(): Promise<void> {
    const name = this.cfg.nodeName;
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() };
    try {
      await this.api.patch(path, { spec }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) {
        log('lease renew failed', { err: errMsg(err) });
        return;
      }
      try {
        await this.api.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name,
            namespace: 'kube-node-lease',
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.nodeUid }],
          },
          spec,
        });
      } catch (e) {
        log('lease create failed', { err: errMsg(e) });
      }
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
