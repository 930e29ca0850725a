// Latency under a burst: N BackupSessions created at once (as `stashflow trigger` does, not by the Schedule) for one
// paused configuration whose Task runs `sh -c true`. Per session: BackupSession watch arrival → workflow start
// (describe().startTime, Temporal server clock on the same host) → backup Job watch arrival; and every session must
// end Succeeded (none lost).
import { finalBackupPhases, type BackupSession } from '../../api/types.js';
import { backupSessionWorkflowId } from '../../workflows/contracts.js';
import { benchConfig, createCustom, listCustom, pool, until } from './cluster.js';
import { progress, readyCount, usageOf, type BenchContext } from './context.js';
import { summarize, yearlyCron } from './stats.js';

export async function burstPhase(ctx: BenchContext, n: number) {
  // paused: the Schedule never fires; backupHistoryLimit above n so the finished sessions are kept for counting
  await createCustom(
    ctx.kube,
    'BackupConfiguration',
    ctx.ns,
    benchConfig(ctx.ns, 'burst', ctx.id, yearlyCron(0, 0), 'burst', { paused: true, backupHistoryLimit: n + 10 }),
  );
  await until('burst configuration Ready', 120_000, 500, async () => (await readyCount(ctx, 'burst')).ready === 1);

  const names = Array.from({ length: n }, (_, i) => `burst-s${String(i).padStart(3, '0')}`);
  progress(`burst: creating ${n} BackupSessions at once`);
  const t0 = Date.now();
  const uids = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      const s = (await createCustom(ctx.kube, 'BackupSession', ctx.ns, {
        apiVersion: 'stash.appscode.com/v1beta1',
        kind: 'BackupSession',
        metadata: { name, namespace: ctx.ns, labels: { 'bench.stashflow.dev/group': 'burst' } },
        spec: { invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'burst' } },
      })) as BackupSession;
      uids.set(name, s.metadata.uid!);
    }),
  );
  const tCreated = Date.now();
  let phases: Record<string, number> = {};
  const tDone = await until(`${n} sessions final`, 20 * 60_000, 2000, async () => {
    const items = await listCustom<BackupSession>(ctx.kube, 'BackupSession', ctx.ns, 'bench.stashflow.dev/group=burst');
    phases = {};
    for (const s of items) phases[s.status?.phase ?? 'none'] = (phases[s.status?.phase ?? 'none'] ?? 0) + 1;
    return items.length === n && items.every((s) => s.status?.phase && finalBackupPhases.includes(s.status.phase));
  }).catch((err: unknown) => {
    progress(`burst: ${String(err)} (phases ${JSON.stringify(phases)})`);
    return Date.now();
  });
  progress(`burst: final after ${((tDone - t0) / 1000).toFixed(1)} s: ${JSON.stringify(phases)}`);

  const toStart: number[] = [];
  const startToJob: number[] = [];
  const toJob: number[] = [];
  let noWorkflow = 0;
  let noJob = 0;
  await pool(names, 8, async (name) => {
    const arrival = ctx.sessions.arrivals.get(name)?.at;
    const uid = uids.get(name)!;
    let started: number | undefined;
    try {
      started = (
        await ctx.client.workflow.getHandle(backupSessionWorkflowId({ namespace: ctx.ns, name, uid })).describe()
      ).startTime.getTime();
    } catch {
      noWorkflow++;
    }
    const job = [...ctx.jobs.arrivals.values()].find(
      (a) => a.obj.metadata?.labels?.['stashflow.dev/session'] === name && a.obj.metadata?.name?.startsWith('stash-backup-'),
    )?.at;
    if (job === undefined) noJob++;
    if (arrival !== undefined && started !== undefined) toStart.push(started - arrival);
    if (started !== undefined && job !== undefined) startToJob.push(job - started);
    if (arrival !== undefined && job !== undefined) toJob.push(job - arrival);
  });

  return {
    sessions: n,
    createCallsSeconds: Math.round((tCreated - t0) / 100) / 10,
    allFinalSeconds: Math.round((tDone - t0) / 100) / 10,
    phases,
    succeeded: phases.Succeeded ?? 0,
    withoutWorkflow: noWorkflow,
    withoutJob: noJob,
    eventToWorkflowStartMs: summarize(toStart),
    workflowStartToJobMs: summarize(startToJob),
    eventToJobMs: summarize(toJob),
    resources: usageOf(ctx, t0, tDone),
  };
}
