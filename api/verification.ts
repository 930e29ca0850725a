// Verified backups (opt-in): the annotation that turns them on, the condition they set, and what the backup and
// verify functions report about the data so the workflow can compare. Pure: shared by workflows and functions.

/** On a BackupConfiguration: "true" → after each successful backup, restore it into scratch indices and compare. */
export const VERIFY_BACKUP_ANNOTATION = 'stashflow.dev/verify-backup';

/** BackupSession condition type set by a verification (True: every index matched; False: names what did not). */
export const BACKUP_VERIFIED_CONDITION = 'BackupVerified';

/** What a dump held, in a few bytes: index count, documents, and one checksum over every index's checksum. */
export interface ManifestSummary {
  indices: number;
  docs: number;
  checksum: string;
}

export interface IndexVerification {
  index: string;
  /** from the snapshot's manifest */
  expected: { docs: number; checksum?: string };
  /** from the scratch index the snapshot was restored into; absent when it could not be restored */
  actual?: { docs: number; checksum: string };
  ok: boolean;
  /** why not ok */
  reason?: string;
}

/** A verify function's outcome (its termination message keeps only the indices that failed, see compactVerify). */
export interface VerifyOutcome {
  verified: boolean;
  snapshot?: string;
  indices: IndexVerification[];
  /** indices the outcome holds fewer of than were checked (the termination message is capped at 4 KiB) */
  omitted?: number;
  /** what stopped the verification before it compared (no manifest, restic failed, ...) */
  error?: string;
}

export const isVerifyAnnotated = (annotations: Record<string, string> | undefined): boolean =>
  (annotations?.[VERIFY_BACKUP_ANNOTATION] ?? '').toLowerCase() === 'true';
