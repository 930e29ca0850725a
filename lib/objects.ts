// Typed access to the Stash objects: get, create, merge-patch of status or metadata. Status writes are merge patches
// of the status subresource, so two writers never clobber each other's fields and a retried write is a no-op.
import * as k8s from '@kubernetes/client-node';
import { resources, type Kind } from '../api/types.js';
import { isNotFound, undefinedIfNotFound, type KubeClients } from './kube.js';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function coords(kind: Kind) {
  const r = resources[kind];
  return { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced };
}

export async function getObject<T>(
  kube: KubeClients,
  kind: Kind,
  namespace: string | undefined,
  name: string,
): Promise<T | undefined> {
  const c = coords(kind);
  return (await undefinedIfNotFound(
    c.namespaced
      ? kube.custom.getNamespacedCustomObject({ ...c, namespace: namespace ?? 'default', name })
      : kube.custom.getClusterCustomObject({ ...c, name }),
  )) as T | undefined;
}

export async function listObjects<T>(kube: KubeClients, kind: Kind, namespace: string, labelSelector?: string): Promise<T[]> {
  const c = coords(kind);
  const list = (await kube.custom.listNamespacedCustomObject({ ...c, namespace, labelSelector })) as { items: T[] };
  return list.items;
}

export async function createObject<T>(kube: KubeClients, kind: Kind, namespace: string, body: T): Promise<T> {
  const c = coords(kind);
  return (await kube.custom.createNamespacedCustomObject({ ...c, namespace, body: body as object })) as T;
}

export async function patchStatus(kube: KubeClients, kind: Kind, namespace: string, name: string, status: object): Promise<void> {
  const c = coords(kind);
  await kube.custom.patchNamespacedCustomObjectStatus({ ...c, namespace, name, body: { status } }, mergePatch);
}

export async function patchObject(kube: KubeClients, kind: Kind, namespace: string, name: string, body: object): Promise<void> {
  const c = coords(kind);
  await kube.custom.patchNamespacedCustomObject({ ...c, namespace, name, body }, mergePatch);
}

export async function deleteObject(kube: KubeClients, kind: Kind, namespace: string, name: string): Promise<void> {
  const c = coords(kind);
  try {
    await kube.custom.deleteNamespacedCustomObject({ ...c, namespace, name, propagationPolicy: 'Background' });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
