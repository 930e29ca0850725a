// Creating a BackupSession for a BackupConfiguration, as Stash does: invoker {stash.appscode.com, BackupConfiguration,
// name}, the configuration as controlling owner, the configuration's labels plus Stash's invoker/target labels, and
// retryLeft from spec.retryConfig.maxRetry. Shared by the createBackupSession activity and `stashflow trigger`.
// AlreadyExists is success: the name derives from the firing, so a retried creation yields the same one session.
import { resources, STASH_GROUP, type BackupConfiguration, type BackupSession } from '../api/types.js';
import type { CreateBackupSessionResult } from '../workflows/contracts.js';
import { isAlreadyExists, undefinedIfNotFound, type KubeClients } from './kube.js';

export const LABEL_INVOKER_TYPE = 'stash.appscode.com/invoker-type';
export const LABEL_INVOKER_NAME = 'stash.appscode.com/invoker-name';
export const LABEL_TARGET_KIND = 'stash.appscode.com/target-kind';
export const LABEL_TARGET_NAME = 'stash.appscode.com/target-name';
export const LABEL_TARGET_NAMESPACE = 'stash.appscode.com/target-namespace';

const BC = resources.BackupConfiguration;
const BS = resources.BackupSession;

export function buildBackupSession(bc: BackupConfiguration, name: string): BackupSession {
  const ns = bc.metadata.namespace!;
  const labels: Record<string, string> = {
    ...bc.metadata.labels,
    [LABEL_INVOKER_TYPE]: 'BackupConfiguration',
    [LABEL_INVOKER_NAME]: bc.metadata.name,
  };
  const target = bc.spec.target?.ref;
  if (target) {
    labels[LABEL_TARGET_KIND] = target.kind;
    labels[LABEL_TARGET_NAME] = target.name;
    labels[LABEL_TARGET_NAMESPACE] = target.namespace || ns;
  }
  const session: BackupSession = {
    apiVersion: `${BS.group}/${BS.version}`,
    kind: 'BackupSession',
    metadata: {
      name,
      namespace: ns,
      labels,
      ownerReferences: [
        {
          apiVersion: `${BC.group}/${BC.version}`,
          kind: 'BackupConfiguration',
          name: bc.metadata.name,
          uid: bc.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { invoker: { apiGroup: STASH_GROUP, kind: 'BackupConfiguration', name: bc.metadata.name } },
  };
  if (bc.spec.retryConfig?.maxRetry !== undefined) session.spec.retryLeft = bc.spec.retryConfig.maxRetry;
  return session;
}

export async function getBackupConfiguration(
  kube: KubeClients,
  namespace: string,
  name: string,
): Promise<BackupConfiguration | undefined> {
  return (await undefinedIfNotFound(
    kube.custom.getNamespacedCustomObject({ group: BC.group, version: BC.version, plural: BC.plural, namespace, name }),
  )) as BackupConfiguration | undefined;
}

export interface CreateOptions {
  /** create even when spec.paused (an explicit trigger); a scheduled firing respects the pause */
  ignorePaused?: boolean;
}

export async function createBackupSessionFor(
  kube: KubeClients,
  ref: { namespace: string; name: string },
  sessionName: string,
  opts: CreateOptions = {},
): Promise<CreateBackupSessionResult> {
  const id = `BackupConfiguration ${ref.namespace}/${ref.name}`;
  const bc = await getBackupConfiguration(kube, ref.namespace, ref.name);
  if (!bc) return { sessionName, created: false, reason: 'NotFound', message: `${id} not found; no BackupSession created` };
  if (bc.metadata.deletionTimestamp)
    return { sessionName, created: false, reason: 'Deleting', message: `${id} is being deleted; no BackupSession created` };
  if (bc.spec.paused && !opts.ignorePaused)
    return { sessionName, created: false, reason: 'Paused', message: `${id} is paused (spec.paused); no BackupSession created` };
  try {
    await kube.custom.createNamespacedCustomObject({
      group: BS.group,
      version: BS.version,
      plural: BS.plural,
      namespace: ref.namespace,
      body: buildBackupSession(bc, sessionName),
    });
    return { sessionName, created: true, reason: 'Created', message: `BackupSession ${ref.namespace}/${sessionName} created` };
  } catch (err) {
    if (isAlreadyExists(err))
      return {
        sessionName,
        created: false,
        reason: 'AlreadyExists',
        message: `BackupSession ${ref.namespace}/${sessionName} already exists`,
      };
    throw err;
  }
}
