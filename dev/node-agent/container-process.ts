// One container run as a host process: `unshare --mount --uts` gives it a private mount table where the pod's
// volumes (and its termination-message file) are bind-mounted at their mountPaths, then the command is exec'ed.
// The process leads its own process group, so stopping the container kills everything it started.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { constants } from 'node:os';
import type { LogWriter } from './container-logs.js';

export interface Mount {
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  argv: string[];
  env: Record<string, string>;
  workingDir: string | undefined;
  mounts: Mount[];
  hostname: string;
}

export interface ExitInfo {
  exitCode: number;
  signal: string | undefined;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A tmpfs mounted here (inside the container's namespace only) holds the volume sources while targets are mounted. */
export const STAGE_DIR = '/.stashflow-node-agent-stage';

/**
 * The shell run inside the new mount namespace. Every source is first bind-mounted into a private staging tmpfs,
 * then onto its target (shallowest first): a target that shadows the agent's data dir (e.g. mountPath /work) must
 * not hide the sources of the mounts after it.
 */
export function setupScript(spec: ContainerSpec): string {
  const lines = [
    'set -e',
    `trap 'echo "stashflow node-agent: container setup (mounts, workingDir) failed" >&2; exit 128' EXIT`,
    `hostname ${q(spec.hostname)} 2>/dev/null || true`,
  ];
  const mounts = [...spec.mounts].sort((a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length);
  if (mounts.length) lines.push(`mkdir -p ${STAGE_DIR}`, `mount -t tmpfs -o size=64k,mode=0700 stashflow-stage ${STAGE_DIR}`);
  const isFile = mounts.map((m) => {
    try {
      return statSync(m.hostPath).isFile();
    } catch {
      return false; // missing: the volume manager makes directories
    }
  });
  mounts.forEach((m, i) => {
    const stage = `${STAGE_DIR}/${i}`;
    lines.push(isFile[i] ? `: > ${stage}` : `mkdir ${stage}`, `mount --bind ${q(m.hostPath)} ${stage}`);
  });
  mounts.forEach((m, i) => {
    const stage = `${STAGE_DIR}/${i}`;
    if (isFile[i]) lines.push(`mkdir -p ${q(dirname(m.mountPath))}`, `[ -e ${q(m.mountPath)} ] || : > ${q(m.mountPath)}`);
    else lines.push(`mkdir -p ${q(m.mountPath)}`);
    lines.push(`mount --bind ${stage} ${q(m.mountPath)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${q(m.mountPath)}`);
  });
  if (mounts.length) lines.push(`umount -l ${STAGE_DIR} 2>/dev/null || true`);
  if (spec.workingDir) lines.push(`mkdir -p ${q(spec.workingDir)}`, `cd ${q(spec.workingDir)}`);
  lines.push('trap - EXIT', 'exec "$@"');
  return lines.join('\n');
}

export class ContainerProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private done = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(spec: ContainerSpec, logs: LogWriter) {
    if (!spec.argv.length) throw new Error('container has no command: neither the pod nor the image map gives one');
    const child = spawn(
      'unshare',
      ['--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', '-c', setupScript(spec), 'container-setup', ...spec.argv],
      { env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (child.pid === undefined) throw new Error('could not start unshare');
    this.pid = child.pid;
    logs.attach(child.stdout, 'stdout');
    logs.attach(child.stderr, 'stderr');
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.on('error', () => {
        /* reported through exit */
      });
      child.on('exit', (code, signal) => {
        this.done = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        // A container ends with its main process: take the rest of its process group down too.
        this.signalGroup('SIGKILL');
        const signum = signal ? (constants.signals as Record<string, number>)[signal] ?? 9 : 0;
        resolve({ exitCode: code ?? 128 + signum, signal: signal ?? undefined });
      });
    });
  }

  private signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      /* group already gone */
    }
  }

  /** TERM the process group, KILL it after the grace period; resolves when the main process is gone. */
  stop(graceSeconds: number): Promise<ExitInfo> {
    if (!this.done) {
      if (graceSeconds <= 0) this.signalGroup('SIGKILL');
      else {
        this.signalGroup('SIGTERM');
        this.killTimer ??= setTimeout(() => this.signalGroup('SIGKILL'), graceSeconds * 1000);
      }
    }
    return this.exited;
  }
}
