// Reconcile scale: create N BackupConfigurations (yearly crons, so nothing fires), time until all are Ready for
// their generation (the watcher writes Ready only after the Schedule is in place), then check every Schedule with
// describeSchedule against values computed here, not by the watcher's code: next action time of the cron, paused,
// action workflow type, task queue and args. Then change every schedule and do the same; then delete all and check
// that no Schedule and no finalizer is left. Also RSS/CPU of watcher and worker while idle at N configurations.
import { ScheduleNotFoundError } from '@temporalio/client';
import { isDeepStrictEqual } from 'node:util';
import type { BackupConfiguration } from '../../api/types.js';
import { scheduleId, workflowTypes } from '../../workflows/contracts.js';
import { benchConfig, createCustom, deleteCustomCollection, listCustom, patchCustom, pool, sleep, until } from './cluster.js';
import { progress, readyCount, usageOf, type BenchContext } from './context.js';
import { nextYearly, yearlyCron } from './stats.js';

const CONCURRENCY = 16; // client-side writes in flight (kubectl apply of many files is sequential; this is kinder to it)
const TIMEOUT = 15 * 60_000;

const names = (n: number) => Array.from({ length: n }, (_, i) => `scale-${String(i).padStart(4, '0')}`);
const minuteOf = (i: number) => i % 60;

/** Describes every Schedule; returns the names whose Schedule is missing or differs from the expected one. */
async function verify(
  ctx: BenchContext,
  list: string[],
  hour: number,
): Promise<{
  checked: number;
  wrongCount: number;
  wrong: string[];
  describeRetries: number;
  retried: string[];
  ms: number;
}> {
  const t0 = Date.now();
  const wrong: string[] = [];
  const retried: string[] = [];
  // DescribeSchedule queries the scheduler workflow: right after 1,000 updates a query can time out while that
  // workflow is busy. Such a failure says nothing about the Schedule, so it is tried again (and reported).
  const describe = async (name: string) => {
    const handle = ctx.client.schedule.getHandle(scheduleId({ namespace: ctx.ns, name }));
    for (let attempt = 1; ; attempt++) {
      try {
        return await handle.describe();
      } catch (err) {
        if (err instanceof ScheduleNotFoundError || attempt === 3) throw err;
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        retried.push(`${name}: ${err instanceof Error ? err.message : String(err)}${cause}`);
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  };
  await pool(list, CONCURRENCY, async (name, i) => {
    try {
      const d = await describe(name);
      const want = nextYearly(minuteOf(i), hour, new Date());
      const a = d.action;
      const ok =
        d.state.paused === false &&
        a.type === 'startWorkflow' &&
        a.workflowType === workflowTypes.createBackupSession &&
        a.taskQueue === ctx.taskQueue &&
        isDeepStrictEqual(a.args, [{ namespace: ctx.ns, name }]) &&
        d.info.nextActionTimes[0]?.getTime() === want.getTime();
      if (!ok) wrong.push(name);
    } catch (err) {
      // not found, or describe failed (counted, not fatal: one failed RPC must not lose the run's numbers)
      wrong.push(err instanceof ScheduleNotFoundError ? name : `${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return {
    checked: list.length,
    wrongCount: wrong.length,
    wrong: wrong.slice(0, 20),
    describeRetries: retried.length,
    retried: retried.slice(0, 20),
    ms: Date.now() - t0,
  };
}

export async function scalePhase(ctx: BenchContext, n: number, idleSeconds: number) {
  const list = names(n);
  const ready = (gen: number) => async () => {
    const items = await listCustom<BackupConfiguration>(
      ctx.kube,
      'BackupConfiguration',
      ctx.ns,
      'bench.stashflow.dev/group=scale',
    );
    const ok = items.filter(
      (b) => b.metadata.generation === gen && b.status?.phase === 'Ready' && b.status.observedGeneration === gen,
    ).length;
    return ok === n;
  };

  progress(`scale: creating ${n} BackupConfigurations`);
  const t0 = Date.now();
  await pool(list, CONCURRENCY, (name, i) =>
    createCustom(ctx.kube, 'BackupConfiguration', ctx.ns, benchConfig(ctx.ns, name, ctx.id, yearlyCron(minuteOf(i), 0), 'scale')),
  );
  const tCreated = Date.now();
  const tReady = await until(`${n} configurations Ready`, TIMEOUT, 1000, ready(1));
  progress(`scale: ${n} Ready after ${((tReady - t0) / 1000).toFixed(1)} s; verifying every Schedule`);
  const created = await verify(ctx, list, 0);

  progress(`scale: idle at ${n} configurations for ${idleSeconds} s`);
  const idleFrom = Date.now();
  await sleep(idleSeconds * 1000);
  const idle = usageOf(ctx, idleFrom, Date.now());

  progress(`scale: changing all ${n} schedules`);
  const t1 = Date.now();
  await pool(list, CONCURRENCY, (name, i) =>
    patchCustom(ctx.kube, 'BackupConfiguration', ctx.ns, name, { spec: { schedule: yearlyCron(minuteOf(i), 1) } }),
  );
  const tPatched = Date.now();
  const tReady2 = await until(`${n} configurations Ready at generation 2`, TIMEOUT, 1000, ready(2));
  progress(`scale: changed after ${((tReady2 - t1) / 1000).toFixed(1)} s; verifying`);
  const changed = await verify(ctx, list, 1);

  progress(`scale: deleting all ${n}`);
  const t2 = Date.now();
  await deleteCustomCollection(ctx.kube, 'BackupConfiguration', ctx.ns, 'bench.stashflow.dev/group=scale');
  const tGone = await until(`${n} configurations gone`, TIMEOUT, 1000, async () => (await readyCount(ctx, 'scale')).total === 0);
  progress(`scale: all gone after ${((tGone - t2) / 1000).toFixed(1)} s; checking for orphaned Schedules`);
  // every configuration is gone only once its finalizer was released, which happens after its Schedule was deleted
  const orphans: string[] = [];
  await pool(list, CONCURRENCY, async (name) => {
    try {
      await ctx.client.schedule.getHandle(scheduleId({ namespace: ctx.ns, name })).describe();
      orphans.push(name);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  });
  const prefix = `backup:${ctx.ns}/scale-`;
  let listed = -1;
  // visibility (the List API) is eventually consistent: give it a little time to drop deleted Schedules
  await until('schedule list without the bench prefix', 30_000, 1000, async () => {
    listed = 0;
    for await (const s of ctx.client.schedule.list()) if (s.scheduleId.startsWith(prefix)) listed++;
    return listed === 0;
  }).catch(() => undefined);

  const s = (a: number, b: number) => Math.round((b - a) / 100) / 10;
  return {
    configs: n,
    create: {
      seconds: s(t0, tReady),
      apiWritesSeconds: s(t0, tCreated),
      verified: created,
      resources: usageOf(ctx, t0, tReady),
    },
    idle: { seconds: idleSeconds, resources: idle },
    change: {
      seconds: s(t1, tReady2),
      apiWritesSeconds: s(t1, tPatched),
      verified: changed,
      resources: usageOf(ctx, t1, tReady2),
    },
    delete: {
      seconds: s(t2, tGone),
      orphanedSchedules: orphans.length,
      orphanNames: orphans.slice(0, 20),
      schedulesStillListed: listed,
      resources: usageOf(ctx, t2, tGone),
    },
  };
}
