// Stash's output.json (what its `update-status` step reads): BackupOutput / RestoreOutput with one host entry.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const OUTPUT_FILE = 'output.json';

export interface StashSnapshotStats {
  name: string;
  path: string;
  totalSize: string;
  uploaded: string;
  processingTime: string;
  fileStats: { totalFiles: number; newFiles: number; modifiedFiles: number; unmodifiedFiles: number };
}

export interface StashHostStats {
  hostname: string;
  phase: 'Succeeded' | 'Failed';
  snapshots?: StashSnapshotStats[];
  duration: string;
  error?: string;
}

export interface StashOutput {
  targetStatus: { ref?: { apiVersion?: string; kind?: string; name?: string; namespace?: string }; stats: StashHostStats[] };
  repositoryStats?: { integrity?: boolean; size?: string; snapshotCount?: number; snapshotsRemovedOnLastCleanup?: number };
}

/** restic-style size text, e.g. "1.234 MiB" (Stash copies restic's formatted sizes). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(3)} ${units[u]}`;
}

/** Go time.Duration text as Stash prints it, e.g. "1m2.5s", "850ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const m = Math.floor(ms / 60_000);
  const s = +((ms % 60_000) / 1000).toFixed(3);
  return m ? `${m}m${s}s` : `${s}s`;
}

export async function writeStashOutput(outputDir: string, out: StashOutput): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const path = join(outputDir, OUTPUT_FILE);
  await writeFile(path, JSON.stringify(out, null, 2) + '\n');
  return path;
}
