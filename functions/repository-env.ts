// Inside a Job the repository arrives as env (RESTIC_REPOSITORY by value, credentials from secretKeyRefs the Job
// builder set), never as flags: argv is visible to anyone who can list processes.
import type { ResticRepo } from '../lib/restic.js';

export function repoFromEnv(env: NodeJS.ProcessEnv = process.env): ResticRepo {
  const repository = env.RESTIC_REPOSITORY;
  const password = env.RESTIC_PASSWORD;
  if (!repository) throw new Error('RESTIC_REPOSITORY is not set (the Job builder passes it from the Repository)');
  if (!password) throw new Error('RESTIC_PASSWORD is not set (the storage Secret needs a RESTIC_PASSWORD key)');
  return {
    repository,
    password,
    awsAccessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
    awsSecretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
    awsRegion: env.AWS_DEFAULT_REGION || undefined,
    noCache: env.ENABLE_CACHE === 'false',
  };
}
