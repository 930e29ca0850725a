// What a function leaves in its container's termination message (≤ 4 KiB JSON), read back by the workflow.
import type { HostBackupStats, HostRestoreStats } from './types.js';

export interface FunctionResult {
  phase?: 'Succeeded' | 'Failed';
  error?: string;
  /** a backup function's stats, as Stash records them in BackupSession status.targets[].stats[] */
  backup?: HostBackupStats;
  /** a restore function's stats, as in RestoreSession status.stats[] */
  restore?: HostRestoreStats;
  /** function-specific numbers (indices, docs, bytes, …) kept for logs and the Temporal UI */
  details?: Record<string, unknown>;
}
