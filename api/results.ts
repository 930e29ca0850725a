// What a function leaves in its container's termination message (≤ 4 KiB JSON), read back by the workflow.
import type { HostBackupStats, HostRestoreStats } from './types.js';
import type { ManifestSummary, VerifyOutcome } from './verification.js';

export interface FunctionResult {
  phase?: 'Succeeded' | 'Failed';
  error?: string;
  /** a backup function's stats, as Stash records them in BackupSession status.targets[].stats[] */
  backup?: HostBackupStats;
  /** a restore function's stats, as in RestoreSession status.stats[] */
  restore?: HostRestoreStats;
  /** a backup function's dump in brief (index count, docs, combined checksum): what a verification must find */
  manifest?: ManifestSummary;
  /** a verify function's outcome (api/verification.ts) */
  verify?: VerifyOutcome;
  /** function-specific numbers (indices, docs, bytes, …) kept for logs and the Temporal UI */
  details?: Record<string, unknown>;
}
