// The product's two processes as the bench runs them (as dev/product.sh does: `node dist/{watcher,worker}/main.js`
// with the stack's env), on the bench's own task queue, namespace and lease, and a /proc sampler of their RSS and CPU.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuTicks, rssKb } from './stats.js';

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts in these ticks

export interface Product {
  name: string;
  child: ChildProcess;
  pid: number;
  log: string;
  stop(): Promise<number | null>;
}

export function startProduct(
  dist: string,
  name: 'watcher' | 'worker',
  env: NodeJS.ProcessEnv,
  logDir: string,
  nodeArgs: string[] = [],
): Product {
  const log = join(logDir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, [...nodeArgs, join(dist, name, 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    name,
    child,
    pid: child.pid!,
    log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM'); // graceful: --cpu-prof is written on a normal exit
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

interface Sample {
  t: number;
  ticks: number;
  rssKb: number;
}

export interface Usage {
  seconds: number;
  cpuPercent: number; // of one core
  rssMaxMB: number;
  rssAvgMB: number;
}

/** Samples /proc/<pid>/{stat,status} of each process every intervalMs; usage(name, from, to) over a window. */
export class Sampler {
  private readonly samples = new Map<string, Sample[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: Record<string, number>,
    private readonly intervalMs = 250,
  ) {
    for (const n of Object.keys(pids)) this.samples.set(n, []);
  }

  start(): void {
    const tick = () => void this.sample();
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    const t = Date.now();
    await Promise.all(
      Object.entries(this.pids).map(async ([name, pid]) => {
        try {
          const [stat, status] = await Promise.all([
            readFile(`/proc/${pid}/stat`, 'utf8'),
            readFile(`/proc/${pid}/status`, 'utf8'),
          ]);
          this.samples.get(name)!.push({ t, ticks: cpuTicks(stat), rssKb: rssKb(status) });
        } catch {
          // process gone: no sample
        }
      }),
    );
  }

  usage(name: string, from: number, to: number): Usage | undefined {
    const s = (this.samples.get(name) ?? []).filter((x) => x.t >= from && x.t <= to);
    if (s.length < 2) return undefined;
    const first = s[0]!;
    const last = s[s.length - 1]!;
    const seconds = (last.t - first.t) / 1000;
    const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
    return {
      seconds: Math.round(seconds * 10) / 10,
      cpuPercent: Math.round(((last.ticks - first.ticks) / CLK_TCK / seconds) * 1000) / 10,
      rssMaxMB: mb(Math.max(...s.map((x) => x.rssKb))),
      rssAvgMB: mb(s.reduce((a, x) => a + x.rssKb, 0) / s.length),
    };
  }
}
