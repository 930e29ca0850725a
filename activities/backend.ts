// A Repository's backend as a Job sees it: the restic repository address (not secret), the Secret keys passed by
// reference (never copied), and for a `local` backend the volume to mount. Pure, so it is unit-tested.
import type * as k8s from '@kubernetes/client-node';
import type { BackendProvider, Repository } from '../api/types.js';

export class InvalidBackend extends Error {}

export interface ResolvedBackend {
  provider: BackendProvider;
  /** RESTIC_REPOSITORY */
  repository: string;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  secretName: string;
  /** env of the Job: RESTIC_REPOSITORY by value, credentials by secretKeyRef */
  env: k8s.V1EnvVar[];
  volumes: k8s.V1Volume[];
  volumeMounts: k8s.V1VolumeMount[];
}

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');
const join = (...parts: Array<string | undefined>) =>
  parts
    .filter((p) => p)
    .map((p, i) => (i === 0 ? p!.replace(/\/+$/, '') : trimSlashes(p!)))
    .join('/');

/** Keys a provider's Secret may hold; optional refs so a missing optional key does not block the pod. */
const secretKeys: Record<BackendProvider, string[]> = {
  local: [],
  rest: ['REST_SERVER_USERNAME', 'REST_SERVER_PASSWORD'],
  s3: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'CA_CERT_DATA'],
  gcs: ['GOOGLE_PROJECT_ID', 'GOOGLE_SERVICE_ACCOUNT_JSON_KEY'],
  azure: ['AZURE_ACCOUNT_NAME', 'AZURE_ACCOUNT_KEY'],
  swift: ['OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_REGION_NAME', 'ST_AUTH', 'ST_USER', 'ST_KEY'],
  b2: ['B2_ACCOUNT_ID', 'B2_ACCOUNT_KEY'],
};

/** Stash's Secret key → the env name restic reads (restic ≥ 0.17 takes REST credentials from env). */
const envNameFor: Record<string, string> = {
  REST_SERVER_USERNAME: 'RESTIC_REST_USERNAME',
  REST_SERVER_PASSWORD: 'RESTIC_REST_PASSWORD',
};

export const LOCAL_BACKEND_VOLUME = 'stash-local-backend';

export function resolveBackend(repo: Repository): ResolvedBackend {
  const b = repo.spec?.backend;
  const where = `Repository ${repo.metadata.namespace}/${repo.metadata.name}`;
  if (!b) throw new InvalidBackend(`${where}: spec.backend is required`);
  const secretName = b.storageSecretName;
  if (!secretName) throw new InvalidBackend(`${where}: spec.backend.storageSecretName is required`);
  const providers = (['local', 's3', 'gcs', 'azure', 'swift', 'b2', 'rest'] as const).filter((p) => b[p]);
  if (providers.length !== 1) {
    throw new InvalidBackend(
      `${where}: spec.backend must name exactly one provider (local, s3, gcs, azure, swift, b2, rest), found ${providers.length}`,
    );
  }
  const provider = providers[0]!;
  const base = { provider, secretName, volumes: [] as k8s.V1Volume[], volumeMounts: [] as k8s.V1VolumeMount[] };
  let r: Omit<ResolvedBackend, 'env'>;
  switch (provider) {
    case 'local': {
      const l = b.local!;
      if (!l.mountPath) throw new InvalidBackend(`${where}: spec.backend.local.mountPath is required`);
      const { mountPath, subPath, ...source } = l;
      r = {
        ...base,
        repository: join(mountPath, subPath),
        prefix: subPath,
        volumes: [{ name: LOCAL_BACKEND_VOLUME, ...(source as Omit<k8s.V1Volume, 'name'>) }],
        volumeMounts: [{ name: LOCAL_BACKEND_VOLUME, mountPath }],
      };
      break;
    }
    case 's3': {
      const s = b.s3!;
      const endpoint = /^https?:\/\//.test(s.endpoint) ? s.endpoint : `https://${s.endpoint}`;
      r = {
        ...base,
        repository: `s3:${join(endpoint, s.bucket, s.prefix)}`,
        bucket: s.bucket,
        prefix: s.prefix,
        endpoint: s.endpoint,
        region: s.region,
      };
      break;
    }
    case 'gcs':
      r = {
        ...base,
        repository: `gs:${b.gcs!.bucket}:/${trimSlashes(b.gcs!.prefix ?? '')}`,
        bucket: b.gcs!.bucket,
        prefix: b.gcs!.prefix,
      };
      break;
    case 'azure':
      r = {
        ...base,
        repository: `azure:${b.azure!.container}:/${trimSlashes(b.azure!.prefix ?? '')}`,
        bucket: b.azure!.container,
        prefix: b.azure!.prefix,
      };
      break;
    case 'swift':
      r = {
        ...base,
        repository: `swift:${b.swift!.container}:/${trimSlashes(b.swift!.prefix ?? '')}`,
        bucket: b.swift!.container,
        prefix: b.swift!.prefix,
      };
      break;
    case 'b2':
      r = {
        ...base,
        repository: `b2:${b.b2!.bucket}:${trimSlashes(b.b2!.prefix ?? '')}`,
        bucket: b.b2!.bucket,
        prefix: b.b2!.prefix,
      };
      break;
    case 'rest':
      r = { ...base, repository: `rest:${b.rest!.url}`, endpoint: b.rest!.url };
      break;
  }
  const env: k8s.V1EnvVar[] = [
    { name: 'RESTIC_REPOSITORY', value: r.repository },
    { name: 'RESTIC_PASSWORD', valueFrom: { secretKeyRef: { name: secretName, key: 'RESTIC_PASSWORD' } } },
    ...secretKeys[provider].map((key) => ({
      name: envNameFor[key] ?? key,
      valueFrom: { secretKeyRef: { name: secretName, key, optional: true } },
    })),
  ];
  if (r.region) env.push({ name: 'AWS_DEFAULT_REGION', value: r.region });
  return { ...r, env };
}
