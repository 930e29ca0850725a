// Progress as JSON lines on stdout ({"progress":{...}}), throttled per index so a large index does not flood the
// Job log; the final line of each index is always written.
export interface Progress {
  index: string;
  docsDone: number;
  docsTotal: number;
  bytesDone: number;
  phase?: 'dump' | 'load';
}

export type ProgressSink = (p: Progress) => void;

export function stdoutProgress(intervalMs = 1000): { report: ProgressSink; done: ProgressSink } {
  const last = new Map<string, number>();
  const write = (p: Progress) => process.stdout.write(JSON.stringify({ progress: p }) + '\n');
  return {
    report: (p) => {
      const now = Date.now();
      if (now - (last.get(p.index) ?? 0) < intervalMs) return;
      last.set(p.index, now);
      write(p);
    },
    done: (p) => {
      last.delete(p.index);
      write(p);
    },
  };
}

export const silentProgress = { report: () => {}, done: () => {} };
