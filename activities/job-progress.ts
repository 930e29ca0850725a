// A running Job's progress, for awaitJob's heartbeat details (what the Temporal UI shows on the pending activity):
// our functions print JSON lines `{"progress":{...}}` on stdout; the Elasticsearch function reports per index
// (docsDone of docsTotal, bytesDone), the dir function reports steps. Read from the pod's log tail through the
// apiserver; a missing pod or log is no progress yet, never an error of the await.
import type { KubeClients } from '../lib/kube.js';

export interface JobProgress {
  /** the function's last reported step (dir function) or phase (`dump`/`load` of the Elasticsearch function) */
  step?: string;
  indices?: number;
  docsDone?: number;
  docsTotal?: number;
  bytesDone?: number;
  /** docsDone of docsTotal, whole percent */
  percent?: number;
}

interface IndexProgress {
  docsDone: number;
  docsTotal: number;
  bytesDone: number;
}

/** Keeps the latest line per index across reads (a log tail may no longer hold an index finished long ago). */
export class ProgressTracker {
  private readonly indices = new Map<string, IndexProgress>();
  private step: string | undefined;

  add(logText: string): void {
    for (const line of logText.split('\n')) {
      if (!line.startsWith('{"progress"')) continue;
      let p: unknown;
      try {
        p = (JSON.parse(line) as { progress?: unknown }).progress;
      } catch {
        continue; // a line cut by the tail or interleaved output
      }
      if (!p || typeof p !== 'object') continue;
      const r = p as Record<string, unknown>;
      if (typeof r.index === 'string' && typeof r.docsDone === 'number') {
        this.indices.set(r.index, {
          docsDone: r.docsDone,
          docsTotal: typeof r.docsTotal === 'number' ? r.docsTotal : 0,
          bytesDone: typeof r.bytesDone === 'number' ? r.bytesDone : 0,
        });
      }
      const step = typeof r.phase === 'string' ? r.phase : typeof r.step === 'string' ? r.step : undefined;
      if (step) this.step = step;
    }
  }

  summary(): JobProgress | undefined {
    if (!this.indices.size) return this.step ? { step: this.step } : undefined;
    let docsDone = 0;
    let docsTotal = 0;
    let bytesDone = 0;
    for (const p of this.indices.values()) {
      docsDone += p.docsDone;
      docsTotal += p.docsTotal;
      bytesDone += p.bytesDone;
    }
    const percent = docsTotal > 0 ? Math.min(100, Math.floor((docsDone * 100) / docsTotal)) : undefined;
    return { step: this.step, indices: this.indices.size, docsDone, docsTotal, bytesDone, percent };
  }
}

/** The last lines of the log of the Job's newest pod (its main, last container); '' when there is none yet. */
export async function readJobLogTail(kube: KubeClients, namespace: string, job: string, tailLines = 200): Promise<string> {
  try {
    const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
    const pod = pods.items
      .filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
      .sort((a, b) => String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)))[0];
    const name = pod?.metadata?.name;
    const container = pod?.spec?.containers.at(-1)?.name;
    if (!name || !container) return '';
    return String(await kube.core.readNamespacedPodLog({ namespace, name, container, tailLines }));
  } catch {
    return ''; // progress is informative only: a log that cannot be read now is read again at the next poll
  }
}
