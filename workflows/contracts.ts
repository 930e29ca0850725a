// What the watcher, the CLI and the workflows agree on: workflow types, ids derived from Kubernetes objects (so a
// duplicate start is a no-op), and inputs. Inputs carry references only — never secrets, never whole objects.

export const workflowTypes = {
  createBackupSession: 'createBackupSession',
  backupSession: 'backupSession',
  restoreSession: 'restoreSession',
} as const;

export interface ObjectRef {
  namespace: string;
  name: string;
}
export interface SessionRef extends ObjectRef {
  uid: string;
}

/** Input of the workflow each Schedule firing runs: create one BackupSession for the configuration. */
export interface CreateBackupSessionInput extends ObjectRef {
  /** set by `stashflow trigger`; a scheduled firing derives the session name from its scheduled time */
  sessionName?: string;
}

export const scheduleId = (ref: ObjectRef): string => `backup:${ref.namespace}/${ref.name}`;
export const backupSessionWorkflowId = (ref: SessionRef): string => `backupsession:${ref.namespace}/${ref.name}:${ref.uid}`;
export const restoreSessionWorkflowId = (ref: SessionRef): string => `restoresession:${ref.namespace}/${ref.name}:${ref.uid}`;

/** Stash names a scheduled BackupSession `<config>-<unix seconds>`; the same name for the same slot makes creation idempotent. */
export const backupSessionName = (config: string, scheduledAtMs: number): string =>
  `${config}-${Math.floor(scheduledAtMs / 1000)}`;

/** Workflow id prefix of a Schedule's runs; Temporal appends `-<scheduled time>` to it for each firing. */
export const createBackupSessionWorkflowIdPrefix = (ref: ObjectRef): string => `createbackupsession:${ref.namespace}/${ref.name}`;

/** What one firing did: `created` false means nothing was created, and `reason` says why. */
export interface CreateBackupSessionResult {
  sessionName: string;
  created: boolean;
  reason: 'Created' | 'AlreadyExists' | 'Paused' | 'NotFound' | 'Deleting';
  message: string;
}
