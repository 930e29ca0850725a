// A thin wrapper around the restic binary (found on PATH). Repository address, password and S3 keys travel only
// in the child's environment: argv is visible in /proc and in process listings, env is not. Every error carries
// restic's stderr with those values scrubbed, so a failure can be shown and logged as is.
import { spawn } from 'node:child_process';
import type { RetentionPolicy as StashRetentionPolicy } from '../api/types.js';

export interface ResticRepo {
  /** e.g. /path, rest:http://host:8000/repo, s3:http://host:9000/bucket/prefix */
  repository: string;
  password: string;
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  awsRegion?: string;
  /** RESTIC_CACHE_DIR; without it restic uses its default (~/.cache/restic) */
  cacheDir?: string;
  noCache?: boolean;
  /** extra global flags, e.g. ['--cacert', '/ca.pem', '-o', 's3.connections=4'] (never secrets) */
  extraArgs?: string[];
}

/** restic's documented exit codes (0.17+) that callers act on. */
export const ResticExit = { repoMissing: 10, lockFailed: 11, wrongPassword: 12 } as const;

export class ResticError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ResticError';
  }
}

/** Replaces every secret of the repo (password, S3 keys, credentials inside the repository URL) with ***. */
export function scrubSecrets(text: string, repo: ResticRepo): string {
  const secrets = [repo.password, repo.awsSecretAccessKey, repo.awsAccessKeyId];
  const m = /^[a-z0-9]+:[a-z]+:\/\/([^/@]+)@/i.exec(repo.repository) ?? /^[a-z]+:\/\/([^/@]+)@/i.exec(repo.repository);
  if (m?.[1]) {
    const userinfo = m[1];
    secrets.push(userinfo, userinfo.split(':').slice(1).join(':'), safeDecode(userinfo.split(':').slice(1).join(':')));
  }
  let out = text;
  // longest first, so a secret containing another is replaced whole
  for (const s of secrets.filter((v): v is string => !!v && v.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***');
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function resticEnv(repo: ResticRepo, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // A stray RESTIC_PASSWORD_FILE / _COMMAND in the parent would silently win over RESTIC_PASSWORD.
  delete env.RESTIC_PASSWORD_FILE;
  delete env.RESTIC_PASSWORD_COMMAND;
  delete env.RESTIC_REPOSITORY_FILE;
  env.RESTIC_REPOSITORY = repo.repository;
  env.RESTIC_PASSWORD = repo.password;
  if (repo.awsAccessKeyId) env.AWS_ACCESS_KEY_ID = repo.awsAccessKeyId;
  if (repo.awsSecretAccessKey) env.AWS_SECRET_ACCESS_KEY = repo.awsSecretAccessKey;
  if (repo.awsRegion) env.AWS_DEFAULT_REGION = repo.awsRegion;
  if (repo.cacheDir) env.RESTIC_CACHE_DIR = repo.cacheDir;
  return env;
}

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs restic; resolves with the exit code (callers decide which codes are errors). */
function run(repo: ResticRepo, args: string[], signal?: AbortSignal): Promise<RunResult> {
  // Sessions of one repository overlap (a backup while another session's retention prunes): wait for restic's lock
  // instead of failing at once with exit 11 (a caller's own --retry-lock in extraArgs comes later and wins).
  const argv = ['--retry-lock', '2m', ...(repo.noCache ? ['--no-cache'] : []), ...(repo.extraArgs ?? []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('restic', argv, { env: resticEnv(repo), stdio: ['ignore', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new ResticError(`restic could not be started: ${scrubSecrets(e.message, repo)}`, null, '')));
    child.on('close', (code) =>
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code: code ?? -1 }),
    );
  });
}

function fail(repo: ResticRepo, args: string[], r: RunResult): never {
  const stderr = scrubSecrets(r.stderr.trim(), repo);
  const hint =
    r.code === ResticExit.wrongPassword
      ? 'wrong repository password (or no key found)'
      : r.code === ResticExit.repoMissing
        ? 'repository does not exist'
        : r.code === ResticExit.lockFailed
          ? 'repository is locked'
          : '';
  const what = `restic ${args[0] ?? ''} failed (exit ${r.code})${hint ? `: ${hint}` : ''}`;
  throw new ResticError(`${what}${stderr ? `: ${stderr.split('\n').slice(-5).join(' | ')}` : ''}`, r.code, stderr);
}

async function runOk(repo: ResticRepo, args: string[], signal?: AbortSignal): Promise<RunResult> {
  const r = await run(repo, args, signal);
  if (r.code !== 0) fail(repo, args, r);
  return r;
}

/** Creates the repository unless it exists; true when it was created now. */
export async function init(repo: ResticRepo): Promise<boolean> {
  const probe = await run(repo, ['cat', 'config']);
  if (probe.code === 0) return false;
  if (probe.code !== ResticExit.repoMissing && !/does not exist|Is there a repository/i.test(probe.stderr)) {
    fail(repo, ['cat', 'config'], probe);
  }
  const r = await run(repo, ['init']);
  if (r.code === 0) return true;
  // someone else initialised it between our probe and init
  if (/already (been )?initialized|config (file )?already exists/i.test(r.stderr)) return false;
  return fail(repo, ['init'], r);
}

export interface BackupSummary {
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  totalFilesProcessed: number;
  totalBytesProcessed: number;
  dataAdded: number;
  totalDurationSeconds: number;
}

export interface BackupOptions {
  host?: string;
  tags?: string[];
  signal?: AbortSignal;
}

export async function backup(repo: ResticRepo, paths: string[], opts: BackupOptions = {}): Promise<BackupSummary> {
  const args = ['backup', ...paths, '--json', '--quiet', '--host', opts.host ?? 'host-0'];
  for (const t of opts.tags ?? []) args.push('--tag', t);
  const r = await runOk(repo, args, opts.signal);
  const summary = parseJsonLines(r.stdout).find((m) => m.message_type === 'summary');
  if (!summary) throw new ResticError('restic backup printed no JSON summary', 0, scrubSecrets(r.stderr, repo));
  return {
    snapshotId: String(summary.snapshot_id ?? ''),
    filesNew: num(summary.files_new),
    filesChanged: num(summary.files_changed),
    filesUnmodified: num(summary.files_unmodified),
    totalFilesProcessed: num(summary.total_files_processed),
    totalBytesProcessed: num(summary.total_bytes_processed),
    dataAdded: num(summary.data_added),
    totalDurationSeconds: num(summary.total_duration),
  };
}

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags?: string[];
}

export async function snapshots(repo: ResticRepo, filter: { host?: string; tags?: string[] } = {}): Promise<Snapshot[]> {
  const args = ['snapshots', '--json'];
  if (filter.host) args.push('--host', filter.host);
  for (const t of filter.tags ?? []) args.push('--tag', t);
  const r = await runOk(repo, args);
  return JSON.parse(r.stdout.trim() || '[]') as Snapshot[];
}

/** Restores a snapshot (`latest` picks the newest, of `host` when given) below target. */
export async function restore(
  repo: ResticRepo,
  snapshot: string,
  target: string,
  opts: { host?: string; include?: string[]; signal?: AbortSignal } = {},
): Promise<void> {
  const args = ['restore', snapshot || 'latest', '--target', target];
  if (opts.host) args.push('--host', opts.host);
  for (const p of opts.include ?? []) args.push('--include', p);
  await runOk(repo, args, opts.signal);
}

/** Stash's RetentionPolicy (api/types.ts) without its name, as restic forget applies it, optionally to one host. */
export type RetentionPolicy = Partial<Omit<StashRetentionPolicy, 'name'>> & { host?: string };

/** True when the policy keeps by any rule; restic refuses (rightly) to forget everything. */
export function hasRetention(p: RetentionPolicy): boolean {
  return !!(p.keepLast || p.keepHourly || p.keepDaily || p.keepWeekly || p.keepMonthly || p.keepYearly || p.keepTags?.length);
}

export function forgetArgs(p: RetentionPolicy): string[] {
  const args = ['forget', '--json'];
  const flag = (name: string, v: number | undefined) => {
    if (v && v > 0) args.push(`--keep-${name}`, String(v));
  };
  flag('last', p.keepLast);
  flag('hourly', p.keepHourly);
  flag('daily', p.keepDaily);
  flag('weekly', p.keepWeekly);
  flag('monthly', p.keepMonthly);
  flag('yearly', p.keepYearly);
  for (const t of p.keepTags ?? []) args.push('--keep-tag', t);
  if (p.host) args.push('--host', p.host);
  if (p.prune) args.push('--prune');
  if (p.dryRun) args.push('--dry-run');
  return args;
}

/** Applies a retention policy; returns how many snapshots were (or, with dryRun, would be) removed. */
export async function forget(repo: ResticRepo, policy: RetentionPolicy): Promise<{ removed: number; kept: number }> {
  if (!hasRetention(policy)) throw new Error('retention policy keeps nothing: refusing to forget every snapshot');
  const r = await runOk(repo, forgetArgs(policy));
  // With --prune, prune's own output follows the forget JSON array on stdout.
  const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith('['));
  const groups = JSON.parse(line ?? '[]') as { keep?: unknown[] | null; remove?: unknown[] | null }[];
  return {
    removed: groups.reduce((n, g) => n + (g.remove?.length ?? 0), 0),
    kept: groups.reduce((n, g) => n + (g.keep?.length ?? 0), 0),
  };
}

export interface RepoStats {
  totalSize: number;
  totalUncompressedSize: number;
  snapshotsCount: number;
}

export async function stats(repo: ResticRepo): Promise<RepoStats> {
  const r = await runOk(repo, ['stats', '--mode', 'raw-data', '--json']);
  const s = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  return {
    totalSize: num(s.total_size),
    totalUncompressedSize: num(s.total_uncompressed_size),
    snapshotsCount: num(s.snapshots_count),
  };
}

export async function check(repo: ResticRepo): Promise<{ ok: true; output: string }> {
  const r = await runOk(repo, ['check']);
  return { ok: true, output: scrubSecrets(r.stdout, repo) };
}

/** Removes stale locks (a killed Job leaves its lock behind). */
export async function unlock(repo: ResticRepo): Promise<void> {
  await runOk(repo, ['unlock']);
}

function parseJsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      out.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      // restic may interleave a non-JSON warning line; skip it
    }
  }
  return out;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
