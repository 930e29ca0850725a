// BackupConfiguration ↔ one Temporal Schedule (id scheduleId()). Level-triggered and idempotent: each call reads
// the object from the informer cache and the Schedule from Temporal, and writes only what differs.
//
// - finalizer `stashflow.dev/schedule` first, so a deletion is always seen; on deletionTimestamp the Schedule is
//   deleted (not found is fine) and the finalizer removed; an object gone from the cache also means "no Schedule".
// - spec.schedule invalid → no Schedule (an existing one is deleted), phase Invalid, ValidationPassed=False
//   (ResourceValidationFailed, message naming spec.schedule) and a Warning Event InvalidSchedule.
// - valid → Schedule created/updated (paused = spec.paused, overlap SKIP, catch-up window from config),
//   ScheduleCreated=True. We replace Stash's CronJob by a Schedule, so the condition Stash calls
//   CronJobCreated/CronJobCreationSucceeded|Failed is ScheduleCreated/ScheduleCreationSucceeded|Failed here.
// - Repository missing → RepositoryFound=False (RepositoryNotAvailable), phase NotReady, and the Schedule is kept:
//   the session then fails with a message naming the Repository (Stash behaves the same way); once the Repository
//   appears, the Repository informer re-enqueues the configuration and it becomes Ready.
// - The same for the other objects a backup needs, checked at apply time so a mistake shows before the first run:
//   the Repository's storage Secret (missing, or without RESTIC_PASSWORD) → BackendSecretFound=False
//   (BackendSecretNotAvailable); the target AppBinding/PVC or the AppBinding's Secret → BackupTargetFound=False
//   (TargetNotAvailable); both NotReady with the Schedule kept (they may appear later; the periodic resync sees it).
//   A Task or Function that does not exist, or spec.task.params the Task does not take (or of the wrong type), are
//   spec errors like spec.schedule: Invalid, no Schedule, Warning Event ResourceValidationFailed naming the field.
//   Secret values are never read into messages: only the presence of a key is checked.
// Status is a merge patch of the status subresource, written only when phase/conditions/observedGeneration change.
// The objects above are read through a DependencyReader (the watcher's informer caches) and recorded in a
// DependencyIndex, so their events re-enqueue this configuration. A Schedule this process created/updated/checked
// for the same uid, generation and fingerprint is not described again until an error or the next resync.
import * as k8s from '@kubernetes/client-node';
import { ScheduleNotFoundError, isGrpcServiceError, type Client } from '@temporalio/client';
import {
  resources,
  type BackupConfiguration,
  type BackupConfigurationStatus,
  type Condition,
  type Repository,
  type StashFunction,
} from '../api/types.js';
import { isNotFound, type KubeClients } from '../lib/kube.js';
import type { Logger } from '../lib/log.js';
import { checkParams } from '../lib/stash-params.js';
import { scheduleId } from '../workflows/contracts.js';
import { findCondition, sameConditions, setCondition } from './conditions.js';
import { validateCron } from './cron.js';
import { apiReader, depKey, type DependencyIndex, type DependencyReader } from './dependencies.js';
import { recordEvent } from './events.js';
import { desiredSchedule, diffSchedule, type ScheduleSettings } from './schedule.js';

export const FINALIZER = 'stashflow.dev/schedule';
export const conditionTypes = {
  validation: 'ValidationPassed',
  schedule: 'ScheduleCreated',
  repository: 'RepositoryFound',
  backendSecret: 'BackendSecretFound',
  target: 'BackupTargetFound',
} as const;

const BC = resources.BackupConfiguration;
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;

export interface BackupConfigurationDeps {
  kube: KubeClients;
  client: Client;
  log: Logger;
  settings: ScheduleSettings;
  /** the informer cache */
  get: (namespace: string, name: string) => BackupConfiguration | undefined;
  /** how Repository, Secret, target, Task and Functions are read (default: a GET each) */
  read?: DependencyReader;
  /** records which objects each configuration used, so their events re-enqueue it */
  index?: DependencyIndex;
  /** true when this reconcile of `key` comes from the periodic resync (consumes the mark) */
  resyncDue?: (key: string) => boolean;
}

export interface Facts {
  validation: { ok: true } | { ok: false; message: string };
  schedule: { ok: boolean; message: string };
  repository: { found: boolean; message: string };
  /** checked only when the Repository exists */
  backendSecret?: Found;
  /** checked only when spec.target.ref is set */
  target?: Found;
}

interface Found {
  found: boolean;
  message: string;
}

/** The apply-time conditions, in the order they are set: which fact each reads and its reasons for True/False. */
const applyTimeConditions: ReadonlyArray<{
  type: string;
  fact: (f: Facts) => { ok: boolean; message: string } | undefined;
  reasons: readonly [whenTrue: string, whenFalse: string];
}> = [
  {
    type: conditionTypes.validation,
    fact: (f) =>
      f.validation.ok ? { ok: true, message: 'Successfully validated.' } : { ok: false, message: f.validation.message },
    reasons: ['ResourceValidationPassed', 'ResourceValidationFailed'],
  },
  { type: conditionTypes.schedule, fact: (f) => f.schedule, reasons: ['ScheduleCreationSucceeded', 'ScheduleCreationFailed'] },
  {
    type: conditionTypes.repository,
    fact: (f) => ({ ok: f.repository.found, message: f.repository.message }),
    reasons: ['RepositoryAvailable', 'RepositoryNotAvailable'],
  },
  {
    type: conditionTypes.backendSecret,
    fact: (f) => f.backendSecret && { ok: f.backendSecret.found, message: f.backendSecret.message },
    reasons: ['BackendSecretAvailable', 'BackendSecretNotAvailable'],
  },
  {
    type: conditionTypes.target,
    fact: (f) => f.target && { ok: f.target.found, message: f.target.message },
    reasons: ['TargetAvailable', 'TargetNotAvailable'],
  },
];

/** The status a BackupConfiguration should have given what was found (pure). */
export function computeStatus(bc: BackupConfiguration, f: Facts, now: string): BackupConfigurationStatus {
  const gen = bc.metadata.generation;
  const conds = applyTimeConditions.reduce<Condition[] | undefined>((list, { type, fact, reasons }) => {
    const v = fact(f);
    if (!v) return list; // not checked (no Repository to read the Secret of, no spec.target.ref)
    const c: Condition = {
      type,
      status: v.ok ? 'True' : 'False',
      reason: v.ok ? reasons[0] : reasons[1],
      message: v.message,
      observedGeneration: gen,
    };
    return setCondition(list, c, now);
  }, bc.status?.conditions);
  const found = f.repository.found && (f.backendSecret?.found ?? true) && (f.target?.found ?? true);
  const phase = !f.validation.ok ? 'Invalid' : f.schedule.ok && found ? 'Ready' : 'NotReady';
  return { observedGeneration: gen, phase, conditions: conds };
}

export function statusChanged(old: BackupConfigurationStatus | undefined, next: BackupConfigurationStatus): boolean {
  return (
    old?.phase !== next.phase ||
    old?.observedGeneration !== next.observedGeneration ||
    !sameConditions(old?.conditions, next.conditions)
  );
}

const isScheduleNotFound = (err: unknown) =>
  err instanceof ScheduleNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND);

export function makeBackupConfigurationReconciler(d: BackupConfigurationDeps) {
  async function deleteSchedule(id: string): Promise<boolean> {
    try {
      await d.client.schedule.getHandle(id).delete();
      d.log.info({ scheduleId: id }, 'schedule deleted');
      return true;
    } catch (err) {
      if (isScheduleNotFound(err)) return false;
      throw err;
    }
  }

  async function patchMeta(bc: BackupConfiguration, finalizers: string[]): Promise<BackupConfiguration> {
    return (await d.kube.custom.patchNamespacedCustomObject(
      {
        group: BC.group,
        version: BC.version,
        plural: BC.plural,
        namespace: bc.metadata.namespace!,
        name: bc.metadata.name,
        // resourceVersion makes this a compare-and-swap: a concurrent change fails with 409 and is retried
        body: { metadata: { finalizers, resourceVersion: bc.metadata.resourceVersion } },
      },
      mergePatch,
    )) as BackupConfiguration;
  }

  async function event(bc: BackupConfiguration, type: 'Normal' | 'Warning', reason: string, message: string) {
    await recordEvent(d.kube, bc, type, reason, message).catch((err: unknown) =>
      d.log.warn({ err: String(err), namespace: bc.metadata.namespace, name: bc.metadata.name, reason }, 'event not recorded'),
    );
  }

  const read = d.read ?? apiReader(d.kube);

  async function repositoryFact(
    bc: BackupConfiguration,
    uses: string[],
  ): Promise<{ fact: Facts['repository']; repo?: Repository }> {
    const name = bc.spec.repository?.name;
    const ns = bc.spec.repository?.namespace || bc.metadata.namespace!;
    if (!name) return { fact: { found: false, message: 'spec.repository.name is not set' } };
    uses.push(depKey('Repository', ns, name));
    const repo = await read.repository(ns, name);
    if (!repo) return { fact: { found: false, message: `Repository ${ns}/${name} (spec.repository) does not exist.` } };
    return { fact: { found: true, message: `Repository ${ns}/${name} exists.` }, repo };
  }

  async function backendSecretFact(repo: Repository): Promise<Found> {
    const ns = repo.metadata.namespace!;
    const field = `Repository ${ns}/${repo.metadata.name} spec.backend.storageSecretName`;
    const name = repo.spec.backend?.storageSecretName;
    if (!name) return { found: false, message: `${field} is not set` };
    const keys = await read.secretKeys(ns, name);
    if (!keys) return { found: false, message: `Secret ${ns}/${name} (${field}) not found` };
    if (!keys.includes('RESTIC_PASSWORD'))
      return { found: false, message: `Secret ${ns}/${name} (${field}) has no RESTIC_PASSWORD key` };
    return { found: true, message: `Secret ${ns}/${name} has RESTIC_PASSWORD.` };
  }

  async function targetFact(bc: BackupConfiguration, uses: string[]): Promise<Found | undefined> {
    const ref = bc.spec.target?.ref;
    if (!ref) return undefined;
    const ns = ref.namespace || bc.metadata.namespace!;
    if (!ref.name) return { found: false, message: 'spec.target.ref.name is not set' };
    if (ref.kind === 'AppBinding') {
      uses.push(depKey('AppBinding', ns, ref.name));
      const ab = await read.appBinding(ns, ref.name);
      if (!ab) return { found: false, message: `AppBinding ${ns}/${ref.name} (spec.target.ref) not found` };
      const secret = ab.spec.secret?.name;
      if (secret && !(await read.secretKeys(ns, secret)))
        return { found: false, message: `Secret ${ns}/${secret} (AppBinding ${ns}/${ref.name} spec.secret) not found` };
      return { found: true, message: `AppBinding ${ns}/${ref.name} exists.` };
    }
    if (ref.kind === 'PersistentVolumeClaim') {
      if (await read.pvcExists(ns, ref.name)) return { found: true, message: `PersistentVolumeClaim ${ns}/${ref.name} exists.` };
      return { found: false, message: `PersistentVolumeClaim ${ns}/${ref.name} (spec.target.ref) not found` };
    }
    return { found: false, message: `spec.target.ref.kind: ${ref.kind} is not supported (AppBinding or PersistentVolumeClaim)` };
  }

  /** A spec error that no other object can fix: a missing Task or Function, params the Task does not take. */
  async function specProblem(bc: BackupConfiguration, uses: string[]): Promise<string | undefined> {
    const taskName = bc.spec.task?.name;
    if (!taskName) return undefined; // Stash's sidecar model: the session reports it (we run Task-based backups)
    uses.push(depKey('Task', undefined, taskName));
    const task = await read.task(taskName);
    if (!task) return `Task ${taskName} (spec.task.name) not found`;
    const functions: StashFunction[] = [];
    for (const [i, st] of (task.spec.steps ?? []).entries()) {
      if (st.name === 'update-status') continue; // the workflow updates status itself
      uses.push(depKey('Function', undefined, st.name));
      const fn = await read.fn(st.name);
      if (!fn) return `Function ${st.name} (Task ${taskName} spec.steps[${i}].name) not found`;
      functions.push(fn);
    }
    return checkParams(bc.spec.task?.params, 'spec.task.params', task, functions);
  }

  // What this process last applied per configuration key: while uid, generation and fingerprint are the same, the
  // Schedule is not described again. Dropped on any error and at each resync, so a Schedule changed or deleted out
  // of band is repaired at the next resync.
  const applied = new Map<string, string>();
  const appliedKey = (bc: BackupConfiguration, fingerprint: string) =>
    `${bc.metadata.uid}/${bc.metadata.generation}/${fingerprint}`;

  /** Creates or updates the Schedule; returns what happened, or an invalid-argument message from Temporal. */
  async function ensureSchedule(
    bc: BackupConfiguration,
    cron: string,
  ): Promise<{ action: 'created' | 'updated' | 'unchanged' } | { invalid: string }> {
    const want = desiredSchedule(bc, cron, d.settings);
    const key = `${bc.metadata.namespace}/${bc.metadata.name}`;
    const record = appliedKey(bc, want.fingerprint);
    if (applied.get(key) === record) return { action: 'unchanged' };
    applied.delete(key);
    const handle = d.client.schedule.getHandle(want.scheduleId);
    let diff: 'create' | 'none' | 'update' | 'recreate';
    try {
      diff = diffSchedule(await handle.describe(), want);
    } catch (err) {
      if (!isScheduleNotFound(err)) throw err;
      diff = 'create';
    }
    try {
      if (diff === 'none') {
        applied.set(key, record);
        return { action: 'unchanged' };
      }
      if (diff === 'update') {
        const o = want.options;
        await handle.update(() => ({
          spec: o.spec,
          action: o.action,
          policies: o.policies,
          typedSearchAttributes: o.typedSearchAttributes,
          state: { paused: o.state?.paused, note: o.state?.note },
        }));
        applied.set(key, record);
        return { action: 'updated' };
      }
      if (diff === 'recreate') await deleteSchedule(want.scheduleId);
      await d.client.schedule.create(want.options);
      applied.set(key, record);
      return { action: 'created' };
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC_INVALID_ARGUMENT) return { invalid: err.details || err.message };
      throw err;
    }
  }

  async function writeStatus(bc: BackupConfiguration, next: BackupConfigurationStatus): Promise<void> {
    if (!statusChanged(bc.status, next)) return;
    await d.kube.custom.patchNamespacedCustomObjectStatus(
      {
        group: BC.group,
        version: BC.version,
        plural: BC.plural,
        namespace: bc.metadata.namespace!,
        name: bc.metadata.name,
        body: { status: next },
      },
      mergePatch,
    );
  }

  return async function reconcileOrForget(key: string): Promise<void> {
    try {
      await reconcile(key);
    } catch (err) {
      applied.delete(key);
      throw err;
    }
  };

  async function reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const id = scheduleId({ namespace, name });
    const log = d.log.child({ namespace, name, scheduleId: id });
    if (d.resyncDue?.(key)) applied.delete(key);
    let bc = d.get(namespace, name);
    if (!bc || bc.metadata.deletionTimestamp) {
      applied.delete(key);
      d.index?.delete(key);
    }
    if (!bc) {
      if (await deleteSchedule(id)) log.info('backupconfiguration gone: schedule removed');
      return;
    }
    const finalizers = bc.metadata.finalizers ?? [];
    if (bc.metadata.deletionTimestamp) {
      if (!finalizers.includes(FINALIZER)) return;
      await deleteSchedule(id);
      try {
        await patchMeta(
          bc,
          finalizers.filter((f) => f !== FINALIZER),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      log.info('backupconfiguration deleted: schedule removed, finalizer released');
      return;
    }
    if (!finalizers.includes(FINALIZER)) {
      bc = await patchMeta(bc, [...finalizers, FINALIZER]);
      log.info('finalizer added');
    }

    const now = new Date().toISOString();
    const uses: string[] = [];
    let repository: Facts['repository'], repo: Repository | undefined, backendSecret: Found | undefined;
    let target: Found | undefined, problem: string | undefined;
    const cron = validateCron(bc.spec.schedule);
    try {
      ({ fact: repository, repo } = await repositoryFact(bc, uses));
      backendSecret = repo ? await backendSecretFact(repo) : undefined;
      target = await targetFact(bc, uses);
      problem = cron.ok ? await specProblem(bc, uses) : undefined;
    } finally {
      d.index?.set(key, uses); // what it looked for, found or not: its appearance must re-enqueue this one
    }
    let invalid = cron.ok ? problem : `spec.schedule ${cron.error}`;
    const invalidReason = cron.ok && problem ? 'ResourceValidationFailed' : 'InvalidSchedule';
    let scheduled: Awaited<ReturnType<typeof ensureSchedule>> | undefined;
    if (cron.ok && !problem) {
      try {
        scheduled = await ensureSchedule(bc, cron.cron);
      } catch (err) {
        const message = `Schedule ${id} could not be created or updated: ${err instanceof Error ? err.message : String(err)}`;
        const next = computeStatus(
          bc,
          { validation: { ok: true }, schedule: { ok: false, message }, repository, backendSecret, target },
          now,
        );
        if (findCondition(bc.status?.conditions, conditionTypes.schedule)?.message !== message)
          await event(bc, 'Warning', 'ScheduleCreationFailed', message);
        await writeStatus(bc, next);
        throw err; // retried with backoff by the queue
      }
      if ('invalid' in scheduled) invalid = `spec.schedule "${cron.cron}" rejected by Temporal: ${scheduled.invalid}`;
    }

    if (invalid !== undefined) {
      applied.delete(key);
      if (await deleteSchedule(id)) log.info('schedule removed: the spec is invalid');
      const what = invalidReason === 'InvalidSchedule' ? 'spec.schedule is' : 'the spec is';
      const next = computeStatus(
        bc,
        {
          validation: { ok: false, message: invalid },
          schedule: { ok: false, message: `Schedule not created: ${what} invalid.` },
          repository,
          backendSecret,
          target,
        },
        now,
      );
      const old = findCondition(bc.status?.conditions, conditionTypes.validation);
      if (old?.status !== 'False' || old.message !== invalid) {
        await event(bc, 'Warning', invalidReason, invalid);
        log.warn({ reason: invalidReason }, invalid);
      }
      await writeStatus(bc, next);
      return;
    }

    const action = scheduled && 'action' in scheduled ? scheduled.action : 'unchanged';
    if (action !== 'unchanged') {
      log.info({ paused: bc.spec.paused === true, schedule: bc.spec.schedule }, `schedule ${action}`);
      await event(
        bc,
        'Normal',
        action === 'created' ? 'ScheduleCreated' : 'ScheduleUpdated',
        `Schedule ${id} ${action} (${bc.spec.schedule}${bc.spec.paused ? ', paused' : ''}).`,
      );
    }
    if (!repository.found && findCondition(bc.status?.conditions, conditionTypes.repository)?.status !== 'False')
      await event(bc, 'Warning', 'RepositoryNotAvailable', repository.message);
    for (const [type, reason, fact] of [
      [conditionTypes.backendSecret, 'BackendSecretNotAvailable', backendSecret],
      [conditionTypes.target, 'TargetNotAvailable', target],
    ] as const) {
      const old = findCondition(bc.status?.conditions, type);
      if (fact && !fact.found && (old?.status !== 'False' || old.message !== fact.message))
        await event(bc, 'Warning', reason, fact.message);
    }
    const next = computeStatus(
      bc,
      {
        validation: { ok: true },
        schedule: { ok: true, message: `Schedule ${id} is in place.` },
        repository,
        backendSecret,
        target,
      },
      now,
    );
    await writeStatus(bc, next);
  }
}
