// Fire precision: N BackupConfigurations and N CronJobs on the same every-minute schedule, on the same apiserver.
// For each of `slots` whole minutes, the lag from the slot to the arrival of the object each one creates on the
// bench's own watch: the BackupSession (Stashflow: Schedule → createBackupSession workflow → apiserver) and the Job
// (kube-controller-manager's CronJob controller). Job.creationTimestamp has second precision, so the watch arrival
// is the measure for both; the Schedule's own action time (recentActions takenAt − scheduledAt) is reported too.
import { scheduleId } from '../../workflows/contracts.js';
import { scheduleImplementation } from '../../test/helpers/temporal.js';
import { isAlreadyExists } from '../../lib/kube.js';
import { benchConfig, benchCronJob, createCustom, deleteCustomCollection, pool, retry, sleep, until } from './cluster.js';

const ignoreExists = (err: unknown) => {
  if (!isAlreadyExists(err)) throw err;
};
import { progress, readyCount, usageOf, type BenchContext } from './context.js';
import { cronJobSlotMs, sessionSlotMs, summarize } from './stats.js';

const EVERY_MINUTE = '* * * * *';

export async function firePhase(ctx: BenchContext, n: number, slots: number) {
  const configs = Array.from({ length: n }, (_, i) => `fire-${String(i).padStart(3, '0')}`);
  const cronJobs = Array.from({ length: n }, (_, i) => `bcron-${String(i).padStart(3, '0')}`);
  progress(`fire: creating ${n} BackupConfigurations and ${n} CronJobs (${EVERY_MINUTE})`);
  await pool(configs, 8, (name) =>
    createCustom(ctx.kube, 'BackupConfiguration', ctx.ns, benchConfig(ctx.ns, name, ctx.id, EVERY_MINUTE, 'fire')),
  );
  await pool(cronJobs, 8, (name) =>
    retry(() =>
      ctx.kube.batch.createNamespacedCronJob({ namespace: ctx.ns, body: benchCronJob(name, EVERY_MINUTE) }).catch(ignoreExists),
    ),
  );
  await until('fire configurations Ready', 120_000, 500, async () => (await readyCount(ctx, 'fire')).ready === n);

  // the first measured slot is a whole minute at least 10 s away, so every Schedule and CronJob is in place for it
  const first = Math.ceil((Date.now() + 10_000) / 60_000) * 60_000;
  const measured = Array.from({ length: slots }, (_, i) => first + i * 60_000);
  const last = measured[measured.length - 1]!;
  progress(
    `fire: measuring slots ${measured.map((s) => new Date(s).toISOString().slice(11, 16)).join(', ')} (until ~${new Date(last + 20_000).toISOString().slice(11, 19)})`,
  );
  const windowStart = first - 5_000;
  await sleep(last + 20_000 - Date.now());
  const windowEnd = Date.now();

  const inSlots = (slot: number | undefined): slot is number => slot !== undefined && measured.includes(slot);
  const stashflow: number[] = [];
  for (const [name, a] of ctx.sessions.arrivals) {
    const config = configs.find((c) => name.startsWith(c + '-'));
    const slot = config ? sessionSlotMs(name, config) : undefined;
    if (inSlots(slot)) stashflow.push(a.at - slot);
  }
  const cron: number[] = [];
  const cronCreation: number[] = [];
  for (const [name, a] of ctx.jobs.arrivals) {
    const cj = cronJobs.find((c) => name.startsWith(c + '-'));
    const slot = cj ? cronJobSlotMs(name, cj) : undefined;
    if (!inSlots(slot)) continue;
    cron.push(a.at - slot);
    const created = a.obj.metadata?.creationTimestamp;
    if (created) cronCreation.push(new Date(created).getTime() - slot);
  }
  // Temporal's own record of each firing: when the scheduler took the action for the slot
  const taken: number[] = [];
  await pool(configs, 8, async (name) => {
    const d = await ctx.client.schedule.getHandle(scheduleId({ namespace: ctx.ns, name })).describe();
    for (const r of d.info.recentActions)
      if (measured.includes(r.scheduledAt.getTime())) taken.push(r.takenAt.getTime() - r.scheduledAt.getTime());
  });

  const scheduleKind = await scheduleImplementation(ctx.client, scheduleId({ namespace: ctx.ns, name: configs[0]! }));

  progress('fire: removing the fire objects');
  await deleteCustomCollection(ctx.kube, 'BackupConfiguration', ctx.ns, 'bench.stashflow.dev/group=fire');
  await retry(() =>
    ctx.kube.batch.deleteCollectionNamespacedCronJob({ namespace: ctx.ns, labelSelector: 'bench.stashflow.dev/group=fire' }),
  );
  await until('fire configurations gone', 120_000, 500, async () => (await readyCount(ctx, 'fire')).total === 0);

  const expected = n * slots;
  return {
    configs: n,
    scheduleImplementation: scheduleKind,
    slots: measured.map((s) => new Date(s).toISOString()),
    stashflow: {
      what: 'BackupSession watch arrival − slot (ms)',
      expected,
      seen: stashflow.length,
      lagMs: summarize(stashflow),
      scheduleActionLagMs: summarize(taken),
      scheduleActionNote: 'describeSchedule recentActions: takenAt − scheduledAt (Temporal server clock)',
    },
    cronJob: {
      what: 'Job watch arrival − slot (ms), Job created by kube-controller-manager CronJob controller',
      expected,
      seen: cron.length,
      lagMs: summarize(cron),
      creationTimestampLagMs: summarize(cronCreation),
      creationTimestampNote: 'metadata.creationTimestamp has 1 s precision (truncated), shown for reference only',
    },
    resources: usageOf(ctx, windowStart, windowEnd),
  };
}
