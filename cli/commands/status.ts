// `stashflow status [-n NS | -A] [<backupconfiguration>]`: the BackupSessions and RestoreSessions of a namespace
// (or all), newest first, with phase, duration, snapshot and size (from status.targets[].stats[].snapshots[]), age
// and invoker. With a BackupConfiguration: its BackupSessions and the RestoreSessions of its Repository.
import { resources, type BackupConfiguration, type BackupSession, type Kind, type RestoreSession } from '../../api/types.js';
import type { KubeClients } from '../../lib/kube.js';
import { getObject } from '../../lib/objects.js';
import {
  CommandFailure,
  EXIT,
  UsageError,
  connect,
  formatAge,
  parseCommandArgs,
  parseOutput,
  parseRef,
  renderTable,
  runCommand,
  stdio,
  type CommandIO,
} from './common.js';

export const statusUsage = `usage: stashflow status [-n NAMESPACE | -A] [<backupconfiguration>] [--output json|table] [--kubeconfig FILE]
       stashflow status <namespace>/<backupconfiguration>

Lists BackupSessions and RestoreSessions, newest first: phase, duration, snapshot, size, age, invoker.
With a BackupConfiguration, only its BackupSessions and the RestoreSessions of its Repository.
Exit codes: 0 ok, 1 not found or no cluster access, 2 usage error.
`;

export interface SessionRow {
  kind: 'BackupSession' | 'RestoreSession';
  namespace: string;
  name: string;
  phase: string;
  duration: string;
  snapshots: string[];
  size: string;
  created: string;
  invoker: string;
  message?: string;
}

export function backupRow(s: BackupSession): SessionRow {
  const snaps = (s.status?.targets ?? []).flatMap((t) => (t.stats ?? []).flatMap((h) => h.snapshots ?? []));
  const failed = [...(s.status?.conditions ?? [])].reverse().find((c) => c.status === 'False' && c.message);
  return {
    kind: 'BackupSession',
    namespace: s.metadata.namespace ?? '',
    name: s.metadata.name,
    phase: s.status?.phase ?? 'Pending',
    duration: s.status?.sessionDuration ?? '',
    snapshots: snaps.map((x) => x.name ?? '').filter((x) => x),
    size: snaps
      .map((x) => x.totalSize ?? '')
      .filter((x) => x)
      .join(','),
    created: s.metadata.creationTimestamp ?? '',
    invoker: `${s.spec?.invoker?.kind ?? ''}/${s.spec?.invoker?.name ?? ''}`,
    ...(failed?.message ? { message: failed.message } : {}),
  };
}

export function restoreRow(s: RestoreSession): SessionRow {
  const failed = [...(s.status?.conditions ?? [])].reverse().find((c) => c.status === 'False' && c.message);
  const rules = s.spec?.target?.rules ?? s.spec?.rules ?? [];
  const ref = s.spec?.target?.ref;
  return {
    kind: 'RestoreSession',
    namespace: s.metadata.namespace ?? '',
    name: s.metadata.name,
    phase: s.status?.phase ?? 'Pending',
    duration: s.status?.sessionDuration ?? '',
    snapshots: rules.flatMap((r) => r.snapshots ?? []),
    size: '',
    created: s.metadata.creationTimestamp ?? '',
    invoker: ref ? `${ref.kind}/${ref.name}` : `Repository/${s.spec?.repository?.name ?? ''}`,
    ...(failed?.message ? { message: failed.message } : {}),
  };
}

/** Newest first; equal times by name, so the order is stable. */
export function sortRows(rows: SessionRow[]): SessionRow[] {
  return [...rows].sort((a, b) => Date.parse(b.created || '0') - Date.parse(a.created || '0') || a.name.localeCompare(b.name));
}

export function renderStatusTable(rows: SessionRow[], allNamespaces: boolean, now = new Date()): string {
  const headers = ['KIND', 'NAME', 'INVOKER', 'PHASE', 'DURATION', 'SNAPSHOT', 'SIZE', 'AGE'];
  const body = rows.map((r) => [
    r.kind,
    r.name,
    r.invoker,
    r.phase,
    r.duration,
    r.snapshots.join(','),
    r.size,
    formatAge(r.created, now),
  ]);
  return allNamespaces
    ? renderTable(
        ['NAMESPACE', ...headers],
        body.map((r, i) => [rows[i]!.namespace, ...r]),
      )
    : renderTable(headers, body);
}

async function list<T>(kube: KubeClients, kind: Kind, namespace: string | undefined): Promise<T[]> {
  const r = resources[kind];
  const c = { group: r.group, version: r.version, plural: r.plural };
  const res = (
    namespace === undefined
      ? await kube.custom.listClusterCustomObject(c)
      : await kube.custom.listNamespacedCustomObject({ ...c, namespace })
  ) as { items: T[] };
  return res.items;
}

/** The kubeconfig context's namespace, else `default` (as kubectl). */
export function contextNamespace(kube: KubeClients): string {
  return kube.kc.getContextObject(kube.kc.getCurrentContext())?.namespace || 'default';
}

export async function status(argv: string[], io: CommandIO = stdio): Promise<number> {
  return runCommand('status', statusUsage, io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(statusUsage);
      return EXIT.ok;
    }
    const output = parseOutput(values.output);
    if (positionals.length > 1) throw new UsageError('expected at most one <backupconfiguration>');
    const all = !!values['all-namespaces'];
    if (all && (values.namespace || positionals.length)) {
      throw new UsageError('-A lists every namespace: it takes neither --namespace nor a BackupConfiguration');
    }
    const kube = connect(values.kubeconfig);
    const namespace = all
      ? undefined
      : (values.namespace ?? (positionals[0]?.includes('/') ? undefined : contextNamespace(kube)));
    const config = positionals[0] ? parseRef(positionals[0], namespace, 'backupconfiguration') : undefined;
    const ns = config?.namespace ?? namespace;

    let backups = await list<BackupSession>(kube, 'BackupSession', ns);
    let restores = await list<RestoreSession>(kube, 'RestoreSession', ns);
    if (config) {
      const bc = await getObject<BackupConfiguration>(kube, 'BackupConfiguration', config.namespace, config.name);
      if (!bc) throw new CommandFailure(`BackupConfiguration ${config.namespace}/${config.name} not found`);
      backups = backups.filter((b) => b.spec?.invoker?.kind === 'BackupConfiguration' && b.spec.invoker.name === config.name);
      const repo = bc.spec.repository;
      restores = restores.filter(
        (r) =>
          r.spec?.repository?.name === repo?.name &&
          (r.spec.repository.namespace ?? config.namespace) === (repo?.namespace ?? config.namespace),
      );
    }
    const rows = sortRows([...backups.map(backupRow), ...restores.map(restoreRow)]);
    if (output === 'json') io.out(JSON.stringify(rows, null, 2) + '\n');
    else if (!rows.length) io.err(all ? 'No sessions found.\n' : `No sessions found in ${ns} namespace.\n`);
    else io.out(renderStatusTable(rows, all));
    return EXIT.ok;
  });
}
