// What the agent must remember across its own restarts: the process groups it started, per pod.
// On start, leftover groups are killed and their pods are marked Failed (see pod-manager.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  pids: number[];
}

export class StateStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'state');
    mkdirSync(this.dir, { recursive: true });
  }

  record(uid: string, namespace: string, name: string, pids: number[]): void {
    const file = join(this.dir, `${uid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ uid, namespace, name, pids } satisfies PodRecord));
    renameSync(`${file}.tmp`, file);
  }

  remove(uid: string): void {
    rmSync(join(this.dir, `${uid}.json`), { force: true });
  }

  all(): PodRecord[] {
    const out: PodRecord[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as PodRecord);
      } catch {
        /* torn file: ignore */
      }
    }
    return out;
  }
}
