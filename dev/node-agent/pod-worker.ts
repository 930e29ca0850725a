// The life of one pod on this node: images -> volumes -> init containers in order -> containers (restartPolicy,
// back-off) -> terminal phase; activeDeadlineSeconds; graceful deletion. Writes the pod's status as it goes.
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { ContainerProcess, type ExitInfo, type Mount } from './container-process.js';
import { LogWriter, logPath, tailText } from './container-logs.js';
import { ConfigError, type ObjectReader, resolveEnv } from './env-resolver.js';
import { expand } from './expand.js';
import type { ImageMap } from './image-map.js';
import { isNotFound, type KubeApi, rfc3339, sleep } from './kube-api.js';
import { errMsg, log } from './log.js';
import { buildStatus, Conditions, type ContainerRecord, exitCodeOf, HOST_IP, newRecord, type Phase, waiting } from './pod-status.js';
import type { StateStore } from './state-store.js';
import type { PreparedVolumes, VolumeManager } from './volumes.js';

const MAX_TERMINATION_MESSAGE = 4096;
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export interface WorkerDeps {
  api: KubeApi;
  cfg: AgentConfig;
  images: ImageMap;
  reader: ObjectReader;
  volumes: VolumeManager;
  state: StateStore;
  node: { cpu: number; memory: number };
}

export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly dir: string;
  private phase: Phase = 'Pending';
  private reason: string | undefined;
  private message: string | undefined;
  private readonly startTime: string;
  private readonly init: ContainerRecord[];
  private readonly containers: ContainerRecord[];
  private initialized = false;
  private sandboxReady = false;
  private readonly procs = new Map<string, ContainerProcess>();
  private readonly running = new Map<string, number>(); // container -> restartCount of the live run
  private readonly lastRun = new Map<string, number>(); // container -> restartCount of its latest run
  private stopping = false;
  private stopDone: Promise<void> | undefined;
  private deleting = false;
  private finished: Promise<void> = Promise.resolve();
  private readonly wakers = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private prepared: PreparedVolumes | undefined;
  private readonly conds: Conditions;
  private dirty = false;
  private syncing: Promise<void> | undefined;
  private gone = false;
  private readonly backoff = new Map<string, number>();

  constructor(
    private pod: V1Pod,
    private readonly deps: WorkerDeps,
  ) {
    this.uid = pod.metadata!.uid!;
    this.namespace = pod.metadata!.namespace!;
    this.name = pod.metadata!.name!;
    this.dir = deps.volumes.podDir(this.uid);
    this.startTime = pod.status?.startTime ? String(pod.status.startTime) : rfc3339();
    const hasInit = (pod.spec?.initContainers ?? []).length > 0;
    this.init = (pod.spec?.initContainers ?? []).map((c) => newRecord(c.name, c.image ?? '', 'PodInitializing'));
    this.containers = pod.spec!.containers.map((c) => newRecord(c.name, c.image ?? '', hasInit ? 'PodInitializing' : 'ContainerCreating'));
    this.conds = new Conditions(pod);
  }

  get terminal(): boolean {
    return this.phase === 'Succeeded' || this.phase === 'Failed';
  }

  /** Which log file holds a container's current (latest) run, or the run before it. */
  logFile(container: string, previous: boolean): string | undefined {
    const last = this.lastRun.get(container);
    if (last === undefined) return undefined;
    const n = previous ? last - 1 : last;
    return n < 0 ? undefined : logPath(this.dir, container, n);
  }

  isRunning(container: string): boolean {
    return this.running.has(container);
  }

  start(): void {
    this.finished = this.run().catch((err) => {
      log('pod worker failed', { pod: `${this.namespace}/${this.name}`, err: errMsg(err) });
    });
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.deleting) void this.handleDeletion();
  }

  // ---- main flow ----

  private async run(): Promise<void> {
    const spec = this.pod.spec!;
    mkdirSync(this.dir, { recursive: true });
    this.sync();

    for (const [c, rec] of this.allContainers()) {
      if (!this.deps.images.resolve(c.image ?? '')) {
        const message = `image "${c.image}" is not in dev/node-agent/images.json (the node agent runs images as host processes)`;
        rec.state = waiting('ErrImagePull', message);
        this.fail('ErrImagePull', message);
        return;
      }
    }

    let attempt = 0;
    while (!this.stopping) {
      try {
        this.prepared = await this.deps.volumes.prepare(this.pod);
        break;
      } catch (err) {
        const message = `MountVolume.SetUp failed: ${errMsg(err)}`;
        if (!(err instanceof ConfigError)) log('volume setup failed', { pod: this.key(), err: errMsg(err) });
        for (const [, rec] of this.allContainers()) if (rec.state.waiting) rec.state = waiting('ContainerCreating', message);
        this.message = message;
        this.sync();
        await this.sleep(Math.min(1000 * 2 ** attempt++, 10_000));
      }
    }
    if (this.stopping) return;
    this.message = undefined;
    this.sandboxReady = true;
    this.scheduleTokenRefresh();
    this.scheduleDeadline();

    for (const [i, c] of (spec.initContainers ?? []).entries()) {
      const rec = this.init[i]!;
      for (;;) {
        const exit = await this.runOnce(c, rec, true);
        if (!exit || this.stopping) return;
        if (exit.exitCode === 0) break;
        if (spec.restartPolicy === 'Never') {
          this.fail(undefined, undefined);
          return;
        }
        if (!(await this.backOff(c.name, rec))) return;
      }
    }
    this.initialized = true;
    for (const rec of this.containers) rec.state = waiting('ContainerCreating');
    this.sync();

    await Promise.all(spec.containers.map((c, i) => this.containerLoop(c, this.containers[i]!)));
    if (this.stopping) return;
    this.phase = this.containers.every((r) => exitCodeOf(r) === 0) ? 'Succeeded' : 'Failed';
    this.clearTimers();
    this.sync();
    log('pod finished', { pod: this.key(), phase: this.phase });
  }

  private async containerLoop(c: V1Container, rec: ContainerRecord): Promise<void> {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    for (;;) {
      const exit = await this.runOnce(c, rec, false);
      if (!exit || this.stopping) return;
      const restart = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
      if (!restart) return;
      if (!(await this.backOff(c.name, rec))) return;
    }
  }

  /** CrashLoopBackOff: wait 10s, 20s, ... up to 5 min, then start the container again. */
  private async backOff(name: string, rec: ContainerRecord): Promise<boolean> {
    const delay = this.backoff.get(name) ?? BACKOFF_START_MS;
    this.backoff.set(name, Math.min(delay * 2, BACKOFF_MAX_MS));
    rec.lastState = rec.state;
    rec.state = waiting('CrashLoopBackOff', `back-off ${Math.round(delay / 1000)}s restarting failed container=${name} pod=${this.name}_${this.namespace}(${this.uid})`);
    this.sync();
    await this.sleep(delay);
    if (this.stopping) return false;
    rec.restartCount++;
    return true;
  }

  private *allContainers(): Generator<[V1Container, ContainerRecord]> {
    const spec = this.pod.spec!;
    for (const [i, c] of (spec.initContainers ?? []).entries()) yield [c, this.init[i]!];
    for (const [i, c] of spec.containers.entries()) yield [c, this.containers[i]!];
  }

  private async runOnce(c: V1Container, rec: ContainerRecord, isInit: boolean): Promise<ExitInfo | undefined> {
    const { cfg, images, reader } = this.deps;
    const entry = images.resolve(c.image ?? '')!;
    const base: Record<string, string> = {
      PATH: cfg.containerPath,
      HOSTNAME: this.name.slice(0, 63),
      HOME: join(this.dir, 'home'),
      KUBERNETES_SERVICE_HOST: cfg.apiserverHost,
      KUBERNETES_SERVICE_PORT: cfg.apiserverPort,
      KUBERNETES_SERVICE_PORT_HTTPS: cfg.apiserverPort,
      KUBERNETES_PORT: `tcp://${cfg.apiserverHost}:${cfg.apiserverPort}`,
    };
    mkdirSync(base.HOME!, { recursive: true });
    let env: Record<string, string> | undefined;
    let attempt = 0;
    while (!this.stopping) {
      try {
        env = await resolveEnv(this.pod, c, reader, base, HOST_IP, this.deps.node);
        break;
      } catch (err) {
        if (!(err instanceof ConfigError)) log('env resolution failed', { pod: this.key(), err: errMsg(err) });
        rec.state = waiting('CreateContainerConfigError', errMsg(err));
        this.sync();
        await this.sleep(Math.min(1000 * 2 ** attempt++, 10_000));
      }
    }
    if (!env || this.stopping) return undefined;
    const vars = (n: string): string | undefined => env![n];
    const argv = images.argv(entry, c.command?.map((s) => expand(s, vars)), c.args?.map((s) => expand(s, vars)));

    const mounts: Mount[] = [];
    for (const m of c.volumeMounts ?? []) {
      const vol = this.prepared?.volumes.get(m.name);
      if (!vol) {
        rec.state = waiting('CreateContainerConfigError', `volume "${m.name}" is not defined in the pod`);
        this.fail('CreateContainerConfigError', `container ${c.name} mounts unknown volume ${m.name}`);
        return undefined;
      }
      let hostPath = vol.hostPath;
      const sub = m.subPathExpr ? expand(m.subPathExpr, vars) : m.subPath;
      if (sub) {
        hostPath = join(vol.hostPath, sub);
        if (!hostPath.startsWith(vol.hostPath)) throw new Error(`subPath ${sub} escapes volume ${m.name}`);
        try {
          mkdirSync(hostPath, { recursive: true });
        } catch {
          /* an existing file */
        }
      }
      mounts.push({ hostPath, mountPath: m.mountPath, readOnly: !!m.readOnly || vol.forceReadOnly });
    }
    const run = rec.restartCount;
    const termFile = join(this.dir, 'termination', `${c.name}-${run}`);
    mkdirSync(join(this.dir, 'termination'), { recursive: true });
    writeFileSync(termFile, '');
    mounts.push({ hostPath: termFile, mountPath: c.terminationMessagePath || '/dev/termination-log', readOnly: false });

    const logs = new LogWriter(logPath(this.dir, c.name, run));
    const startedAt = rfc3339();
    const containerID = `stashflow://${this.uid}/${c.name}/${run}`;
    let proc: ContainerProcess;
    try {
      proc = new ContainerProcess({ argv, env, workingDir: c.workingDir, mounts, hostname: this.name.slice(0, 63) }, logs);
    } catch (err) {
      logs.close();
      rec.state = { terminated: { exitCode: 128, reason: 'StartError', message: errMsg(err), startedAt, finishedAt: rfc3339(), containerID } };
      this.sync();
      return { exitCode: 128, signal: undefined };
    }
    this.procs.set(c.name, proc);
    this.running.set(c.name, run);
    this.lastRun.set(c.name, run);
    this.deps.state.record(this.uid, this.namespace, this.name, [...this.procs.values()].map((p) => p.pid));
    rec.containerID = containerID;
    rec.state = { running: { startedAt } };
    rec.started = true;
    rec.ready = !isInit;
    if (!isInit) this.phase = 'Running';
    this.sync();
    log('container started', { pod: this.key(), container: c.name, pid: proc.pid, argv });

    const exit = await proc.exited;
    await Promise.race([logs.done, sleep(2000)]); // the last lines reach the file before the status is written
    this.procs.delete(c.name);
    this.running.delete(c.name);
    if (this.procs.size) this.deps.state.record(this.uid, this.namespace, this.name, [...this.procs.values()].map((p) => p.pid));
    else this.deps.state.remove(this.uid);
    const finishedAt = rfc3339();
    let message = readCapped(termFile, MAX_TERMINATION_MESSAGE);
    if (!message && exit.exitCode !== 0 && c.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = tailText(logs.file, 80, 2048);
    }
    const terminated: Record<string, unknown> = {
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt,
      containerID,
    };
    if (message) terminated.message = message;
    if (exit.signal) terminated.signal = signalNumber(exit.signal);
    rec.state = { terminated };
    rec.ready = false;
    rec.started = false;
    this.sync();
    log('container exited', { pod: this.key(), container: c.name, exitCode: exit.exitCode });
    return exit;
  }

  private fail(reason: string | undefined, message: string | undefined): void {
    this.phase = 'Failed';
    this.reason = reason;
    this.message = message;
    this.clearTimers();
    this.sync();
    log('pod failed', { pod: this.key(), reason, message });
  }

  // ---- deadline, token refresh ----

  private scheduleDeadline(): void {
    const ads = this.pod.spec?.activeDeadlineSeconds;
    if (!ads) return;
    const left = Date.parse(this.startTime) + ads * 1000 - Date.now();
    this.timers.push(
      setTimeout(() => {
        if (this.terminal || this.stopping) return;
        log('active deadline exceeded', { pod: this.key() });
        void this.stop(this.pod.spec?.terminationGracePeriodSeconds ?? 30, {
          reason: 'DeadlineExceeded',
          message: 'Pod was active on the node longer than the specified deadline',
        });
      }, Math.max(0, left)),
    );
  }

  private scheduleTokenRefresh(): void {
    const after = this.prepared?.refreshAfterSeconds;
    if (after === undefined) return;
    const t = setTimeout(() => {
      void this.deps.volumes
        .prepare(this.pod)
        .then((p) => {
          this.prepared = p;
          if (!this.terminal && !this.stopping) this.scheduleTokenRefresh();
        })
        .catch((err) => log('token refresh failed', { pod: this.key(), err: errMsg(err) }));
    }, after * 1000);
    t.unref();
    this.timers.push(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }

  // ---- stopping and deletion ----

  /** Kill every container (TERM, then KILL after grace), then settle the terminal phase. */
  stop(graceSeconds: number, failure?: { reason: string; message: string }): Promise<void> {
    if (this.stopDone) return this.stopDone;
    this.stopping = true;
    this.clearTimers();
    for (const w of this.wakers) w();
    this.stopDone = (async () => {
      await Promise.all([...this.procs.values()].map((p) => p.stop(graceSeconds)));
      await this.finished;
      if (!this.terminal) {
        for (const [, rec] of this.allContainers()) {
          if (rec.state.waiting && rec.started === false && rec.state.waiting.reason !== 'CrashLoopBackOff') {
            rec.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
          } else if (rec.state.waiting) {
            rec.state = rec.lastState;
          }
        }
        if (failure) {
          this.phase = 'Failed';
          this.reason = failure.reason;
          this.message = failure.message;
        } else {
          const ok = this.containers.every((r) => exitCodeOf(r) === 0);
          this.phase = ok && this.initialized ? 'Succeeded' : 'Failed';
        }
        this.sync();
      }
      await this.flush();
    })();
    return this.stopDone;
  }

  private async handleDeletion(): Promise<void> {
    this.deleting = true;
    const grace = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    log('pod deletion requested', { pod: this.key(), grace });
    await this.stop(grace);
    try {
      await this.deps.api.delete(`/api/v1/namespaces/${this.namespace}/pods/${this.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: this.uid },
      });
      log('pod deleted', { pod: this.key() });
    } catch (err) {
      if (!isNotFound(err)) log('pod delete failed', { pod: this.key(), err: errMsg(err) });
    }
  }

  /** The pod object is gone from the apiserver: kill at once, forget everything. */
  async forget(): Promise<void> {
    this.gone = true;
    await this.stop(0);
    this.deps.state.remove(this.uid);
    this.deps.volumes.cleanup(this.uid);
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- status sync ----

  private sync(): void {
    this.dirty = true;
    if (!this.syncing) this.syncing = this.syncLoop().finally(() => (this.syncing = undefined));
  }

  private async flush(): Promise<void> {
    while (this.syncing) await this.syncing;
  }

  private async syncLoop(): Promise<void> {
    let failures = 0;
    while (this.dirty && !this.gone) {
      this.dirty = false;
      const status = buildStatus(
        {
          phase: this.phase,
          reason: this.reason,
          message: this.message,
          startTime: this.startTime,
          sandboxReady: this.sandboxReady,
          initialized: this.initialized,
          init: this.init,
          containers: this.containers,
        },
        this.conds,
      );
      try {
        await this.deps.api.patch(`/api/v1/namespaces/${this.namespace}/pods/${this.name}/status`, { metadata: { uid: this.uid }, status }, 'strategic');
        failures = 0;
      } catch (err) {
        if (isNotFound(err)) return;
        log('pod status update failed', { pod: this.key(), err: errMsg(err) });
        this.dirty = true;
        await sleep(Math.min(500 * 2 ** failures++, 5000));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private key(): string {
    return `${this.namespace}/${this.name}`;
  }
}

function readCapped(file: string, max: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(max);
      const n = readSync(fd, buf, 0, max, 0);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

function signalNumber(sig: string): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return table[sig] ?? 0;
}
