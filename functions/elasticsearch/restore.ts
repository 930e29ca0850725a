// The restore function (what runs in a restore Job): restic restore of a snapshot (latest or an id) → load into
// Elasticsearch → result (termination message, and Stash's output.json with outputDir).
import { describeEsError } from './errors.js';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FunctionResult } from '../../api/results.js';
import * as restic from '../../lib/restic.js';
import { writeTerminationMessage } from '../termination.js';
import { parseEsArgs } from './args.js';
import { createClient, type EsConnection } from './connection.js';
import { SIDECAR_SUFFIX } from './layout.js';
import { loadDump, type LoadOptions, type LoadResult } from './load.js';
import { silentProgress, stdoutProgress } from './progress.js';
import { resolveTypes } from './selection.js';
import { formatDuration, writeStashOutput, type StashHostStats } from './stash-output.js';

export interface RestoreElasticsearchOptions {
  es: EsConnection;
  restic: restic.ResticRepo;
  /** where the snapshot is restored to (emptied first, removed after unless keepInterim) */
  interimDir: string;
  /** snapshot id, or 'latest' (default) */
  snapshot?: string;
  /** with 'latest': the newest snapshot of this host (Stash: --source-hostname, default host-0) */
  sourceHostname?: string;
  /** hostname reported in output.json */
  hostname?: string;
  esArgs?: string;
  load?: LoadOptions;
  outputDir?: string;
  terminationPath?: string | false;
  keepInterim?: boolean;
  progress?: boolean;
}

export interface RestoreElasticsearchResult {
  function: 'elasticsearch-restore';
  phase: 'Succeeded' | 'Failed';
  hostname: string;
  snapshotId?: string;
  indices: number;
  skippedIndices: number;
  docs: number;
  failedDocs: number;
  templates: number;
  durationMs: number;
  loadMs: number;
  docErrors?: LoadResult['errors'];
  ignoredArgs?: string[];
  error?: string;
}

/** Finds the dump directory inside a restic restore target: the snapshot path that is not our sidecar. */
export async function locateDump(target: string, snap: restic.Snapshot | undefined): Promise<string> {
  const paths = (snap?.paths ?? []).filter((p) => !p.endsWith(SIDECAR_SUFFIX));
  for (const p of paths) {
    const d = join(target, p);
    if ((await stat(d).catch(() => undefined))?.isDirectory()) return d;
  }
  throw new Error(`snapshot ${snap?.short_id ?? '?'} holds no dump directory (paths: ${(snap?.paths ?? []).join(', ')})`);
}

export async function restoreElasticsearch(opts: RestoreElasticsearchOptions): Promise<RestoreElasticsearchResult> {
  const t0 = Date.now();
  const result: RestoreElasticsearchResult = {
    function: 'elasticsearch-restore',
    phase: 'Failed',
    hostname: opts.hostname || 'host-0',
    indices: 0,
    skippedIndices: 0,
    docs: 0,
    failedDocs: 0,
    templates: 0,
    durationMs: 0,
    loadMs: 0,
  };
  const client = createClient(opts.es);
  try {
    const a = parseEsArgs(opts.esArgs);
    if (a.ignored.length) result.ignoredArgs = a.ignored;
    const wanted = opts.snapshot && opts.snapshot !== 'latest' ? opts.snapshot : 'latest';
    const host = opts.sourceHostname || 'host-0';
    const all = await restic.snapshots(opts.restic, wanted === 'latest' ? { host } : {});
    const snap =
      wanted === 'latest'
        ? all.sort((x, y) => (x.time < y.time ? -1 : 1)).at(-1)
        : all.find((s) => s.id === wanted || s.short_id === wanted || s.id.startsWith(wanted));
    if (!snap)
      throw new Error(wanted === 'latest' ? `no snapshot of host ${host} in the repository` : `snapshot ${wanted} not found`);
    result.snapshotId = snap.id;

    await rm(opts.interimDir, { recursive: true, force: true });
    await mkdir(opts.interimDir, { recursive: true });
    await restic.restore(opts.restic, snap.id, opts.interimDir);
    const dumpDir = await locateDump(opts.interimDir, snap);
    // files that are not multielasticdump's (Stash's meta.txt) are skipped by the loader

    const l = await loadDump(client, dumpDir, {
      ...opts.load,
      ...(a.match ? { match: a.match } : {}),
      ...(a.limit ? { maxBulkDocs: a.limit } : {}),
      types: opts.load?.types ?? resolveTypes({ ignoreType: a.ignoreType, includeType: a.includeType }),
      dumpId: snap.id,
      progress: opts.progress === false ? silentProgress : (opts.load?.progress ?? stdoutProgress()),
    });
    Object.assign(result, {
      indices: l.indices.length,
      skippedIndices: l.skipped,
      docs: l.docs,
      failedDocs: l.failed,
      templates: l.templates,
      loadMs: l.durationMs,
      ...(l.errors.length ? { docErrors: l.errors } : {}),
    });
    if (l.failed > 0) {
      const first = l.errors[0];
      throw new Error(
        `${l.failed} documents failed to load${first ? ` (first: ${first.index}/${first.id}: ${first.type}: ${first.reason})` : ''}`,
      );
    }
    result.phase = 'Succeeded';
  } catch (e) {
    result.error = describeEsError(e);
  } finally {
    await client.close();
    if (!opts.keepInterim) await rm(opts.interimDir, { recursive: true, force: true }).catch(() => undefined);
  }
  result.durationMs = Date.now() - t0;
  const stats: StashHostStats = {
    hostname: result.hostname,
    phase: result.phase,
    duration: formatDuration(result.durationMs),
    ...(result.error ? { error: result.error } : {}),
  };
  if (opts.outputDir) await writeStashOutput(opts.outputDir, { targetStatus: { stats: [stats] } });
  if (opts.terminationPath !== false) {
    // per-document errors can exceed the 4 KiB termination limit: the first one is in result.error already
    const details: Record<string, unknown> = { ...result };
    delete details.docErrors;
    const message: FunctionResult = {
      phase: result.phase,
      ...(result.error ? { error: result.error } : {}),
      restore: stats,
      details,
    };
    writeTerminationMessage(message, opts.terminationPath);
  }
  if (result.phase === 'Failed') throw Object.assign(new Error(result.error), { result });
  return result;
}
