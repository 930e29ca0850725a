// The Stash API that Stashflow keeps: one typed module for the CRDs, used by watcher, activities, CLI and tests.
// Field names, enum values and phases follow stash.appscode.com (v1alpha1 Repository, v1beta1 the rest) and
// appcatalog.appscode.com/v1alpha1 AppBinding, so a Stash user's manifests apply unchanged.

export const STASH_GROUP = 'stash.appscode.com';
export const APPCATALOG_GROUP = 'appcatalog.appscode.com';

/** group, version and plural of every kind we read or write. */
export const resources = {
  Repository: { group: STASH_GROUP, version: 'v1alpha1', plural: 'repositories', namespaced: true },
  BackupConfiguration: { group: STASH_GROUP, version: 'v1beta1', plural: 'backupconfigurations', namespaced: true },
  BackupSession: { group: STASH_GROUP, version: 'v1beta1', plural: 'backupsessions', namespaced: true },
  RestoreSession: { group: STASH_GROUP, version: 'v1beta1', plural: 'restoresessions', namespaced: true },
  Task: { group: STASH_GROUP, version: 'v1beta1', plural: 'tasks', namespaced: false },
  Function: { group: STASH_GROUP, version: 'v1beta1', plural: 'functions', namespaced: false },
  AppBinding: { group: APPCATALOG_GROUP, version: 'v1alpha1', plural: 'appbindings', namespaced: true },
} as const;
export type Kind = keyof typeof resources;
export const apiVersionOf = (kind: Kind): string => `${resources[kind].group}/${resources[kind].version}`;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Resource<Spec, Status = never> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** kmapi Condition: what `kubectl describe` shows and what our failures set. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
  severity?: string;
}

export interface Param {
  name: string;
  value: string;
}
export interface TaskRef {
  name?: string;
  params?: Param[];
}

export interface TargetRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ObjectReference {
  name: string;
  namespace?: string;
}

// ---- Repository (v1alpha1) ----
export interface LocalSpec {
  mountPath: string;
  subPath?: string;
  hostPath?: { path: string; type?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: Record<string, unknown>;
  nfs?: { server: string; path: string; readOnly?: boolean };
}
export interface S3Spec {
  endpoint: string;
  bucket: string;
  prefix?: string;
  region?: string;
  insecureTLS?: boolean;
}
export interface Backend {
  storageSecretName?: string;
  local?: LocalSpec;
  s3?: S3Spec;
  gcs?: { bucket: string; prefix?: string; maxConnections?: number };
  azure?: { container: string; prefix?: string; maxConnections?: number };
  swift?: { container: string; prefix?: string };
  b2?: { bucket: string; prefix?: string; maxConnections?: number };
  rest?: { url: string };
}
export type BackendProvider = 'local' | 's3' | 'gcs' | 'azure' | 'swift' | 'b2' | 'rest';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
export interface UsagePolicy {
  allowedNamespaces?: { from?: 'All' | 'Selector' | 'Same'; selector?: LabelSelector };
}
export interface RepositorySpec {
  backend: Backend;
  wipeOut?: boolean;
  usagePolicy?: UsagePolicy;
}
export interface RepositoryStatus {
  observedGeneration?: number;
  firstBackupTime?: string;
  lastBackupTime?: string;
  integrity?: boolean;
  totalSize?: string;
  snapshotCount?: number;
  snapshotsRemovedOnLastCleanup?: number;
  references?: Array<{ apiGroup?: string; kind?: string; name: string; namespace?: string }>;
}
export type Repository = Resource<RepositorySpec, RepositoryStatus>;

// ---- BackupConfiguration (v1beta1) ----
export interface RetentionPolicy {
  name: string;
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepTags?: string[];
  prune: boolean;
  dryRun?: boolean;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  subPathExpr?: string;
  readOnly?: boolean;
  recursiveReadOnly?: string;
  mountPropagation?: string;
}

export interface BackupTarget {
  alias?: string;
  ref: TargetRef;
  paths?: string[];
  volumeMounts?: VolumeMount[];
  replicas?: number;
  snapshotClassName?: string;
  exclude?: string[];
  args?: string[];
}

export interface RuntimeSettings {
  pod?: {
    podLabels?: Record<string, string>;
    podAnnotations?: Record<string, string>;
    nodeSelector?: Record<string, string>;
    serviceAccountName?: string;
    serviceAccountAnnotations?: Record<string, string>;
    automountServiceAccountToken?: boolean;
    nodeName?: string;
    securityContext?: Record<string, unknown>;
    imagePullSecrets?: Array<{ name: string }>;
    affinity?: Record<string, unknown>;
    schedulerName?: string;
    tolerations?: Array<Record<string, unknown>>;
    priorityClassName?: string;
    priority?: number;
    readinessGates?: Array<{ conditionType: string }>;
    runtimeClassName?: string;
    enableServiceLinks?: boolean;
    topologySpreadConstraints?: Array<Record<string, unknown>>;
  };
  container?: {
    resources?: Record<string, unknown>;
    livenessProbe?: Record<string, unknown>;
    readinessProbe?: Record<string, unknown>;
    lifecycle?: Record<string, unknown>;
    securityContext?: Record<string, unknown>;
    nice?: { adjustment?: number };
    ionice?: { class?: number; classData?: number };
    env?: Array<Record<string, unknown>>;
    envFrom?: Array<Record<string, unknown>>;
  };
}

export interface PersistentVolumeClaimTemplate {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  spec: {
    accessModes?: string[];
    storageClassName?: string;
    volumeMode?: string;
    volumeName?: string;
    volumeAttributesClassName?: string;
    resources?: { requests?: { storage?: string } & Record<string, string>; limits?: Record<string, string> };
    selector?: LabelSelector;
    dataSource?: Record<string, unknown>;
    dataSourceRef?: Record<string, unknown>;
  };
  /** core PersistentVolumeClaimStatus, kept as Stash embeds it; never set by users. */
  status?: Record<string, unknown>;
}

/** prober.Handler: one of exec/httpGet/httpPost/tcpSocket, run in containerName. */
export interface Handler {
  exec?: { command?: string[] };
  httpGet?: Record<string, unknown>;
  httpPost?: Record<string, unknown>;
  tcpSocket?: Record<string, unknown>;
  containerName?: string;
}
export type HookExecutionPolicy = 'Always' | 'OnFailure' | 'OnSuccess' | 'OnFinalRetryFailure';
export interface BackupHooks {
  preBackup?: Handler;
  postBackup?: Handler & { executionPolicy?: HookExecutionPolicy };
}
export interface RestoreHooks {
  preRestore?: Handler;
  postRestore?: Handler & { executionPolicy?: Exclude<HookExecutionPolicy, 'OnFinalRetryFailure'> };
}

export interface BackupConfigurationSpec {
  task?: TaskRef;
  target?: BackupTarget;
  runtimeSettings?: RuntimeSettings;
  tempDir?: { medium?: string; sizeLimit?: string; disableCaching?: boolean };
  interimVolumeTemplate?: PersistentVolumeClaimTemplate;
  hooks?: BackupHooks;
  schedule: string;
  driver?: 'Restic' | 'VolumeSnapshotter';
  repository: ObjectReference;
  retentionPolicy: RetentionPolicy;
  paused?: boolean;
  backupHistoryLimit?: number;
  timeOut?: string;
  retryConfig?: { maxRetry?: number; delay?: string };
}
export type BackupConfigurationPhase = 'Invalid' | 'Ready' | 'NotReady';
export interface BackupConfigurationStatus {
  observedGeneration?: number;
  phase?: BackupConfigurationPhase;
  conditions?: Condition[];
}
export type BackupConfiguration = Resource<BackupConfigurationSpec, BackupConfigurationStatus>;

// ---- BackupSession (v1beta1) ----
export type BackupSessionPhase = 'Pending' | 'Skipped' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export interface BackupInvokerRef {
  apiGroup?: string;
  kind: string;
  name: string;
}
export interface SnapshotStats {
  name?: string;
  path?: string;
  totalSize?: string;
  uploaded?: string;
  processingTime?: string;
  fileStats?: { totalFiles?: number; newFiles?: number; modifiedFiles?: number; unmodifiedFiles?: number };
}
export interface HostBackupStats {
  hostname?: string;
  phase?: 'Succeeded' | 'Failed';
  snapshots?: SnapshotStats[];
  duration?: string;
  error?: string;
}
export interface BackupTargetStatus {
  ref?: TargetRef;
  totalHosts?: number;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  stats?: HostBackupStats[];
  preBackupActions?: string[];
  postBackupActions?: string[];
  conditions?: Condition[];
}
export interface BackupSessionSpec {
  invoker: BackupInvokerRef;
  retryLeft?: number;
}
export interface BackupSessionStatus {
  phase?: BackupSessionPhase;
  sessionDuration?: string;
  targets?: BackupTargetStatus[];
  conditions?: Condition[];
  sessionDeadline?: string;
  retried?: boolean;
  nextRetry?: string;
}
export type BackupSession = Resource<BackupSessionSpec, BackupSessionStatus>;

// ---- RestoreSession (v1beta1) ----
export type RestoreSessionPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | 'Invalid';
export interface Rule {
  targetHosts?: string[];
  sourceHost?: string;
  snapshots?: string[];
  paths?: string[];
  exclude?: string[];
  include?: string[];
}
export interface RestoreTarget {
  alias?: string;
  ref: TargetRef;
  volumeMounts?: BackupTarget['volumeMounts'];
  replicas?: number;
  volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
  rules?: Rule[];
  args?: string[];
}
export interface RestoreSessionSpec {
  task?: TaskRef;
  target?: RestoreTarget;
  runtimeSettings?: RuntimeSettings;
  tempDir?: BackupConfigurationSpec['tempDir'];
  interimVolumeTemplate?: PersistentVolumeClaimTemplate;
  hooks?: RestoreHooks;
  driver?: 'Restic' | 'VolumeSnapshotter';
  repository: ObjectReference;
  /** deprecated by Stash in favour of target.rules; still honoured. */
  rules?: Rule[];
  timeOut?: string;
}
export interface HostRestoreStats {
  hostname?: string;
  phase?: 'Succeeded' | 'Failed' | 'Running' | 'Unknown';
  duration?: string;
  error?: string;
}
export interface RestoreSessionStatus {
  phase?: RestoreSessionPhase;
  totalHosts?: number;
  sessionDuration?: string;
  stats?: HostRestoreStats[];
  conditions?: Condition[];
  sessionDeadline?: string;
}
export type RestoreSession = Resource<RestoreSessionSpec, RestoreSessionStatus>;

// ---- Task and Function (v1beta1, cluster-scoped) ----
export interface TaskSpec {
  steps: Array<{ name: string; params?: Param[] }>;
  /** core Volume objects (name plus one volume source). */
  volumes?: Array<{ name: string } & Record<string, unknown>>;
}
export type Task = Resource<TaskSpec>;

export interface FunctionSpec {
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: Array<{ containerPort: number; name?: string; protocol?: string; hostPort?: number; hostIP?: string }>;
  volumeMounts?: VolumeMount[];
  volumeDevices?: Array<{ name: string; devicePath: string }>;
  runtimeSettings?: RuntimeSettings['container'];
  podSecurityPolicyName?: string;
}
export type StashFunction = Resource<FunctionSpec>;

// ---- AppBinding (appcatalog.appscode.com/v1alpha1) ----
export interface AppBindingSpec {
  type?: string;
  version?: string;
  appRef?: { apiGroup?: string; kind: string; name: string; namespace?: string };
  clientConfig: {
    url?: string;
    service?: { scheme: string; namespace?: string; name: string; port: number; path?: string; query?: string };
    insecureSkipTLSVerify?: boolean;
    /** base64 PEM, as in YAML */
    caBundle?: string;
    serverName?: string;
  };
  secret?: { apiGroup?: string; kind?: string; name: string };
  secretTransforms?: SecretTransform[];
  /** an embedded object with apiVersion and kind (e.g. KubeDB's StashAddon), as the CRD marks it. */
  parameters?: { apiVersion: string; kind: string } & Record<string, unknown>;
  tlsSecret?: { name: string };
}
export interface SecretTransform {
  renameKey?: { from: string; to: string };
  addKey?: { key: string; value?: string; stringValue?: string };
  addKeysFrom?: { secretRef?: { name?: string } };
  removeKey?: { key: string };
}
export type AppBinding = Resource<AppBindingSpec>;

/** Phases after which a session's workflow has nothing left to do. */
export const finalBackupPhases: readonly BackupSessionPhase[] = ['Succeeded', 'Failed', 'Skipped'];
export const finalRestorePhases: readonly RestoreSessionPhase[] = ['Succeeded', 'Failed', 'Invalid'];
