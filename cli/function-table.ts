// `stashflow function <name> ...`: what a Job runs. One line per function; each parses its own flags.
import { parseArgs } from 'node:util';
import { runDirCommand } from '../functions/dir/cli.js';
import { runElasticsearchFunction } from '../functions/elasticsearch/cli.js';
import { runMaintenance } from '../functions/restic-maintenance.js';
import { runSmoke } from '../functions/smoke.js';

export type FunctionMain = (argv: string[]) => Promise<unknown>;

export const functionTable: Record<string, { summary: string; main: FunctionMain }> = {
  smoke: {
    summary: 'report a message through the termination message (stack smoke)',
    main: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { message: { type: 'string' } }, strict: true });
      if (!values.message) throw new Error('function smoke: --message is required');
      runSmoke(values.message);
    },
  },
  dir: {
    summary: 'back up / restore directories with restic (dir backup|restore, Stash-style flags)',
    main: async (argv) => void (process.exitCode = await runDirCommand(argv)),
  },
  elasticsearch: {
    summary: 'back up / restore Elasticsearch (backup-es|restore-es, Stash-compatible flags and dump layout)',
    main: runElasticsearchFunction,
  },
  'restic-maintenance': {
    summary: 'apply a retention policy (--keep-*, --prune, --dry-run), --check, report repository stats',
    main: runMaintenance,
  },
};
