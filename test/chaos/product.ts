// Stashflow's own processes as chaos tests run them: the worker (dist/worker/main.js) and watcher replicas
// (dist/watcher/main.js) as child processes on a test task queue, watching one namespace. Each is supervised like a
// Deployment's pod: when it exits (kill -9, lost lease) it is started again after a short delay, so a test kills a
// process and observes what the product does with the restarted one.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stackDir, stackEnv } from '../helpers/stack.js';
import { alive, kill9 } from './stack-control.js';

export interface ProductEnv {
  taskQueue: string;
  watchNamespace: string;
  leaseName: string;
  logDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private stopped = false;
  private holdUntil = 0;
  private log: WriteStream;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    logDir: string,
    /** like a Deployment's restart back-off, kept short */
    private readonly restartDelayMs = 300,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopped) return;
    this.starts++;
    const child = spawn(process.execPath, [join(repoRoot, this.script)], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    child.on('exit', (code, signal) => {
      this.log.write(`--- ${this.name} exited code=${code} signal=${signal}\n`);
      if (this.child !== child || this.stopped) return;
      this.child = undefined;
      const wait = Math.max(this.restartDelayMs, this.holdUntil - Date.now());
      setTimeout(() => this.start(), wait).unref();
    });
  }

  /** kill -9; the supervisor starts it again after downMs (at least its restart delay) */
  async kill9(downMs = 0): Promise<number> {
    const pid = this.child?.pid;
    if (!pid) throw new Error(`${this.name} is not running`);
    this.holdUntil = Date.now() + downMs;
    await kill9(pid);
    return pid;
  }

  /** resolves when a new process (another pid than `than`) runs */
  async waitRestarted(than: number, timeoutMs = 30_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const pid = this.child?.pid;
      if (pid && pid !== than && alive(pid)) return pid;
      await sleep(100);
    }
    throw new Error(`${this.name} was not restarted within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child?.pid && alive(child.pid)) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (alive(child.pid)) await kill9(child.pid);
    }
    await new Promise((r) => this.log.end(r));
  }
}

function baseEnv(p: ProductEnv): NodeJS.ProcessEnv {
  return {
    PATH: `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: stackEnv('TEMPORAL_ADDRESS'),
    TEMPORAL_NAMESPACE: 'default',
    KUBECONFIG: stackEnv('KUBECONFIG'),
    PUSHGATEWAY_URL: stackEnv('PUSHGATEWAY_URL'),
    STASHFLOW_TASK_QUEUE: p.taskQueue,
    LOG_LEVEL: 'info',
  };
}

export function workerProcess(p: ProductEnv): SupervisedProcess {
  return new SupervisedProcess('worker', 'dist/worker/main.js', baseEnv(p), p.logDir);
}

/** A watcher replica; replicas of one test share the Lease `leaseName`, with short timings so a takeover is quick. */
export function watcherProcess(p: ProductEnv, replica: number): SupervisedProcess {
  return new SupervisedProcess(
    `watcher-${replica}`,
    'dist/watcher/main.js',
    {
      ...baseEnv(p),
      STASHFLOW_WATCH_NAMESPACE: p.watchNamespace,
      STASHFLOW_LEASE_NAME: p.leaseName,
      STASHFLOW_IDENTITY: `${p.leaseName}-${replica}`,
      STASHFLOW_LEASE_DURATION: '4s',
      STASHFLOW_LEASE_RENEW_DEADLINE: '3s',
      STASHFLOW_LEASE_RETRY_PERIOD: '500ms',
      STASHFLOW_SCHEDULE_CATCHUP_WINDOW: '1m',
      STASHFLOW_RESYNC_PERIOD: '20s',
    },
    p.logDir,
  );
}
