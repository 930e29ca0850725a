// `stashflow trigger <namespace>/<backupconfiguration>`: take a backup now, like `kubectl stash trigger`.
// It creates the BackupSession directly through the Kubernetes API (name `<config>-<unix seconds>`, invoker, owner
// and labels exactly as a Schedule firing would), instead of triggering the Temporal Schedule: it needs only
// cluster access (the same RBAC as kubectl), works while Temporal is unreachable, and returns the session name at
// once. The watcher then starts the backupSession workflow for it like for any other BackupSession.
// An explicit trigger also runs for a paused configuration: spec.paused stops the schedule, not a manual backup.
import { parseArgs } from 'node:util';
import { createBackupSessionFor } from '../../lib/backup-sessions.js';
import { createKubeClients, loadKubeConfig, statusCode } from '../../lib/kube.js';
import { backupSessionName } from '../../workflows/contracts.js';

export const triggerUsage = `usage: stashflow trigger <namespace>/<backupconfiguration> [--kubeconfig FILE]
       stashflow trigger <backupconfiguration> --namespace NAMESPACE

Creates a BackupSession for the BackupConfiguration now and prints its name.
Exit codes: 0 created, 1 not found or no cluster access, 2 usage error.
`;

export interface TriggerIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

function describeError(err: unknown): string {
  const code = statusCode(err);
  const e = err as { message?: string; cause?: { code?: string }; code?: unknown };
  if (code === 401 || code === 403) return `no access to the cluster (HTTP ${code}): check your kubeconfig and permissions`;
  const net = typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.code === 'string' ? e.code : undefined;
  if (net) return `cannot reach the Kubernetes API (${net}): ${e.message ?? ''}`.trim();
  return e?.message ?? String(err);
}

export async function trigger(argv: string[], io: TriggerIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        namespace: { type: 'string', short: 'n' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.err(`stashflow trigger: ${(err as Error).message}\n${triggerUsage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(triggerUsage);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`stashflow trigger: expected one <namespace>/<backupconfiguration>\n${triggerUsage}`);
    return 2;
  }
  const arg = positionals[0]!;
  let namespace = values.namespace;
  let name = arg;
  if (arg.includes('/')) {
    const [ns, n, extra] = arg.split('/');
    if (extra !== undefined || !ns || !n) {
      io.err(`stashflow trigger: '${arg}' is not <namespace>/<name>\n`);
      return 2;
    }
    if (namespace && namespace !== ns) {
      io.err(`stashflow trigger: --namespace ${namespace} contradicts '${arg}'\n`);
      return 2;
    }
    namespace = ns;
    name = n;
  }
  if (!namespace) {
    io.err(`stashflow trigger: no namespace: use <namespace>/<name> or --namespace\n`);
    return 2;
  }

  let kube;
  try {
    const file = values.kubeconfig ?? process.env.KUBECONFIG;
    kube = createKubeClients(loadKubeConfig(file || undefined));
  } catch (err) {
    io.err(
      `stashflow trigger: no cluster access: cannot load a kubeconfig (${(err as Error).message}); set KUBECONFIG or --kubeconfig\n`,
    );
    return 1;
  }
  const sessionName = backupSessionName(name, Date.now());
  try {
    const r = await createBackupSessionFor(kube, { namespace, name }, sessionName, { ignorePaused: true });
    if (r.reason === 'NotFound' || r.reason === 'Deleting') {
      io.err(`stashflow trigger: ${r.message}\n`);
      return 1;
    }
    if (r.reason === 'AlreadyExists')
      io.err(`note: BackupSession ${namespace}/${sessionName} already existed (triggered in the same second)\n`);
    io.out(`${sessionName}\n`);
    return 0;
  } catch (err) {
    io.err(`stashflow trigger: ${describeError(err)}\n`);
    return 1;
  }
}
