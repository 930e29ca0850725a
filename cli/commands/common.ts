// Pieces every `stashflow` command shares: argument parsing (`<namespace>/<name>`, --output), cluster access with
// the same messages as `trigger`, and kubectl-like tables and ages. The pure parts are unit-tested.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createKubeClients, loadKubeConfig, statusCode, type KubeClients } from '../../lib/kube.js';

export interface CommandIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** true when stdout is a terminal (progress lines are redrawn in place) */
  isTTY?: boolean;
}

export const stdio: CommandIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: !!process.stdout.isTTY,
};

/** A usage error: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export type Output = 'table' | 'json';

export function parseOutput(v: string | undefined): Output {
  if (v === undefined || v === 'table') return 'table';
  if (v === 'json') return 'json';
  throw new UsageError(`--output must be json or table, not '${v}'`);
}

/** Parses argv with node's parseArgs, turning its errors into UsageError. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `<namespace>/<name>`, or `<name>` with --namespace. */
export function parseRef(
  arg: string | undefined,
  namespace: string | undefined,
  what: string,
): { namespace: string; name: string } {
  if (!arg) throw new UsageError(`expected <namespace>/<${what}>`);
  const parts = arg.split('/');
  if (parts.length > 2 || parts.some((p) => !p)) throw new UsageError(`'${arg}' is not <namespace>/<${what}>`);
  if (parts.length === 2) {
    const [ns, name] = parts as [string, string];
    if (namespace && namespace !== ns) throw new UsageError(`--namespace ${namespace} contradicts '${arg}'`);
    return { namespace: ns, name };
  }
  if (!namespace) throw new UsageError(`no namespace: use <namespace>/<${what}> or --namespace`);
  return { namespace, name: arg };
}

export function describeError(err: unknown): string {
  const code = statusCode(err);
  const e = err as { message?: string; cause?: { code?: string }; code?: unknown };
  if (code === 401 || code === 403) return `no access to the cluster (HTTP ${code}): check your kubeconfig and permissions`;
  const net = typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.code === 'string' ? e.code : undefined;
  if (net) return `cannot reach the Kubernetes API (${net}): ${e.message ?? ''}`.trim();
  return e?.message ?? String(err);
}

/** Kubernetes clients from --kubeconfig or $KUBECONFIG; a clear error (exit 1) when none can be loaded. */
export function connect(kubeconfig: string | undefined): KubeClients {
  const file = kubeconfig ?? process.env.KUBECONFIG;
  try {
    return createKubeClients(loadKubeConfig(file || undefined));
  } catch (err) {
    throw new CommandFailure(
      `no cluster access: cannot load a kubeconfig (${(err as Error).message}); set KUBECONFIG or --kubeconfig`,
    );
  }
}

/** A failure the command reports as is and exits 1 (missing object, no access, failed session). */
export class CommandFailure extends Error {}

/** Runs a command body with the shared error handling: usage → 2, anything else → 1, prefixed `stashflow <cmd>:`. */
export async function runCommand(cmd: string, usage: string, io: CommandIO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`stashflow ${cmd}: ${err.message}\n${usage}`);
      return EXIT.usage;
    }
    io.err(`stashflow ${cmd}: ${err instanceof CommandFailure ? err.message : describeError(err)}\n`);
    return EXIT.failure;
  }
}

/** Left-aligned columns separated by three spaces, as kubectl prints them; empty cells show as `<none>`. */
export function renderTable(headers: string[], rows: string[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined || r[i] === '' ? '<none>' : r[i]!)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** kubectl's age: 45s, 5m10s (under 10 minutes), 3h20m, 2d5h, 400d. */
export function formatAge(from: string | Date | undefined, now: Date = new Date()): string {
  if (!from) return '<unknown>';
  const t = typeof from === 'string' ? Date.parse(from) : from.getTime();
  if (!Number.isFinite(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return `${d}d`;
}

/** Elapsed seconds as 5s, 1m05s, 1h02m03s for progress lines. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const pad = (v: number) => String(v).padStart(2, '0');
  if (h) return `${h}h${pad(m)}m${pad(r)}s`;
  if (m) return `${m}m${pad(r)}s`;
  return `${r}s`;
}
