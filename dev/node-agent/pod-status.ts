// The status the node agent writes for a pod: phase, conditions, IPs, start time, container statuses.
import type { V1Pod } from '@kubernetes/client-node';
import { type Json, rfc3339 } from './kube-api.js';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface ContainerRecord {
  name: string;
  image: string;
  state: Json;
  lastState: Json;
  restartCount: number;
  ready: boolean;
  started: boolean;
  containerID?: string;
}

export const waiting = (reason: string, message?: string): Json => ({ waiting: message ? { reason, message } : { reason } });

export function newRecord(name: string, image: string, reason: string): ContainerRecord {
  return { name, image, state: waiting(reason), lastState: {}, restartCount: 0, ready: false, started: false };
}

export function exitCodeOf(r: ContainerRecord): number | undefined {
  return (r.state.terminated as Json | undefined)?.exitCode as number | undefined;
}

export const HOST_IP = '127.0.0.1';

/** Tracks when each condition last changed, as lastTransitionTime requires. */
export class Conditions {
  private readonly seen = new Map<string, { status: string; time: string }>();

  constructor(pod: V1Pod) {
    for (const c of pod.status?.conditions ?? []) {
      this.seen.set(c.type, { status: c.status, time: c.lastTransitionTime ? String(c.lastTransitionTime) : rfc3339() });
    }
  }

  make(type: string, ok: boolean, reason?: string, message?: string): Json {
    const status = ok ? 'True' : 'False';
    const prev = this.seen.get(type);
    const time = prev && prev.status === status ? prev.time : rfc3339();
    this.seen.set(type, { status, time });
    const c: Json = { type, status, lastProbeTime: null, lastTransitionTime: time };
    if (!ok && reason) c.reason = reason;
    if (!ok && message) c.message = message;
    return c;
  }
}

export interface StatusInput {
  phase: Phase;
  reason: string | undefined;
  message: string | undefined;
  startTime: string;
  sandboxReady: boolean;
  initialized: boolean;
  init: ContainerRecord[];
  containers: ContainerRecord[];
}

export function buildStatus(s: StatusInput, conds: Conditions): Json {
  const terminal = s.phase === 'Succeeded' || s.phase === 'Failed';
  const pendingInit = s.init.filter((c) => exitCodeOf(c) !== 0).map((c) => c.name);
  const notReady = s.containers.filter((c) => !c.ready).map((c) => c.name);
  const allReady = !terminal && notReady.length === 0 && s.initialized;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMsg = terminal ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
  const status: Json = {
    phase: s.phase,
    conditions: [
      conds.make('PodReadyToStartContainers', s.sandboxReady && !terminal),
      conds.make('Initialized', s.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInit.join(' ')}]`),
      conds.make('Ready', allReady, notReadyReason, notReadyMsg),
      conds.make('ContainersReady', allReady, notReadyReason, notReadyMsg),
      conds.make('PodScheduled', true),
    ],
    hostIP: HOST_IP,
    hostIPs: [{ ip: HOST_IP }],
    podIP: HOST_IP,
    podIPs: [{ ip: HOST_IP }],
    startTime: s.startTime,
    containerStatuses: s.containers.map(toApi),
    qosClass: undefined,
  };
  if (s.init.length) status.initContainerStatuses = s.init.map(toApi);
  status.reason = s.reason ?? null;
  status.message = s.message ?? null;
  delete status.qosClass;
  return status;
}

function toApi(r: ContainerRecord): Json {
  const o: Json = {
    name: r.name,
    image: r.image,
    imageID: '',
    state: r.state,
    lastState: r.lastState,
    ready: r.ready,
    restartCount: r.restartCount,
    started: r.started,
  };
  if (r.containerID) o.containerID = r.containerID;
  return o;
}
