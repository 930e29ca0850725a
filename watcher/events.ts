// core/v1 Events on the objects the watcher reconciles (what `kubectl describe` shows), through the shared recorder
// in activities/events.ts (deduplicated by uid + reason + message: a repeat bumps count and lastTimestamp).
import { createEventRecorder, type EventRecorder } from '../activities/events.js';
import type { KubeClients } from '../lib/kube.js';

export const EVENT_SOURCE = 'stashflow-watcher';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string };
}

const recorders = new WeakMap<KubeClients, EventRecorder>();

export async function recordEvent(
  kube: KubeClients,
  obj: EventTarget,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  let r = recorders.get(kube);
  if (!r) recorders.set(kube, (r = createEventRecorder(kube, EVENT_SOURCE)));
  await r.record(
    {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid ?? '',
    },
    type,
    reason,
    message,
  );
}
