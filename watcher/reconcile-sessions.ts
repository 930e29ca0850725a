// BackupSession → workflow `backupSession`, RestoreSession → workflow `restoreSession`, started by type name (the
// watcher does not need the workflow code). The workflow id derives from namespace/name/uid and the reuse policy is
// REJECT_DUPLICATE, so a second start — a re-delivered event, a resync, a restarted or second watcher — is a no-op
// (WorkflowExecutionAlreadyStartedError), and a finished session is never run again. Sessions whose phase is already
// final are left alone.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { searchAttributes as sa } from '../api/search-attributes.js';
import {
  apiVersionOf,
  finalBackupPhases,
  finalRestorePhases,
  type BackupConfiguration,
  type BackupSession,
  type RestoreSession,
} from '../api/types.js';
import type { Logger } from '../lib/log.js';
import { backupSessionWorkflowId, restoreSessionWorkflowId, workflowTypes, type SessionRef } from '../workflows/contracts.js';
import { targetValue } from './schedule.js';

export interface SessionDeps {
  client: Client;
  log: Logger;
  taskQueue: string;
  getBackupSession: (namespace: string, name: string) => BackupSession | undefined;
  getRestoreSession: (namespace: string, name: string) => RestoreSession | undefined;
  /** the invoker of a BackupSession, for its repository and target search attributes (may be missing) */
  getBackupConfiguration: (namespace: string, name: string) => BackupConfiguration | undefined;
  /**
   * Marks a session Failed when its workflow ended without giving it a final phase (terminated, timed out, failed);
   * reads the session fresh and does nothing when it is final already. Absent in tests that don't need it.
   */
  failEndedSession?: (kind: 'BackupSession' | 'RestoreSession', ref: SessionRef, message: string) => Promise<void>;
  /**
   * True when this reconcile of `key` comes from the periodic resync (consumes the mark). When given, a session this
   * process already started is checked against its workflow (describe) only then, not on each of the status updates
   * its workflow writes; absent, it is checked on every reconcile.
   */
  resyncDue?: (key: string) => boolean;
}

/** Workflow end states in which a session's workflow may have stopped before writing a final phase. */
const abnormalEnds = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

export interface SessionStart {
  workflowType: string;
  workflowId: string;
  ref: SessionRef;
  attrs: SearchAttributePair[];
  memo: Record<string, unknown>;
}

function pairs(values: Array<[SearchAttributePair['key'], string | undefined]>): SearchAttributePair[] {
  return values
    .filter((v): v is [SearchAttributePair['key'], string] => !!v[1])
    .map(([key, value]) => ({ key, value }) as SearchAttributePair);
}

/** What to start for a BackupSession (pure); undefined when nothing is to be started. */
export function backupSessionStart(bs: BackupSession, bc: BackupConfiguration | undefined): SessionStart | undefined {
  if (!bs.metadata.uid || bs.metadata.deletionTimestamp) return undefined;
  if (bs.status?.phase && finalBackupPhases.includes(bs.status.phase)) return undefined;
  const ref: SessionRef = { namespace: bs.metadata.namespace!, name: bs.metadata.name, uid: bs.metadata.uid };
  const invoker = bs.spec?.invoker;
  const invokerBc = invoker?.kind === 'BackupConfiguration' && bc?.metadata.name === invoker.name ? bc : undefined;
  return {
    workflowType: workflowTypes.backupSession,
    workflowId: backupSessionWorkflowId(ref),
    ref,
    attrs: pairs([
      [sa.namespace, ref.namespace],
      [sa.sessionKind, 'BackupSession'],
      [sa.invokerKind, invoker?.kind],
      [sa.invokerName, invoker?.name],
      [sa.repository, invokerBc?.spec.repository?.name],
      [sa.target, targetValue(invokerBc?.spec.target?.ref)],
      [sa.phase, 'Pending'],
    ]),
    memo: {
      apiVersion: apiVersionOf('BackupSession'),
      kind: 'BackupSession',
      ...ref,
      invoker: invoker ? { kind: invoker.kind, name: invoker.name } : undefined,
    },
  };
}

/** What to start for a RestoreSession (pure); undefined when nothing is to be started. */
export function restoreSessionStart(rs: RestoreSession): SessionStart | undefined {
  if (!rs.metadata.uid || rs.metadata.deletionTimestamp) return undefined;
  if (rs.status?.phase && finalRestorePhases.includes(rs.status.phase)) return undefined;
  const ref: SessionRef = { namespace: rs.metadata.namespace!, name: rs.metadata.name, uid: rs.metadata.uid };
  return {
    workflowType: workflowTypes.restoreSession,
    workflowId: restoreSessionWorkflowId(ref),
    ref,
    attrs: pairs([
      [sa.namespace, ref.namespace],
      [sa.sessionKind, 'RestoreSession'],
      [sa.invokerKind, 'RestoreSession'],
      [sa.invokerName, ref.name],
      [sa.repository, rs.spec?.repository?.name],
      [sa.target, targetValue(rs.spec?.target?.ref)],
      [sa.phase, 'Pending'],
    ]),
    memo: { apiVersion: apiVersionOf('RestoreSession'), kind: 'RestoreSession', ...ref },
  };
}

export function makeSessionReconcilers(d: SessionDeps) {
  // uids already started by this process: skips a start RPC on every resync of a running session
  const started = new Set<string>();

  // A non-final session whose workflow has ended abnormally would stay Running for good (Stash users' most reported
  // failure): give it a final phase naming the workflow and how it ended.
  async function settleIfEnded(s: SessionStart, log: Logger): Promise<void> {
    if (!d.failEndedSession) return;
    const desc = await d.client.workflow.getHandle(s.workflowId).describe();
    const status = desc.status.name;
    if (!abnormalEnds.has(status)) return;
    const kind = s.workflowType === workflowTypes.backupSession ? 'BackupSession' : 'RestoreSession';
    log.warn({ status }, 'session workflow ended without a final phase; marking the session Failed');
    await d.failEndedSession(kind, s.ref, `workflow ${s.workflowId} ended ${status.toLowerCase()} before the session finished`);
  }

  async function start(s: SessionStart, resync: boolean): Promise<void> {
    const log = d.log.child({ namespace: s.ref.namespace, name: s.ref.name, workflowId: s.workflowId });
    if (started.has(s.ref.uid)) return d.resyncDue && !resync ? undefined : settleIfEnded(s, log);
    try {
      await d.client.workflow.start(s.workflowType, {
        taskQueue: d.taskQueue,
        workflowId: s.workflowId,
        args: [s.ref],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: s.attrs,
        memo: s.memo,
      });
      log.info({ workflowType: s.workflowType }, 'session workflow started');
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      log.debug('session workflow already started');
      await settleIfEnded(s, log);
    }
    started.add(s.ref.uid);
  }

  const forget = (uid: string | undefined) => uid && started.delete(uid);

  return {
    async backupSession(key: string): Promise<void> {
      const [namespace, name] = key.split('/') as [string, string];
      const resync = d.resyncDue?.(key) ?? false;
      const bs = d.getBackupSession(namespace, name);
      if (!bs) return;
      const inv = bs.spec?.invoker;
      const bc = inv?.kind === 'BackupConfiguration' ? d.getBackupConfiguration(namespace, inv.name) : undefined;
      const s = backupSessionStart(bs, bc);
      if (s) await start(s, resync);
      else forget(bs.metadata.uid);
    },
    async restoreSession(key: string): Promise<void> {
      const [namespace, name] = key.split('/') as [string, string];
      const resync = d.resyncDue?.(key) ?? false;
      const rs = d.getRestoreSession(namespace, name);
      if (!rs) return;
      const s = restoreSessionStart(rs);
      if (s) await start(s, resync);
      else forget(rs.metadata.uid);
    },
  };
}
