// The workflow every Schedule firing runs: create one BackupSession named after the firing's scheduled time
// (`<config>-<unix seconds>`, as Stash names them), or after input.sessionName when given. Deterministic: the time
// comes from the TemporalScheduledStartTime search attribute the Schedule sets (a manual trigger sets it to the
// trigger time), falling back to the workflow's start time.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { backupSessionName, type CreateBackupSessionInput, type CreateBackupSessionResult } from './contracts.js';

const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { createBackupSession: createSession } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

export async function createBackupSession(input: CreateBackupSessionInput): Promise<CreateBackupSessionResult> {
  const info = workflowInfo();
  const at = info.typedSearchAttributes.get(scheduledStartTime) ?? info.startTime;
  const sessionName = input.sessionName ?? backupSessionName(input.name, at.getTime());
  const result = await createSession({ namespace: input.namespace, name: input.name, sessionName });
  log.info(result.message, { namespace: input.namespace, name: input.name, sessionName, reason: result.reason });
  return result;
}
