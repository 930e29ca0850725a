#!/usr/bin/env node
// `stashflow`: the one command entry. Subcommands grow with the product (trigger, status, snapshots, restore, ...).
import { parseArgs } from 'node:util';
import { runSmoke } from '../functions/smoke.js';

const usage = `usage: stashflow <command>

commands:
  function smoke --message TEXT   run the smoke function (inside a Job)
  version                         print the version
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
      if (fn === 'smoke') {
        const { values } = parseArgs({ args: fargs, options: { message: { type: 'string' } }, strict: true });
        if (!values.message) fail('function smoke: --message is required');
        runSmoke(values.message);
        return;
      }
      return fail(`unknown function '${fn ?? ''}'\n${usage}`);
    }
    case 'version':
      console.log('stashflow 0.1.0');
      return;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(usage);
      return;
    default:
      fail(`unknown command '${cmd}'\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err), 1));
