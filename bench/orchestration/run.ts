// Orchestration bench (issue 7): Temporal Schedules vs CronJobs for people who run hundreds of backups.
//   npx tsx bench/orchestration/run.ts [--quick] [--phases fire,scale,burst] [--fire 20] [--slots 3] [--configs 1000]
//        [--burst 100] [--idle 30] [--max-activities N] [--profile] [--label text] [--dist DIR]
//        [--out bench/results/orchestration-<date>.json]
// Runs the product's watcher and worker as child processes (node dist/{watcher,worker}/main.js; build first) on a
// namespace, task queue and lease of their own, against the local stack; samples their RSS/CPU from /proc; writes
// one JSON with machine, versions, git commit, command and load average. Measurements only: nothing is asserted.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { createKubeClients, loadKubeConfig } from '../../lib/kube.js';
import { connectClient } from '../../lib/temporal.js';
import { ensureCrds } from '../../test/helpers/crds.js';
import { stackDir, stackEnv } from '../../test/helpers/stack.js';
import { burstPhase } from './burst.js';
import type { BackupConfiguration } from '../../api/types.js';
import {
  ArrivalRecorder,
  bsPath,
  createSharedObjects,
  deleteCustomCollection,
  jobPath,
  listCustom,
  patchCustom,
  pool,
  until,
} from './cluster.js';
import { progress, type BenchContext } from './context.js';
import { firePhase } from './fire.js';
import { Sampler, startProduct, type Product } from './procs.js';
import { scalePhase } from './scale.js';
import { parseArgs } from './stats.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..').replace(/\/dist$/, '');
const args = parseArgs(process.argv.slice(2));
const id = randomUUID().slice(0, 8);
const ns = `bench-orch-${id}`;
const taskQueue = `bench-orch-${id}`;
const date = new Date().toISOString().slice(0, 10);
const out = args.out ?? join(repo, 'bench', 'results', `orchestration-${date}${args.quick ? '-quick' : ''}.json`);
const logDir = join('/tmp', `stashflow-bench-orch-${id}`);
mkdirSync(logDir, { recursive: true });

const sh = (cmd: string, a: string[]) => {
  try {
    return execFileSync(cmd, a, { encoding: 'utf8', cwd: repo }).trim();
  } catch {
    return 'unknown';
  }
};

async function main(): Promise<void> {
  const kube = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
  const client = await connectClient({ temporalAddress: stackEnv('TEMPORAL_ADDRESS'), temporalNamespace: 'default' });
  await ensureCrds(kube.kc);
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const sys = await client.workflowService.getSystemInfo({});
  const kubeVersion = await kc(kube.kc).getCode();
  const result: Record<string, unknown> = {
    bench: 'orchestration',
    label: args.label,
    date: new Date().toISOString(),
    command: `npx tsx bench/orchestration/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    // the commit whose build ran (a --dist of another worktree names that worktree's commit)
    gitCommit: sh('git', ['-C', dirname(resolve(args.dist ?? join(repo, 'dist'))), 'rev-parse', 'HEAD']),
    benchCommit: sh('git', ['rev-parse', 'HEAD']),
    productSourcesDirty:
      sh('git', [
        '-C',
        dirname(resolve(args.dist ?? join(repo, 'dist'))),
        'status',
        '--porcelain',
        '--untracked-files=no',
        'watcher',
        'worker',
        'workflows',
        'activities',
        'lib',
      ]) !== '',
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    versions: {
      node: process.version,
      temporalServer: sys.serverVersion,
      temporalSdk: pkg.dependencies['@temporalio/worker'],
      kubernetes: kubeVersion.gitVersion,
      kubernetesClientNode: pkg.dependencies['@kubernetes/client-node'],
    },
    settings: { ...args, phases: [...args.phases], namespace: ns, taskQueue },
  };
  const save = () => {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  };

  progress(`namespace ${ns}, task queue ${taskQueue}, logs ${logDir}`);
  await kube.core.createNamespace({ body: { metadata: { name: ns } } });
  const dropShared = await createSharedObjects(kube, ns, id, stackEnv('RESTIC_REST_URL'), join(stackDir, 'bin', 'restic'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(stackDir, 'bin')}:${process.env.PATH ?? ''}`,
    TEMPORAL_ADDRESS: stackEnv('TEMPORAL_ADDRESS'),
    TEMPORAL_NAMESPACE: 'default',
    KUBECONFIG: stackEnv('KUBECONFIG'),
    PUSHGATEWAY_URL: stackEnv('PUSHGATEWAY_URL'),
    STASHFLOW_TASK_QUEUE: taskQueue,
    STASHFLOW_WATCH_NAMESPACE: ns,
    STASHFLOW_LEASE_NAME: `bench-orch-${id}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...(args.maxActivities ? { STASHFLOW_MAX_ACTIVITIES: String(args.maxActivities) } : {}),
  };
  const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(logDir, 'profiles')}`] : [];
  const dist = resolve(args.dist ?? join(repo, 'dist'));
  const procs: Product[] = [
    startProduct(dist, 'worker', env, logDir, nodeArgs),
    startProduct(dist, 'watcher', env, logDir, nodeArgs),
  ];
  const sampler = new Sampler({ worker: procs[0]!.pid, watcher: procs[1]!.pid });
  sampler.start();
  const sessions = new ArrivalRecorder(kube.kc, bsPath(ns));
  const jobs = new ArrivalRecorder(kube.kc, jobPath(ns));
  await sessions.start();
  await jobs.start();
  // measure only once the worker polls (its workflow bundle takes seconds to build) and the watcher leads
  await until('worker running', 120_000, 250, async () => readFileSync(procs[0]!.log, 'utf8').includes('"state":"RUNNING"'));
  await until('watcher controllers started', 120_000, 250, async () =>
    readFileSync(procs[1]!.log, 'utf8').includes('controllers started'),
  );
  const ctx: BenchContext = { kube, client, ns, id, taskQueue, sampler, sessions, jobs, log: progress };
  const phases: Record<string, unknown> = {};
  result.phases = phases;
  try {
    if (args.phases.has('burst')) {
      phases.burst = await burstPhase(ctx, args.burst);
      save();
    }
    if (args.phases.has('scale')) {
      phases.scale = await scalePhase(ctx, args.scaleConfigs, args.idleSeconds);
      save();
    }
    if (args.phases.has('fire')) {
      phases.fire = await firePhase(ctx, args.fireConfigs, args.fireSlots);
      save();
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    progress(`failed: ${String(result.error)}`);
    process.exitCode = 1;
  } finally {
    result.machine = { ...(result.machine as object), loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) };
    result.watchErrors = { sessions: sessions.errors, jobs: jobs.errors };
    save();
    progress(`wrote ${relative(process.cwd(), out)}; cleaning up`);
    await cleanup(ctx, procs, dropShared);
    sessions.stop();
    jobs.stop();
    sampler.stop();
    await client.connection.close();
  }
}

const kc = (c: k8s.KubeConfig) => c.makeApiClient(k8s.VersionApi);

/** Deletes what is left while the watcher still runs (its finalizers), then stops both processes and the namespace. */
async function cleanup(ctx: BenchContext, procs: Product[], dropShared: () => Promise<void>): Promise<void> {
  try {
    await deleteCustomCollection(ctx.kube, 'BackupConfiguration', ctx.ns, '');
    await until(
      'configurations gone',
      120_000,
      1000,
      async () => (await listCustom(ctx.kube, 'BackupConfiguration', ctx.ns)).length === 0,
    );
  } catch (err) {
    progress(`cleanup: ${String(err)}`);
  }
  for (const p of [...procs].reverse()) progress(`${p.name} exited with ${String(await p.stop())}`);
  // whatever the watcher could not finish (e.g. the apiserver was down): release finalizers so the namespace can go
  const left = await listCustom<BackupConfiguration>(ctx.kube, 'BackupConfiguration', ctx.ns).catch(() => []);
  await pool(left, 16, (b) =>
    patchCustom(ctx.kube, 'BackupConfiguration', ctx.ns, b.metadata.name, { metadata: { finalizers: null } }).catch(
      () => undefined,
    ),
  );
  for await (const s of ctx.client.schedule.list())
    if (s.scheduleId.startsWith(`backup:${ctx.ns}/`))
      await ctx.client.schedule
        .getHandle(s.scheduleId)
        .delete()
        .catch(() => undefined);
  await dropShared();
  await ctx.kube.core.deleteNamespace({ name: ctx.ns }).catch(() => undefined);
}

await main();
