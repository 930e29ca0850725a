// `stashflow snapshots <namespace>/<repository>`: the restic snapshots of a Repository, read from where the user is.
// The backend is resolved as the Jobs resolve it (activities/backend.ts); the password and credentials come from the
// storage Secret through the API and reach restic only through its environment (lib/restic.ts); nothing secret is
// printed. A `local` backend works when its hostPath directory is on this machine.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidBackend, resolveBackend } from '../../activities/backend.js';
import type { Repository } from '../../api/types.js';
import type { KubeClients } from '../../lib/kube.js';
import { isNotFound } from '../../lib/kube.js';
import { getObject } from '../../lib/objects.js';
import { snapshots as resticSnapshots, type ResticRepo, type Snapshot } from '../../lib/restic.js';
import { formatBytes } from '../../lib/stash-format.js';
import {
  CommandFailure,
  EXIT,
  UsageError,
  connect,
  parseCommandArgs,
  parseOutput,
  parseRef,
  renderTable,
  runCommand,
  stdio,
  type CommandIO,
} from './common.js';

export const snapshotsUsage = `usage: stashflow snapshots <namespace>/<repository> [--output json|table] [--kubeconfig FILE]

Lists the restic snapshots of a Repository (id, time, host, tags, paths, size), newest first.
Reads RESTIC_PASSWORD and the backend credentials from the Repository's storage Secret; restic (on PATH) gets
them only through its environment. A local (hostPath) backend works when its directory is on this machine.
Exit codes: 0 ok, 1 not found, no cluster access or restic failed, 2 usage error.
`;

/** restic ≥ 0.17 adds a summary to each snapshot of `snapshots --json`. */
type SnapshotWithSummary = Snapshot & { summary?: { total_bytes_processed?: number } };

export interface SnapshotRow {
  id: string;
  shortId: string;
  time: string;
  host: string;
  tags: string[];
  paths: string[];
  /** bytes processed by the backup that made it, when restic recorded it */
  size?: number;
}

export function snapshotRows(list: SnapshotWithSummary[]): SnapshotRow[] {
  return list
    .map((s) => ({
      id: s.id,
      shortId: s.short_id ?? s.id.slice(0, 8),
      time: s.time,
      host: s.hostname,
      tags: s.tags ?? [],
      paths: s.paths ?? [],
      ...(typeof s.summary?.total_bytes_processed === 'number' ? { size: s.summary.total_bytes_processed } : {}),
    }))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

export function renderSnapshotsTable(rows: SnapshotRow[]): string {
  return renderTable(
    ['ID', 'TIME', 'HOST', 'TAGS', 'PATHS', 'SIZE'],
    rows.map((r) => [
      r.shortId,
      r.time.replace(/\.\d+/, ''),
      r.host,
      r.tags.join(','),
      r.paths.join(','),
      r.size === undefined ? '' : formatBytes(r.size),
    ]),
  );
}

/** Where the local backend's files are on this machine: the hostPath directory plus subPath. */
export function localRepositoryPath(repo: Repository): string {
  const l = repo.spec.backend.local!;
  const where = `Repository ${repo.metadata.namespace}/${repo.metadata.name}`;
  if (!l.hostPath?.path) {
    const kind = l.persistentVolumeClaim ? 'a PersistentVolumeClaim' : l.nfs ? 'an NFS volume' : 'a volume';
    throw new CommandFailure(
      `${where}: its local backend is ${kind}, reachable only from inside the cluster; run restic in a pod that mounts it`,
    );
  }
  const path = join(l.hostPath.path, l.subPath ?? '');
  if (!existsSync(path)) {
    throw new CommandFailure(
      `${where}: its local backend is the hostPath ${path} on the node, which is not on this machine; run this on the node`,
    );
  }
  return path;
}

/** The restic view of a Repository: address from resolveBackend, secrets from its storage Secret (kept in memory). */
export async function resticRepoFor(kube: KubeClients, namespace: string, name: string): Promise<ResticRepo> {
  const repo = await getObject<Repository>(kube, 'Repository', namespace, name);
  if (!repo) throw new CommandFailure(`Repository ${namespace}/${name} not found`);
  let backend;
  try {
    backend = resolveBackend(repo);
  } catch (err) {
    if (err instanceof InvalidBackend) throw new CommandFailure(err.message);
    throw err;
  }
  let data: Record<string, string>;
  try {
    const secret = await kube.core.readNamespacedSecret({ namespace, name: backend.secretName });
    data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  } catch (err) {
    if (isNotFound(err))
      throw new CommandFailure(`storage Secret ${namespace}/${backend.secretName} of Repository ${namespace}/${name} not found`);
    throw err;
  }
  const password = data.RESTIC_PASSWORD;
  if (!password) throw new CommandFailure(`storage Secret ${namespace}/${backend.secretName} has no RESTIC_PASSWORD`);
  if (!['local', 'rest', 's3'].includes(backend.provider)) {
    throw new CommandFailure(
      `Repository ${namespace}/${name}: the ${backend.provider} backend is not supported by this command yet`,
    );
  }
  // restic reads REST credentials from env only; this process is short-lived and passes its env to restic alone
  if (data.REST_SERVER_USERNAME) process.env.RESTIC_REST_USERNAME = data.REST_SERVER_USERNAME;
  if (data.REST_SERVER_PASSWORD) process.env.RESTIC_REST_PASSWORD = data.REST_SERVER_PASSWORD;
  // an S3 endpoint's private CA: restic takes a file; this one lives (mode 0600) until the command exits
  const extraArgs: string[] = [];
  if (backend.provider === 's3' && data.CA_CERT_DATA) {
    const dir = mkdtempSync(join(tmpdir(), 'stashflow-ca-'));
    writeFileSync(join(dir, 'ca.crt'), data.CA_CERT_DATA, { mode: 0o600 });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    extraArgs.push('--cacert', join(dir, 'ca.crt'));
  }
  if (backend.provider === 's3' && repo.spec.backend.s3?.insecureTLS) extraArgs.push('--insecure-tls');
  return {
    ...(extraArgs.length ? { extraArgs } : {}),
    repository: backend.provider === 'local' ? localRepositoryPath(repo) : backend.repository,
    password,
    ...(data.AWS_ACCESS_KEY_ID ? { awsAccessKeyId: data.AWS_ACCESS_KEY_ID } : {}),
    ...(data.AWS_SECRET_ACCESS_KEY ? { awsSecretAccessKey: data.AWS_SECRET_ACCESS_KEY } : {}),
    ...(backend.region ? { awsRegion: backend.region } : {}),
    ...(process.env.RESTIC_CACHE_DIR ? {} : { noCache: true }),
  };
}

export async function snapshots(argv: string[], io: CommandIO = stdio): Promise<number> {
  return runCommand('snapshots', snapshotsUsage, io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(snapshotsUsage);
      return EXIT.ok;
    }
    const output = parseOutput(values.output);
    if (positionals.length !== 1) throw new UsageError('expected one <namespace>/<repository>');
    const ref = parseRef(positionals[0], values.namespace, 'repository');
    const kube = connect(values.kubeconfig);
    const repo = await resticRepoFor(kube, ref.namespace, ref.name);
    const rows = snapshotRows((await resticSnapshots(repo)) as SnapshotWithSummary[]);
    if (output === 'json') io.out(JSON.stringify(rows, null, 2) + '\n');
    else if (!rows.length) io.err(`No snapshots in Repository ${ref.namespace}/${ref.name}.\n`);
    else io.out(renderSnapshotsTable(rows));
    return EXIT.ok;
  });
}
