// Stash's Prometheus metrics, pushed to a Pushgateway exactly as Stash names and labels them (stash.appscode.dev
// apimachinery pkg/metrics): every gauge twice, once with the legacy prefix (stash_backup_*, stash_restore_*,
// stash_repository_*) and once with the new one (stash_appscode_com_backupsession_*, ..._restoresession_*,
// ..._repository_*). Builders are pure (typed input → metric families); pushMetrics does the one HTTP POST.
//
// Deliberate differences from Stash, all in what is pushed together, never in names/labels/values:
// - Session, target and host families of one session go in ONE push. Stash pushes target metrics once per target
//   with POST (which replaces same-named families of the job group), so with several targets only the last one
//   survived; here every target's series survive.
// - A session counts as succeeded only when its phase is Succeeded (if given) AND every target Succeeded; Stash
//   looked only at the targets, so a session that failed before any target ran reported success=1.
import {
  formatBytes,
  formatGoDuration,
  formatSeconds,
  parseClockSeconds,
  parseDurationSeconds,
  parseGoDuration,
  parseSize,
} from './stash-format.js';

export { formatBytes, formatGoDuration, formatSeconds, parseClockSeconds, parseDurationSeconds, parseGoDuration, parseSize };

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge';
  samples: Sample[];
}

// ---- inputs (structurally compatible with api/types.ts status types; lib/ imports nothing of ours) ----

export type Driver = 'Restic' | 'VolumeSnapshotter';

/** The object that invoked the session: a BackupConfiguration (or BackupBatch) / RestoreSession (or RestoreBatch). */
export interface InvokerRef {
  kind: string;
  name: string;
  namespace: string;
}

export interface CommonMetricsInput {
  invoker: InvokerRef;
  /** default Restic */
  driver?: Driver;
  /** the invoker's spec.repository.name (label `repository`, Restic driver only) */
  repository?: string;
  /** Stash's --metrics-labels: extra constant labels, as a map or as "key=value" strings */
  userLabels?: Labels | string[];
}

export interface MetricsTargetRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /**
   * Only for kind AppBinding: the AppBinding's spec.type ("" when it has none), or null when the AppBinding was not
   * found (then Stash omits the kind/group labels). Left undefined for an AppBinding, it is treated as not found.
   */
  appBindingType?: string | null;
}

export interface SnapshotStatsInput {
  name?: string;
  path?: string;
  /** "1.234 MiB" */
  totalSize?: string;
  uploaded?: string;
  /** "m:ss" / "h:mm:ss" */
  processingTime?: string;
  fileStats?: { totalFiles?: number; newFiles?: number; modifiedFiles?: number; unmodifiedFiles?: number };
}

export interface HostBackupStatsInput {
  hostname?: string;
  phase?: string;
  snapshots?: SnapshotStatsInput[];
  /** Go duration, e.g. "12.5s" */
  duration?: string;
  error?: string;
}

export interface BackupTargetInput {
  ref: MetricsTargetRef;
  phase?: string;
  totalHosts?: number;
  stats?: HostBackupStatsInput[];
}

export interface BackupSessionMetricsInput extends CommonMetricsInput {
  /** BackupSession status.phase */
  phase?: string;
  /** status.sessionDuration (Go duration) or seconds; required when the session succeeded */
  sessionDuration?: string | number;
  targets: BackupTargetInput[];
  /** the time written to *_last_success_time_seconds (default now) */
  now?: Date | number;
}

export interface HostRestoreStatsInput {
  hostname?: string;
  phase?: string;
  duration?: string;
  error?: string;
}

export interface RestoreTargetInput {
  ref: MetricsTargetRef;
  phase?: string;
  totalHosts?: number;
  stats?: HostRestoreStatsInput[];
}

export interface RestoreSessionMetricsInput extends CommonMetricsInput {
  /** RestoreSession status.phase */
  phase?: string;
  sessionDuration?: string | number;
  /** a RestoreSession has one target: its spec.target.ref with status.totalHosts/stats */
  targets: RestoreTargetInput[];
}

export interface RepositoryMetricsInput extends CommonMetricsInput {
  /** the Repository object's labels: name/namespace, provider (local, s3, gcs, azure, swift, b2, rest), bucket, prefix */
  repo: { name: string; namespace: string; backend: string; bucket?: string; prefix?: string };
  stats: {
    integrity?: boolean | null;
    /** "1.2 GiB" (Repository status.totalSize) or bytes */
    size?: string | number;
    snapshotCount?: number;
    snapshotsRemovedOnLastCleanup?: number;
  };
}

/** A Repository's spec.backend (structurally api/types.ts Backend). */
export interface BackendSpec {
  local?: { mountPath: string; subPath?: string };
  s3?: { bucket: string; prefix?: string };
  gcs?: { bucket: string; prefix?: string };
  azure?: { container: string; prefix?: string };
  swift?: { container: string; prefix?: string };
  b2?: { bucket: string; prefix?: string };
  rest?: { url: string };
}

// ---- naming ----

const PREFIX = {
  backup: { legacy: 'stash_backup_', current: 'stash_appscode_com_backupsession_' },
  restore: { legacy: 'stash_restore_', current: 'stash_appscode_com_restoresession_' },
  repository: { legacy: 'stash_repository_', current: 'stash_appscode_com_repository_' },
} as const;

/**
 * Stash's metric suffixes and help texts. The legacy session-level families carry "session_" in their name
 * (stash_backup_session_success) where the new ones do not (stash_appscode_com_backupsession_success); `legacy`
 * holds the legacy suffix when it differs. Help texts are Stash's, since a Pushgateway rejects a push whose help
 * differs from what another group already holds for the same name.
 */
const DEFS = {
  backup: {
    success: { legacy: 'session_success', help: 'Indicates whether the entire backup session was succeeded or not' },
    duration_seconds: {
      legacy: 'session_duration_seconds',
      help: 'Indicates total time taken to complete the entire backup session',
    },
    target_count_total: { help: 'Indicates the total number of target that was backed up in this backup session' },
    last_success_time_seconds: { help: 'Indicates total time taken to complete the entire backup session' },
    target_success: { help: 'Indicates whether the backup for a target has succeeded or not' },
    target_host_count_total: { help: 'Indicates the total number of hosts that was backed up for this target' },
    target_last_success_time_seconds: { help: 'Indicates total time taken to complete the entire backup session' },
    host_backup_success: { help: 'Indicates whether the backup for a host succeeded or not' },
    host_backup_duration_seconds: { help: 'Indicates total time taken to complete the backup process for a host' },
    host_data_size_bytes: { help: 'Total size of the target data to backup for a host (in bytes)' },
    host_data_uploaded_bytes: { help: 'Amount of data uploaded to the repository for a host (in bytes)' },
    host_data_processing_time_seconds: { help: 'Total time taken to process the target data for a host' },
    host_files_total: { help: 'Total number of files that has been backed up for a host' },
    host_files_new: { help: 'Total number of new files that has been created since last backup for a host' },
    host_files_modified: { help: 'Total number of files that has been modified since last backup for a host' },
    host_files_unmodified: { help: 'Total number of files that has not been changed since last backup for a host' },
  },
  restore: {
    success: { legacy: 'session_success', help: 'Indicates whether the entire restore session was succeeded or not' },
    duration_seconds: {
      legacy: 'session_duration_seconds',
      help: 'Indicates the total time taken to complete the entire restore session',
    },
    target_count_total: { help: 'Indicates the total number of targets that was restored in this restore session' },
    target_success: { help: 'Indicates whether the restore for a target has succeeded or not' },
    target_host_count_total: { help: 'Indicates the total number of hosts that was restored for this restore target' },
    host_restore_success: { help: 'Indicates whether the restore process was succeeded for a host' },
    host_restore_duration_seconds: { help: 'Indicates the total time taken to complete the restore process for a host' },
  },
  repository: {
    integrity: { help: 'Result of repository integrity check after last backup' },
    size_bytes: { help: 'Indicates size of repository after last backup (in bytes)' },
    snapshot_count: { help: 'Indicates number of snapshots stored in the repository' },
    snapshot_cleaned: {
      help: 'Indicates number of old snapshots cleaned up according to retention policy on last backup session',
    },
  },
} as const;

type Area = keyof typeof DEFS;
type MetricKey<A extends Area> = keyof (typeof DEFS)[A] & string;

/** The two names (legacy, current) of one Stash metric. */
export function metricNames<A extends Area>(area: A, key: MetricKey<A>): { legacy: string; current: string } {
  const def = DEFS[area][key] as { legacy?: string };
  return { legacy: PREFIX[area].legacy + (def.legacy ?? key), current: PREFIX[area].current + key };
}

/** Every family name pushed (both namings of every metric): what a dashboard over the Pushgateway may query. */
export function stashMetricFamilyNames(): string[] {
  return (Object.keys(DEFS) as Area[]).flatMap((area) =>
    Object.keys(DEFS[area]).flatMap((key) => {
      const n = metricNames(area, key as MetricKey<typeof area>);
      return [n.current, n.legacy];
    }),
  );
}

/** Collects samples into families, both names per metric, one family per name. */
class FamilySet {
  private readonly byName = new Map<string, MetricFamily>();

  add<A extends Area>(area: A, key: MetricKey<A>, labels: Labels, value: number): void {
    const help = (DEFS[area][key] as { help: string }).help;
    const names = metricNames(area, key);
    for (const name of [names.current, names.legacy]) {
      let fam = this.byName.get(name);
      if (!fam) {
        fam = { name, help, type: 'gauge', samples: [] };
        this.byName.set(name, fam);
      }
      // one series per label set: a later sample with the same labels replaces the earlier one
      const sig = labelSignature(labels);
      const i = fam.samples.findIndex((s) => labelSignature(s.labels) === sig);
      const sample = { labels: { ...labels }, value };
      if (i >= 0) fam.samples[i] = sample;
      else fam.samples.push(sample);
    }
  }

  families(): MetricFamily[] {
    return [...this.byName.values()];
  }
}

function labelSignature(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

// ---- labels ----

/** Stash's --metrics-labels "k=v" strings (entries without exactly one '=' are ignored, as Stash does). */
export function parseUserLabels(input: Labels | string[] | undefined): Labels {
  if (!input) return {};
  if (!Array.isArray(input)) return { ...input };
  const out: Labels = {};
  for (const kv of input) {
    const parts = kv.split('=');
    if (parts.length === 2 && parts[0]) out[parts[0]] = parts[1] as string;
  }
  return out;
}

/** Invoker labels: user labels, invoker_kind, invoker_name, namespace, then driver (+ repository, or the
 * VolumeSnapshotter's kind=PersistentVolumeClaim, group=""). */
export function invokerLabels(input: CommonMetricsInput): Labels {
  const labels: Labels = {
    ...parseUserLabels(input.userLabels),
    invoker_kind: input.invoker.kind,
    invoker_name: input.invoker.name,
    namespace: input.invoker.namespace,
  };
  if (input.driver === 'VolumeSnapshotter') {
    Object.assign(labels, { driver: 'VolumeSnapshotter', kind: 'PersistentVolumeClaim', group: '' });
  } else {
    labels.driver = 'Restic';
    labels.repository = input.repository ?? '';
  }
  return labels;
}

/** API group of an apiVersion: "apps/v1" → "apps", "v1" → "" (core). */
export function apiGroupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** AppBinding spec.type → [group, kind] split at the last '/' ("kubedb.com/postgres" → kubedb.com, postgres); an
 * empty type gives the AppBinding's own group and resource. */
export function appBindingGroupKind(type: string): { group: string; kind: string } {
  if (!type) return { group: 'appcatalog.appscode.com', kind: 'appbindings' };
  const i = type.lastIndexOf('/');
  return i < 0 ? { group: '', kind: type } : { group: type.slice(0, i), kind: type.slice(i + 1) };
}

/** Target labels: kind, group (AppBinding: from its type; omitted when it was not found), name. */
export function targetLabels(ref: MetricsTargetRef): Labels {
  const labels: Labels = {};
  if (ref.kind === 'AppBinding') {
    if (typeof ref.appBindingType === 'string') {
      const gk = appBindingGroupKind(ref.appBindingType);
      labels.kind = gk.kind;
      labels.group = gk.group;
    }
  } else {
    labels.kind = ref.kind;
    labels.group = apiGroupOf(ref.apiVersion);
  }
  labels.name = ref.name;
  return labels;
}

/** A Repository backend's labels as Stash derives them: provider; bucket (local: mountPath, rest: URL host);
 * prefix (local: none, rest: URL path). Empty bucket/prefix are left out. */
export function repositoryBackendLabels(backend: BackendSpec): { backend: string; bucket?: string; prefix?: string } {
  const pick = (provider: string, bucket?: string, prefix?: string) => ({
    backend: provider,
    ...(bucket ? { bucket } : {}),
    ...(prefix ? { prefix } : {}),
  });
  if (backend.local) return pick('local', backend.local.mountPath);
  if (backend.s3) return pick('s3', backend.s3.bucket, backend.s3.prefix);
  if (backend.gcs) return pick('gcs', backend.gcs.bucket, backend.gcs.prefix);
  if (backend.azure) return pick('azure', backend.azure.container, backend.azure.prefix);
  if (backend.swift) return pick('swift', backend.swift.container, backend.swift.prefix);
  if (backend.b2) return pick('b2', backend.b2.bucket, backend.b2.prefix);
  if (backend.rest) {
    let u: URL;
    try {
      u = new URL(backend.rest.url);
    } catch {
      throw new Error(`spec.backend.rest.url '${backend.rest.url}' is not a URL`);
    }
    return pick('rest', u.host, u.pathname === '/' ? '' : u.pathname);
  }
  throw new Error('spec.backend has no storage provider (local, s3, gcs, azure, swift, b2 or rest)');
}

/** Stash's Pushgateway job name: `<lowercase invoker kind>-<invoker namespace>-<invoker name>`. */
export function prometheusJobName(invoker: InvokerRef): string {
  return `${invoker.kind.toLowerCase()}-${invoker.namespace}-${invoker.name}`;
}

// ---- builders ----

function seconds(v: string | number | undefined, what: string): number {
  if (typeof v === 'number') return v;
  if (v === undefined || v === '') throw new Error(`${what} is required for a succeeded session`);
  return parseGoDuration(v);
}

function nowSeconds(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  return ms / 1000;
}

const hostOk = (h: { error?: string; phase?: string }): boolean => !h.error && h.phase !== 'Failed';

/** Session, target and host families of a finished BackupSession. */
export function backupSessionMetrics(input: BackupSessionMetricsInput): MetricFamily[] {
  const set = new FamilySet();
  const base = invokerLabels(input);
  const now = nowSeconds(input.now);

  const succeeded =
    (input.phase === undefined || input.phase === 'Succeeded') && input.targets.every((t) => t.phase === 'Succeeded');
  if (succeeded) {
    set.add('backup', 'success', base, 1);
    set.add('backup', 'duration_seconds', base, seconds(input.sessionDuration, 'sessionDuration'));
    set.add('backup', 'target_count_total', base, input.targets.length);
    set.add('backup', 'last_success_time_seconds', base, now);
  } else {
    set.add('backup', 'success', base, 0);
  }

  for (const t of input.targets) {
    const tl = { ...base, ...targetLabels(t.ref) };
    if (t.phase === 'Succeeded') {
      set.add('backup', 'target_success', tl, 1);
      set.add('backup', 'target_last_success_time_seconds', tl, now);
      set.add('backup', 'target_host_count_total', tl, t.totalHosts ?? 0);
    } else {
      set.add('backup', 'target_success', tl, 0);
    }
    for (const h of t.stats ?? []) {
      const hl = { ...tl, hostname: h.hostname ?? '' };
      if (!hostOk(h)) {
        set.add('backup', 'host_backup_success', hl, 0);
        continue;
      }
      let size = 0;
      let uploaded = 0;
      let processing = 0;
      const files = { total: 0, new: 0, modified: 0, unmodified: 0 };
      for (const s of h.snapshots ?? []) {
        size += parseSize(s.totalSize ?? '0 B');
        uploaded += parseSize(s.uploaded ?? '0 B');
        processing += parseClockSeconds(s.processingTime ?? '0');
        files.total += s.fileStats?.totalFiles ?? 0;
        files.new += s.fileStats?.newFiles ?? 0;
        files.modified += s.fileStats?.modifiedFiles ?? 0;
        files.unmodified += s.fileStats?.unmodifiedFiles ?? 0;
      }
      set.add('backup', 'host_backup_success', hl, 1);
      set.add('backup', 'host_backup_duration_seconds', hl, parseGoDuration(h.duration ?? '0s'));
      set.add('backup', 'host_files_total', hl, files.total);
      set.add('backup', 'host_files_new', hl, files.new);
      set.add('backup', 'host_files_modified', hl, files.modified);
      set.add('backup', 'host_files_unmodified', hl, files.unmodified);
      set.add('backup', 'host_data_size_bytes', hl, size);
      set.add('backup', 'host_data_uploaded_bytes', hl, uploaded);
      set.add('backup', 'host_data_processing_time_seconds', hl, processing);
    }
  }
  return set.families();
}

/** Session, target and host families of a finished RestoreSession (no last_success_time for restores). */
export function restoreSessionMetrics(input: RestoreSessionMetricsInput): MetricFamily[] {
  const set = new FamilySet();
  const base = invokerLabels(input);
  if (input.phase === 'Succeeded') {
    set.add('restore', 'success', base, 1);
    set.add('restore', 'duration_seconds', base, seconds(input.sessionDuration, 'sessionDuration'));
    set.add('restore', 'target_count_total', base, input.targets.length);
  } else {
    set.add('restore', 'success', base, 0);
  }
  for (const t of input.targets) {
    const tl = { ...base, ...targetLabels(t.ref) };
    if (t.phase === 'Succeeded') {
      set.add('restore', 'target_success', tl, 1);
      set.add('restore', 'target_host_count_total', tl, t.totalHosts ?? 0);
    } else {
      set.add('restore', 'target_success', tl, 0);
    }
    for (const h of t.stats ?? []) {
      const hl = { ...tl, hostname: h.hostname ?? '' };
      if (!hostOk(h)) {
        set.add('restore', 'host_restore_success', hl, 0);
        continue;
      }
      set.add('restore', 'host_restore_success', hl, 1);
      set.add('restore', 'host_restore_duration_seconds', hl, parseGoDuration(h.duration ?? '0s'));
    }
  }
  return set.families();
}

/** Repository families (after retention + integrity check). Labels: the invoker's, then name/namespace of the
 * Repository, backend, bucket and prefix. */
export function repositoryMetrics(input: RepositoryMetricsInput): MetricFamily[] {
  const set = new FamilySet();
  const labels: Labels = {
    ...invokerLabels({ ...input, repository: input.repository ?? input.repo.name }),
    name: input.repo.name,
    namespace: input.repo.namespace,
    backend: input.repo.backend,
    ...(input.repo.bucket ? { bucket: input.repo.bucket } : {}),
    ...(input.repo.prefix ? { prefix: input.repo.prefix } : {}),
  };
  const size = input.stats.size;
  set.add('repository', 'integrity', labels, input.stats.integrity ? 1 : 0);
  set.add('repository', 'size_bytes', labels, typeof size === 'number' ? size : parseSize(size ?? '0 B'));
  set.add('repository', 'snapshot_count', labels, input.stats.snapshotCount ?? 0);
  set.add('repository', 'snapshot_cleaned', labels, input.stats.snapshotsRemovedOnLastCleanup ?? 0);
  return set.families();
}

// ---- text exposition format ----

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Prometheus text exposition format (0.0.4); label names sorted, values escaped. */
export function renderText(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!NAME_RE.test(f.name)) throw new Error(`invalid metric name '${f.name}'`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const keys = Object.keys(s.labels).sort();
      for (const k of keys) {
        if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`invalid label name '${k}' on ${f.name}`);
      }
      const lbl = keys.map((k) => `${k}="${escapeLabelValue(s.labels[k] as string)}"`).join(',');
      lines.push(`${f.name}${lbl ? `{${lbl}}` : ''} ${formatValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

// ---- push ----

export interface PushOptions {
  /** default 10 s */
  timeoutMs?: number;
  /** 'POST' (Stash: replace same-named families, keep the rest of the group) or 'PUT' (replace the group) */
  method?: 'POST' | 'PUT';
}

export class PushError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PushError';
  }
}

/** The grouping-key path: /metrics/job/<job>, or /metrics/job@base64/<b64url> when the job name contains '/'. */
export function pushPath(jobName: string): string {
  if (!jobName) throw new PushError('Pushgateway job name is empty');
  return jobName.includes('/')
    ? `/metrics/job@base64/${Buffer.from(jobName).toString('base64url') || '='}`
    : `/metrics/job/${encodeURIComponent(jobName)}`;
}

/** The URL without credentials, for messages. */
function displayUrl(u: URL): string {
  const c = new URL(u.toString());
  c.username = '';
  c.password = '';
  return c.toString();
}

/** Pushes families to a Pushgateway (HTTP POST to /metrics/job/<jobName>, like Stash's push.Add()). */
export async function pushMetrics(url: string, jobName: string, families: MetricFamily[], opts: PushOptions = {}): Promise<void> {
  let target: URL;
  try {
    target = new URL(url.replace(/\/+$/, '') + pushPath(jobName));
  } catch (e) {
    if (e instanceof PushError) throw e;
    throw new PushError(`invalid Pushgateway URL '${url.replace(/\/\/[^/@]*@/, '//***@')}'`);
  }
  const body = renderText(families);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' };
  if (target.username || target.password) {
    headers.authorization =
      'Basic ' + Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64');
  }
  const where = displayUrl(target);
  const clean = new URL(where);
  let res: Response;
  try {
    res = await fetch(clean, {
      method: opts.method ?? 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      throw new PushError(`Pushgateway push to ${where} timed out after ${timeoutMs} ms`);
    }
    throw new PushError(`Pushgateway push to ${where} failed: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 500);
    throw new PushError(`Pushgateway push to ${where} failed: HTTP ${res.status}${text ? `: ${text}` : ''}`, res.status);
  }
  await res.body?.cancel().catch(() => undefined);
}

/** Deletes the job's group from the Pushgateway (DELETE /metrics/job/<jobName>). */
export async function deleteMetrics(url: string, jobName: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const target = new URL(url.replace(/\/+$/, '') + pushPath(jobName));
  const res = await fetch(target, { method: 'DELETE', signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  if (!res.ok && res.status !== 404) {
    throw new PushError(`Pushgateway delete of ${displayUrl(target)} failed: HTTP ${res.status}`, res.status);
  }
}

// ---- Stashflow's own families (not Stash's; one name, the stashflow_ prefix) ----

/** Verified backups (opt-in): 1 when the last backup's snapshot was restored into scratch indices and matched its
 * dump, 0 when it did not or could not be checked. Labels: the BackupConfiguration's, as on Stash's session families. */
export function backupVerifiedMetrics(input: CommonMetricsInput & { verified: boolean }): MetricFamily[] {
  return [
    {
      name: 'stashflow_backup_verified',
      help: 'Whether the last backup was verified by restoring it into scratch indices and comparing counts and checksums',
      type: 'gauge',
      samples: [{ labels: invokerLabels(input), value: input.verified ? 1 : 0 }],
    },
  ];
}
