// The `dir` function: backs directories up with restic and restores them, reporting like a Stash addon —
// HostBackupStats / HostRestoreStats as the termination message, Stash's BackupOutput / RestoreOutput as
// <output-dir>/output.json, progress as JSON lines on stdout. One restic snapshot per path, as Stash does.
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as restic from '../../lib/restic.js';
import { formatBytes, formatGoDuration, formatSeconds } from '../../lib/stash-format.js';
import { writeTerminationMessage } from '../termination.js';
import { CA_FILE, GCS_KEY_FILE, resolveRepository, scrub, type RepositoryFlags, type ResolvedRepository } from './repository.js';

export const OUTPUT_FILE = 'output.json';
export const DEFAULT_HOST = 'host-0';

/** Stash's SnapshotStats. */
export interface SnapshotStats {
  name: string;
  path: string;
  totalSize: string;
  uploaded: string;
  processingTime: string;
  fileStats: { totalFiles: number; newFiles: number; modifiedFiles: number; unmodifiedFiles: number };
}

/** Stash's HostBackupStats. */
export interface HostBackupStats {
  hostname: string;
  phase: 'Succeeded' | 'Failed';
  snapshots?: SnapshotStats[];
  duration: string;
  error?: string;
}

/** Stash's HostRestoreStats. */
export interface HostRestoreStats {
  hostname: string;
  phase: 'Succeeded' | 'Failed';
  duration: string;
  error?: string;
}

export interface Reporting {
  /** Stash's --output-dir: output.json goes there */
  outputDir?: string;
  /** termination message file; default $TERMINATION_MESSAGE_PATH, else /dev/termination-log when it exists; false = none */
  terminationPath?: string | false;
  /** progress lines (default: JSON lines on stdout) */
  progress?: (p: Record<string, unknown>) => void;
}

export interface DirBackupOptions extends Reporting {
  paths: string[];
  hostname?: string;
  repository: RepositoryFlags;
  env?: NodeJS.ProcessEnv;
}

export interface DirRestoreOptions extends Reporting {
  /** snapshot ids, or ['latest'] (default) */
  snapshots?: string[];
  /** the host whose snapshots to restore (Stash: --source-hostname; default the hostname) */
  sourceHostname?: string;
  /** the host reported in the result */
  hostname?: string;
  /** restrict to these backed-up paths (latest: the newest snapshot of each; ids: --include) */
  paths?: string[];
  /** restic restore --target; files land at <targetDir>/<original absolute path> (default '/', in place) */
  targetDir?: string;
  repository: RepositoryFlags;
  env?: NodeJS.ProcessEnv;
}

export class FunctionError extends Error {
  constructor(
    message: string,
    readonly result: HostBackupStats | HostRestoreStats,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

const stdoutProgress = (p: Record<string, unknown>) => process.stdout.write(JSON.stringify({ progress: p }) + '\n');

function terminationPath(r: Reporting): string | undefined {
  if (r.terminationPath === false) return undefined;
  if (r.terminationPath) return r.terminationPath;
  if (process.env.TERMINATION_MESSAGE_PATH) return process.env.TERMINATION_MESSAGE_PATH;
  return existsSync('/dev/termination-log') ? '/dev/termination-log' : undefined;
}

async function writeOutput(outputDir: string, out: unknown): Promise<void> {
  await mkdir(outputDir, { recursive: true });
  const file = join(outputDir, OUTPUT_FILE);
  await writeFile(file, JSON.stringify(out, null, 2) + '\n');
  await chmod(file, 0o666).catch(() => undefined); // Stash makes it writable for the update-status step's user
}

/**
 * output.json = Stash's BackupOutput/RestoreOutput ({targetStatus: {stats: [host]}}); the termination message =
 * api/results.ts FunctionResult ({phase, error, backup|restore: host stats, details}).
 */
async function report(
  r: Reporting,
  kind: 'backup' | 'restore',
  result: HostBackupStats | HostRestoreStats,
  details: Record<string, unknown>,
): Promise<void> {
  if (r.outputDir) await writeOutput(r.outputDir, { targetStatus: { stats: [result] } });
  const path = terminationPath(r);
  if (path) {
    writeTerminationMessage(
      { phase: result.phase, ...(result.error ? { error: result.error } : {}), [kind]: result, details },
      path,
    );
  }
}

/** Resolves the repository, writes its files (CA bundle, GCS key) below the scratch dir and applies its env. */
async function prepare(flags: RepositoryFlags, env: NodeJS.ProcessEnv): Promise<ResolvedRepository> {
  const resolved = resolveRepository(flags, env);
  const dir = flags.scratchDir ?? join(env.HOME || '/tmp', '.stashflow-dir');
  for (const f of resolved.files) {
    await mkdir(dir, { recursive: true });
    const path = join(dir, f.name);
    await writeFile(path, f.content, { mode: f.mode });
    if (f.name === CA_FILE) resolved.repo.extraArgs = ['--cacert', path, ...(resolved.repo.extraArgs ?? [])];
    if (f.name === GCS_KEY_FILE) resolved.env.GOOGLE_APPLICATION_CREDENTIALS = path;
  }
  if (resolved.env.TMPDIR) await mkdir(resolved.env.TMPDIR, { recursive: true });
  // restic runs with process.env as its base: provider variables read from --secret-dir must be there
  Object.assign(process.env, resolved.env);
  return resolved;
}

function errorText(e: unknown, secrets: string[]): string {
  return scrub(e instanceof Error ? e.message : String(e), secrets);
}

/** `stashflow function dir backup`: restic init if needed, then one snapshot per path. */
export async function backupDir(opts: DirBackupOptions): Promise<HostBackupStats> {
  const t0 = Date.now();
  const progress = opts.progress ?? stdoutProgress;
  const hostname = opts.hostname || DEFAULT_HOST;
  const result: HostBackupStats = { hostname, phase: 'Failed', duration: '0s' };
  const details: Record<string, unknown> = { function: 'dir-backup' };
  let secrets: string[] = [];
  try {
    if (!opts.paths.length) throw new Error('no paths to back up: pass --paths A[,B]');
    const repo = await prepare(opts.repository, opts.env ?? process.env);
    secrets = repo.secrets;
    progress({ function: 'dir-backup', step: 'repository', repository: repo.location, hostname });
    for (const p of opts.paths) {
      const st = await stat(p).catch(() => undefined);
      if (!st) throw new Error(`backup path ${p} does not exist`);
    }
    // Stash's InitializeBackendRepository pre-backup action
    const created = await restic.init(repo.repo);
    details.repositoryInitialized = created;
    progress({ function: 'dir-backup', step: 'init', created });
    const snapshots: SnapshotStats[] = [];
    for (const path of opts.paths) {
      progress({ function: 'dir-backup', step: 'backup', path, state: 'started' });
      const s = await restic.backup(repo.repo, [path], { host: hostname });
      const snap: SnapshotStats = {
        name: s.snapshotId,
        path,
        totalSize: formatBytes(s.totalBytesProcessed),
        uploaded: formatBytes(s.dataAdded),
        processingTime: formatSeconds(s.totalDurationSeconds),
        fileStats: {
          totalFiles: s.totalFilesProcessed,
          newFiles: s.filesNew,
          modifiedFiles: s.filesChanged,
          unmodifiedFiles: s.filesUnmodified,
        },
      };
      snapshots.push(snap);
      result.snapshots = snapshots;
      progress({ function: 'dir-backup', step: 'backup', state: 'done', ...snap });
    }
    result.phase = 'Succeeded';
  } catch (e) {
    result.error = errorText(e, secrets);
  }
  result.duration = formatGoDuration((Date.now() - t0) / 1000);
  await report(opts, 'backup', result, details);
  progress({ function: 'dir-backup', step: 'done', phase: result.phase, duration: result.duration });
  if (result.phase === 'Failed') throw new FunctionError(result.error ?? 'backup failed', result);
  return result;
}

/** Which snapshots a restore uses: the given ids, or for `latest` the newest of the source host per path set. */
export async function pickSnapshots(
  repo: restic.ResticRepo,
  requested: string[],
  sourceHost: string,
  paths: string[],
): Promise<{ id: string; paths: string[]; include: string[] }[]> {
  const ids = requested.filter((s) => s && s !== 'latest');
  const wantLatest = requested.length === 0 || requested.some((s) => !s || s === 'latest');
  const picked: { id: string; paths: string[]; include: string[] }[] = ids.map((id) => ({ id, paths: [], include: paths }));
  if (wantLatest) {
    const all = (await restic.snapshots(repo, { host: sourceHost })).sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    if (!all.length) throw new Error(`no snapshot of host '${sourceHost}' in the repository`);
    const newestBySet = new Map<string, restic.Snapshot>();
    for (const s of all) {
      const key = [...s.paths].sort().join('\n');
      if (!newestBySet.has(key)) newestBySet.set(key, s);
    }
    if (paths.length) {
      for (const p of paths) {
        const s = all.find((x) => x.paths.includes(p));
        if (!s) throw new Error(`no snapshot of host '${sourceHost}' contains path ${p}`);
        if (!picked.some((x) => x.id === s.id)) picked.push({ id: s.id, paths: s.paths, include: [] });
      }
    } else {
      for (const s of newestBySet.values()) picked.push({ id: s.id, paths: s.paths, include: [] });
    }
  }
  return picked;
}

/** `stashflow function dir restore`: restores snapshots below the target dir (default '/': in place). */
export async function restoreDir(opts: DirRestoreOptions): Promise<HostRestoreStats> {
  const t0 = Date.now();
  const progress = opts.progress ?? stdoutProgress;
  const hostname = opts.hostname || DEFAULT_HOST;
  const sourceHost = opts.sourceHostname || hostname;
  const result: HostRestoreStats = { hostname, phase: 'Failed', duration: '0s' };
  const details: Record<string, unknown> = { function: 'dir-restore', sourceHostname: sourceHost };
  let secrets: string[] = [];
  try {
    const repo = await prepare(opts.repository, opts.env ?? process.env);
    secrets = repo.secrets;
    const target = opts.targetDir || '/';
    progress({ function: 'dir-restore', step: 'repository', repository: repo.location, hostname, sourceHost, target });
    const picked = await pickSnapshots(repo.repo, opts.snapshots ?? [], sourceHost, opts.paths ?? []);
    details.snapshots = picked.map((p) => p.id);
    await mkdir(target, { recursive: true });
    for (const s of picked) {
      progress({ function: 'dir-restore', step: 'restore', snapshot: s.id, paths: s.paths, state: 'started' });
      await restic.restore(repo.repo, s.id, target, { include: s.include });
      progress({ function: 'dir-restore', step: 'restore', snapshot: s.id, state: 'done' });
    }
    result.phase = 'Succeeded';
  } catch (e) {
    result.error = errorText(e, secrets);
  }
  result.duration = formatGoDuration((Date.now() - t0) / 1000);
  await report(opts, 'restore', result, details);
  progress({ function: 'dir-restore', step: 'done', phase: result.phase, duration: result.duration });
  if (result.phase === 'Failed') throw new FunctionError(result.error ?? 'restore failed', result);
  return result;
}
