// README.md cannot drift: every command of its ```sh blocks runs here, in order, against the local stack — `npm run
// demo` for real (the main path), then the tour's kubectl and stashflow commands on what the demo left. A few
// commands cannot run as written; each has a rule below saying why and what is checked instead:
//   npm test              would run this suite from inside itself and `rm -rf dist` under it: checked to be what
//                         .ci/run runs and what test/run.sh implements (`-- unit` selects the unit suite)
//   docker compose …      no Docker engine here: the services it names exist (test/unit/compose.test.ts validates
//                         the file against the Compose schema)
//   kubectl … -k <dir>    targets the reader's cluster: rendered with `kubectl kustomize` here (deploy-manifests
//                         applies the renderings with --dry-run=server)
//   kubectl create …      namespace / Secrets of the cluster install: run with --dry-run (server for the namespace,
//                         client for Secrets, whose files are stand-ins in a temp dir; output is the name only)
// `stashflow` is the package's bin (node dist/cli/main.js); a shim on PATH stands in for `npm link`.
// Also: every fenced block is tagged (sh/text/yaml), and the configuration table names every variable the code reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, stackDir } from '../helpers/stack.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'stashflow-readme-'));
const shimDir = join(work, 'bin');

interface Block {
  lang: string;
  line: number;
  body: string;
}

function blocks(text: string): Block[] {
  return [...text.matchAll(/^```(\S*)\n([\s\S]*?)^```\s*$/gm)].map((m) => ({
    lang: m[1]!,
    body: m[2]!,
    line: text.slice(0, m.index).split('\n').length,
  }));
}

/** The commands of the ```sh blocks: one per line, trailing `# comments` dropped. */
function commands(): Array<{ cmd: string; line: number }> {
  const out: Array<{ cmd: string; line: number }> = [];
  for (const b of blocks(readme).filter((b) => b.lang === 'sh'))
    b.body.split('\n').forEach((raw, i) => {
      const cmd = raw.replace(/\s+#\s.*$/, '').trim();
      if (cmd && !cmd.startsWith('#')) out.push({ cmd, line: b.line + 1 + i });
    });
  return out;
}

// the stack's environment, as `source .stack/env` gives it to a shell
const stackEnv: NodeJS.ProcessEnv = Object.fromEntries(
  execFileSync('bash', ['-c', `set -a; source ${JSON.stringify(join(stackDir, 'env'))}; env -0`], { encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const env: NodeJS.ProcessEnv = { ...stackEnv, PATH: `${shimDir}:${stackEnv.PATH}` };

function sh(cmd: string, opts: { cwd?: string; timeoutMs: number }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-ec', cmd], { cwd: opts.cwd ?? repoRoot, env, detached: true });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n(timed out after ${opts.timeoutMs} ms)`;
      if (p.pid) process.kill(-p.pid, 'SIGTERM'); // the command's own process group only
    }, opts.timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function ok(cmd: string, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await sh(cmd, { timeoutMs: 60_000, ...opts });
  assert.equal(r.code, 0, `\`${cmd}\` exited ${r.code}:\n${r.out.slice(-3000)}`);
  return r.out;
}

interface Rule {
  match: RegExp;
  run: (cmd: string, m: RegExpExecArray) => Promise<void>;
}

const rules: Rule[] = [
  {
    match: /^npm test(?: -- (\w+))?$/,
    run: async (_cmd, m) => {
      const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      assert.equal(pkg.scripts.test, 'bash test/run.sh');
      const ci = readFileSync(join(repoRoot, '.ci/run'), 'utf8');
      assert.match(ci, /^npm test$/m, '.ci/run runs npm test');
      const run = readFileSync(join(repoRoot, 'test/run.sh'), 'utf8');
      // its arguments name the suites (default: all of them), each a folder of dist/test
      const suites = /suites=\("\$\{@:-([\w ]+)\}"\)/.exec(run)?.[1]?.split(' ');
      assert.ok(suites?.includes('unit') && suites.includes('integration'), 'test/run.sh selects suites from its arguments');
      if (m[1]) {
        assert.ok(suites?.includes(m[1]), `${m[1]} is a suite`);
        assert.ok(readdirSync(join(repoRoot, 'dist/test', m[1])).some((f) => f.endsWith('.test.js')));
      }
    },
  },
  {
    match: /^docker compose (.+)$/,
    run: async (_cmd, m) => {
      const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
        services: Record<string, unknown>;
      };
      const words = m[1]!.split(/\s+/);
      assert.ok(['up', 'push'].includes(words[0]!), `docker compose ${words[0]}`);
      for (const w of words.slice(1).filter((w) => !w.startsWith('-')))
        assert.ok(w in compose.services, `docker-compose.yml has a service ${w}`);
    },
  },
  {
    match: /^kubectl apply --server-side -k (\S+)$/,
    run: async (_cmd, m) => {
      const out = await ok(`kubectl kustomize ${m[1]}`);
      assert.match(out, /kind: Deployment/);
    },
  },
  {
    match: /^kubectl create namespace (\S+)$/,
    run: async (cmd, m) => {
      // a namespace another test or an earlier install made is fine: the command itself is what is checked
      const r = await sh(`${cmd} --dry-run=server -o name`, { timeoutMs: 30_000 });
      assert.ok(r.code === 0 || new RegExp(`namespaces "${m[1]}" already exists`).test(r.out), r.out);
    },
  },
  {
    match: /^kubectl -n \S+ create secret generic .*$/,
    run: async (cmd) => {
      // stand-ins for the reader's certificate files, in a directory of our own
      for (const f of ['client.pem', 'client.key']) writeFileSync(join(work, f), 'stand-in\n');
      const out = await ok(`${cmd} --dry-run=client -o name`, { cwd: work });
      assert.match(out.trim(), /^secret\/stashflow-[a-z-]+$/);
    },
  },
];

let productStarted = false;
test.before(() => {
  // `stashflow` as `npm link` would put it on PATH
  execFileSync('mkdir', ['-p', shimDir]);
  const shim = join(shimDir, 'stashflow');
  writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(repoRoot, 'dist/cli/main.js'))} "$@"\n`);
  chmodSync(shim, 0o755);
});

test.after(async () => {
  if (productStarted) {
    // the demo started the worker and watcher (dev/product.sh); let the sessions the tour created end, then stop them
    // as test/run.sh expects (other tests run their own workers)
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const r = await sh(`kubectl -n demo get backupsessions,restoresessions -o jsonpath='{.items[*].status.phase}'`, {
        timeoutMs: 20_000,
      });
      if (r.code === 0 && !/\b(Running|Pending)\b/.test(r.out) && r.out.trim()) break;
      await new Promise((res) => setTimeout(res, 2000));
    }
    await sh('bash dev/product.sh stop', { timeoutMs: 30_000 });
  }
  rmSync(work, { recursive: true, force: true });
});

test('every fenced block of README.md says what it is (sh runs, text does not, yaml is a manifest)', () => {
  const all = blocks(readme);
  assert.ok(all.length > 5);
  for (const b of all) assert.ok(['sh', 'text', 'yaml'].includes(b.lang), `README.md:${b.line} block tagged '${b.lang}'`);
});

test('the configuration table names every variable the watcher, the worker and their libraries read', () => {
  const section = readme.slice(readme.indexOf('## Configuration reference'), readme.indexOf('## Performance'));
  const names = new Set<string>();
  for (const dir of ['lib', 'watcher', 'worker'])
    for (const f of readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith('.ts'))) {
      const src = readFileSync(join(repoRoot, dir, f), 'utf8');
      for (const m of src.matchAll(/'((?:STASHFLOW|TEMPORAL)_[A-Z0-9_]+)'|\benv\.((?:STASHFLOW|TEMPORAL)_[A-Z0-9_]+)/g))
        names.add(m[1] ?? m[2]!);
    }
  for (const n of ['KUBECONFIG', 'PUSHGATEWAY_URL', 'LOG_LEVEL']) names.add(n);
  assert.ok(names.size > 15, `found ${names.size} variables`);
  const missing = [...names].filter((n) => !section.includes(`\`${n}\``));
  assert.deepEqual(missing, [], 'add them to README.md "Configuration reference"');
});

test('every command in the sh blocks of README.md runs (npm run demo for real, then the tour)', async (t) => {
  const cmds = commands();
  assert.ok(
    cmds.some((c) => c.cmd === 'npm run demo'),
    'the README shows the demo',
  );
  for (const { cmd, line } of cmds)
    await t.test(`README.md:${line} ${cmd}`, async () => {
      for (const r of rules) {
        const m = r.match.exec(cmd);
        if (m) return r.run(cmd, m);
      }
      // stop afterwards only what the demo starts here (test/run.sh stops the product before the suite; on a shared
      // dev machine someone else's worker and watcher may be running, and are left alone)
      if (cmd === 'npm run demo')
        productStarted = !/worker running/.test((await sh('bash dev/product.sh status', { timeoutMs: 30_000 })).out);
      const out = await ok(cmd, { timeoutMs: /^npm run (demo|build)$/.test(cmd) ? 300_000 : 120_000 });
      if (cmd === 'npm run demo') assert.match(out, /Backup and restore verified/);
      if (cmd.startsWith('stashflow restore')) assert.match(out, /Succeeded/);
    });
});
