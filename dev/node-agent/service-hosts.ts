// Service DNS stand-in: maps <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local and <svc>.<ns> to one address, in a
// managed block of /etc/hosts. The address, first match wins:
//   1. the annotation node-agent.stashflow.dev/address on the Service (local servers outside Kubernetes);
//   2. the first ready address of the Service's EndpointSlices;
//   3. 127.0.0.1 when a ready pod on this node matches the Service's selector (pods share the host network);
//   4. spec.externalName when it is an IPv4 literal;
// and default/kubernetes -> the apiserver's address (127.0.0.1; its port stays 6443, not the Service's 443).
// Why 1 and 3: the apiserver refuses loopback addresses in EndpointSlices/Endpoints ("may not be in the loopback
// range"), so local servers (127.0.0.x) and our pods (IP 127.0.0.1) never get endpoints.
// There is no kube-proxy: a client connects to the address directly, so the Service port must equal the server's.
import type { AgentConfig } from './config.js';
import { writeHostsBlock } from './hosts-file.js';
import type { Json, KubeApi } from './kube-api.js';
import { errMsg, log } from './log.js';

const key = (o: Json): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
export const ADDRESS_ANNOTATION = 'node-agent.stashflow.dev/address';
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export class ServiceHosts {
  private readonly services = new Map<string, Json>();
  private readonly slices = new Map<string, Json>();
  private readonly pods = new Map<string, Json>();
  private informers: { stop: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly api: KubeApi,
    private readonly cfg: AgentConfig,
  ) {}

  start(): void {
    const track = (store: Map<string, Json>) => ({
      sync: (items: Json[]): void => {
        store.clear();
        for (const i of items) store.set(key(i), i);
        this.schedule();
      },
      event: (type: string, obj: Json): void => {
        if (type === 'DELETED') store.delete(key(obj));
        else store.set(key(obj), obj);
        this.schedule();
      },
    });
    const s = track(this.services);
    const e = track(this.slices);
    const p = track(this.pods);
    this.informers.push(this.api.informer('/api/v1/services', {}, s.sync, s.event));
    this.informers.push(this.api.informer('/apis/discovery.k8s.io/v1/endpointslices', {}, e.sync, e.event));
    this.informers.push(this.api.informer('/api/v1/pods', { fieldSelector: `spec.nodeName=${this.cfg.nodeName}` }, p.sync, p.event));
  }

  /** Coalesce bursts of events into one rewrite. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, 100);
  }

  entries(): string[] {
    const firstReady = new Map<string, string>();
    const sorted = [...this.slices.values()].sort((a, b) => key(a).localeCompare(key(b)));
    for (const sl of sorted) {
      const svc = sl.metadata?.labels?.['kubernetes.io/service-name'] as string | undefined;
      if (!svc || sl.addressType !== 'IPv4') continue;
      const k = `${sl.metadata.namespace}/${svc}`;
      if (firstReady.has(k)) continue;
      for (const ep of (sl.endpoints ?? []) as Json[]) {
        if (ep.conditions?.ready === false) continue;
        const addr = (ep.addresses as string[] | undefined)?.[0];
        if (addr) {
          firstReady.set(k, addr);
          break;
        }
      }
    }
    const lines: string[] = [];
    for (const svc of [...this.services.values()].sort((a, b) => key(a).localeCompare(key(b)))) {
      const addr = this.addressOf(svc, firstReady.get(key(svc)));
      if (!addr) continue;
      const { name, namespace } = svc.metadata as { name: string; namespace: string };
      lines.push(`${addr} ${name}.${namespace}.svc ${name}.${namespace}.svc.cluster.local ${name}.${namespace}`);
    }
    return lines;
  }

  private addressOf(svc: Json, endpoint: string | undefined): string | undefined {
    // default/kubernetes: the apiserver (its own Endpoints would be 127.0.0.1, which validation refuses)
    if (svc.metadata?.namespace === 'default' && svc.metadata?.name === 'kubernetes') return this.cfg.apiserverHost;
    const annotated = svc.metadata?.annotations?.[ADDRESS_ANNOTATION] as string | undefined;
    if (annotated && IPV4.test(annotated.trim())) return annotated.trim();
    if (endpoint) return endpoint;
    const selector = svc.spec?.selector as Record<string, string> | undefined;
    if (selector && Object.keys(selector).length) {
      for (const pod of this.pods.values()) {
        if (pod.metadata?.namespace !== svc.metadata?.namespace || pod.metadata?.deletionTimestamp) continue;
        const labels = (pod.metadata?.labels ?? {}) as Record<string, string>;
        if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
        const ready = (pod.status?.conditions as Json[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready && pod.status?.podIP) return pod.status.podIP as string;
      }
    }
    const ext = svc.spec?.type === 'ExternalName' ? (svc.spec.externalName as string | undefined) : undefined;
    if (ext && IPV4.test(ext)) return ext;
    return undefined;
  }

  private write(): void {
    const lines = this.entries();
    const text = lines.join('\n');
    if (text === this.last) return;
    try {
      writeHostsBlock(this.cfg.hostsFile, lines);
      this.last = text;
      log('hosts block updated', { entries: lines.length });
    } catch (err) {
      log('hosts update failed', { err: errMsg(err) });
    }
  }

  stop(): void {
    for (const i of this.informers) i.stop();
    if (this.timer) clearTimeout(this.timer);
    try {
      writeHostsBlock(this.cfg.hostsFile, undefined);
    } catch (err) {
      log('hosts cleanup failed', { err: errMsg(err) });
    }
  }
}
