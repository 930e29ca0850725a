// Lints the Dockerfile (no Docker engine here to build it): rules in the spirit of hadolint, checked on the
// parsed file with dockerfile-ast, plus checks against the repo itself — every COPY source exists and survives
// .dockerignore, every entry point the image and deploy/base run is a file the build stage compiles. Each rule
// is also run on a bad Dockerfile, so a rule that could never fire would fail here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, ModifiableInstruction, type Flag, type Instruction } from 'dockerfile-ast';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../helpers/stack.js';

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

interface Problem {
  rule: string;
  message: string;
}

function stagesOf(text: string): { stages: Stage[]; comments: string[] } {
  const df = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    if (kw === 'FROM') {
      const args = ins.getArguments().map((a) => a.getValue());
      const asAt = args.findIndex((a) => a.toUpperCase() === 'AS');
      const positional = args.filter((a) => !a.startsWith('--'));
      stages.push({ name: asAt >= 0 ? (args[asAt + 1] ?? null) : null, image: positional[0] ?? '', instructions: [] });
    } else stages.at(-1)?.instructions.push(ins);
  }
  return { stages, comments: df.getComments().map((c) => c.getContent()) };
}

const args = (ins: Instruction) => ins.getArguments().map((a) => a.getValue());
// COPY/FROM/RUN… parse their --flags apart from the arguments
const flagsOf = (ins: Instruction): Flag[] => (ins instanceof ModifiableInstruction ? ins.getFlags() : []);
const positional = (ins: Instruction) => args(ins).filter((a) => !a.startsWith('--'));
const flag = (ins: Instruction, name: string) =>
  flagsOf(ins)
    .find((f) => f.getName() === name)
    ?.getValue() ?? undefined;

function jsonArgs(ins: Instruction): string[] | undefined {
  const raw = ins.getArgumentsContent()?.trim() ?? '';
  if (!raw.startsWith('[')) return undefined;
  return JSON.parse(raw) as string[];
}

/** .dockerignore as Docker reads it: patterns in order, the last match wins, `!` re-includes. */
function ignoredBy(dockerignore: string): (path: string) => boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pat = (negate ? l.slice(1) : l).replace(/\/$/, '');
      const re = pat
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*/)?' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '/'))
        .join('')
        .replace(/\(\?:\.\*\/\)\?\//g, '(?:.*/)?')
        .replace(/\/$/, '');
      // a pattern matching a folder matches everything under it
      return { negate, re: new RegExp(`^${re}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(path)) ignored = !r.negate;
    return ignored;
  };
}

interface RepoView {
  exists(path: string): boolean;
  ignored(path: string): boolean;
  /** .ts sources tsconfig compiles: dist/<x>.js comes from <x>.ts */
  compiles(path: string): boolean;
}

function lintDockerfile(text: string, repo: RepoView): Problem[] {
  const out: Problem[] = [];
  const add = (rule: string, message: string) => out.push({ rule, message });
  const { stages, comments } = stagesOf(text);
  if (stages.length < 2) add('multi-stage', 'build and runtime should be separate stages');
  const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => !!n));

  for (const s of stages) {
    if (stageNames.has(s.image)) continue;
    const m = /^(?<repo>[^@]+?)(?::(?<tag>[^:/@]+))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$/.exec(s.image);
    const tag = m?.groups?.tag;
    if (!m?.groups?.digest && (!tag || tag === 'latest' || !/\d+\.\d+/.test(tag)))
      add('pinned-base', `base image '${s.image}' needs a version tag (x.y…) or a digest, not latest`);
  }

  for (const s of stages)
    for (const ins of s.instructions) {
      const kw = ins.getKeyword();
      const body = ins.getArgumentsContent() ?? '';
      if (kw === 'RUN' && /\bapt-get\s+(?:-\S+\s+)*install\b/.test(body)) {
        if (!/--no-install-recommends/.test(body)) add('apt-recommends', 'apt-get install without --no-install-recommends');
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(body)) add('apt-lists', 'apt-get install without rm -rf /var/lib/apt/lists/*');
      }
      if (kw === 'RUN' && /\bnpm install\b/.test(body)) add('npm-ci', 'use npm ci (the lockfile), not npm install');
      if (kw === 'ADD') add('copy-not-add', 'use COPY (ADD fetches URLs and unpacks archives implicitly)');
      if (kw === 'COPY' && !flag(ins, 'from'))
        for (const src of positional(ins).slice(0, -1)) {
          if (!repo.exists(src)) add('copy-source', `COPY source '${src}' is not in the repository`);
          else if (repo.ignored(src)) add('copy-source', `COPY source '${src}' is excluded by .dockerignore`);
        }
      if (kw === 'COPY' && flag(ins, 'from') && !stageNames.has(flag(ins, 'from')!))
        add('copy-from', `COPY --from=${flag(ins, 'from')} names no stage of this file`);
    }

  const final = stages.at(-1);
  if (final) {
    const users = final.instructions.filter((i) => i.getKeyword() === 'USER');
    const user = users.at(-1) ? positional(users.at(-1)!)[0] : undefined;
    const name = user?.split(':')[0];
    if (!name || name === 'root' || name === '0') add('non-root', 'the final stage must end with a non-root USER');
    for (const c of final.instructions.filter((i) => i.getKeyword() === 'COPY'))
      if (!flag(c, 'chown')) add('copy-chown', `COPY ${positional(c).join(' ')} in the final stage needs an explicit --chown`);
    const hasHealthcheck = final.instructions.some((i) => i.getKeyword() === 'HEALTHCHECK');
    if (!hasHealthcheck && !comments.some((c) => /probes?\b/i.test(c)))
      add('healthcheck', 'no HEALTHCHECK and no comment saying which probes replace it');
    const entry = final.instructions.filter((i) => i.getKeyword() === 'ENTRYPOINT').at(-1);
    if (!entry) add('entrypoint', 'the final stage has no ENTRYPOINT');
    for (const ins of final.instructions.filter((i) => ['ENTRYPOINT', 'CMD'].includes(i.getKeyword()))) {
      const argv = jsonArgs(ins);
      if (!argv) add('exec-form', `${ins.getKeyword()} must use the JSON (exec) form so signals reach node`);
      for (const a of argv ?? [])
        if (/^\/app\/dist\//.test(a) && !repo.compiles(a.slice('/app/'.length)))
          add('entrypoint-built', `${a} is not produced by the build stage`);
    }
  }
  return out;
}

const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');
const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as { include: string[] };
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
// the folders the build stage copies: only they reach dist/ in the image
const builtRoots = stagesOf(dockerfile)
  .stages.filter((s) => s.instructions.some((i) => /\btsc\b/.test(i.getArgumentsContent() ?? '')))
  .flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'COPY' && !flag(i, 'from')).map((i) => positional(i)[0]!));

const repoView: RepoView = {
  exists: (p) => existsSync(join(repoRoot, p)),
  ignored: ignoredBy(dockerignore),
  compiles: (p) => {
    const m = /^dist\/(.+)\.js$/.exec(p);
    const src = m ? `${m[1]}.ts` : undefined;
    const root = src?.split('/')[0];
    return !!src && !!root && tsconfig.include.includes(root) && builtRoots.includes(root) && existsSync(join(repoRoot, src));
  },
};

test('the Dockerfile passes every rule', () => {
  assert.deepEqual(lintDockerfile(dockerfile, repoView), []);
});

test('the image runs as nobody (65534) like Stash, with the stashflow CLI as its entry point', () => {
  const final = stagesOf(dockerfile).stages.at(-1)!;
  const user = final.instructions.filter((i) => i.getKeyword() === 'USER').at(-1)!;
  assert.equal(positional(user)[0], '65534:65534');
  const entry = final.instructions.find((i) => i.getKeyword() === 'ENTRYPOINT')!;
  assert.deepEqual(jsonArgs(entry), ['node', '/app/dist/cli/main.js']);
  // restic is on PATH for the functions (lib/restic.ts spawns 'restic')
  assert.ok(final.instructions.some((i) => i.getKeyword() === 'COPY' && positional(i).at(-1) === '/usr/local/bin/restic'));
});

test("restic is built from the local stack's pinned wrapper module", () => {
  const versions = readFileSync(join(repoRoot, 'dev/backends/versions.sh'), 'utf8');
  const pinned = /RESTIC_VERSION=(\S+)/.exec(versions)?.[1];
  const gomod = readFileSync(join(repoRoot, 'dev/backends/restic/go.mod'), 'utf8');
  assert.ok(pinned && gomod.includes(`github.com/restic/restic v${pinned}`), `go.mod pins restic ${pinned}`);
  assert.match(dockerfile, /COPY dev\/backends\/restic\/go\.mod dev\/backends\/restic\/go\.sum/);
});

test("every entry point deploy/base runs is compiled into the image, and Jobs' image is the one built here", () => {
  const dir = join(repoRoot, 'deploy/base');
  const commands: string[][] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml')))
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      const o = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ command?: string[] }> } } } };
      for (const c of o?.spec?.template?.spec?.containers ?? []) if (c.command) commands.push(c.command);
    }
  assert.ok(commands.length >= 2, 'the worker and watcher Deployments set their command');
  for (const cmd of commands)
    for (const a of cmd.filter((a) => a.startsWith('/app/dist/')))
      assert.ok(repoView.compiles(a.slice('/app/'.length)), `${a} (deploy/base) is built by the Dockerfile`);
  assert.deepEqual(commands.map((c) => c.find((a) => a.startsWith('/app/dist/'))).sort(), [
    '/app/dist/watcher/main.js',
    '/app/dist/worker/main.js',
  ]);
});

test('.dockerignore keeps the context small: tests, the stack, dist and node_modules stay out', () => {
  const ignored = ignoredBy(dockerignore);
  for (const p of [
    'node_modules',
    'dist/cli/main.js',
    '.stack/env',
    'test/unit/cli.test.ts',
    'bench/results',
    '.git',
    'README.md',
  ])
    assert.ok(ignored(p), `${p} is ignored`);
  for (const p of ['package.json', 'cli/main.ts', 'functions/elasticsearch/dump.ts', 'dev/backends/restic/go.mod'])
    assert.ok(!ignored(p), `${p} is sent`);
});

test('each rule fires on a Dockerfile that breaks it', () => {
  const bad = `FROM node:latest AS build
FROM debian
ADD https://example.com/x.tgz /x
RUN apt-get update && apt-get install -y curl
RUN npm install
COPY missing-dir /app/missing
COPY test /app/test
COPY --from=nowhere /a /b
COPY --from=build /app/dist /app/dist
USER root
ENTRYPOINT node /app/dist/cli/main.js
CMD ["/app/dist/nope/main.js"]
`;
  const rules = new Set(lintDockerfile(bad, repoView).map((p) => p.rule));
  for (const r of [
    'pinned-base',
    'copy-not-add',
    'apt-recommends',
    'apt-lists',
    'npm-ci',
    'copy-source',
    'copy-from',
    'non-root',
    'copy-chown',
    'healthcheck',
    'exec-form',
    'entrypoint-built',
  ])
    assert.ok(rules.has(r), `rule ${r} fires`);
  assert.deepEqual(
    lintDockerfile('FROM node:20.19.5-bookworm-slim\n', repoView).map((p) => p.rule),
    ['multi-stage', 'non-root', 'healthcheck', 'entrypoint'],
  );
});
