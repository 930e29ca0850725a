// core/v1 Events on the objects the watcher reconciles (what `kubectl describe` shows). Deduplicated like client-go's
// recorder: the event name derives from object uid + reason + message, and a repeat bumps count/lastTimestamp.
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { isAlreadyExists, type KubeClients } from '../lib/kube.js';

export const EVENT_SOURCE = 'stashflow-watcher';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export async function recordEvent(
  kube: KubeClients,
  obj: EventTarget,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  const ns = obj.metadata.namespace ?? 'default';
  const hash = createHash('sha256').update(`${obj.metadata.uid}|${type}|${reason}|${message}`).digest('hex').slice(0, 16);
  const name = `${obj.metadata.name}.${hash}`.slice(0, 253);
  const now = new Date();
  const body: k8s.CoreV1Event = {
    metadata: { name, namespace: ns },
    involvedObject: {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: ns,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    },
    type,
    reason,
    message,
    source: { component: EVENT_SOURCE },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  try {
    await kube.core.createNamespacedEvent({ namespace: ns, body });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const old = await kube.core.readNamespacedEvent({ name, namespace: ns });
    await kube.core.patchNamespacedEvent(
      { name, namespace: ns, body: { count: (old.count ?? 1) + 1, lastTimestamp: now.toISOString() } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
}
