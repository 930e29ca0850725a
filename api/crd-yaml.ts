// Renders deploy/crds/<group>_<plural>.yaml from api/schemas.ts: one file per CRD, stable output.
//   npx tsx api/crd-yaml.ts --write   rewrite deploy/crds/ (removes stale generated files)
//   npx tsx api/crd-yaml.ts --check   exit 1 when deploy/crds/ differs from what would be rendered
//   npx tsx api/crd-yaml.ts           print all CRDs as one multi-document YAML stream
// The YAML serializer is ours (package.json stays unchanged): block style, strings quoted as JSON whenever a plain
// scalar could be misread, so the output parses back to exactly the input object.
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCustomResourceDefinitions, type CustomResourceDefinitionObject } from './schemas.js';

export const GENERATED_HEADER = '# Generated from api/schemas.ts by `npx tsx api/crd-yaml.ts --write`. Do not edit by hand.\n';

/** deploy/crds file name of one CRD: <group>_<plural>.yaml, as Stash names them. */
export const crdFileName = (crd: CustomResourceDefinitionObject): string => `${crd.spec.group}_${crd.spec.names.plural}.yaml`;

/** file name → content of every generated CRD file. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of allCustomResourceDefinitions()) files.set(crdFileName(crd), GENERATED_HEADER + toYaml(crd));
  return files;
}

// ---- YAML ----

const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~|\.inf|\.nan)$/i;
// Conservative plain-scalar alphabet: no indicators (: # * & ! | > ' " % @ ` { } [ ] ,) at risky positions.
const PLAIN = /^[A-Za-z_./$][A-Za-z0-9_./$ ()'-]*$/;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot render ${v} as YAML`);
    return String(v);
  }
  if (typeof v === 'string') {
    const plain = PLAIN.test(v) && !RESERVED.test(v) && !v.endsWith(' ') && !v.includes('  ');
    return plain ? v : JSON.stringify(v);
  }
  throw new Error(`not a scalar: ${typeof v}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean => (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
const inline = (v: unknown): string => (Array.isArray(v) ? '[]' : isObject(v) ? '{}' : scalar(v));

function lines(v: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (isObject(v)) {
    const out: string[] = [];
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const key = scalar(k);
      if (isEmpty(val) || (!isObject(val) && !Array.isArray(val))) out.push(`${pad}${key}: ${inline(val)}`);
      else if (Array.isArray(val)) out.push(`${pad}${key}:`, ...lines(val, indent));
      else out.push(`${pad}${key}:`, ...lines(val, indent + 2));
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const item of v) {
      if (isEmpty(item) || (!isObject(item) && !Array.isArray(item))) {
        out.push(`${pad}- ${inline(item)}`);
        continue;
      }
      const sub = lines(item, indent + 2);
      sub[0] = `${pad}- ${sub[0]!.slice(indent + 2)}`;
      out.push(...sub);
    }
    return out;
  }
  return [pad + scalar(v)];
}

/** One YAML document (no leading ---), ending in a newline. */
export function toYaml(value: unknown): string {
  if (isEmpty(value) || (!isObject(value) && !Array.isArray(value))) return inline(value) + '\n';
  return lines(value, 0).join('\n') + '\n';
}

// ---- command line ----

/** The repository root (api/ under tsx, dist/api/ compiled). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
  return dir;
}

export const crdDir = (): string => join(repoRoot(), 'deploy', 'crds');

/** Names of files in deploy/crds that differ from (or are missing against) the rendering, plus stale ones. */
export function driftedFiles(dir: string = crdDir()): string[] {
  const want = renderCrdFiles();
  const drift: string[] = [];
  for (const [name, content] of want) {
    const file = join(dir, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== content) drift.push(name);
  }
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) if (name.endsWith('.yaml') && !want.has(name)) drift.push(name);
  }
  return drift;
}

function main(args: string[]): void {
  const dir = crdDir();
  if (args.includes('--write')) {
    mkdirSync(dir, { recursive: true });
    const want = renderCrdFiles();
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.yaml') && !want.has(name) && readFileSync(join(dir, name), 'utf8').startsWith(GENERATED_HEADER))
        unlinkSync(join(dir, name));
    }
    for (const [name, content] of want) writeFileSync(join(dir, name), content);
    console.log(`wrote ${want.size} CRDs to ${dir}`);
  } else if (args.includes('--check')) {
    const drift = driftedFiles(dir);
    if (drift.length) {
      console.error(`deploy/crds is out of date (${drift.join(', ')}): run npx tsx api/crd-yaml.ts --write`);
      process.exit(1);
    }
    console.log('deploy/crds is up to date');
  } else {
    process.stdout.write([...renderCrdFiles().values()].map((c) => '---\n' + c).join(''));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
