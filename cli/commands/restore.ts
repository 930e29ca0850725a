// `stashflow restore <namespace>/<repository> --to <appbinding>`: creates a RestoreSession and follows it until it is
// final. The restore Task defaults to the BackupConfiguration's Task (of the one that uses this Repository) with
// `backup` → `restore` in its name (elasticsearch-backup-8.2.0 → elasticsearch-restore-8.2.0), as Stash's catalog
// names its pairs; --task names it otherwise.
import {
  APPCATALOG_GROUP,
  finalRestorePhases,
  resources,
  type BackupConfiguration,
  type Repository,
  type RestoreSession,
  type RestoreSessionPhase,
} from '../../api/types.js';
import { ProgressTracker, readJobLogTail, type JobProgress } from '../../activities/job-progress.js';
import type { KubeClients } from '../../lib/kube.js';
import { createObject, getObject, listObjects } from '../../lib/objects.js';
import {
  CommandFailure,
  EXIT,
  UsageError,
  connect,
  formatElapsed,
  parseCommandArgs,
  parseRef,
  runCommand,
  stdio,
  type CommandIO,
} from './common.js';

export const restoreUsage = `usage: stashflow restore <namespace>/<repository> --to <appbinding> [--snapshot ID|latest] [--task NAME]
                         [--name NAME] [--no-wait] [--timeout DURATION] [--output json|table] [--kubeconfig FILE]

Creates a RestoreSession that restores a snapshot of the Repository (default: latest) into the AppBinding, then
follows it until it is final, printing its phase and elapsed time.
  --task     the restore Task (default: the Task of the BackupConfiguration using this Repository, with
             'backup' replaced by 'restore', e.g. elasticsearch-backup-8.2.0 -> elasticsearch-restore-8.2.0)
  --name     the RestoreSession's name (default: <appbinding>-restore-<unix seconds>)
  --no-wait  print the RestoreSession's name and return once it is created
Exit codes: 0 created (--no-wait) or Succeeded, 1 failed, not found or no cluster access, 2 usage error.
`;

/** elasticsearch-backup-8.2.0 → elasticsearch-restore-8.2.0; undefined when the name has no `backup`. */
export function restoreTaskName(backupTask: string): string | undefined {
  if (!/backup/.test(backupTask)) return undefined;
  const i = backupTask.lastIndexOf('backup');
  return `${backupTask.slice(0, i)}restore${backupTask.slice(i + 'backup'.length)}`;
}

/** The restore Task derived from the BackupConfigurations that use the Repository; an error says why none fits. */
export function deriveRestoreTask(configs: BackupConfiguration[], namespace: string, repository: string): string {
  const using = configs.filter(
    (c) =>
      c.spec?.repository?.name === repository && (c.spec.repository.namespace ?? c.metadata.namespace ?? namespace) === namespace,
  );
  if (!using.length) {
    throw new CommandFailure(
      `no BackupConfiguration in ${namespace} uses Repository ${repository}: name the restore Task with --task`,
    );
  }
  const derived = [...new Set(using.map((c) => c.spec.task?.name ?? ''))];
  if (derived.length > 1) {
    throw new CommandFailure(
      `BackupConfigurations using Repository ${repository} run different Tasks (${derived.join(', ')}): name the restore Task with --task`,
    );
  }
  const task = derived[0];
  const name = task ? restoreTaskName(task) : undefined;
  if (!name) {
    throw new CommandFailure(
      `cannot derive a restore Task from ${task ? `Task '${task}'` : 'a BackupConfiguration without spec.task'}: name it with --task`,
    );
  }
  return name;
}

export interface RestoreOptions {
  namespace: string;
  repository: string;
  appBinding: string;
  task: string;
  name: string;
  snapshot?: string;
}

export function restoreSessionBody(o: RestoreOptions): RestoreSession {
  const rules = o.snapshot && o.snapshot !== 'latest' ? [{ snapshots: [o.snapshot] }] : undefined;
  return {
    apiVersion: `${resources.RestoreSession.group}/${resources.RestoreSession.version}`,
    kind: 'RestoreSession',
    metadata: { name: o.name, namespace: o.namespace, labels: { 'app.kubernetes.io/managed-by': 'stashflow-cli' } },
    spec: {
      repository: { name: o.repository },
      task: { name: o.task },
      target: {
        ref: { apiVersion: `${APPCATALOG_GROUP}/${resources.AppBinding.version}`, kind: 'AppBinding', name: o.appBinding },
        ...(rules ? { rules } : {}),
      },
    },
  };
}

/** The message of the condition that failed the session (the newest False one), else a host's error. */
export function failureMessage(s: RestoreSession): string {
  const conds = s.status?.conditions ?? [];
  const c = [...conds].reverse().find((x) => x.status === 'False' && x.message) ?? [...conds].reverse().find((x) => x.message);
  const hostError = (s.status?.stats ?? []).find((h) => h.error)?.error;
  return c?.message ? `${c.type}: ${c.message}` : (hostError ?? 'no condition explains it');
}

export function progressLine(phase: string, elapsedSeconds: number, name: string, progress?: JobProgress): string {
  const line = `RestoreSession ${name}: ${phase.padEnd(9)} ${formatElapsed(elapsedSeconds)}`;
  const bar = progressBar(progress);
  return bar ? `${line}  ${bar}` : line;
}

/** `[#####.....]  42%  12000/28000 docs` from the restore Job's progress lines; '' before there is a total. */
export function progressBar(p: JobProgress | undefined, width = 24): string {
  if (!p?.docsTotal || p.percent === undefined) return '';
  const filled = Math.round((p.percent / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(p.percent).padStart(3)}%  ${p.docsDone}/${p.docsTotal} docs`;
}

/** The restore Job's progress (the function's JSON progress lines in its pod log), read through the apiserver. */
function jobProgressReader(kube: KubeClients, namespace: string, name: string) {
  let job = '';
  let tracker = new ProgressTracker();
  return async (): Promise<JobProgress | undefined> => {
    const jobs = await kube.batch
      .listNamespacedJob({ namespace, labelSelector: `stash.appscode.com/invoker-name=${name},stashflow.dev/session=${name}` })
      .catch(() => undefined);
    const newest = jobs?.items
      .filter((j) => j.metadata?.name?.startsWith('stash-restore-'))
      .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)))
      .at(-1)?.metadata?.name;
    if (!newest) return undefined;
    if (newest !== job) [job, tracker] = [newest, new ProgressTracker()]; // a new attempt starts over
    tracker.add(await readJobLogTail(kube, namespace, job));
    return tracker.summary();
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function follow(
  kube: KubeClients,
  namespace: string,
  name: string,
  io: CommandIO,
  timeoutMs: number,
  pollMs: number,
): Promise<number> {
  const start = Date.now();
  const readProgress = jobProgressReader(kube, namespace, name);
  let last = '';
  let lastDecile = -1;
  let progress: JobProgress | undefined;
  // a terminal redraws one line with a bar; a pipe gets a line per phase and per 10 % of the documents
  const show = (phase: string, final = false) => {
    const line = progressLine(phase, (Date.now() - start) / 1000, name, progress);
    const decile = progress?.percent === undefined ? -1 : Math.floor(progress.percent / 10);
    if (io.isTTY) io.out(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else if (phase !== last || decile !== lastDecile || final) io.out(`${line}\n`);
    last = phase;
    lastDecile = decile;
  };
  for (;;) {
    const s = await getObject<RestoreSession>(kube, 'RestoreSession', namespace, name);
    if (!s) {
      if (io.isTTY) io.out('\n');
      throw new CommandFailure(`RestoreSession ${namespace}/${name} was deleted while waiting`);
    }
    const phase: RestoreSessionPhase = s.status?.phase ?? 'Pending';
    if (finalRestorePhases.includes(phase)) {
      if (phase === 'Succeeded') progress = (await readProgress()) ?? progress; // the last lines: 100 %
      if (io.isTTY || phase !== last) show(phase, true);
      if (phase === 'Succeeded') return EXIT.ok;
      io.err(`stashflow restore: RestoreSession ${namespace}/${name} ${phase}: ${failureMessage(s)}\n`);
      return EXIT.failure;
    }
    if (phase === 'Running') progress = await readProgress();
    show(phase);
    if (Date.now() - start > timeoutMs) {
      if (io.isTTY) io.out('\n');
      throw new CommandFailure(
        `RestoreSession ${namespace}/${name} still ${phase} after ${formatElapsed(timeoutMs / 1000)}; it goes on (stashflow status -n ${namespace})`,
      );
    }
    await sleep(pollMs);
  }
}

/** Go-like duration for --timeout: 90s, 10m, 1h30m. */
export function parseTimeout(text: string): number {
  const re = /(\d+(?:\.\d+)?)(h|m|s)/g;
  let total = 0;
  let consumed = '';
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
    consumed += m[0];
  }
  if (!text || consumed !== text || total <= 0)
    throw new UsageError(`--timeout '${text}' is not a duration like 90s, 10m or 1h30m`);
  return total * 1000;
}

export async function restore(argv: string[], io: CommandIO = stdio, opts: { pollMs?: number } = {}): Promise<number> {
  return runCommand('restore', restoreUsage, io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      namespace: { type: 'string', short: 'n' },
      to: { type: 'string' },
      snapshot: { type: 'string' },
      task: { type: 'string' },
      name: { type: 'string' },
      'no-wait': { type: 'boolean' },
      timeout: { type: 'string' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(restoreUsage);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected one <namespace>/<repository>');
    const ref = parseRef(positionals[0], values.namespace, 'repository');
    if (!values.to) throw new UsageError('--to <appbinding> is required');
    if (values.output && !['json', 'table'].includes(values.output)) throw new UsageError('--output must be json or table');
    const timeoutMs = values.timeout ? parseTimeout(values.timeout) : 24 * 3600 * 1000;
    const name = values.name ?? `${values.to}-restore-${Math.floor(Date.now() / 1000)}`;

    const kube = connect(values.kubeconfig);
    const repo = await getObject<Repository>(kube, 'Repository', ref.namespace, ref.name);
    if (!repo) throw new CommandFailure(`Repository ${ref.namespace}/${ref.name} not found`);
    if (!(await getObject(kube, 'AppBinding', ref.namespace, values.to))) {
      throw new CommandFailure(`AppBinding ${ref.namespace}/${values.to} not found`);
    }
    const task =
      values.task ??
      deriveRestoreTask(
        await listObjects<BackupConfiguration>(kube, 'BackupConfiguration', ref.namespace),
        ref.namespace,
        ref.name,
      );
    if (!(await getObject(kube, 'Task', undefined, task))) throw new CommandFailure(`Task ${task} not found`);

    const body = restoreSessionBody({
      namespace: ref.namespace,
      repository: ref.name,
      appBinding: values.to,
      task,
      name,
      ...(values.snapshot ? { snapshot: values.snapshot } : {}),
    });
    const created = await createObject<RestoreSession>(kube, 'RestoreSession', ref.namespace, body);
    if (values['no-wait']) {
      io.out(values.output === 'json' ? JSON.stringify(created, null, 2) + '\n' : `${name}\n`);
      return EXIT.ok;
    }
    io.err(`created RestoreSession ${ref.namespace}/${name} (Task ${task})\n`);
    // Ctrl-C stops following, not the restore
    process.once('SIGINT', () => {
      io.err(`\nstopped following; RestoreSession ${ref.namespace}/${name} goes on (stashflow status -n ${ref.namespace})\n`);
      process.exit(130);
    });
    return follow(kube, ref.namespace, name, io, timeoutMs, opts.pollMs ?? 1000);
  });
}
