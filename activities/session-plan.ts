// Resolves a session into what its Job needs: the invoker, Repository, storage Secret (checked, never read into the
// plan), Task, Functions and target, with Stash's ${VAR} substitution. Everything missing or malformed becomes an
// InvalidInput naming the object and field, which the workflow turns into a Failed session with that message.
import type * as k8s from '@kubernetes/client-node';
import type {
  AppBinding,
  BackupConfiguration,
  BackupSession,
  Param,
  Repository,
  RestoreSession,
  RetentionPolicy,
  Rule,
  StashFunction,
  Task,
  TargetRef,
} from '../api/types.js';
import { isNotFound, type KubeClients } from '../lib/kube.js';
import { getObject } from '../lib/objects.js';
import { InvalidBackend, resolveBackend, type ResolvedBackend } from './backend.js';
import { parseGoDuration } from '../lib/stash-format.js';
import { checkParams } from '../lib/stash-params.js';
import { substitute } from './stash-vars.js';
import { appBindingEnv } from './target-env.js';
import { isVerifyAnnotated } from '../api/verification.js';

export class InvalidInput extends Error {
  constructor(
    message: string,
    /** the Stash condition type this failure sets, e.g. RepositoryFound */
    readonly conditionType: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'InvalidInput';
  }
}

export const INTERIM_VOLUME = 'stash-interim-volume';
export const INTERIM_MOUNT = '/stash-interim';
export const INTERIM_DATA_DIR = '/stash-interim/data';
export const TMP_VOLUME = 'tmp-dir';
export const TMP_MOUNT = '/stash-tmp';

export interface PlanSummary {
  repository: { name: string; namespace: string; provider: string; bucket?: string; prefix?: string };
  target: TargetRef;
  invoker: { kind: string; name: string };
  hostname: string;
  driver: string;
  /** Go duration string from spec.timeOut, as seconds */
  timeOutSeconds?: number;
  maxRetry: number;
  retryDelaySeconds: number;
  backupHistoryLimit: number;
  retention?: RetentionPolicy;
  interimClaim?: { name: string; spec: k8s.V1PersistentVolumeClaimSpec; labels?: Record<string, string> };
  /** the BackupConfiguration opted in to verified backups (api/verification.ts); absent otherwise */
  verifyBackup?: true;
}

export interface SessionPlan extends PlanSummary {
  pod: {
    containers: k8s.V1Container[];
    initContainers?: k8s.V1Container[];
    volumes: k8s.V1Volume[];
    serviceAccountName?: string;
    nodeSelector?: Record<string, string>;
    securityContext?: k8s.V1PodSecurityContext;
  };
  /** env every maintenance Job of this repository needs (RESTIC_REPOSITORY by value, credentials by reference) */
  backendEnv: k8s.V1EnvVar[];
  backendVolumes: k8s.V1Volume[];
  backendVolumeMounts: k8s.V1VolumeMount[];
  image: string;
}

/** spec.timeOut / retryConfig.delay (Go durations) → seconds; a malformed one names its field. */
export function durationField(text: string | undefined, field: string): number | undefined {
  if (!text) return undefined;
  try {
    return parseGoDuration(text);
  } catch {
    throw new InvalidInput(
      `${field}: '${text}' is not a duration like 30m or 1h30m`,
      'ValidationPassed',
      'ResourceValidationFailed',
    );
  }
}

function paramsToVars(params: Param[] | undefined): Record<string, string> {
  return Object.fromEntries((params ?? []).map((p) => [p.name, p.value]));
}

interface Loaded {
  kind: 'BackupSession' | 'RestoreSession';
  namespace: string;
  name: string;
  spec: BackupConfiguration['spec'] | RestoreSession['spec'];
  invoker: { kind: string; name: string };
  rules?: Rule[];
  /** the invoker's annotations (BackupConfiguration) */
  annotations?: Record<string, string>;
}

/**
 * Our function streams with bounded buffers, but V8 grows its heap lazily on a big machine; capping old space keeps
 * the container under 256 MB RSS at any index size at the same speed (bench/README.md). The user's NODE_OPTIONS wins.
 */
function boundedHeap(image: string, userEnv: Array<{ name?: string }> | undefined): k8s.V1EnvVar[] | undefined {
  if (!/(^|\/)stashflow\/stashflow(:|@|$)/.test(image) || userEnv?.some((e) => e.name === 'NODE_OPTIONS')) return undefined;
  return [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=128' }];
}

export function createPlanner(kube: KubeClients, image: string) {
  async function mustGet<T>(
    kind: Parameters<typeof getObject>[1],
    ns: string | undefined,
    name: string,
    field: string,
    conditionType: string,
    reason: string,
  ): Promise<T> {
    const obj = await getObject<T>(kube, kind, ns, name);
    if (!obj) throw new InvalidInput(`${kind} ${ns ? `${ns}/` : ''}${name} (${field}) not found`, conditionType, reason);
    return obj;
  }

  async function checkSecret(namespace: string, name: string, field: string): Promise<void> {
    let secret: k8s.V1Secret;
    try {
      secret = await kube.core.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (isNotFound(err))
        throw new InvalidInput(
          `Secret ${namespace}/${name} (${field}) not found`,
          'BackendSecretFound',
          'BackendSecretNotAvailable',
        );
      throw err;
    }
    // only the key's presence is checked; the value never leaves this function
    if (!secret.data?.RESTIC_PASSWORD && !secret.stringData?.RESTIC_PASSWORD) {
      throw new InvalidInput(
        `Secret ${namespace}/${name} (${field}) has no RESTIC_PASSWORD key`,
        'BackendSecretFound',
        'BackendSecretNotAvailable',
      );
    }
  }

  async function checkTarget(
    ref: TargetRef | undefined,
    namespace: string,
    field: string,
  ): Promise<TargetRef & { env: k8s.V1EnvVar[] }> {
    if (!ref?.kind || !ref.name)
      throw new InvalidInput(`${field}.ref: kind and name are required`, 'BackupTargetFound', 'TargetNotAvailable');
    const ns = ref.namespace || namespace;
    if (ref.kind === 'AppBinding') {
      const ab = await mustGet<AppBinding>('AppBinding', ns, ref.name, `${field}.ref`, 'BackupTargetFound', 'TargetNotAvailable');
      let keys: string[] = [];
      if (ab.spec.secret?.name) {
        try {
          const sec = await kube.core.readNamespacedSecret({ namespace: ns, name: ab.spec.secret.name });
          keys = Object.keys({ ...sec.data, ...sec.stringData }); // key names only; values stay in the Secret
        } catch (err) {
          if (isNotFound(err))
            throw new InvalidInput(
              `Secret ${ns}/${ab.spec.secret.name} (AppBinding ${ns}/${ref.name} spec.secret) not found`,
              'BackupTargetFound',
              'TargetNotAvailable',
            );
          throw err;
        }
      }
      try {
        return { ...ref, namespace: ns, env: appBindingEnv(ab, keys) };
      } catch (err) {
        throw new InvalidInput((err as Error).message, 'BackupTargetFound', 'TargetNotAvailable');
      }
    } else if (ref.kind === 'PersistentVolumeClaim') {
      try {
        await kube.core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: ref.name });
      } catch (err) {
        if (isNotFound(err))
          throw new InvalidInput(
            `PersistentVolumeClaim ${ns}/${ref.name} (${field}.ref) not found`,
            'BackupTargetFound',
            'TargetNotAvailable',
          );
        throw err;
      }
    } else {
      throw new InvalidInput(
        `${field}.ref.kind: ${ref.kind} is not supported (AppBinding or PersistentVolumeClaim)`,
        'BackupTargetFound',
        'TargetNotAvailable',
      );
    }
    return { ...ref, namespace: ns, env: [] };
  }

  async function load(kind: Loaded['kind'], namespace: string, name: string): Promise<Loaded> {
    if (kind === 'BackupSession') {
      const s = await mustGet<BackupSession>(
        'BackupSession',
        namespace,
        name,
        'session',
        'ValidationPassed',
        'ResourceValidationFailed',
      );
      const inv = s.spec.invoker;
      if (inv.kind !== 'BackupConfiguration') {
        throw new InvalidInput(
          `spec.invoker.kind: ${inv.kind} is not supported (BackupConfiguration)`,
          'ValidationPassed',
          'ResourceValidationFailed',
        );
      }
      const bc = await mustGet<BackupConfiguration>(
        'BackupConfiguration',
        namespace,
        inv.name,
        'spec.invoker',
        'ValidationPassed',
        'ResourceValidationFailed',
      );
      return {
        kind,
        namespace,
        name,
        spec: bc.spec,
        invoker: { kind: inv.kind, name: inv.name },
        annotations: bc.metadata.annotations,
      };
    }
    const rs = await mustGet<RestoreSession>(
      'RestoreSession',
      namespace,
      name,
      'session',
      'ValidationPassed',
      'ResourceValidationFailed',
    );
    return {
      kind,
      namespace,
      name,
      spec: rs.spec,
      invoker: { kind: 'RestoreSession', name },
      rules: rs.spec.target?.rules ?? rs.spec.rules,
    };
  }

  async function plan(kind: Loaded['kind'], namespace: string, name: string): Promise<SessionPlan> {
    const s = await load(kind, namespace, name);
    const isBackup = kind === 'BackupSession';
    const spec = s.spec;

    const repoRef = spec.repository;
    if (!repoRef?.name) throw new InvalidInput('spec.repository.name is required', 'RepositoryFound', 'RepositoryNotAvailable');
    const repoNs = repoRef.namespace || namespace;
    const repo = await mustGet<Repository>(
      'Repository',
      repoNs,
      repoRef.name,
      'spec.repository',
      'RepositoryFound',
      'RepositoryNotAvailable',
    );
    let backend: ResolvedBackend;
    try {
      backend = resolveBackend(repo);
    } catch (err) {
      if (err instanceof InvalidBackend) throw new InvalidInput(err.message, 'RepositoryFound', 'RepositoryNotAvailable');
      throw err;
    }
    if (repoNs !== namespace) {
      throw new InvalidInput(
        `spec.repository.namespace: a Repository in another namespace (${repoNs}) is not supported: its Secret must be in ${namespace}`,
        'RepositoryFound',
        'RepositoryNotAvailable',
      );
    }
    await checkSecret(repoNs, backend.secretName, `Repository ${repoNs}/${repoRef.name} spec.backend.storageSecretName`);

    const { env: targetEnv, ...target } = await checkTarget(spec.target?.ref, namespace, 'spec.target');
    const taskName = spec.task?.name;
    if (!taskName)
      throw new InvalidInput(
        'spec.task.name is required (Stashflow runs Task-based backups and restores)',
        'ValidationPassed',
        'ResourceValidationFailed',
      );
    const task = await mustGet<Task>(
      'Task',
      undefined,
      taskName,
      'spec.task.name',
      'ValidationPassed',
      'ResourceValidationFailed',
    );
    const steps = (task.spec.steps ?? []).filter((st) => st.name !== 'update-status'); // the workflow updates status itself
    if (!steps.length)
      throw new InvalidInput(
        `Task ${taskName} has no steps besides update-status`,
        'ValidationPassed',
        'ResourceValidationFailed',
      );
    const functions = await Promise.all(
      steps.map((st) =>
        mustGet<StashFunction>(
          'Function',
          undefined,
          st.name,
          `Task ${taskName} spec.steps`,
          'ValidationPassed',
          'ResourceValidationFailed',
        ),
      ),
    );
    const paramProblem = checkParams(spec.task?.params, 'spec.task.params', task, functions);
    if (paramProblem) throw new InvalidInput(paramProblem, 'ValidationPassed', 'ResourceValidationFailed');

    const rules = s.rules ?? [];
    const hostname = isBackup ? spec.target?.alias || 'host-0' : (rules[0]?.targetHosts?.[0] ?? spec.target?.alias ?? 'host-0');
    const rp = isBackup ? (spec as BackupConfiguration['spec']).retentionPolicy : undefined;
    const interim = spec.interimVolumeTemplate;
    const interimClaimName = interim ? `${name}-${interim.metadata?.name ?? 'interim'}` : undefined;
    const snapshots = rules.flatMap((r) => r.snapshots ?? []);

    const vars: Record<string, string | undefined> = {
      NAMESPACE: namespace,
      [isBackup ? 'BACKUP_SESSION' : 'RESTORE_SESSION']: name,
      INVOKER_KIND: s.invoker.kind,
      INVOKER_NAME: s.invoker.name,
      REPOSITORY_NAME: repoRef.name,
      REPOSITORY_NAMESPACE: repoNs,
      REPOSITORY_PROVIDER: backend.provider,
      REPOSITORY_SECRET_NAME: backend.secretName,
      REPOSITORY_SECRET_NAMESPACE: repoNs,
      REPOSITORY_BUCKET: backend.bucket,
      REPOSITORY_PREFIX: backend.prefix,
      REPOSITORY_ENDPOINT: backend.endpoint,
      REPOSITORY_REGION: backend.region,
      REPOSITORY_INSECURE_TLS: repo.spec.backend.s3?.insecureTLS ? 'true' : 'false',
      HOSTNAME: hostname,
      SOURCE_HOSTNAME: rules[0]?.sourceHost,
      INTERIM_DATA_DIR: interim ? INTERIM_DATA_DIR : undefined,
      TARGET_NAME: target.name,
      TARGET_NAMESPACE: target.namespace,
      TARGET_KIND: target.kind,
      TARGET_API_VERSION: target.apiVersion,
      TARGET_RESOURCE: target.kind === 'AppBinding' ? 'appbindings' : 'persistentvolumeclaims',
      TARGET_PATHS: (spec.target as { paths?: string[] } | undefined)?.paths?.join(','),
      TARGET_MOUNT_PATH: spec.target?.volumeMounts?.[0]?.mountPath,
      EXCLUDE_PATTERNS: (spec.target as { exclude?: string[] } | undefined)?.exclude?.join(','),
      INCLUDE_PATTERNS: rules.flatMap((r) => r.include ?? []).join(',') || undefined,
      RESTORE_PATHS: rules.flatMap((r) => r.paths ?? []).join(',') || undefined,
      RESTORE_SNAPSHOTS: snapshots.join(',') || undefined,
      RETENTION_KEEP_LAST: rp?.keepLast?.toString(),
      RETENTION_KEEP_HOURLY: rp?.keepHourly?.toString(),
      RETENTION_KEEP_DAILY: rp?.keepDaily?.toString(),
      RETENTION_KEEP_WEEKLY: rp?.keepWeekly?.toString(),
      RETENTION_KEEP_MONTHLY: rp?.keepMonthly?.toString(),
      RETENTION_KEEP_YEARLY: rp?.keepYearly?.toString(),
      RETENTION_KEEP_TAGS: rp?.keepTags?.join(','),
      RETENTION_PRUNE: rp ? String(rp.prune) : undefined,
      RETENTION_DRY_RUN: rp ? String(!!rp.dryRun) : undefined,
      ENABLE_CACHE: 'false', // Job pods are short-lived: a restic cache would be rebuilt each time
      MAX_CONNECTIONS: '0',
      PROMETHEUS_JOB_NAME: `${s.invoker.kind.toLowerCase()}-${namespace}-${s.invoker.name}`,
    };
    // Task step params, then the user's params (BackupConfiguration/RestoreSession spec.task.params) win
    const userVars = paramsToVars(spec.task?.params);

    const volumes: k8s.V1Volume[] = [
      { name: TMP_VOLUME, emptyDir: {} },
      ...backend.volumes,
      // Task volumes may use the invoker's variables (e.g. a Secret name), as in Stash
      ...(JSON.parse(substitute(JSON.stringify(task.spec.volumes ?? []), { ...vars, ...userVars })) as k8s.V1Volume[]),
    ];
    const commonMounts: k8s.V1VolumeMount[] = [{ name: TMP_VOLUME, mountPath: TMP_MOUNT }, ...backend.volumeMounts];
    if (interimClaimName) {
      volumes.push({ name: INTERIM_VOLUME, persistentVolumeClaim: { claimName: interimClaimName } });
      commonMounts.push({ name: INTERIM_VOLUME, mountPath: INTERIM_MOUNT });
    }
    if (target.kind === 'PersistentVolumeClaim') {
      volumes.push({ name: target.name, persistentVolumeClaim: { claimName: target.name } });
      for (const vm of spec.target?.volumeMounts ?? []) commonMounts.push({ ...vm, name: target.name });
    }
    const rt = spec.runtimeSettings;
    const containers = steps.map((st, i): k8s.V1Container => {
      const fn = functions[i]!;
      const v = { ...vars, ...paramsToVars(st.params), ...userVars };
      const sub = (x: string) => substitute(x, v);
      return {
        name: st.name.replace(/[^a-z0-9-]/g, '-').slice(0, 63),
        image: sub(fn.spec.image),
        command: fn.spec.command?.map(sub),
        args: fn.spec.args?.map(sub).filter((a) => !/^--[\w-]+=$/.test(a)), // Stash passes unset flags as '--flag='
        workingDir: fn.spec.workingDir,
        env: [
          ...backend.env,
          ...targetEnv,
          ...((rt?.container?.env ?? []) as unknown as k8s.V1EnvVar[]),
          ...(boundedHeap(sub(fn.spec.image), rt?.container?.env as Array<{ name?: string }> | undefined) ?? []),
        ],
        envFrom: rt?.container?.envFrom as k8s.V1EnvFromSource[] | undefined,
        resources: rt?.container?.resources as k8s.V1ResourceRequirements | undefined,
        volumeMounts: [
          ...commonMounts,
          ...((fn.spec.volumeMounts ?? []) as k8s.V1VolumeMount[]).map((m) => ({
            ...m,
            name: sub(m.name),
            mountPath: sub(m.mountPath),
          })),
        ],
      };
    });
    const bcSpec = spec as BackupConfiguration['spec'];
    const retryDelay = durationField(bcSpec.retryConfig?.delay, 'spec.retryConfig.delay');
    return {
      repository: {
        name: repoRef.name,
        namespace: repoNs,
        provider: backend.provider,
        bucket: backend.bucket,
        prefix: backend.prefix,
      },
      target,
      invoker: s.invoker,
      hostname,
      driver: spec.driver ?? 'Restic',
      timeOutSeconds: durationField(spec.timeOut, 'spec.timeOut'),
      maxRetry: bcSpec.retryConfig?.maxRetry ?? 0,
      retryDelaySeconds: retryDelay ?? 10,
      backupHistoryLimit: isBackup ? (bcSpec.backupHistoryLimit ?? 1) : 0,
      retention: rp,
      interimClaim:
        interim && interimClaimName
          ? { name: interimClaimName, spec: interim.spec as k8s.V1PersistentVolumeClaimSpec, labels: interim.metadata?.labels }
          : undefined,
      ...(isBackup && isVerifyAnnotated(s.annotations) ? { verifyBackup: true as const } : {}),
      pod: {
        // all steps but the last run in order as init containers; the last one's termination message is the result
        initContainers: containers.length > 1 ? containers.slice(0, -1) : undefined,
        containers: containers.slice(-1),
        volumes,
        serviceAccountName: rt?.pod?.serviceAccountName,
        nodeSelector: rt?.pod?.nodeSelector,
        securityContext: rt?.pod?.securityContext as k8s.V1PodSecurityContext | undefined,
      },
      backendEnv: backend.env,
      backendVolumes: backend.volumes,
      backendVolumeMounts: backend.volumeMounts,
      image,
    };
  }

  return { plan };
}
