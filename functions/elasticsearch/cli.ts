// `stashflow function elasticsearch backup-es|restore-es [flags]` (Stash's subcommand names). Secrets only from the
// environment: RESTIC_REPOSITORY, RESTIC_PASSWORD, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_DEFAULT_REGION,
// ES_URL, ES_USERNAME/ES_PASSWORD (or --auth-file, Stash's auth.txt), ES_CA_FILE (or --ca-file).
// Empty flag values (Stash's ${VAR:=} placeholders) count as unset; unknown flags are accepted and ignored.
import { parseArgs } from 'node:util';
import { backupElasticsearch } from './backup.js';
import { restoreElasticsearch } from './restore.js';
import { parseReported, verifyElasticsearch } from './verify.js';
import { splitList } from './selection.js';
import { TARGET_ENV } from '../../activities/target-env.js';

export const elasticsearchUsage = `usage:
  stashflow function elasticsearch backup-es  --interim-data-dir D [--hostname H] [--es-args "..."] [--include G]
      [--exclude G] [--tag T] [--slices N] [--retention-keep-last N ...] [--retention-prune] [--output-dir D]
  stashflow function elasticsearch restore-es --interim-data-dir D [--snapshot latest|ID] [--source-hostname H]
      [--es-args "..."] [--include G] [--exclude G] [--workers K] [--output-dir D]
  stashflow function elasticsearch verify-es  --interim-data-dir D --snapshot ID --verify-id X
      [--reported INDICES:DOCS:CHECKSUM]   (restores into scratch indices stashflow-verify-X-*, compares, deletes them)
env: ES_URL, ES_USERNAME, ES_PASSWORD, ES_CA_FILE (or the STASHFLOW_TARGET_* a Job gets from its AppBinding),
     RESTIC_REPOSITORY, RESTIC_PASSWORD, AWS_*
`;

const str = { type: 'string' } as const;
const options = {
  'interim-data-dir': str,
  hostname: str,
  'source-hostname': str,
  snapshot: str,
  'es-args': str,
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  slices: str,
  workers: str,
  'auth-file': str,
  'ca-file': str,
  'output-dir': str,
  'verify-id': str,
  reported: str,
  'retention-keep-last': str,
  'retention-keep-hourly': str,
  'retention-keep-daily': str,
  'retention-keep-weekly': str,
  'retention-keep-monthly': str,
  'retention-keep-yearly': str,
  'retention-keep-tags': str,
  'retention-prune': str,
  'retention-dry-run': str,
} as const;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required in the environment`);
  return v;
}

export async function runElasticsearchFunction(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values: raw } = parseArgs({ args: rest, options, strict: false, allowPositionals: true });
  const v = Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== '' && x !== undefined)) as Record<
    string,
    string | string[] | boolean
  >;
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const n = (k: string) => (s(k) ? Number(s(k)) : undefined);
  const interimDir = s('interim-data-dir');
  if (!interimDir) throw new Error(`--interim-data-dir is required\n${elasticsearchUsage}`);
  // ES_* by hand; STASHFLOW_TARGET_* when our Job builder resolved the AppBinding (activities/target-env.ts)
  const e = process.env;
  const username = e.ES_USERNAME ?? e[TARGET_ENV.username];
  const caPem = e[TARGET_ENV.caCert];
  const es = {
    url: e.ES_URL ?? e[TARGET_ENV.url] ?? env('ES_URL'),
    ...(username ? { username, password: e.ES_PASSWORD ?? e[TARGET_ENV.password] ?? '' } : {}),
    ...(caPem ? { caPem } : {}),
    ...(e[TARGET_ENV.insecure] === 'true' ? { insecure: true } : {}),
    ...(s('auth-file') ? { authFile: s('auth-file') } : {}),
    ...(s('ca-file') || process.env.ES_CA_FILE ? { caFile: s('ca-file') ?? process.env.ES_CA_FILE } : {}),
  };
  const repo = {
    repository: env('RESTIC_REPOSITORY'),
    password: env('RESTIC_PASSWORD'),
    awsAccessKeyId: process.env.AWS_ACCESS_KEY_ID,
    awsSecretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    awsRegion: process.env.AWS_DEFAULT_REGION,
  };
  const filter = { include: splitList(v.include as string[] | undefined), exclude: splitList(v.exclude as string[] | undefined) };
  if (sub === 'backup-es') {
    await backupElasticsearch({
      es,
      restic: repo,
      interimDir,
      hostname: s('hostname'),
      tags: (v.tag as string[] | undefined) ?? [],
      esArgs: s('es-args'),
      dump: { ...filter, ...(n('slices') ? { slices: n('slices') } : {}) },
      retention: {
        keepLast: n('retention-keep-last'),
        keepHourly: n('retention-keep-hourly'),
        keepDaily: n('retention-keep-daily'),
        keepWeekly: n('retention-keep-weekly'),
        keepMonthly: n('retention-keep-monthly'),
        keepYearly: n('retention-keep-yearly'),
        keepTags: splitList(s('retention-keep-tags')),
        prune: s('retention-prune') === 'true',
        dryRun: s('retention-dry-run') === 'true',
      },
      outputDir: s('output-dir'),
    });
  } else if (sub === 'restore-es') {
    await restoreElasticsearch({
      es,
      restic: repo,
      interimDir,
      snapshot: s('snapshot'),
      sourceHostname: s('source-hostname'),
      hostname: s('hostname'),
      esArgs: s('es-args'),
      load: { ...filter, ...(n('workers') ? { workers: n('workers') } : {}) },
      outputDir: s('output-dir'),
    });
  } else if (sub === 'verify-es') {
    const snapshot = s('snapshot');
    const verifyId = s('verify-id');
    if (!snapshot || !verifyId) throw new Error(`verify-es needs --snapshot and --verify-id\n${elasticsearchUsage}`);
    const outcome = await verifyElasticsearch({
      es,
      restic: repo,
      interimDir,
      snapshot,
      verifyId,
      reported: parseReported(s('reported')),
    });
    if (!outcome.indices.length && outcome.error) throw new Error(outcome.error); // could not compare at all
  } else {
    throw new Error(`unknown elasticsearch subcommand '${sub ?? ''}'\n${elasticsearchUsage}`);
  }
}
