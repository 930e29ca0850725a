// The workflow every Schedule firing runs: create one BackupSession named after the firing's scheduled time
// (`<config>-<unix seconds>`, as Stash names them), or after input.sessionName when given. Deterministic: the time
// comes from the TemporalScheduledStartTime search attribute the Schedule sets (a manual trigger sets it to the
// trigger time), falling back to the workflow's start time.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { log, patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { backupSessionName, type CreateBackupSessionInput, type CreateBackupSessionResult } from './contracts.js';

const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 };

// Runs started before the local activity replay their recorded activity task (patched() below).
const { createBackupSession: createSessionTask } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry });

// One apiserver POST, idempotent (AlreadyExists is success): as a local activity it runs in the worker that holds
// the workflow task: no activity task through matching, no second workflow task, one marker event instead of three
// activity events, so a firing's BackupSession appears sooner. Retries back off the same way (a backoff beyond the
// SDK's 1 min local retry threshold becomes a durable timer).
const { createBackupSession: createSessionLocal } = proxyLocalActivities<Activities>({ startToCloseTimeout: '1 minute', retry });

export async function createBackupSession(input: CreateBackupSessionInput): Promise<CreateBackupSessionResult> {
  const info = workflowInfo();
  const at = info.typedSearchAttributes.get(scheduledStartTime) ?? info.startTime;
  const sessionName = input.sessionName ?? backupSessionName(input.name, at.getTime());
  const req = { namespace: input.namespace, name: input.name, sessionName };
  const result = patched('create-session-local-activity') ? await createSessionLocal(req) : await createSessionTask(req);
  log.info(result.message, { namespace: input.namespace, name: input.name, sessionName, reason: result.reason });
  return result;
}
