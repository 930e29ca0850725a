// Killing and restarting the shared stack's servers for chaos tests: kill -9 by the pid the stack scripts recorded
// (.stack/pids/<name>.pid), restart with the stack's own idempotent `dev/stack.sh up <component>` (it starts only
// what is down). Other helpers' tests share these servers, so every outage is short and `restoreStack` runs in
// `after` hooks whatever happened.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stackDir } from '../helpers/stack.js';

export type Component = 'temporal' | 'kube' | 'node-agent';

/** the process killed for each component (kube: the apiserver; kine, controller-manager and scheduler stay up) */
const killed: Record<Component, string> = { temporal: 'temporal', kube: 'kube-apiserver', 'node-agent': 'node-agent' };

export function recordedPid(name: string): number {
  const pid = Number(readFileSync(join(stackDir, 'pids', `${name}.pid`), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no usable pid for ${name}`);
  return pid;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a killed process nobody reaped yet is not running
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kill -9 one pid and wait until it is gone */
export async function kill9(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  if (alive(pid)) throw new Error(`pid ${pid} survived SIGKILL`);
}

function stackScript(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(repoRoot, 'dev/stack.sh'), ...args], { cwd: repoRoot, timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`dev/stack.sh ${args.join(' ')} failed: ${String(stderr).slice(-2000)}`)) : resolve(stdout + stderr),
    );
  });
}

export async function healthy(c: Component): Promise<boolean> {
  return stackScript(['status', c], 30_000).then(
    () => true,
    () => false,
  );
}

/** Starts a component again (only what is down) and returns when the stack script says it is healthy. */
export async function restart(c: Component): Promise<void> {
  // a start can fail when another helper starts the same component at that moment: try again, never leave it down
  for (let i = 1; ; i++) {
    try {
      await stackScript(['up', c], 180_000);
      return;
    } catch (err) {
      if (i === 3) throw err;
      await sleep(1000);
    }
  }
}

export interface Outage {
  component: Component;
  pid: number;
  /** from the kill to the component being healthy again */
  downMs: number;
}

/** kill -9 the component's server, wait pauseMs, restart it; returns how long it was down. */
export async function killAndRestart(c: Component, pauseMs = 0): Promise<Outage> {
  const pid = recordedPid(killed[c]);
  const t0 = Date.now();
  await kill9(pid);
  if (pauseMs) await sleep(pauseMs);
  await restart(c);
  return { component: c, pid, downMs: Date.now() - t0 };
}

/** For `after` hooks: every component we may have killed is up again (a no-op when all are healthy). */
export async function restoreStack(): Promise<void> {
  for (const c of ['temporal', 'kube', 'node-agent'] as const) if (!(await healthy(c))) await restart(c);
}

export interface RunningPod {
  uid: string;
  namespace: string;
  name: string;
  pids: number[];
}

/** Pods of a namespace whose containers run now, from the node agent's local records (cheap to poll, no API call). */
export function runningPods(namespace: string): RunningPod[] {
  const dir = join(stackDir, 'node-agent', 'state');
  const out: RunningPod[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunningPod;
      if (rec.namespace === namespace && rec.pids.some(alive)) out.push(rec);
    } catch {
      /* being rewritten or removed */
    }
  }
  return out;
}
