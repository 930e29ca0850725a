// BackupConfiguration → the Temporal Schedule it should have (pure), and whether a described Schedule differs.
//
// Temporal stores a cron string as structured calendars, so a described Schedule cannot be compared field by field
// with the cron we sent. The desired state therefore carries a fingerprint (sha256 of everything we set) in the
// action's memo; a Schedule is updated when the fingerprint, the paused state or any directly comparable field
// (workflow type, task queue, workflow id, overlap policy, catch-up window) differs. Reconciling twice with the same
// object therefore sends no update.
import { createHash } from 'node:crypto';
import type { ScheduleDescription, ScheduleOptions, ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { apiVersionOf, type BackupConfiguration } from '../api/types.js';
import { searchAttributes as sa } from '../api/search-attributes.js';
import {
  createBackupSessionWorkflowIdPrefix,
  scheduleId,
  workflowTypes,
  type CreateBackupSessionInput,
} from '../workflows/contracts.js';

export const MANAGED_BY = 'stashflow-watcher';

export interface ScheduleSettings {
  taskQueue: string;
  catchupWindowMs: number;
}

export interface DesiredSchedule {
  scheduleId: string;
  fingerprint: string;
  options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<(input: CreateBackupSessionInput) => Promise<unknown>>>;
}

/** "<Kind>/<name>" of the backup target, the StashTarget search attribute value. */
export const targetValue = (ref: { kind?: string; name?: string } | undefined): string | undefined =>
  ref?.kind && ref.name ? `${ref.kind}/${ref.name}` : undefined;

export function scheduleSearchAttributes(bc: BackupConfiguration): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: sa.namespace, value: bc.metadata.namespace! },
    { key: sa.invokerKind, value: 'BackupConfiguration' },
    { key: sa.invokerName, value: bc.metadata.name },
  ];
  if (bc.spec.repository?.name) pairs.push({ key: sa.repository, value: bc.spec.repository.name });
  const target = targetValue(bc.spec.target?.ref);
  if (target) pairs.push({ key: sa.target, value: target });
  return pairs;
}

/** The Schedule for a valid BackupConfiguration (the cron was validated before). */
export function desiredSchedule(bc: BackupConfiguration, cron: string, s: ScheduleSettings): DesiredSchedule {
  const ref = { namespace: bc.metadata.namespace!, name: bc.metadata.name };
  const attrs = scheduleSearchAttributes(bc);
  const paused = bc.spec.paused === true;
  const input: CreateBackupSessionInput = { namespace: ref.namespace, name: ref.name };
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        cron,
        paused,
        input,
        taskQueue: s.taskQueue,
        catchup: s.catchupWindowMs,
        attrs: attrs.map((p) => [p.key.name, p.value]),
      }),
    )
    .digest('hex')
    .slice(0, 32);
  // the object reference (apiVersion/kind/namespace/name/uid): the Temporal UI shows it on the Schedule and every firing
  const memo = {
    apiVersion: apiVersionOf('BackupConfiguration'),
    kind: 'BackupConfiguration',
    namespace: ref.namespace,
    name: ref.name,
    uid: bc.metadata.uid,
    managedBy: MANAGED_BY,
  };
  return {
    scheduleId: scheduleId(ref),
    fingerprint,
    options: {
      scheduleId: scheduleId(ref),
      spec: { cronExpressions: [cron] },
      action: {
        type: 'startWorkflow',
        workflowType: workflowTypes.createBackupSession,
        args: [input],
        taskQueue: s.taskQueue,
        workflowId: createBackupSessionWorkflowIdPrefix(ref),
        memo: { ...memo, fingerprint },
        typedSearchAttributes: attrs,
      },
      policies: { overlap: 'SKIP', catchupWindow: s.catchupWindowMs, pauseOnFailure: false },
      memo,
      typedSearchAttributes: attrs,
      state: { paused, note: paused ? 'paused by BackupConfiguration spec.paused' : undefined },
    },
  };
}

export type ScheduleDiff = 'none' | 'update' | 'recreate';

/** What to do with a Schedule that exists, given the desired one and the object's uid. */
export function diffSchedule(described: ScheduleDescription, desired: DesiredSchedule): ScheduleDiff {
  const want = desired.options;
  if (described.memo?.uid !== want.memo?.uid) return 'recreate'; // a leftover of an older object with this name
  const a = described.action;
  const changed =
    a.memo?.fingerprint !== desired.fingerprint ||
    described.state.paused !== (want.state?.paused ?? false) ||
    a.workflowType !== want.action.workflowType ||
    a.taskQueue !== want.action.taskQueue ||
    a.workflowId !== want.action.workflowId ||
    described.policies.overlap !== want.policies?.overlap ||
    described.policies.catchupWindow !== want.policies?.catchupWindow;
  return changed ? 'update' : 'none';
}
