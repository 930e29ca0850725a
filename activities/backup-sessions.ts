// createBackupSession: the one side effect of a Schedule firing. Idempotent: the session name derives from the
// firing, and AlreadyExists is success, so a retried activity (or a re-run firing) leaves exactly one BackupSession.
import { createBackupSessionFor } from '../lib/backup-sessions.js';
import type { KubeClients } from '../lib/kube.js';
import type { CreateBackupSessionResult } from '../workflows/contracts.js';

export interface CreateBackupSessionRequest {
  namespace: string;
  name: string;
  sessionName: string;
}

export function createBackupSessionActivities(kube: KubeClients) {
  return {
    async createBackupSession(req: CreateBackupSessionRequest): Promise<CreateBackupSessionResult> {
      return createBackupSessionFor(kube, { namespace: req.namespace, name: req.name }, req.sessionName);
    },
  };
}
