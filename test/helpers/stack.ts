// Where the local stack's servers are. dev/stack.sh writes .stack/env; test/run.sh sources it, and this module
// falls back to reading it so a single test file can run with `node --test` after `dev/stack.sh up`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const stackDir = process.env.STACK_DIR ?? join(repoRoot, '.stack');

function findRoot(dir: string): string {
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + dir);
    dir = up;
  }
  return dir;
}

function loadEnvFile(): Record<string, string> {
  const file = join(stackDir, 'env');
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined && !m[2].includes('$')) out[m[1]] = m[2];
  }
  return out;
}

const fileEnv = loadEnvFile();

/** A stack address: the process env wins, then .stack/env; a missing one is a clear error, not a silent default. */
export function stackEnv(name: string): string {
  const v = process.env[name] ?? fileEnv[name];
  if (!v) throw new Error(`${name} is not set: start the stack with 'bash dev/stack.sh up' (it writes ${stackDir}/env)`);
  return v;
}
