// A prebuilt workflow bundle: a worker that starts (or restarts after a crash) loads it instead of bundling the
// workflow code with webpack at every start, which takes seconds on a quiet node and over a minute on a busy one.
// `npm run build` writes it; a bundle older than any compiled file it could contain is ignored (the worker bundles at
// start as before), so a plain `tsc` never runs stale workflow code.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const compiled = !import.meta.url.endsWith('.ts');
/** dist/ when compiled (dist/worker/workflow-bundle.js) */
const distRoot = join(here, '..');
export const workflowsPath = join(distRoot, 'workflows', compiled ? 'index.js' : 'index.ts');
export const bundlePath = join(distRoot, 'workflow-bundle.js');
/** what the workflow code is compiled from (workflows import api/ at runtime; the rest only as types) */
const inputs = ['workflows', 'api', 'activities', 'lib'];

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The bundle when it is present and newer than every compiled input; otherwise undefined (bundle at start). */
export function freshBundle(): string | undefined {
  if (!compiled || !existsSync(bundlePath)) return undefined;
  const built = statSync(bundlePath).mtimeMs;
  return inputs.every((d) => newestMtime(join(distRoot, d)) <= built) ? bundlePath : undefined;
}

async function main(): Promise<void> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  writeFileSync(bundlePath, code);
  console.error(`workflow bundle: ${bundlePath} (${(code.length / 1024).toFixed(0)} KiB)`);
}

if (compiled && process.argv[1] === fileURLToPath(import.meta.url)) await main();
