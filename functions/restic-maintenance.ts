// The repository maintenance a backup session runs after its backup Job: apply the retention policy (restic forget
// with Stash's keep-* flags, prune, dry run), optionally check integrity, and report what the Repository status shows.
import { parseArgs } from 'node:util';
import * as restic from '../lib/restic.js';
import { formatBytes } from '../lib/stash-format.js';
import { repoFromEnv } from './repository-env.js';
import { writeTerminationMessage } from './termination.js';

export interface MaintenanceResult {
  removed: number;
  kept: number;
  snapshotCount: number;
  totalSize: string;
  totalSizeBytes: number;
  integrity?: boolean;
  retentionApplied: boolean;
}

const intFlag = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${v}'`);
  return n;
};

export async function runMaintenance(argv: string[]): Promise<MaintenanceResult> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'keep-last': { type: 'string' },
      'keep-hourly': { type: 'string' },
      'keep-daily': { type: 'string' },
      'keep-weekly': { type: 'string' },
      'keep-monthly': { type: 'string' },
      'keep-yearly': { type: 'string' },
      'keep-tag': { type: 'string', multiple: true },
      prune: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
    },
  });
  // forget/prune need restic's exclusive lock: another session of the same repository (overlapping schedules, a
  // burst of triggers) may hold a lock for a moment, so wait for it instead of failing the retention at once
  const base = repoFromEnv();
  const repo = { ...base, extraArgs: [...(base.extraArgs ?? []), '--retry-lock', '2m'] };
  const policy: restic.RetentionPolicy = {
    keepLast: intFlag(values['keep-last'], 'keep-last'),
    keepHourly: intFlag(values['keep-hourly'], 'keep-hourly'),
    keepDaily: intFlag(values['keep-daily'], 'keep-daily'),
    keepWeekly: intFlag(values['keep-weekly'], 'keep-weekly'),
    keepMonthly: intFlag(values['keep-monthly'], 'keep-monthly'),
    keepYearly: intFlag(values['keep-yearly'], 'keep-yearly'),
    keepTags: values['keep-tag'],
    prune: values.prune,
    dryRun: values['dry-run'],
  };
  // a policy that keeps nothing is skipped, not applied: restic would forget every snapshot
  const applied = restic.hasRetention(policy);
  const forgot = applied ? await restic.forget(repo, policy) : { removed: 0, kept: 0 };
  const integrity = values.check
    ? await restic.check(repo).then(
        () => true,
        () => false,
      )
    : undefined;
  const st = await restic.stats(repo);
  const snaps = await restic.snapshots(repo);
  const result: MaintenanceResult = {
    removed: forgot.removed,
    kept: forgot.kept,
    snapshotCount: snaps.length,
    totalSize: formatBytes(st.totalSize),
    totalSizeBytes: st.totalSize,
    integrity,
    retentionApplied: applied,
  };
  console.log(JSON.stringify({ maintenance: result }));
  writeTerminationMessage(result);
  return result;
}
