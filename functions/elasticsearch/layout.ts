// Where things live. The dump directory holds only multielasticdump's files (its loader treats every file there as
// an index). What multielasticdump has no file for — composable index templates, component templates, our
// manifest — goes to a sidecar directory next to it, `<dump>.stashflow/`, backed up in the same restic snapshot.
// Stash restores only the dump path and never sees it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SIDECAR_SUFFIX = '.stashflow';
export const MANIFEST_FILE = 'manifest.json';
export const INDEX_TEMPLATES_FILE = 'index_template.json';
export const COMPONENT_TEMPLATES_FILE = 'component_template.json';
export const MANIFEST_FORMAT = 'stashflow-elasticsearch-dump/1';

export function sidecarDir(dumpDir: string): string {
  return dumpDir.replace(/\/+$/, '') + SIDECAR_SUFFIX;
}

export interface ManifestIndex {
  name: string;
  docs: number;
  bytes: number;
  /** order-independent checksum of _id/_routing/_source (manifest-checksum.ts); absent when data was not dumped */
  checksum?: string;
}

export interface Manifest {
  format: string;
  dumpId: string;
  createdAt: string;
  source: { clusterName?: string; version?: string };
  types: string[];
  indices: ManifestIndex[];
}

export async function writeJson(path: string, v: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(v) + '\n');
}

export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

export const sidecarFile = (dumpDir: string, name: string) => join(sidecarDir(dumpDir), name);
