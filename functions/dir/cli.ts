// `stashflow function dir backup|restore [flags]`: Stash-style flags (--flag=value, --flag value, or a bare --flag
// for true; empty values, as Stash's ${VAR:=} placeholders produce, count as unset). Flags of Stash's Functions
// that this function does not use (retention, session names, metrics, ...) are accepted and listed as ignored.
import { backupDir, FunctionError, restoreDir } from './dir.js';
import type { RepositoryFlags } from './repository.js';

export const dirUsage = `usage:
  stashflow function dir backup  --paths A[,B] [--hostname H] [--output-dir D] <repository flags>
  stashflow function dir restore [--snapshot latest|ID[,ID]] [--source-hostname H] [--hostname H] [--paths P[,Q]]
                                 [--target-dir T] [--output-dir D] <repository flags>
repository flags (Stash's): --provider local|s3|gcs|azure|swift|b2|rest --bucket B --endpoint URL --path PREFIX
  --rest-url URL --region R --secret-dir DIR --scratch-dir DIR --enable-cache true|false --max-connections N
  --insecure-tls; secrets (RESTIC_PASSWORD, AWS_*, REST_SERVER_*, CA_CERT_DATA, ...) from the environment or
  --secret-dir; without --provider: RESTIC_REPOSITORY + RESTIC_PASSWORD from the environment
`;

const REPO_FLAGS = [
  'provider',
  'bucket',
  'endpoint',
  'path',
  'rest-url',
  'region',
  'secret-dir',
  'scratch-dir',
  'enable-cache',
  'max-connections',
  'insecure-tls',
];
const BACKUP_FLAGS = new Set([...REPO_FLAGS, 'paths', 'backup-paths', 'hostname', 'output-dir']);
const RESTORE_FLAGS = new Set([
  ...REPO_FLAGS,
  'paths',
  'restore-paths',
  'snapshot',
  'snapshots',
  'hostname',
  'source-hostname',
  'target-dir',
  'output-dir',
]);

export type FlagMap = Map<string, string[]>;

/** Parses --name=value / --name value / --name (true); repeated flags accumulate; empty values are dropped. */
export function parseFlags(args: string[]): { flags: FlagMap; positional: string[] } {
  const flags: FlagMap = new Map();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const m = /^--([^=]+)(?:=([\s\S]*))?$/.exec(a);
    if (!m?.[1]) {
      positional.push(a);
      continue;
    }
    let v = m[2];
    if (v === undefined) {
      const next = args[i + 1];
      v = next !== undefined && !next.startsWith('--') ? (i++, next) : 'true';
    }
    const list = flags.get(m[1]) ?? [];
    if (v !== '') list.push(v);
    flags.set(m[1], list);
  }
  return { flags, positional };
}

const last = (f: FlagMap, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = f.get(n);
    if (v?.length) return v[v.length - 1];
  }
  return undefined;
};
const list = (f: FlagMap, ...names: string[]): string[] =>
  names
    .flatMap((n) => f.get(n) ?? [])
    .flatMap((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

function bool(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`--${name} must be true or false, got '${v}'`);
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${v}'`);
  return n;
}

export function repositoryFlags(f: FlagMap): RepositoryFlags {
  return {
    provider: last(f, 'provider'),
    bucket: last(f, 'bucket'),
    endpoint: last(f, 'endpoint'),
    path: last(f, 'path'),
    restUrl: last(f, 'rest-url'),
    region: last(f, 'region'),
    secretDir: last(f, 'secret-dir'),
    scratchDir: last(f, 'scratch-dir'),
    enableCache: bool(last(f, 'enable-cache'), 'enable-cache'),
    maxConnections: int(last(f, 'max-connections'), 'max-connections'),
    insecureTls: bool(last(f, 'insecure-tls'), 'insecure-tls'),
  };
}

function fail(msg: string): number {
  process.stderr.write(`stashflow: ${msg}\n`);
  return 1;
}

/** Runs `function dir <sub> ...`; resolves with the process exit code (0 ok, 1 failed, 2 usage). */
export async function runDirCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'backup' && sub !== 'restore') {
    process.stderr.write(`stashflow: function dir: unknown subcommand '${sub ?? ''}'\n${dirUsage}`);
    return 2;
  }
  const { flags, positional } = parseFlags(rest);
  if (positional.length) {
    process.stderr.write(`stashflow: function dir ${sub}: unexpected argument '${positional[0]}'\n${dirUsage}`);
    return 2;
  }
  const known = sub === 'backup' ? BACKUP_FLAGS : RESTORE_FLAGS;
  const ignored = [...flags.keys()].filter((k) => !known.has(k));
  if (ignored.length) {
    process.stdout.write(JSON.stringify({ progress: { function: `dir-${sub}`, step: 'args', ignored } }) + '\n');
  }
  try {
    const repository = repositoryFlags(flags);
    if (sub === 'backup') {
      await backupDir({
        paths: list(flags, 'paths', 'backup-paths'),
        hostname: last(flags, 'hostname'),
        outputDir: last(flags, 'output-dir'),
        repository,
      });
    } else {
      await restoreDir({
        snapshots: list(flags, 'snapshot', 'snapshots'),
        sourceHostname: last(flags, 'source-hostname'),
        hostname: last(flags, 'hostname'),
        paths: list(flags, 'paths', 'restore-paths'),
        targetDir: last(flags, 'target-dir'),
        outputDir: last(flags, 'output-dir'),
        repository,
      });
    }
    return 0;
  } catch (e) {
    if (e instanceof FunctionError) return fail(`function dir ${sub} failed: ${e.message}`);
    return fail(`function dir ${sub}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
