// docker-compose.yml cannot run here (no Docker engine), so it is validated the way `docker compose config` would:
// against the Compose specification's JSON schema (compose-go's, fetched by dev/compose/install.sh from the Go
// module proxy), plus what the schema cannot know: every image pinned, the services the laptop flow needs, and
// the wiring between them (Temporal and kube addresses, metrics scraped, entry points built by the Dockerfile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/stack.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  networks?: string[] | Record<string, unknown>;
  volumes?: string[];
  configs?: Array<{ source: string; target: string }>;
}
interface Compose {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
}

const schemaPath = execFileSync('bash', [join(repoRoot, 'dev/compose/install.sh')], { encoding: 'utf8' }).trim();
const text = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
// merge keys (<<) are YAML 1.1, which Compose reads; resolve them as Compose does before validating
const compose = parse(text, { merge: true }) as Compose;

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
}

test('docker-compose.yml is valid against the Compose specification schema', () => {
  const validate = validator();
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

test('the schema check is real: a misspelt key and a wrong type are rejected', () => {
  const validate = validator();
  assert.equal(validate({ services: { a: { image: 'x:1.0', portz: ['1:1'] } } }), false);
  assert.equal(validate({ services: { a: { image: 'x:1.0', networks: 42 } } }), false);
  assert.equal(validate({ services: { a: { image: 'x:1.0' } } }), true);
});

test('every service the laptop flow needs is there', () => {
  const names = Object.keys(compose.services);
  for (const s of ['temporal', 'elasticsearch', 'rest-server', 'pushgateway', 'prometheus', 'k3s', 'watcher', 'worker'])
    assert.ok(names.includes(s), `service ${s}`);
  // Temporal's Web UI is served by the dev server on 8233
  assert.ok(compose.services.temporal!.ports!.some((p) => p.endsWith(':8233')));
});

test('every image is pinned to a version, none is latest, and ports bind to 127.0.0.1 only', () => {
  for (const [name, s] of Object.entries(compose.services)) {
    assert.ok(s.image, `${name} has an image`);
    const tag = /:([^:/]+)$/.exec(s.image)?.[1];
    assert.ok(tag && tag !== 'latest' && /\d+\.\d+/.test(tag), `${name}: ${s.image} is pinned`);
    for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${p} on loopback only`);
  }
});

test("Stashflow's services: built from the Dockerfile, entry points compiled, wired to Temporal, k3s and the Pushgateway", () => {
  for (const name of ['watcher', 'worker']) {
    const s = compose.services[name]!;
    assert.equal(s.build?.dockerfile, 'Dockerfile');
    assert.ok(existsSync(join(repoRoot, s.build.context, s.build.dockerfile)));
    const main = s.command!.find((a) => a.startsWith('/app/dist/'))!;
    assert.equal(main, `/app/dist/${name}/main.js`);
    assert.ok(existsSync(join(repoRoot, `${name}/main.ts`)));
    const env = s.environment!;
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(env.PUSHGATEWAY_URL, 'http://pushgateway:9091');
    assert.ok(env.KUBECONFIG?.startsWith('/kube/') && s.volumes!.includes('kubeconfig:/kube:ro'));
    const deps = s.depends_on as Record<string, { condition: string }>;
    assert.equal(deps['kube-setup']?.condition, 'service_completed_successfully');
    // Jobs run the same version the services are built as
    assert.equal(s.image!.split('/').slice(-2).join('/'), env.STASHFLOW_IMAGE);
  }
  // kube-setup writes the kubeconfig the services read, pointing at the k3s service (in its --tls-san)
  const setup = compose.services['kube-setup']!.command!.join('\n');
  assert.match(setup, /https:\/\/k3s:6443/);
  assert.match(setup, /compose\.kubeconfig/);
  assert.ok(compose.services.k3s!.command!.includes('--tls-san=k3s'));
  // Prometheus scrapes the Pushgateway (honor_labels: Stash's job labels) and both Stashflow processes
  const prom = parse(compose.configs!.prometheus!.content!) as {
    scrape_configs: Array<{ job_name: string; honor_labels?: boolean; static_configs: Array<{ targets: string[] }> }>;
  };
  const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
  for (const t of ['pushgateway:9091', 'watcher:9464', 'worker:9464']) assert.ok(targets.includes(t), t);
  assert.equal(prom.scrape_configs.find((c) => c.job_name === 'pushgateway')?.honor_labels, true);
  assert.equal(compose.services.watcher!.environment!.STASHFLOW_METRICS_ADDR, '0.0.0.0:9464');
});
