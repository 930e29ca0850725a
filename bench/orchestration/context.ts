// What every phase of the orchestration bench gets: clients, the bench namespace and id, the /proc sampler, the
// watches recording arrivals, and a progress logger (stderr; the JSON result is the only thing written to a file).
import type { Client } from '@temporalio/client';
import type { BackupConfiguration } from '../../api/types.js';
import type { KubeClients } from '../../lib/kube.js';
import { listCustom, type ArrivalRecorder } from './cluster.js';
import type { Sampler, Usage } from './procs.js';

export interface BenchContext {
  kube: KubeClients;
  client: Client;
  ns: string;
  id: string;
  taskQueue: string;
  sampler: Sampler;
  sessions: ArrivalRecorder;
  jobs: ArrivalRecorder;
  log: (msg: string) => void;
}

export const progress = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** RSS/CPU of watcher and worker over [from, to]. */
export function usageOf(ctx: BenchContext, from: number, to: number): Record<string, Usage | undefined> {
  return { watcher: ctx.sampler.usage('watcher', from, to), worker: ctx.sampler.usage('worker', from, to) };
}

/** How many configurations of a group are Ready for their current generation (one list call). */
export async function readyCount(ctx: BenchContext, group: string): Promise<{ ready: number; total: number }> {
  const items = await listCustom<BackupConfiguration>(
    ctx.kube,
    'BackupConfiguration',
    ctx.ns,
    `bench.stashflow.dev/group=${group}`,
  );
  const ready = items.filter(
    (b) => b.status?.phase === 'Ready' && b.status.observedGeneration === b.metadata.generation && !b.metadata.deletionTimestamp,
  ).length;
  return { ready, total: items.length };
}
