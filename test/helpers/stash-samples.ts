// One value for every field of every Stash type in api/types.ts. `Full<T>` makes each optional field required and
// each array non-empty, so the compiler fails here whenever types.ts gains or loses a field: these samples
// always carry exactly the field set of types.ts. test/unit/crds.test.ts compares that set with api/schemas.ts; the
// integration test stores the samples in the real apiserver and reads them back unpruned.
import type {
  AppBindingSpec,
  BackupConfigurationSpec,
  BackupConfigurationStatus,
  BackupSessionSpec,
  BackupSessionStatus,
  Condition,
  FunctionSpec,
  Handler,
  Kind,
  LabelSelector,
  Rule,
  TargetRef,
  VolumeMount,
  RepositorySpec,
  RepositoryStatus,
  RestoreSessionSpec,
  RestoreSessionStatus,
  RuntimeSettings,
  TaskSpec,
} from '../../api/types.js';

export type Full<T> = T extends readonly (infer U)[]
  ? [Full<U>, ...Full<U>[]]
  : T extends object
    ? { [K in keyof T]-?: Full<Exclude<T[K], undefined>> }
    : T;

const time = '2026-01-02T03:04:05Z';
const condition: Full<Condition> = {
  type: 'RepositoryFound',
  status: 'True',
  reason: 'RepositoryAvailable',
  message: 'Repository demo/rest-repo exist.',
  lastTransitionTime: time,
  observedGeneration: 1,
  severity: 'Info',
};
const ref: Full<TargetRef> = {
  apiVersion: 'appcatalog.appscode.com/v1alpha1',
  kind: 'AppBinding',
  name: 'sample-es',
  namespace: 'demo',
};
const params: Full<BackupConfigurationSpec>['task']['params'] = [{ name: 'args', value: '--ignoreType=template' }];
const volumeMount: Full<VolumeMount> = {
  name: 'data',
  mountPath: '/data',
  subPath: 'es',
  subPathExpr: '',
  readOnly: true,
  recursiveReadOnly: 'Disabled',
  mountPropagation: 'None',
};
const labelSelector: Full<LabelSelector> = {
  matchLabels: { app: 'es' },
  matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }],
};
const pvc: Full<NonNullable<BackupConfigurationSpec['interimVolumeTemplate']>> = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name: 'tmp-storage',
    namespace: 'demo',
    generateName: 'tmp-',
    labels: { app: 'es' },
    annotations: { note: 'x' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
  },
  spec: {
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'standard',
    volumeMode: 'Filesystem',
    volumeName: 'pv-1',
    volumeAttributesClassName: 'fast',
    resources: { requests: { storage: '1Gi' }, limits: { storage: '2Gi' } },
    selector: labelSelector,
    dataSource: { kind: 'VolumeSnapshot', name: 'snap', apiGroup: 'snapshot.storage.k8s.io' },
    dataSourceRef: { kind: 'VolumeSnapshot', name: 'snap', apiGroup: 'snapshot.storage.k8s.io' },
  },
  status: { phase: 'Bound' },
};
const containerSettings: Full<NonNullable<RuntimeSettings['container']>> = {
  resources: { requests: { cpu: '100m' } },
  livenessProbe: { exec: { command: ['true'] } },
  readinessProbe: { periodSeconds: 5 },
  lifecycle: { preStop: { exec: { command: ['true'] } } },
  securityContext: { runAsUser: 65534 },
  nice: { adjustment: 5 },
  ionice: { class: 2, classData: 4 },
  env: [{ name: 'A', value: 'b' }],
  envFrom: [{ secretRef: { name: 's' } }],
};
const runtimeSettings: Full<RuntimeSettings> = {
  pod: {
    podLabels: { a: 'b' },
    podAnnotations: { c: 'd' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'stash',
    serviceAccountAnnotations: { e: 'f' },
    automountServiceAccountToken: false,
    nodeName: 'node-1',
    securityContext: { fsGroup: 65534 },
    imagePullSecrets: [{ name: 'regcred' }],
    affinity: { nodeAffinity: {} },
    schedulerName: 'default-scheduler',
    tolerations: [{ key: 'k', operator: 'Exists' }],
    priorityClassName: 'high',
    priority: 10,
    readinessGates: [{ conditionType: 'Ready' }],
    runtimeClassName: 'runc',
    enableServiceLinks: false,
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
  },
  container: containerSettings,
};
const handler: Full<Handler> = {
  exec: { command: ['/bin/sh', '-c', 'echo hi'] },
  httpGet: { port: 9200, path: '/' },
  httpPost: { port: 'http', body: '{}' },
  tcpSocket: { port: 9200 },
  containerName: 'es',
};
const rule: Full<Rule> = {
  targetHosts: ['host-0'],
  sourceHost: 'host-0',
  snapshots: ['latest'],
  paths: ['/data'],
  exclude: ['*.tmp'],
  include: ['*'],
};

export const repositorySpec: Full<RepositorySpec> = {
  backend: {
    storageSecretName: 'repo-secret',
    local: {
      mountPath: '/safe/data',
      subPath: 'es',
      hostPath: { path: '/data/repos', type: 'DirectoryOrCreate' },
      persistentVolumeClaim: { claimName: 'repo-pvc', readOnly: false },
      emptyDir: { medium: 'Memory' },
      nfs: { server: 'nfs.example', path: '/exports', readOnly: false },
    },
    s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'b', prefix: 'p', region: 'us-east-1', insecureTLS: true },
    gcs: { bucket: 'b', prefix: 'p', maxConnections: 4 },
    azure: { container: 'c', prefix: 'p', maxConnections: 4 },
    swift: { container: 'c', prefix: 'p' },
    b2: { bucket: 'b', prefix: 'p', maxConnections: 4 },
    rest: { url: 'http://127.0.0.1:8000/es' },
  },
  wipeOut: false,
  usagePolicy: { allowedNamespaces: { from: 'Selector', selector: labelSelector } },
};
export const repositoryStatus: Full<RepositoryStatus> = {
  observedGeneration: 1,
  firstBackupTime: time,
  lastBackupTime: time,
  integrity: true,
  totalSize: '1.2 GiB',
  snapshotCount: 5,
  snapshotsRemovedOnLastCleanup: 1,
  references: [{ apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'sample-es-backup', namespace: 'demo' }],
};

export const backupConfigurationSpec: Full<BackupConfigurationSpec> = {
  task: { name: 'elasticsearch-backup-8.2.0', params },
  target: {
    alias: 'es',
    ref,
    paths: ['/data'],
    volumeMounts: [volumeMount],
    replicas: 1,
    snapshotClassName: 'csi',
    exclude: ['*.tmp'],
    args: ['--one-file-system'],
  },
  runtimeSettings,
  tempDir: { medium: 'Memory', sizeLimit: '1Gi', disableCaching: true },
  interimVolumeTemplate: pvc,
  hooks: { preBackup: handler, postBackup: { ...handler, executionPolicy: 'OnFailure' } },
  schedule: '*/5 * * * *',
  driver: 'Restic',
  repository: { name: 'rest-repo', namespace: 'demo' },
  retentionPolicy: {
    name: 'keep',
    keepLast: 5,
    keepHourly: 1,
    keepDaily: 2,
    keepWeekly: 3,
    keepMonthly: 4,
    keepYearly: 5,
    keepTags: ['t'],
    prune: true,
    dryRun: false,
  },
  paused: false,
  backupHistoryLimit: 3,
  timeOut: '30m',
  retryConfig: { maxRetry: 2, delay: '1m' },
};
export const backupConfigurationStatus: Full<BackupConfigurationStatus> = {
  observedGeneration: 1,
  phase: 'Ready',
  conditions: [condition],
};

export const backupSessionSpec: Full<BackupSessionSpec> = {
  invoker: { apiGroup: 'stash.appscode.com', kind: 'BackupConfiguration', name: 'sample-es-backup' },
  retryLeft: 1,
};
export const backupSessionStatus: Full<BackupSessionStatus> = {
  phase: 'Succeeded',
  sessionDuration: '25s',
  targets: [
    {
      ref,
      totalHosts: 1,
      phase: 'Succeeded',
      stats: [
        {
          hostname: 'host-0',
          phase: 'Succeeded',
          snapshots: [
            {
              name: 'a1b2c3d4',
              path: '/stash-data/data-dir',
              totalSize: '3.801 KiB',
              uploaded: '1.2 KiB',
              processingTime: '0:02',
              fileStats: { totalFiles: 3, newFiles: 1, modifiedFiles: 1, unmodifiedFiles: 1 },
            },
          ],
          duration: '12s',
          error: '',
        },
      ],
      preBackupActions: ['InitializeBackendRepository'],
      postBackupActions: ['ApplyRetentionPolicy'],
      conditions: [condition],
    },
  ],
  conditions: [condition],
  sessionDeadline: time,
  retried: false,
  nextRetry: time,
};

export const restoreSessionSpec: Full<RestoreSessionSpec> = {
  task: { name: 'elasticsearch-restore-8.2.0', params },
  target: {
    alias: 'es',
    ref,
    volumeMounts: [volumeMount],
    replicas: 1,
    volumeClaimTemplates: [pvc],
    rules: [rule],
    args: ['--verify'],
  },
  runtimeSettings,
  tempDir: { medium: '', sizeLimit: '512Mi', disableCaching: false },
  interimVolumeTemplate: pvc,
  hooks: { preRestore: handler, postRestore: { ...handler, executionPolicy: 'OnSuccess' } },
  driver: 'Restic',
  repository: { name: 'rest-repo', namespace: 'demo' },
  rules: [rule],
  timeOut: '1h',
};
export const restoreSessionStatus: Full<RestoreSessionStatus> = {
  phase: 'Succeeded',
  totalHosts: 1,
  sessionDuration: '40s',
  stats: [{ hostname: 'host-0', phase: 'Succeeded', duration: '30s', error: '' }],
  conditions: [condition],
  sessionDeadline: time,
};

export const taskSpec: Full<TaskSpec> = {
  steps: [{ name: 'elasticsearch-backup-8.2.0', params }],
  volumes: [{ name: 'output-volume', emptyDir: {} }],
};

export const functionSpec: Full<FunctionSpec> = {
  image: 'ghcr.io/stashed/stash-elasticsearch:8.2.0-v9',
  command: ['/stash-elasticsearch'],
  args: ['backup-es', '--appbinding=${TARGET_NAME:=}'],
  workingDir: '/',
  ports: [{ containerPort: 56789, name: 'metrics', protocol: 'TCP', hostPort: 0, hostIP: '' }],
  volumeMounts: [volumeMount],
  volumeDevices: [{ name: 'dev', devicePath: '/dev/xvda' }],
  runtimeSettings: containerSettings,
  podSecurityPolicyName: 'baseline',
};

export const appBindingSpec: Full<AppBindingSpec> = {
  type: 'kubedb.com/elasticsearch',
  version: '8.2.0',
  appRef: { apiGroup: 'kubedb.com', kind: 'Elasticsearch', name: 'sample-es', namespace: 'demo' },
  clientConfig: {
    url: 'http://sample-es.demo.svc:9200',
    service: { scheme: 'http', namespace: 'demo', name: 'sample-es', port: 9200, path: '/', query: 'pretty' },
    insecureSkipTLSVerify: false,
    caBundle: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'),
    serverName: 'sample-es',
  },
  secret: { apiGroup: '', kind: 'Secret', name: 'sample-es-elastic-cred' },
  secretTransforms: [
    {
      renameKey: { from: 'username', to: 'ADMIN_USERNAME' },
      addKey: { key: 'K', value: Buffer.from('v').toString('base64'), stringValue: 'v' },
      addKeysFrom: { secretRef: { name: 'extra' } },
      removeKey: { key: 'junk' },
    },
  ],
  parameters: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'StashAddon' },
  tlsSecret: { name: 'sample-es-client-cert' },
};

/** Per kind: a sample with every types.ts field of spec and (if the kind has one) status. */
export const fullSamples: Record<Kind, { spec: object; status?: object }> = {
  Repository: { spec: repositorySpec, status: repositoryStatus },
  BackupConfiguration: { spec: backupConfigurationSpec, status: backupConfigurationStatus },
  BackupSession: { spec: backupSessionSpec, status: backupSessionStatus },
  RestoreSession: { spec: restoreSessionSpec, status: restoreSessionStatus },
  Task: { spec: taskSpec },
  Function: { spec: functionSpec },
  AppBinding: { spec: appBindingSpec },
};
