// Job activities: create a Job idempotently (AlreadyExists is success) and await it with heartbeats, reading the
// result the container left in its termination message.
import { Context, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type * as k8s from '@kubernetes/client-node';
import type { OwnerReference } from '../api/types.js';
import { isAlreadyExists, isNotFound, type KubeClients } from '../lib/kube.js';
import { ProgressTracker, readJobLogTail, type JobProgress } from './job-progress.js';

export interface JobRequest {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  owner?: OwnerReference;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  /** containers carry env by reference only: nothing in a JobRequest is a secret (it is workflow state) */
  pod: Pick<
    k8s.V1PodSpec,
    'containers' | 'initContainers' | 'volumes' | 'serviceAccountName' | 'nodeSelector' | 'securityContext'
  >;
}

export interface JobOutcome {
  succeeded: boolean;
  /** failed pods the Job controller counted (attempts - 1 on success) */
  failedPods: number;
  reason?: string;
  /** the container's termination message (our functions write a small JSON result there) */
  terminationMessage?: string;
}

export interface AwaitProgress {
  job: string;
  active: number;
  succeeded: number;
  failed: number;
  elapsedSeconds: number;
  /** what the function reported on stdout so far (docs/bytes done of total), for the Temporal UI */
  progress?: JobProgress;
}

export function buildJob(req: JobRequest): k8s.V1Job {
  const labels = { 'app.kubernetes.io/managed-by': 'stashflow', ...req.labels };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: req.name,
      namespace: req.namespace,
      labels,
      ownerReferences: req.owner ? [{ ...req.owner, controller: true, blockOwnerDeletion: true }] : undefined,
    },
    spec: {
      backoffLimit: req.backoffLimit ?? 0, // the workflow retries, with backoff and a record of each attempt
      activeDeadlineSeconds: req.activeDeadlineSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // our functions never call the Kubernetes API (results go out through the termination message), so the
          // pod gets no ServiceAccount token to leak (workload-identity webhooks project their own tokens)
          automountServiceAccountToken: false,
          ...req.pod,
          containers: req.pod.containers.map((c) => ({ terminationMessagePolicy: 'FallbackToLogsOnError', ...c })),
        },
      },
    },
  };
}

export { jobName } from '../api/names.js';

export function createJobActivities(kube: KubeClients) {
  async function ensureJob(req: JobRequest): Promise<{ created: boolean }> {
    try {
      await kube.batch.createNamespacedJob({ namespace: req.namespace, body: buildJob(req) });
      return { created: true };
    } catch (err) {
      if (isAlreadyExists(err)) return { created: false }; // a retried activity finds its own Job
      throw err;
    }
  }

  async function terminationMessage(namespace: string, job: string, succeeded: boolean): Promise<string | undefined> {
    const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
    const wanted = succeeded ? 'Succeeded' : 'Failed';
    const pod = pods.items
      .filter((p) => p.status?.phase === wanted)
      .sort((a, b) => String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)))[0];
    const main = pod?.spec?.containers.at(-1)?.name;
    const status = pod?.status?.containerStatuses?.find((c) => c.name === main) ?? pod?.status?.containerStatuses?.[0];
    return status?.state?.terminated?.message ?? undefined;
  }

  async function awaitJob(ref: { namespace: string; name: string; pollMs?: number }): Promise<JobOutcome> {
    const started = Date.now();
    const ctx = Context.current();
    const tracker = new ProgressTracker();
    let logReadAt = 0;
    for (;;) {
      let job: k8s.V1Job;
      try {
        job = await kube.batch.readNamespacedJobStatus({ namespace: ref.namespace, name: ref.name });
      } catch (err) {
        // deleted under us (a person, the GC after its session was deleted, or our own cancellation)
        if (isNotFound(err))
          throw ApplicationFailure.nonRetryable(`Job ${ref.namespace}/${ref.name} no longer exists`, 'JobGone');
        throw err;
      }
      const st = job.status ?? {};
      const done = st.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (done) {
        const succeeded = done.type === 'Complete';
        return {
          succeeded,
          failedPods: st.failed ?? 0,
          reason: done.reason ?? undefined,
          terminationMessage: await terminationMessage(ref.namespace, ref.name, succeeded),
        };
      }
      // the log tail costs two apiserver reads: as often as the server lets heartbeats through (worker: 3 s), not per poll
      if ((st.active ?? 0) > 0 && Date.now() - logReadAt >= 3000) {
        logReadAt = Date.now();
        tracker.add(await readJobLogTail(kube, ref.namespace, ref.name));
      }
      const progress: AwaitProgress = {
        job: ref.name,
        active: st.active ?? 0,
        succeeded: st.succeeded ?? 0,
        failed: st.failed ?? 0,
        elapsedSeconds: Math.round((Date.now() - started) / 1000),
        progress: tracker.summary(),
      };
      heartbeat(progress);
      await sleep(ref.pollMs ?? 1000); // rejects when the workflow cancels this activity
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    }
  }

  /** Deletes a Job and its pods (a cancelled session must not leave a backup running). */
  async function deleteJob(ref: { namespace: string; name: string }): Promise<void> {
    try {
      await kube.batch.deleteNamespacedJob({ namespace: ref.namespace, name: ref.name, propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return { ensureJob, awaitJob, deleteJob };
}
