// The backup function (what runs in a backup Job): dump to the interim dir → restic backup (Stash's host, tags) →
// remove the interim data → result, written as termination message and, with outputDir, as Stash's output.json.
import { describeEsError } from './errors.js';
import { mkdir, rm } from 'node:fs/promises';
import type { FunctionResult } from '../../api/results.js';
import type { ManifestSummary } from '../../api/verification.js';
import * as restic from '../../lib/restic.js';
import { formatSeconds } from '../../lib/stash-format.js';
import { writeTerminationMessage } from '../termination.js';
import { parseEsArgs } from './args.js';
import { createClient, type EsConnection } from './connection.js';
import { dumpIndices, type DumpOptions } from './dump.js';
import { sidecarDir } from './layout.js';
import { summarizeManifest } from './manifest-checksum.js';
import { silentProgress, stdoutProgress } from './progress.js';
import { resolveTypes } from './selection.js';
import { formatBytes, formatDuration, writeStashOutput, type StashHostStats } from './stash-output.js';

export interface BackupElasticsearchOptions {
  es: EsConnection;
  restic: restic.ResticRepo;
  /** emptied first; the restic backup path (Stash: --interim-data-dir) */
  interimDir: string;
  /** restic --host; Stash's default is host-0 */
  hostname?: string;
  tags?: string[];
  /** Stash's `args` param: multielasticdump flags (--match, --ignoreType, --includeType, --parallel, --limit) */
  esArgs?: string;
  dump?: DumpOptions;
  retention?: restic.RetentionPolicy;
  /** run `restic init` when the repository does not exist (default true) */
  initRepository?: boolean;
  outputDir?: string;
  /** termination message path; false = do not write one */
  terminationPath?: string | false;
  keepInterim?: boolean;
  /** progress JSON lines on stdout (default true) */
  progress?: boolean;
}

export interface BackupElasticsearchResult {
  function: 'elasticsearch-backup';
  phase: 'Succeeded' | 'Failed';
  hostname: string;
  indices: number;
  docs: number;
  bytes: number;
  templates: number;
  durationMs: number;
  dumpMs: number;
  snapshotId?: string;
  dataAdded?: number;
  filesNew?: number;
  filesChanged?: number;
  filesUnmodified?: number;
  resticSize?: number;
  snapshotCount?: number;
  snapshotsRemoved?: number;
  ignoredArgs?: string[];
  indexNames?: string[];
  /** the dump's manifest in brief (a verification compares the snapshot against it) */
  manifest?: ManifestSummary;
  error?: string;
}

export async function backupElasticsearch(opts: BackupElasticsearchOptions): Promise<BackupElasticsearchResult> {
  const t0 = Date.now();
  const host = opts.hostname || 'host-0';
  const result: BackupElasticsearchResult = {
    function: 'elasticsearch-backup',
    phase: 'Failed',
    hostname: host,
    indices: 0,
    docs: 0,
    bytes: 0,
    templates: 0,
    durationMs: 0,
    dumpMs: 0,
  };
  const client = createClient(opts.es);
  const side = sidecarDir(opts.interimDir);
  try {
    const a = parseEsArgs(opts.esArgs);
    if (a.ignored.length) result.ignoredArgs = a.ignored;
    const dumpOpts: DumpOptions = {
      ...opts.dump,
      ...(a.match ? { match: a.match } : {}),
      ...(a.parallel ? { indexConcurrency: a.parallel } : {}),
      ...(a.limit ? { batchSize: a.limit } : {}),
      types: opts.dump?.types ?? resolveTypes({ ignoreType: a.ignoreType, includeType: a.includeType }),
      progress: opts.progress === false ? silentProgress : (opts.dump?.progress ?? stdoutProgress()),
    };
    // Stash empties the interim dir first: a previous run's files would otherwise be backed up again.
    await rm(opts.interimDir, { recursive: true, force: true });
    await rm(side, { recursive: true, force: true });
    await mkdir(opts.interimDir, { recursive: true });

    const dump = await dumpIndices(client, opts.interimDir, dumpOpts);
    Object.assign(result, {
      indices: dump.indices.length,
      docs: dump.docs,
      bytes: dump.bytes,
      templates: dump.templates,
      dumpMs: dump.durationMs,
      indexNames: dump.indices.map((i) => i.name),
      manifest: summarizeManifest(dump.indices),
    });

    if (opts.initRepository !== false) await restic.init(opts.restic);
    const summary = await restic.backup(opts.restic, [opts.interimDir, side], { host, tags: opts.tags });
    Object.assign(result, {
      snapshotId: summary.snapshotId,
      dataAdded: summary.dataAdded,
      filesNew: summary.filesNew,
      filesChanged: summary.filesChanged,
      filesUnmodified: summary.filesUnmodified,
    });
    if (opts.retention && restic.hasRetention(opts.retention)) {
      result.snapshotsRemoved = (await restic.forget(opts.restic, { host, ...opts.retention })).removed;
    }
    const st = await restic.stats(opts.restic);
    result.resticSize = st.totalSize;
    result.snapshotCount = st.snapshotsCount;
    result.phase = 'Succeeded';
  } catch (e) {
    result.error = describeEsError(e);
  } finally {
    await client.close();
    if (!opts.keepInterim) {
      await rm(opts.interimDir, { recursive: true, force: true }).catch(() => undefined);
      await rm(side, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  result.durationMs = Date.now() - t0;
  await report(opts, result);
  if (result.phase === 'Failed') throw Object.assign(new Error(result.error), { result });
  return result;
}

/** Stash's HostBackupStats for this run: what output.json and the termination message both carry. */
function hostStats(opts: BackupElasticsearchOptions, r: BackupElasticsearchResult): StashHostStats {
  return {
    hostname: r.hostname,
    phase: r.phase,
    duration: formatDuration(r.durationMs),
    ...(r.snapshotId
      ? {
          snapshots: [
            {
              name: r.snapshotId.slice(0, 8),
              path: opts.interimDir,
              totalSize: formatBytes(r.bytes),
              uploaded: formatBytes(r.dataAdded ?? 0),
              processingTime: formatSeconds((r.durationMs - r.dumpMs) / 1000), // Stash's m:ss
              fileStats: {
                totalFiles: (r.filesNew ?? 0) + (r.filesChanged ?? 0) + (r.filesUnmodified ?? 0),
                newFiles: r.filesNew ?? 0,
                modifiedFiles: r.filesChanged ?? 0,
                unmodifiedFiles: r.filesUnmodified ?? 0,
              },
            },
          ],
        }
      : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

async function report(opts: BackupElasticsearchOptions, r: BackupElasticsearchResult): Promise<void> {
  const stats = hostStats(opts, r);
  if (opts.outputDir) {
    await writeStashOutput(opts.outputDir, {
      targetStatus: { stats: [stats] },
      ...(r.resticSize !== undefined
        ? {
            repositoryStats: {
              size: formatBytes(r.resticSize),
              snapshotCount: r.snapshotCount ?? 0,
              snapshotsRemovedOnLastCleanup: r.snapshotsRemoved ?? 0,
            },
          }
        : {}),
    });
  }
  if (opts.terminationPath !== false) {
    // the index list can exceed the 4 KiB termination limit; the counts carry the meaning
    const details: Partial<BackupElasticsearchResult> = { ...r };
    delete details.indexNames;
    delete details.manifest;
    const message: FunctionResult = {
      phase: r.phase,
      ...(r.error ? { error: r.error } : {}),
      backup: stats,
      ...(r.manifest ? { manifest: r.manifest } : {}),
      details,
    };
    writeTerminationMessage(message, opts.terminationPath);
  }
}
