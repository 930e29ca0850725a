// Where the restic repository is, from what a Stash Function passes: flags --provider/--bucket/--endpoint/--path
// (--rest-url, --region, --max-connections, --insecure-tls, --enable-cache, --scratch-dir) with the storage Secret's
// keys either in the environment (secretKeyRef/envFrom) or as files in --secret-dir (a mounted Secret, Stash's
// older way). RESTIC_REPOSITORY in the environment, when set, wins over the location flags (our Job builder sets it
// from the Repository; the flags remain for Stash-style Functions and manual runs).
// Repository URLs follow Stash's setupEnv: local → bucket(/path), s3 → s3:<endpoint>/<bucket>/<path>,
// gcs/azure/swift/b2 → <scheme>:<bucket>:/<path>, rest → rest:<url> with REST_SERVER_USERNAME/PASSWORD inside it.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ResticRepo } from '../../lib/restic.js';

export interface RepositoryFlags {
  provider?: string;
  bucket?: string;
  endpoint?: string;
  /** Stash's REPOSITORY_PREFIX */
  path?: string;
  /** REST server URL (Stash passes it as --endpoint; either works) */
  restUrl?: string;
  region?: string;
  /** a mounted storage Secret: one file per key */
  secretDir?: string;
  /** restic cache and temp files go below it */
  scratchDir?: string;
  enableCache?: boolean;
  maxConnections?: number;
  insecureTls?: boolean;
}

export interface ResolvedRepository {
  repo: ResticRepo;
  /** provider-specific variables restic reads itself (GOOGLE_*, AZURE_*, B2_*, OS_*, ST_*, TMPDIR) */
  env: Record<string, string>;
  /** files to write before restic runs (CA bundle, GCS key), relative to the scratch dir */
  files: { name: string; content: string; mode: number }[];
  /** every secret value seen, to scrub from any message */
  secrets: string[];
  /** where the repository is, without credentials (for logs) */
  location: string;
}

export const SECRET_KEYS = {
  password: 'RESTIC_PASSWORD',
  awsKeyId: 'AWS_ACCESS_KEY_ID',
  awsSecret: 'AWS_SECRET_ACCESS_KEY',
  restUser: 'REST_SERVER_USERNAME',
  restPassword: 'REST_SERVER_PASSWORD',
  caCert: 'CA_CERT_DATA',
  gcsKey: 'GOOGLE_SERVICE_ACCOUNT_JSON_KEY',
} as const;

const PASS_THROUGH: Record<string, string[]> = {
  gcs: ['GOOGLE_PROJECT_ID'],
  azure: ['AZURE_ACCOUNT_NAME', 'AZURE_ACCOUNT_KEY'],
  b2: ['B2_ACCOUNT_ID', 'B2_ACCOUNT_KEY'],
  swift: [
    'ST_AUTH',
    'ST_USER',
    'ST_KEY',
    'OS_AUTH_URL',
    'OS_REGION_NAME',
    'OS_USERNAME',
    'OS_PASSWORD',
    'OS_TENANT_ID',
    'OS_TENANT_NAME',
    'OS_USER_DOMAIN_NAME',
    'OS_PROJECT_NAME',
    'OS_PROJECT_DOMAIN_NAME',
    'OS_APPLICATION_CREDENTIAL_ID',
    'OS_APPLICATION_CREDENTIAL_SECRET',
    'OS_APPLICATION_CREDENTIAL_NAME',
    'OS_STORAGE_URL',
    'OS_AUTH_TOKEN',
  ],
};
const NOT_SECRET = new Set(['GOOGLE_PROJECT_ID', 'AZURE_ACCOUNT_NAME', 'B2_ACCOUNT_ID', 'OS_AUTH_URL', 'OS_REGION_NAME']);

const CONNECTION_SCHEME: Record<string, string> = { s3: 's3', gcs: 'gs', azure: 'azure', b2: 'b2', swift: 'swift', rest: 'rest' };

export const CA_FILE = 'restic-ca.crt';
export const GCS_KEY_FILE = 'gcs-key.json';

/** Reads a storage Secret key from --secret-dir (when given) or the environment; undefined when absent/empty. */
export function secretReader(
  secretDir: string | undefined,
  env: NodeJS.ProcessEnv,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): (key: string) => string | undefined {
  return (key) => {
    if (secretDir) {
      try {
        const v = read(join(secretDir, key));
        if (v) return v;
      } catch {
        // not in the Secret: fall back to env
      }
    }
    const v = env[key];
    return v ? v : undefined;
  };
}

export class RepositoryConfigError extends Error {
  override name = 'RepositoryConfigError';
}

/** Builds the restic repository from Stash's flags (or RESTIC_REPOSITORY) and the storage Secret's keys. */
export function resolveRepository(
  flags: RepositoryFlags,
  env: NodeJS.ProcessEnv,
  secret: (key: string) => string | undefined = secretReader(flags.secretDir, env),
): ResolvedRepository {
  const password = secret(SECRET_KEYS.password);
  const where = flags.secretDir ? `${flags.secretDir}/${SECRET_KEYS.password} or the environment` : 'the environment';
  if (!password) throw new RepositoryConfigError(`${SECRET_KEYS.password} is not set (looked in ${where})`);
  const secrets = [password];
  const out: ResolvedRepository = { repo: { repository: '', password }, env: {}, files: [], secrets, location: '' };
  const extra: string[] = [];

  const provider = (flags.provider ?? '').trim();
  const bucket = (flags.bucket ?? '').trim();
  const prefix = (flags.path ?? '').trim().replace(/^\/+/, '');
  const need = (v: string, flag: string) => {
    if (!v) throw new RepositoryConfigError(`--${flag} is required for provider '${provider}'`);
    return v;
  };

  // RESTIC_REPOSITORY (what our Job builder computes from the Repository) wins over the flags
  switch (env.RESTIC_REPOSITORY ? 'env' : provider) {
    case 'env':
      out.repo.repository = env.RESTIC_REPOSITORY as string;
      break;
    case '':
      throw new RepositoryConfigError(
        'no repository: pass --provider (local, s3, gcs, azure, swift, b2, rest) with its flags, or set RESTIC_REPOSITORY',
      );
    case 'local':
      out.repo.repository = prefix ? posix.join(need(bucket, 'bucket'), prefix) : need(bucket, 'bucket');
      break;
    case 's3': {
      const endpoint = (flags.endpoint ?? '').trim().replace(/\/+$/, '') || 's3.amazonaws.com';
      out.repo.repository = `s3:${endpoint}/${posix.join(need(bucket, 'bucket'), prefix)}`.replace(/\/+$/, '');
      break;
    }
    case 'gcs':
      out.repo.repository = `gs:${need(bucket, 'bucket')}:/${prefix}`;
      break;
    case 'azure':
    case 'swift':
    case 'b2':
      out.repo.repository = `${provider}:${need(bucket, 'bucket')}:/${prefix}`;
      break;
    case 'rest': {
      const raw = (flags.restUrl || flags.endpoint || '').trim();
      if (!raw) throw new RepositoryConfigError("--rest-url (or --endpoint) is required for provider 'rest'");
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new RepositoryConfigError(`--rest-url '${raw.replace(/\/\/[^/@]*@/, '//***@')}' is not a URL`);
      }
      // Stash passes the URL's own path as --path (REPOSITORY_PREFIX); join only a path the URL does not end with
      const have = u.pathname.replace(/^\/+|\/+$/g, '');
      const want = prefix.replace(/\/+$/, '');
      if (want && have !== want && !have.endsWith(`/${want}`)) u.pathname = posix.join('/', have, want);
      const user = secret(SECRET_KEYS.restUser);
      const pass = secret(SECRET_KEYS.restPassword);
      if (user) {
        u.username = encodeURIComponent(user);
        if (pass) {
          u.password = encodeURIComponent(pass);
          secrets.push(pass);
        }
      }
      out.repo.repository = `rest:${u.toString().replace(/\/+$/, '')}`;
      break;
    }
    default:
      throw new RepositoryConfigError(`unknown --provider '${provider}' (local, s3, gcs, azure, swift, b2 or rest)`);
  }

  // S3 keys travel through ResticRepo (restic.ts scrubs them); region as AWS_DEFAULT_REGION
  const keyId = secret(SECRET_KEYS.awsKeyId);
  const awsSecret = secret(SECRET_KEYS.awsSecret);
  if (keyId) out.repo.awsAccessKeyId = keyId;
  if (awsSecret) {
    out.repo.awsSecretAccessKey = awsSecret;
    secrets.push(awsSecret);
  }
  if (flags.region) out.repo.awsRegion = flags.region;

  // restic ≥ 0.17 reads REST credentials from these itself (our Job builder maps REST_SERVER_* onto them)
  for (const key of ['RESTIC_REST_PASSWORD']) if (env[key]) secrets.push(env[key] as string);

  for (const key of PASS_THROUGH[provider] ?? []) {
    const v = secret(key);
    if (!v) continue;
    out.env[key] = v;
    if (!NOT_SECRET.has(key)) secrets.push(v);
  }
  const gcsKey = provider === 'gcs' ? secret(SECRET_KEYS.gcsKey) : undefined;
  if (gcsKey) {
    out.files.push({ name: GCS_KEY_FILE, content: gcsKey, mode: 0o600 });
    secrets.push(gcsKey);
  }
  const ca = secret(SECRET_KEYS.caCert);
  if (ca) out.files.push({ name: CA_FILE, content: ca, mode: 0o644 });

  if (flags.insecureTls) extra.push('--insecure-tls');
  const scheme = CONNECTION_SCHEME[provider];
  if (flags.maxConnections && flags.maxConnections > 0 && scheme)
    extra.push('-o', `${scheme}.connections=${flags.maxConnections}`);
  if (extra.length) out.repo.extraArgs = extra;
  const enableCache = flags.enableCache ?? (env.ENABLE_CACHE ? env.ENABLE_CACHE !== 'false' : undefined);
  if (enableCache === false) out.repo.noCache = true;
  else if (flags.scratchDir) out.repo.cacheDir = join(flags.scratchDir, 'restic-cache');
  if (flags.scratchDir) out.env.TMPDIR = join(flags.scratchDir, 'restic-tmp');

  out.location = safeLocation(out.repo.repository);
  return out;
}

/** The repository string without credentials. */
export function safeLocation(repository: string): string {
  return repository.replace(/(:\/\/)[^/@]*@/, '$1');
}

/** Replaces every known secret value (and URL credentials) in text with ***. */
export function scrub(text: string, secrets: string[]): string {
  let out = text.replace(/(:\/\/[^\s:/@]*:)[^\s/@]+@/g, '$1***@');
  for (const s of [...secrets].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***');
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join('***');
  }
  return out;
}
