#!/usr/bin/env node
// `stashflow`: the one command entry. Subcommands grow with the product (trigger, status, snapshots, restore, ...).
import { functionTable } from './function-table.js';
import { trigger } from './commands/trigger.js';
import { status } from './commands/status.js';
import { snapshots } from './commands/snapshots.js';
import { restore } from './commands/restore.js';
import { setPaused } from './commands/pause.js';

const usage = () => `usage: stashflow <command>

commands:
  function <name> [flags]   run a function (what backup and restore Jobs run):
${Object.entries(functionTable)
  .map(([name, f]) => `      ${name.padEnd(22)} ${f.summary}`)
  .join('\n')}
  trigger <ns>/<config>     create a BackupSession now (trigger --help)
  status [-n NS|-A] [<bc>]  list BackupSessions and RestoreSessions, newest first
  snapshots <ns>/<repo>     list the restic snapshots of a Repository
  restore <ns>/<repo> --to <appbinding>
                            create a RestoreSession and follow it to the end
  pause <ns>/<config>       pause a BackupConfiguration's schedule (spec.paused)
  resume <ns>/<config>      resume it
  codec-server              decrypt payloads for the Temporal UI (codec-server --help)
  version                   print the version
`;

function fail(msg: string, code = 2): never {
  process.stderr.write(`stashflow: ${msg}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'function': {
      const [fn, ...fargs] = rest;
      const entry = fn ? functionTable[fn] : undefined;
      if (!entry) return fail(`unknown function '${fn ?? ''}'\n${usage()}`);
      await entry.main(fargs);
      return;
    }
    // A Stash Function whose image is replaced by ours passes Stash's subcommand first (backup-es / restore-es)
    case 'backup-es':
    case 'restore-es':
      await functionTable.elasticsearch!.main(argv);
      return;
    case 'trigger':
      process.exitCode = await trigger(rest, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
      return;
    case 'status':
      process.exitCode = await status(rest);
      return;
    case 'snapshots':
      process.exitCode = await snapshots(rest);
      return;
    case 'restore':
      process.exitCode = await restore(rest);
      return;
    case 'pause':
    case 'resume':
      process.exitCode = await setPaused(cmd, rest);
      return;
    case 'codec-server':
      // loaded on demand: Temporal's protos are heavy, and every backup Job runs this entry
      process.exitCode = await (await import('./commands/codec-server.js')).codecServer(rest);
      return;
    case 'version':
      console.log('stashflow 0.1.0');
      return;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(usage());
      return;
    default:
      fail(`unknown command '${cmd}'\n${usage()}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err), 1));
