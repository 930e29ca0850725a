// Pure helpers of the orchestration bench: percentiles, the slot a scheduled object belongs to, the next firing of the
// yearly crons the scale phase uses (to check a Schedule independently of our own code), /proc parsing and the
// command line. No I/O here, so test/unit/bench-orchestration.test.ts covers it without the stack.

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of ascending values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** n, min, p50, p95, max, mean (rounded to 0.1) of the values; undefined when there are none. */
export function summarize(values: readonly number[]): Summary | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: round(s[0]!),
    p50: round(percentile(s, 50)),
    p95: round(percentile(s, 95)),
    max: round(s[s.length - 1]!),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** Slot (ms) of a scheduled BackupSession, named `<config>-<unix seconds>` by createBackupSession. */
export function sessionSlotMs(name: string, config: string): number | undefined {
  if (!name.startsWith(config + '-')) return undefined;
  const rest = name.slice(config.length + 1);
  return /^\d{9,11}$/.test(rest) ? Number(rest) * 1000 : undefined;
}

/** Slot (ms) of a CronJob's Job: the CronJob controller names it `<cronjob>-<scheduled unix minutes>`. */
export function cronJobSlotMs(name: string, cronJob: string): number | undefined {
  if (!name.startsWith(cronJob + '-')) return undefined;
  const rest = name.slice(cronJob.length + 1);
  return /^\d{7,9}$/.test(rest) ? Number(rest) * 60_000 : undefined;
}

/** `M H 1 1 *`: a cron that fires once a year, so the scale phase's Schedules never fire while measured. */
export const yearlyCron = (minute: number, hour: number): string => `${minute} ${hour} 1 1 *`;

/** Next firing (UTC) of yearlyCron(minute, hour) strictly after `after`. */
export function nextYearly(minute: number, hour: number, after: Date): Date {
  for (let y = after.getUTCFullYear(); ; y++) {
    const t = new Date(Date.UTC(y, 0, 1, hour, minute));
    if (t.getTime() > after.getTime()) return t;
  }
}

/** utime+stime in clock ticks from /proc/<pid>/stat (the fields after the parenthesised comm). */
export function cpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after comm: state(0) ppid(1) ... utime is field 14 of the whole line = index 11 here, stime index 12
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS in kB from /proc/<pid>/status. */
export function rssKb(status: string): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) : 0;
}

export interface BenchArgs {
  quick: boolean;
  fireConfigs: number;
  fireSlots: number;
  scaleConfigs: number;
  burst: number;
  idleSeconds: number;
  profile: boolean;
  phases: Set<'fire' | 'scale' | 'burst'>;
  out: string | undefined;
  maxActivities: number | undefined;
  label: string | undefined;
  /** the build whose watcher/worker run (default <repo>/dist), e.g. a worktree's dist of an older commit */
  dist: string | undefined;
}

const PHASES = ['fire', 'scale', 'burst'] as const;

/** --quick [--fire N] [--slots N] [--configs N] [--burst N] [--idle S] [--phases a,b] [--profile] [--out F] [--max-activities N] [--label L] [--dist DIR] */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const a: BenchArgs = {
    quick,
    fireConfigs: quick ? 5 : 20,
    fireSlots: quick ? 1 : 3,
    scaleConfigs: quick ? 50 : 1000,
    burst: quick ? 10 : 100,
    idleSeconds: quick ? 5 : 30,
    profile: false,
    phases: new Set(PHASES),
    out: undefined,
    maxActivities: undefined,
    label: undefined,
    dist: undefined,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const v = () => argv[++i];
    switch (f) {
      case '--quick':
        break;
      case '--profile':
        a.profile = true;
        break;
      case '--fire':
        a.fireConfigs = num(f, v());
        break;
      case '--slots':
        a.fireSlots = num(f, v());
        break;
      case '--configs':
        a.scaleConfigs = num(f, v());
        break;
      case '--burst':
        a.burst = num(f, v());
        break;
      case '--idle':
        a.idleSeconds = num(f, v());
        break;
      case '--max-activities':
        a.maxActivities = num(f, v());
        break;
      case '--out':
        a.out = v();
        break;
      case '--label':
        a.label = v();
        break;
      case '--dist':
        a.dist = v();
        break;
      case '--phases': {
        const list = (v() ?? '').split(',').filter(Boolean);
        for (const p of list) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase '${p}'`);
        a.phases = new Set(list as Array<(typeof PHASES)[number]>);
        break;
      }
      default:
        throw new Error(`unknown argument '${f}'`);
    }
  }
  return a;
}
