// The last word on a session whose workflow died without finishing it: Failed, with a condition that says why.
// Read fresh (not from the informer cache): the workflow may have written its final phase a moment ago.
import { finalBackupPhases, finalRestorePhases, type BackupSession, type RestoreSession } from '../api/types.js';
import type { KubeClients } from '../lib/kube.js';
import { getObject, patchStatus } from '../lib/objects.js';
import type { SessionRef } from '../workflows/contracts.js';

export async function failEndedSession(
  kube: KubeClients,
  kind: 'BackupSession' | 'RestoreSession',
  ref: SessionRef,
  message: string,
): Promise<void> {
  const obj = await getObject<BackupSession | RestoreSession>(kube, kind, ref.namespace, ref.name);
  if (!obj || obj.metadata.uid !== ref.uid) return;
  const finals: readonly string[] = kind === 'BackupSession' ? finalBackupPhases : finalRestorePhases;
  if (obj.status?.phase && finals.includes(obj.status.phase)) return;
  const now = new Date().toISOString();
  const conditions = (obj.status?.conditions ?? []).filter((c) => c.type !== 'SessionWorkflowCompleted');
  conditions.push({
    type: 'SessionWorkflowCompleted',
    status: 'False',
    reason: 'WorkflowEndedWithoutResult',
    message,
    lastTransitionTime: now,
  });
  await patchStatus(kube, kind, ref.namespace, ref.name, { phase: 'Failed', conditions });
}
