// Fixtures for session tests: Stash objects in a test namespace, and running a session workflow the way the
// watcher starts it (same workflow type and id), on the harness's worker.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Harness } from './temporal.js';
import type { BackupConfiguration, BackupSession, Repository, RestoreSession, Task, StashFunction } from '../../api/types.js';
import { createObject, getObject } from '../../lib/objects.js';
import { backupSessionWorkflowId, restoreSessionWorkflowId, workflowTypes, type SessionRef } from '../../workflows/contracts.js';
import type { SessionResult } from '../../workflows/backup-session.js';
import { stackEnv } from './stack.js';

export const rand = () => randomUUID().slice(0, 8);

/** A storage Secret with a random RESTIC_PASSWORD (the test keeps it to grep for leaks). */
export async function createStorageSecret(h: Harness, namespace: string, name = 'repo-secret'): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  await h.kube.core.createNamespacedSecret({
    namespace,
    body: { metadata: { name }, stringData: { RESTIC_PASSWORD: password } },
  });
  return password;
}

/** A Repository on the stack's restic REST server, in a fresh path. */
export async function createRestRepository(
  h: Harness,
  namespace: string,
  name = 'repo',
  secret = 'repo-secret',
): Promise<Repository> {
  const body: Repository = {
    apiVersion: 'stash.appscode.com/v1alpha1',
    kind: 'Repository',
    metadata: { name, namespace },
    spec: { backend: { rest: { url: `${stackEnv('RESTIC_REST_URL')}/${namespace}-${name}` }, storageSecretName: secret } },
  };
  return createObject(h.kube, 'Repository', namespace, body);
}

export async function createClusterObject<T extends Task | StashFunction>(
  h: Harness,
  kind: 'Task' | 'Function',
  body: T,
): Promise<() => Promise<void>> {
  const r = { group: 'stash.appscode.com', version: 'v1beta1', plural: kind === 'Task' ? 'tasks' : 'functions' };
  await h.kube.custom.createClusterCustomObject({ ...r, body });
  return async () =>
    void (await h.kube.custom.deleteClusterCustomObject({ ...r, name: body.metadata.name }).catch(() => undefined));
}

export function backupConfiguration(
  namespace: string,
  name: string,
  spec: Partial<BackupConfiguration['spec']>,
): BackupConfiguration {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupConfiguration',
    metadata: { name, namespace },
    spec: {
      schedule: '*/5 * * * *',
      repository: { name: 'repo' },
      retentionPolicy: { name: 'keep-last-5', keepLast: 5, prune: true },
      ...spec,
    } as BackupConfiguration['spec'],
  };
}

export async function createBackupSession(
  h: Harness,
  namespace: string,
  config: string,
  name = `${config}-${rand()}`,
): Promise<SessionRef> {
  const s = await createObject<BackupSession>(h.kube, 'BackupSession', namespace, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'BackupSession',
    metadata: { name, namespace },
    spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: config } },
  });
  return { namespace, name, uid: s.metadata.uid! };
}

export async function createRestoreSession(
  h: Harness,
  namespace: string,
  name: string,
  spec: RestoreSession['spec'],
): Promise<SessionRef> {
  const s = await createObject<RestoreSession>(h.kube, 'RestoreSession', namespace, {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'RestoreSession',
    metadata: { name, namespace },
    spec,
  });
  return { namespace, name, uid: s.metadata.uid! };
}

/** Runs the session's workflow as the watcher would start it, and waits for its result. */
export function runBackupSession(h: Harness, ref: SessionRef): Promise<SessionResult> {
  return h.client.workflow.execute(workflowTypes.backupSession, {
    workflowId: backupSessionWorkflowId(ref),
    taskQueue: h.taskQueue,
    args: [ref],
    workflowExecutionTimeout: '10 minutes',
  });
}

export function runRestoreSession(h: Harness, ref: SessionRef): Promise<SessionResult> {
  return h.client.workflow.execute(workflowTypes.restoreSession, {
    workflowId: restoreSessionWorkflowId(ref),
    taskQueue: h.taskQueue,
    args: [ref],
    workflowExecutionTimeout: '10 minutes',
  });
}

export const getBackupSession = (h: Harness, ref: SessionRef) =>
  getObject<BackupSession>(h.kube, 'BackupSession', ref.namespace, ref.name);
export const getRestoreSession = (h: Harness, ref: SessionRef) =>
  getObject<RestoreSession>(h.kube, 'RestoreSession', ref.namespace, ref.name);

/** Events recorded on an object, as `kubectl describe` lists them. */
export async function eventsFor(
  h: Harness,
  namespace: string,
  name: string,
): Promise<Array<{ type: string; reason: string; message: string; count: number }>> {
  const list = await h.kube.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '', count: e.count ?? 1 }));
}
