// Makes sure the Stash CRDs from deploy/crds are installed and served before a test uses them. Creates missing
// ones only (test/integration/crds.test.ts is the suite that replaces them with the committed files), then waits
// for Established and for every resource to answer a list. Once per process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { crds } from '../../api/schemas.js';
import { isAlreadyExists, isNotFound } from '../../lib/kube.js';
import { repoRoot } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

let done: Promise<void> | undefined;

export function ensureCrds(kc: k8s.KubeConfig): Promise<void> {
  return (done ??= install(kc));
}

async function install(kc: k8s.KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const dir = join(repoRoot, 'deploy', 'crds');
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(join(dir, file), 'utf8'));
    const name = crd.metadata!.name!;
    names.push(name);
    try {
      await ext.readCustomResourceDefinition({ name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await ext.createCustomResourceDefinition({ body: crd }).catch((e: unknown) => {
        if (!isAlreadyExists(e)) throw e;
      });
    }
  }
  for (const name of names)
    await until(`${name} Established`, 60_000, async () => {
      const crd = await ext.readCustomResourceDefinition({ name });
      return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  for (const d of Object.values(crds))
    await until(`${d.plural} served`, 60_000, async () => {
      await custom.listClusterCustomObject({ group: d.group, version: d.version, plural: d.plural });
      return true;
    });
}
