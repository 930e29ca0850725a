// The one source of the Stash-compatible CustomResourceDefinitions: OpenAPI v3 structural schemas plus the CRD
// metadata (names, scope, categories, status subresource, printer columns). deploy/crds/*.yaml are rendered from
// here by api/crd-yaml.ts, and test/unit/crds.test.ts keeps the two equal.
//
// Field names, types, enums, defaults and required lists follow Stash's own CRDs (stash.appscode.com v1alpha1
// Repository, v1beta1 BackupConfiguration/BackupSession/RestoreSession/Task/Function) and KubeDB's AppBinding
// (appcatalog.appscode.com/v1alpha1), so a Stash user's manifests apply unchanged. Where Stash embeds arbitrary core
// types (volume sources, probes, security contexts, affinity, resources, hook handlers) the schema keeps the known
// top-level keys typed and preserves the rest (x-kubernetes-preserve-unknown-fields) instead of copying the whole
// core API. Deliberately stricter than Stash's CRDs (Stash checks these at run time, we reject at admission):
//   - Repository: spec.backend is required.
//   - BackupConfiguration: spec.target is required, and spec.repository unless driver is VolumeSnapshotter.
//   - RestoreSession: spec.repository is required unless driver is VolumeSnapshotter.
//   - target.ref needs apiVersion, kind and name.
import type { Kind } from './types.js';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps these CRDs use. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: string[];
  default?: string | number | boolean;
  pattern?: string;
  minimum?: number;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-embedded-resource'?: true;
  'x-kubernetes-validations'?: ValidationRule[];
}

/** A CEL rule (x-kubernetes-validations); fieldPath makes the error name the field, not its parent. */
export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  format?: string;
  priority?: number;
  description?: string;
}

export interface CrdDefinition {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  scope: 'Namespaced' | 'Cluster';
  statusSubresource: boolean;
  printerColumns: PrinterColumn[];
  /** labels on the CRD object itself (Stash labels its CRDs app.kubernetes.io/name: stash, KubeDB's: catalog). */
  labels: Record<string, string>;
  schema: JSONSchemaProps;
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks. Every node gets a type (or int-or-string / preserve-unknown), as structural schemas require.

const withDesc = (s: JSONSchemaProps, description?: string): JSONSchemaProps => (description ? { description, ...s } : s);

export const str = (description?: string): JSONSchemaProps => withDesc({ type: 'string' }, description);
export const bool = (description?: string): JSONSchemaProps => withDesc({ type: 'boolean' }, description);
export const int32 = (description?: string): JSONSchemaProps => withDesc({ type: 'integer', format: 'int32' }, description);
export const int64 = (description?: string): JSONSchemaProps => withDesc({ type: 'integer', format: 'int64' }, description);
export const dateTime = (description?: string): JSONSchemaProps => withDesc({ type: 'string', format: 'date-time' }, description);
export const bytes = (description?: string): JSONSchemaProps => withDesc({ type: 'string', format: 'byte' }, description);
export const arr = (items: JSONSchemaProps, description?: string): JSONSchemaProps =>
  withDesc({ type: 'array', items }, description);
export const strings = (description?: string): JSONSchemaProps => arr(str(), description);
export const stringMap = (description?: string): JSONSchemaProps =>
  withDesc({ type: 'object', additionalProperties: str() }, description);

export function enumOf(values: string[], opts: { default?: string; description?: string } = {}): JSONSchemaProps {
  const s: JSONSchemaProps = { type: 'string', enum: values };
  if (opts.default !== undefined) s.default = opts.default;
  return withDesc(s, opts.description);
}

export function obj(
  properties: Record<string, JSONSchemaProps>,
  opts: { required?: string[]; description?: string; preserveUnknown?: boolean } = {},
): JSONSchemaProps {
  const s: JSONSchemaProps = { type: 'object', properties };
  if (opts.required?.length) s.required = opts.required;
  if (opts.preserveUnknown) s['x-kubernetes-preserve-unknown-fields'] = true;
  return withDesc(s, opts.description);
}

/** An embedded core type kept as-is (probe, affinity, securityContext, ...): an object whose content is not pruned. */
export const preserved = (description?: string): JSONSchemaProps =>
  withDesc({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, description);

/** resource.Quantity: "1Gi", "500m" or a bare number. */
const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
export const quantity = (description?: string): JSONSchemaProps =>
  withDesc(
    {
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: QUANTITY_PATTERN,
      'x-kubernetes-int-or-string': true,
    },
    description,
  );
const quantityMap = (description?: string): JSONSchemaProps =>
  withDesc({ type: 'object', additionalProperties: quantity() }, description);

// ---- shared Stash types ----

const param = obj({ name: str(), value: str() }, { required: ['name', 'value'] });

const taskRef = obj(
  { name: str('Name of the Task (cluster-scoped) to run.'), params: arr(param, "Values for the Task's parameters.") },
  { description: 'The Task that performs the backup or restore (empty for workload backups).' },
);

const targetRef = obj(
  { apiVersion: str(), kind: str(), name: str(), namespace: str() },
  { required: ['apiVersion', 'kind', 'name'], description: 'The target object, e.g. an AppBinding.' },
);

const objectReference = (description: string): JSONSchemaProps =>
  obj({ name: str(), namespace: str("Defaults to the object's own namespace.") }, { required: ['name'], description });

const labelSelector = obj({
  matchLabels: stringMap(),
  matchExpressions: arr(obj({ key: str(), operator: str(), values: strings() }, { required: ['key', 'operator'] })),
});

const condition = obj(
  {
    type: str(),
    status: str('True, False or Unknown.'),
    reason: str(),
    message: str(),
    severity: str(),
    lastTransitionTime: dateTime(),
    observedGeneration: int64(),
  },
  { required: ['type', 'status', 'lastTransitionTime'] },
);
const conditions = arr(condition);

const retentionPolicy = obj(
  {
    name: str(),
    keepLast: int64(),
    keepHourly: int64(),
    keepDaily: int64(),
    keepWeekly: int64(),
    keepMonthly: int64(),
    keepYearly: int64(),
    keepTags: strings(),
    prune: bool('Remove data no snapshot references any more (restic forget --prune).'),
    dryRun: bool(),
  },
  { required: ['name', 'prune'], description: 'Which snapshots to keep after each backup (restic forget flags).' },
);

const volumeMount = obj(
  {
    name: str(),
    mountPath: str(),
    subPath: str(),
    subPathExpr: str(),
    readOnly: bool(),
    recursiveReadOnly: str(),
    mountPropagation: str(),
  },
  { required: ['name', 'mountPath'] },
);

const podRuntimeSettings = obj(
  {
    podLabels: stringMap(),
    podAnnotations: stringMap(),
    nodeSelector: stringMap(),
    nodeName: str(),
    serviceAccountName: str(),
    serviceAccountAnnotations: stringMap(),
    automountServiceAccountToken: bool(),
    securityContext: preserved('core PodSecurityContext.'),
    imagePullSecrets: arr(obj({ name: str() })),
    affinity: preserved('core Affinity.'),
    schedulerName: str(),
    tolerations: arr(preserved('core Toleration.')),
    priorityClassName: str(),
    priority: int32(),
    readinessGates: arr(obj({ conditionType: str() }, { required: ['conditionType'] })),
    runtimeClassName: str(),
    enableServiceLinks: bool(),
    topologySpreadConstraints: arr(preserved('core TopologySpreadConstraint.')),
  },
  { description: 'Settings of the pod that runs the backup or restore.' },
);

const containerRuntimeSettings = obj(
  {
    resources: preserved('core ResourceRequirements.'),
    livenessProbe: preserved('core Probe.'),
    readinessProbe: preserved('core Probe.'),
    lifecycle: preserved('core Lifecycle.'),
    securityContext: preserved('core SecurityContext.'),
    nice: obj({ adjustment: int32() }),
    ionice: obj({ class: int32(), classData: int32() }),
    env: arr(preserved('core EnvVar.')),
    envFrom: arr(preserved('core EnvFromSource.')),
  },
  { description: 'Settings of the container that runs the backup or restore.' },
);

const runtimeSettings = obj({ pod: podRuntimeSettings, container: containerRuntimeSettings });

const tempDir = obj(
  { medium: str(), sizeLimit: quantity(), disableCaching: bool() },
  { description: 'The emptyDir used as scratch space (restic cache).' },
);

/** Stash's offshoot PersistentVolumeClaim: a PVC template with a trimmed ObjectMeta. */
const pvcTemplate = (description: string): JSONSchemaProps =>
  obj(
    {
      apiVersion: str(),
      kind: str(),
      metadata: obj({
        name: str(),
        namespace: str(),
        generateName: str(),
        labels: stringMap(),
        annotations: stringMap(),
        ownerReferences: arr(preserved('meta OwnerReference.')),
      }),
      spec: obj({
        accessModes: strings(),
        storageClassName: str(),
        volumeMode: str(),
        volumeName: str(),
        volumeAttributesClassName: str(),
        resources: obj({ requests: quantityMap(), limits: quantityMap() }),
        selector: labelSelector,
        dataSource: preserved('core TypedLocalObjectReference.'),
        dataSourceRef: preserved('core TypedObjectReference.'),
      }),
      status: preserved('core PersistentVolumeClaimStatus.'),
    },
    { description },
  );

const handlerProps = {
  exec: obj({ command: strings() }),
  httpGet: preserved('HTTP GET action (host, port, path, scheme, httpHeaders).'),
  httpPost: preserved('HTTP POST action (host, port, path, scheme, httpHeaders, body, form).'),
  tcpSocket: preserved('TCP socket action (host, port).'),
  containerName: str('Container to run the action in.'),
};
const handler = (description: string): JSONSchemaProps => obj(handlerProps, { description });
const handlerWithPolicy = (policies: string[], description: string): JSONSchemaProps =>
  obj({ ...handlerProps, executionPolicy: enumOf(policies, { default: 'Always' }) }, { description });

const driver = enumOf(['Restic', 'VolumeSnapshotter'], {
  default: 'Restic',
  description: 'Restic copies data into the Repository; VolumeSnapshotter takes VolumeSnapshots instead.',
});

/** A Repository is needed unless the driver is VolumeSnapshotter (which stores nothing in a Repository). */
const repositoryRequiredRule: ValidationRule = {
  rule: "(has(self.driver) && self.driver == 'VolumeSnapshotter') || has(self.repository)",
  message: 'a Repository is required unless driver is VolumeSnapshotter',
  fieldPath: '.repository',
  reason: 'FieldValueRequired',
};

const rule = obj({
  targetHosts: strings(),
  sourceHost: str(),
  snapshots: strings('Snapshot ids, or "latest".'),
  paths: strings(),
  exclude: strings(),
  include: strings(),
});

/** The root of every Stash object: apiVersion, kind, metadata, spec and optionally status. */
function root(spec: JSONSchemaProps, status?: JSONSchemaProps, opts: { specRequired?: boolean } = {}): JSONSchemaProps {
  const properties: Record<string, JSONSchemaProps> = {
    apiVersion: str(),
    kind: str(),
    metadata: { type: 'object' },
    spec,
  };
  if (status) properties.status = status;
  return obj(properties, opts.specRequired ? { required: ['spec'] } : {});
}

const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const STASH_GROUP = 'stash.appscode.com';
const APPCATALOG_GROUP = 'appcatalog.appscode.com';
const stashLabels = { 'app.kubernetes.io/name': 'stash' };

// ---------------------------------------------------------------------------------------------------------------
// Repository (stash.appscode.com/v1alpha1)

const localBackend = obj(
  {
    mountPath: str('Where the volume is mounted in the backup/restore container.'),
    subPath: str('Directory inside the volume that holds the restic repository.'),
    hostPath: obj({ path: str(), type: str() }, { required: ['path'] }),
    persistentVolumeClaim: obj({ claimName: str(), readOnly: bool() }, { required: ['claimName'] }),
    nfs: obj({ server: str(), path: str(), readOnly: bool() }, { required: ['server', 'path'] }),
    emptyDir: preserved('core EmptyDirVolumeSource.'),
  },
  {
    required: ['mountPath'],
    preserveUnknown: true,
    description: 'A core VolumeSource (hostPath, nfs, persistentVolumeClaim, ...) plus mountPath and subPath.',
  },
);

const backend = obj(
  {
    storageSecretName: str('Secret with RESTIC_PASSWORD and the provider credentials.'),
    local: localBackend,
    s3: obj(
      { endpoint: str(), bucket: str(), prefix: str(), region: str(), insecureTLS: bool() },
      { required: ['bucket', 'endpoint'] },
    ),
    gcs: obj({ bucket: str(), prefix: str(), maxConnections: int64() }, { required: ['bucket'] }),
    azure: obj({ container: str(), prefix: str(), maxConnections: int64() }, { required: ['container'] }),
    swift: obj({ container: str(), prefix: str() }, { required: ['container'] }),
    b2: obj({ bucket: str(), prefix: str(), maxConnections: int64() }, { required: ['bucket'] }),
    rest: obj({ url: str('URL of the restic REST server repository.') }),
  },
  { description: 'Where the restic repository lives: exactly one provider block.' },
);

const repositorySchema = root(
  obj(
    {
      backend,
      wipeOut: bool('Delete the backed up data from the backend when the Repository is deleted.'),
      usagePolicy: obj({
        allowedNamespaces: obj({
          from: enumOf(['All', 'Selector', 'Same'], { default: 'Same' }),
          selector: labelSelector,
        }),
      }),
    },
    { required: ['backend'] },
  ),
  obj({
    observedGeneration: int64(),
    firstBackupTime: dateTime(),
    lastBackupTime: dateTime(),
    integrity: bool(),
    totalSize: str('Human readable, e.g. "1.2 GiB".'),
    snapshotCount: int64(),
    snapshotsRemovedOnLastCleanup: int64(),
    references: arr(obj({ apiGroup: str(), kind: str(), name: str(), namespace: str() }, { required: ['name'] })),
  }),
  { specRequired: true },
);

// ---------------------------------------------------------------------------------------------------------------
// BackupConfiguration (stash.appscode.com/v1beta1)

const backupTarget = obj(
  {
    alias: str(),
    ref: targetRef,
    paths: strings(),
    volumeMounts: arr(volumeMount),
    replicas: int32(),
    snapshotClassName: str('VolumeSnapshotClass for the VolumeSnapshotter driver.'),
    exclude: strings(),
    args: strings(),
  },
  { required: ['ref'], description: 'What to back up.' },
);

const backupConfigurationSpec: JSONSchemaProps = {
  ...obj(
    {
      task: taskRef,
      target: backupTarget,
      runtimeSettings,
      tempDir,
      interimVolumeTemplate: pvcTemplate('PVC that holds the dumped data before it is uploaded.'),
      hooks: obj({
        preBackup: handler('Runs before the backup.'),
        postBackup: handlerWithPolicy(['Always', 'OnFailure', 'OnSuccess', 'OnFinalRetryFailure'], 'Runs after it.'),
      }),
      schedule: str('Cron schedule, e.g. "*/5 * * * *".'),
      driver,
      repository: objectReference('The Repository the backups go to.'),
      retentionPolicy,
      paused: bool('Stop scheduling new backups.'),
      backupHistoryLimit: int32('How many BackupSessions to keep (default 1).'),
      timeOut: str('Deadline of a session, a Go duration such as "30m".'),
      retryConfig: obj({ maxRetry: { ...int32(), default: 1 }, delay: str() }),
    },
    { required: ['target', 'retentionPolicy'] },
  ),
  'x-kubernetes-validations': [repositoryRequiredRule],
};

const backupConfigurationSchema = root(
  backupConfigurationSpec,
  obj({
    observedGeneration: int64(),
    phase: enumOf(['Invalid', 'Ready', 'NotReady']),
    conditions,
  }),
  { specRequired: true },
);

// ---------------------------------------------------------------------------------------------------------------
// BackupSession (stash.appscode.com/v1beta1)

const snapshotStats = obj({
  name: str(),
  path: str(),
  totalSize: str(),
  uploaded: str(),
  processingTime: str(),
  fileStats: obj({ totalFiles: int64(), newFiles: int64(), modifiedFiles: int64(), unmodifiedFiles: int64() }),
});

const backupSessionSchema = root(
  obj(
    {
      invoker: obj(
        { apiGroup: str(), kind: str(), name: str() },
        { required: ['kind', 'name'], description: 'The BackupConfiguration (or BackupBatch) this session runs.' },
      ),
      retryLeft: int32(),
    },
    { required: ['invoker'] },
  ),
  obj({
    phase: enumOf(['Pending', 'Skipped', 'Running', 'Succeeded', 'Failed', 'Unknown']),
    sessionDuration: str(),
    targets: arr(
      obj({
        ref: targetRef,
        totalHosts: int32(),
        phase: enumOf(['Pending', 'Succeeded', 'Running', 'Failed']),
        stats: arr(
          obj({
            hostname: str(),
            phase: enumOf(['Succeeded', 'Failed']),
            snapshots: arr(snapshotStats),
            duration: str(),
            error: str(),
          }),
        ),
        preBackupActions: strings(),
        postBackupActions: strings(),
        conditions,
      }),
    ),
    conditions,
    sessionDeadline: dateTime(),
    retried: bool(),
    nextRetry: dateTime(),
  }),
  { specRequired: true },
);

// ---------------------------------------------------------------------------------------------------------------
// RestoreSession (stash.appscode.com/v1beta1)

const restoreTarget = obj(
  {
    alias: str(),
    ref: targetRef,
    volumeMounts: arr(volumeMount),
    replicas: int32(),
    volumeClaimTemplates: arr(pvcTemplate('A PVC to create and restore into.')),
    rules: arr(rule),
    args: strings(),
  },
  { required: ['ref'], description: 'What to restore into.' },
);

const restoreSessionSchema = root(
  {
    ...obj({
      task: taskRef,
      target: restoreTarget,
      runtimeSettings,
      tempDir,
      interimVolumeTemplate: pvcTemplate('PVC that holds the downloaded data before it is loaded.'),
      hooks: obj({
        preRestore: handler('Runs before the restore.'),
        postRestore: handlerWithPolicy(['Always', 'OnFailure', 'OnSuccess'], 'Runs after it.'),
      }),
      driver,
      repository: objectReference('The Repository to restore from.'),
      rules: arr(rule, 'Deprecated by Stash in favour of target.rules; still honoured.'),
      timeOut: str(),
    }),
    'x-kubernetes-validations': [repositoryRequiredRule],
  },
  obj({
    phase: enumOf(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', 'Invalid']),
    totalHosts: int32(),
    sessionDuration: str(),
    stats: arr(
      obj({
        hostname: str(),
        phase: enumOf(['Succeeded', 'Failed', 'Running', 'Unknown']),
        duration: str(),
        error: str(),
      }),
    ),
    conditions,
    sessionDeadline: dateTime(),
  }),
  { specRequired: true },
);

// ---------------------------------------------------------------------------------------------------------------
// Task and Function (stash.appscode.com/v1beta1, cluster-scoped)

const taskSchema = root(
  obj({
    steps: arr(
      obj({ name: str('A Function name.'), params: arr(param) }),
      'Functions run in order; params fill their ${VAR} placeholders.',
    ),
    volumes: arr(obj({ name: str() }, { required: ['name'], preserveUnknown: true, description: 'core Volume.' })),
  }),
);

const functionSchema = root(
  obj({
    image: str(),
    command: strings(),
    args: strings(),
    workingDir: str(),
    ports: arr(
      obj(
        { name: str(), containerPort: int32(), protocol: str(), hostPort: int32(), hostIP: str() },
        { required: ['containerPort'] },
      ),
    ),
    volumeMounts: arr(volumeMount),
    volumeDevices: arr(obj({ name: str(), devicePath: str() }, { required: ['devicePath', 'name'] })),
    runtimeSettings: containerRuntimeSettings,
    podSecurityPolicyName: str(),
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// AppBinding (appcatalog.appscode.com/v1alpha1)

const appBindingSchema = root(
  obj(
    {
      type: str('Application type, e.g. kubedb.com/elasticsearch.'),
      version: str(),
      appRef: obj({ apiGroup: str(), kind: str(), namespace: str(), name: str() }, { required: ['kind', 'name'] }),
      clientConfig: obj(
        {
          url: str('Exactly one of url or service.'),
          service: obj(
            { scheme: str(), namespace: str(), name: str(), port: int32(), path: str(), query: str() },
            { required: ['name', 'port', 'scheme'] },
          ),
          insecureSkipTLSVerify: bool(),
          caBundle: bytes('PEM CA bundle, base64 in YAML.'),
          serverName: str(),
        },
        { description: 'How to reach the application.' },
      ),
      secret: obj(
        { apiGroup: str(), kind: str(), name: str() },
        { required: ['name'], description: 'Secret with the credentials (username/password).' },
      ),
      secretTransforms: arr(
        obj({
          renameKey: obj({ from: str(), to: str() }, { required: ['from', 'to'] }),
          addKey: obj({ key: str(), value: bytes(), stringValue: str() }, { required: ['key'] }),
          addKeysFrom: obj({ secretRef: obj({ name: str() }) }),
          removeKey: obj({ key: str() }, { required: ['key'] }),
        }),
      ),
      parameters: {
        type: 'object',
        description: "An embedded object with apiVersion and kind, e.g. KubeDB's StashAddon.",
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      },
      tlsSecret: obj({ name: str() }),
    },
    { required: ['clientConfig'] },
  ),
  undefined,
  { specRequired: true },
);

// ---------------------------------------------------------------------------------------------------------------

/** Every CRD we install, keyed like api/types.ts `resources`. */
export const crds: Record<Kind, CrdDefinition> = {
  Repository: {
    group: STASH_GROUP,
    version: 'v1alpha1',
    kind: 'Repository',
    listKind: 'RepositoryList',
    plural: 'repositories',
    singular: 'repository',
    shortNames: ['repo'],
    categories: ['stash', 'appscode'],
    scope: 'Namespaced',
    statusSubresource: true,
    printerColumns: [
      { name: 'Integrity', type: 'boolean', jsonPath: '.status.integrity' },
      { name: 'Size', type: 'string', jsonPath: '.status.totalSize' },
      { name: 'Snapshot-Count', type: 'integer', jsonPath: '.status.snapshotCount' },
      { name: 'Last-Successful-Backup', type: 'date', format: 'date-time', jsonPath: '.status.lastBackupTime' },
      ageColumn,
    ],
    labels: stashLabels,
    schema: repositorySchema,
  },
  BackupConfiguration: {
    group: STASH_GROUP,
    version: 'v1beta1',
    kind: 'BackupConfiguration',
    listKind: 'BackupConfigurationList',
    plural: 'backupconfigurations',
    singular: 'backupconfiguration',
    shortNames: ['bc'],
    categories: ['stash', 'appscode', 'all'],
    scope: 'Namespaced',
    statusSubresource: true,
    printerColumns: [
      { name: 'Task', type: 'string', jsonPath: '.spec.task.name' },
      { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      ageColumn,
    ],
    labels: stashLabels,
    schema: backupConfigurationSchema,
  },
  BackupSession: {
    group: STASH_GROUP,
    version: 'v1beta1',
    kind: 'BackupSession',
    listKind: 'BackupSessionList',
    plural: 'backupsessions',
    singular: 'backupsession',
    shortNames: [],
    categories: ['stash', 'appscode', 'all'],
    scope: 'Namespaced',
    statusSubresource: true,
    printerColumns: [
      { name: 'Invoker-Type', type: 'string', jsonPath: '.spec.invoker.kind' },
      { name: 'Invoker-Name', type: 'string', jsonPath: '.spec.invoker.name' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Duration', type: 'string', jsonPath: '.status.sessionDuration' },
      ageColumn,
    ],
    labels: stashLabels,
    schema: backupSessionSchema,
  },
  RestoreSession: {
    group: STASH_GROUP,
    version: 'v1beta1',
    kind: 'RestoreSession',
    listKind: 'RestoreSessionList',
    plural: 'restoresessions',
    singular: 'restoresession',
    shortNames: ['restore'],
    categories: ['stash', 'appscode', 'all'],
    scope: 'Namespaced',
    statusSubresource: true,
    printerColumns: [
      { name: 'Repository', type: 'string', jsonPath: '.spec.repository.name' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Duration', type: 'string', jsonPath: '.status.sessionDuration' },
      ageColumn,
    ],
    labels: stashLabels,
    schema: restoreSessionSchema,
  },
  Task: {
    group: STASH_GROUP,
    version: 'v1beta1',
    kind: 'Task',
    listKind: 'TaskList',
    plural: 'tasks',
    singular: 'task',
    shortNames: ['task'],
    categories: ['stash', 'appscode'],
    scope: 'Cluster',
    statusSubresource: false,
    printerColumns: [ageColumn],
    labels: stashLabels,
    schema: taskSchema,
  },
  Function: {
    group: STASH_GROUP,
    version: 'v1beta1',
    kind: 'Function',
    listKind: 'FunctionList',
    plural: 'functions',
    singular: 'function',
    shortNames: ['fn'],
    categories: ['stash', 'appscode'],
    scope: 'Cluster',
    statusSubresource: false,
    printerColumns: [ageColumn],
    labels: stashLabels,
    schema: functionSchema,
  },
  AppBinding: {
    group: APPCATALOG_GROUP,
    version: 'v1alpha1',
    kind: 'AppBinding',
    listKind: 'AppBindingList',
    plural: 'appbindings',
    singular: 'appbinding',
    shortNames: [],
    categories: ['catalog', 'appscode', 'all'],
    scope: 'Namespaced',
    statusSubresource: false,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      ageColumn,
    ],
    labels: { 'app.kubernetes.io/name': 'catalog' },
    schema: appBindingSchema,
  },
};

/** The apiextensions.k8s.io/v1 CustomResourceDefinition object for one definition (plain JSON, stable key order). */
export function customResourceDefinition(def: CrdDefinition): CustomResourceDefinitionObject {
  const names: CustomResourceDefinitionObject['spec']['names'] = {
    kind: def.kind,
    listKind: def.listKind,
    plural: def.plural,
    singular: def.singular,
  };
  if (def.shortNames.length) names.shortNames = def.shortNames;
  names.categories = def.categories;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}`, labels: def.labels },
    spec: {
      group: def.group,
      names,
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: def.schema },
          subresources: def.statusSubresource ? { status: {} } : {},
          additionalPrinterColumns: def.printerColumns,
        },
      ],
    },
  };
}

export interface CustomResourceDefinitionObject {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: { status?: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

/** All CRD objects, in a fixed order. */
export function allCustomResourceDefinitions(): CustomResourceDefinitionObject[] {
  return Object.values(crds).map(customResourceDefinition);
}
