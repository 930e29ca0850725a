// kubectl against the stack's apiserver, as a user runs it: the stack's own binary (dev/stack.sh puts it in
// .stack/bin) or the one on PATH, with the stack's kubeconfig.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runProcess, type Run } from './process.js';
import { stackDir, stackEnv } from './stack.js';

export const kubectlBin = existsSync(join(stackDir, 'bin', 'kubectl')) ? join(stackDir, 'bin', 'kubectl') : 'kubectl';

/** `kubectl args` with `input` on stdin; resolves with the exit code (a failure is the caller's to judge). */
export function kubectl(args: string[], input?: string): Promise<Run> {
  return runProcess(kubectlBin, args, { env: { KUBECONFIG: stackEnv('KUBECONFIG') }, ...(input === undefined ? {} : { input }) });
}

/** `kubectl args` that must exit 0; the assertion names the command and shows its stderr. */
export async function kubectlOk(args: string[], input?: string): Promise<Run> {
  const r = await kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r;
}

/** `kubectl apply [flags] -f -` of objects (as YAML documents), which must succeed; returns its stderr (warnings). */
export async function kubectlApply(objs: object[], flags: string[] = []): Promise<string> {
  const body = objs.map((o) => stringify(o)).join('---\n');
  return (await kubectlOk(['apply', ...flags, '-f', '-'], body)).stderr;
}

/** Deletes an object (cluster-scoped, or in `namespace`) without waiting for it to go; a missing one is no error. */
export async function kubectlDelete(kind: string, name: string, namespace?: string): Promise<void> {
  const ns = namespace ? ['-n', namespace] : [];
  await kubectl(['delete', kind, name, ...ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
}

/** What `kubectl args` prints, which must exit 0. */
export const kubectlOut = async (...args: string[]): Promise<string> => (await kubectlOk(args)).stdout;
