// deploy/ as a user installs it: `kubectl kustomize` renders the base and the external-Temporal overlay, and the
// real kube-apiserver accepts every object with `kubectl apply --server-side --dry-run=server` (schema, admission,
// PodSecurity "restricted" warnings). Every example manifest (deploy/examples, ```yaml blocks of the READMEs) too.
// The rendering is wrapped in a throwaway kustomization that moves everything into this test's namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { loadKubeConfig } from '../../lib/kube.js';
import { ensureCrds } from '../helpers/crds.js';
import { kubectlApply, kubectlDelete, kubectlOut } from '../helpers/kubectl.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';

const ns = `deploy-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'stashflow-deploy-'));

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

const parse = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o);

// deploy/rbac (SECURITY) and deploy/grafana (METRICS) are written by other work in progress: until one exists, the
// base is rendered from a copy without it and that piece's test is skipped, naming it.
const pieces = ['rbac', 'grafana'] as const;
const missing = pieces.filter((p) => !existsSync(join(repoRoot, 'deploy', p, 'kustomization.yaml')));
const deployCopy = join(work, 'deploy');
cpSync(join(repoRoot, 'deploy'), deployCopy, { recursive: true });
if (missing.length) {
  const file = join(deployCopy, 'base', 'kustomization.yaml');
  const text = readFileSync(file, 'utf8');
  writeFileSync(
    file,
    text
      .split('\n')
      .filter((l) => !missing.some((p) => l.trim() === `- ../${p}`))
      .join('\n'),
  );
}

/** Renders a kustomization moved into this test's namespace (the Namespace object itself is renamed to it). */
async function render(dir: string): Promise<Obj[]> {
  writeFileSync(
    join(work, 'kustomization.yaml'),
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: ns,
      resources: [`deploy/${dir}`],
    }),
  );
  return parse(await kubectlOut('kustomize', work));
}

let clusterScoped: Set<string> | undefined;
async function clusterKinds(): Promise<Set<string>> {
  if (clusterScoped) return clusterScoped;
  const stdout = await kubectlOut('api-resources', '--namespaced=false', '--no-headers');
  return (clusterScoped = new Set(stdout.split('\n').map((l) => l.trim().split(/\s+/).at(-1)!)));
}

/** Applies objects with server-side dry-run; returns kubectl's stderr (warnings). */
const dryRun = (objs: Obj[]): Promise<string> =>
  kubectlApply(objs, ['--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=stashflow-deploy-test']);

const kc = loadKubeConfig(stackEnv('KUBECONFIG'));
let nsCreated = false;
test.before(async () => {
  await ensureCrds(kc);
  // the Namespace for real (from the base, with its PodSecurity labels), so namespaced objects can be dry-run in it
  const base = await render('base');
  const namespace = base.find((o) => o.kind === 'Namespace');
  assert.ok(namespace, 'deploy/base has a Namespace');
  await kubectlApply([namespace]);
  nsCreated = true;
});
test.after(async () => {
  if (nsCreated) await kubectlDelete('namespace', ns);
  rmSync(work, { recursive: true, force: true });
});

test('deploy/base renders and the apiserver accepts all of it (server-side dry-run), within PodSecurity restricted', async () => {
  const objs = await render('base');
  const count = (kind: string) => objs.filter((o) => o.kind === kind).length;
  assert.equal(
    count('CustomResourceDefinition'),
    readdirSync(join(repoRoot, 'deploy/crds')).filter((f) => f.endsWith('.yaml')).length,
  );
  assert.ok(objs.some((o) => o.kind === 'Task' && o.metadata.name === 'elasticsearch-backup-8.2.0'));
  assert.ok(objs.some((o) => o.kind === 'Function' && o.metadata.name === 'elasticsearch-restore-8.2.0'));
  const stderr = await dryRun(objs);
  assert.doesNotMatch(stderr, /violate PodSecurity/i, stderr);
  // control: the same check sees a pod template that breaks "restricted" (the namespace's warn label is live)
  const worker = structuredClone(objs.find((o) => o.kind === 'Deployment')!) as unknown as {
    spec: { template: { spec: { securityContext?: unknown; containers: Array<{ securityContext?: unknown }> } } };
  };
  delete worker.spec.template.spec.securityContext;
  delete worker.spec.template.spec.containers[0]!.securityContext;
  assert.match(await dryRun([worker as unknown as Obj]), /violate PodSecurity/i);
});

test('the Deployments: two watchers with a Lease, a worker, probes, limits, locked-down containers, the payload key', async () => {
  const objs = await render('base');
  type Container = {
    image: string;
    command: string[];
    env?: Array<{ name: string; value?: string }>;
    envFrom?: Array<{ configMapRef?: { name: string } }>;
    livenessProbe?: { httpGet: { path: string } };
    readinessProbe?: { httpGet: { path: string } };
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    securityContext?: {
      readOnlyRootFilesystem?: boolean;
      allowPrivilegeEscalation?: boolean;
      capabilities?: { drop?: string[] };
    };
    volumeMounts?: Array<{ name: string; mountPath: string }>;
  };
  type Deployment = Obj & {
    spec: {
      replicas: number;
      template: {
        spec: {
          serviceAccountName: string;
          securityContext: { runAsNonRoot: boolean; runAsUser: number };
          containers: Container[];
          volumes: Array<{ name: string; secret?: { secretName: string } }>;
        };
      };
    };
  };
  const deps = objs.filter((o): o is Deployment => o.kind === 'Deployment');
  const byName = new Map(deps.map((d) => [d.metadata.name, d]));
  assert.deepEqual([...byName.keys()].sort(), ['stashflow-watcher', 'stashflow-worker']);
  assert.equal(byName.get('stashflow-watcher')!.spec.replicas, 2);
  const configMaps = new Set(objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
  for (const d of deps) {
    const pod = d.spec.template.spec;
    assert.equal(d.metadata.namespace, ns);
    assert.ok(pod.securityContext.runAsNonRoot && pod.securityContext.runAsUser === 65534, d.metadata.name);
    const c = pod.containers[0]!;
    assert.match(c.image, /^stashflow\/stashflow:\d+\.\d+\.\d+$/);
    assert.equal(c.livenessProbe?.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet.path, '/readyz');
    assert.ok(
      c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory,
      `${d.metadata.name} resources`,
    );
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
    // the generated config's hashed name is what the container reads
    for (const ref of c.envFrom ?? []) assert.ok(configMaps.has(ref.configMapRef!.name), `${ref.configMapRef!.name} rendered`);
    // payload codec on: the env names the file the Secret stashflow-payload-key is mounted at
    const keyFile = c.env?.find((e) => e.name === 'STASHFLOW_PAYLOAD_KEY_FILE')?.value;
    assert.equal(keyFile, '/etc/stashflow/payload-key/key');
    const mount = c.volumeMounts?.find((m) => keyFile.startsWith(m.mountPath + '/'));
    assert.equal(pod.volumes.find((v) => v.name === mount?.name)?.secret?.secretName, 'stashflow-payload-key');
  }
  const watcherEnv = byName.get('stashflow-watcher')!.spec.template.spec.containers[0]!.env!;
  assert.ok(
    watcherEnv.some((e) => e.name === 'STASHFLOW_IDENTITY'),
    'each watcher replica has its own Lease identity',
  );
  // Jobs run the same image as the Deployments (Functions' spec.image is pinned by the same images: entry)
  const images = new Set(objs.filter((o) => o.kind === 'Function').map((o) => (o as { spec?: { image?: string } }).spec?.image));
  assert.deepEqual([...images], [deps[0]!.spec.template.spec.containers[0]!.image]);
});

test(
  'deploy/rbac: every ServiceAccount a Deployment runs as is part of the base',
  { skip: missing.includes('rbac') && 'deploy/rbac/kustomization.yaml does not exist yet' },
  async () => {
    const objs = await render('base');
    const accounts = new Set(objs.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name));
    for (const d of objs.filter((o) => o.kind === 'Deployment'))
      assert.ok(
        accounts.has(
          (d as unknown as { spec: { template: { spec: { serviceAccountName: string } } } }).spec.template.spec
            .serviceAccountName,
        ),
      );
    assert.ok(objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'Role'));
  },
);

test(
  'deploy/grafana: the dashboard ConfigMap is part of the base',
  { skip: missing.includes('grafana') && 'deploy/grafana/kustomization.yaml does not exist yet' },
  async () => {
    const objs = await render('base');
    assert.ok(objs.some((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1'));
  },
);

test('the external-Temporal overlay renders, mounts the client certificate where the config points, and applies', async () => {
  const objs = await render('overlays/external-temporal');
  const config = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('stashflow-config')) as Obj & {
    data: Record<string, string>;
  };
  assert.match(config.data.TEMPORAL_ADDRESS!, /\.tmprl\.cloud:7233$/);
  for (const d of objs.filter((o) => o.kind === 'Deployment')) {
    const pod = (
      d as unknown as {
        spec: {
          template: {
            spec: {
              containers: Array<{ volumeMounts: Array<{ name: string; mountPath: string }> }>;
              volumes: Array<{ name: string; secret?: { secretName: string } }>;
            };
          };
        };
      }
    ).spec.template.spec;
    for (const key of ['TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE']) {
      const m = pod.containers[0]!.volumeMounts.find((v) => config.data[key]!.startsWith(v.mountPath + '/'));
      assert.ok(m, `${d.metadata.name}: ${key} is on a mounted volume`);
      assert.equal(pod.volumes.find((v) => v.name === m.name)?.secret?.secretName, 'stashflow-temporal-tls');
    }
  }
  const stderr = await dryRun(objs);
  assert.doesNotMatch(stderr, /violate PodSecurity/i, stderr);
});

/** Every ```yaml block holding a Kubernetes object in the repo's READMEs, with where it came from. */
function readmeManifests(): Array<{ where: string; objs: Obj[] }> {
  const out: Array<{ where: string; objs: Obj[] }> = [];
  const files = ['README.md', 'deploy/README.md', 'watcher/README.md', 'dev/node-agent/README.md'].filter((f) =>
    existsSync(join(repoRoot, f)),
  );
  for (const f of files) {
    const text = readFileSync(join(repoRoot, f), 'utf8');
    for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
      const objs = parse(m[1]!).filter((o) => o.apiVersion && o.kind);
      if (objs.length) out.push({ where: `${f}:${text.slice(0, m.index).split('\n').length}`, objs });
    }
  }
  return out;
}

function exampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? exampleFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

test('every example manifest (deploy/examples, README yaml blocks) applies with server-side dry-run', async () => {
  const cluster = await clusterKinds();
  const sources = [
    ...exampleFiles(join(repoRoot, 'deploy/examples')).map((f) => ({
      where: relative(repoRoot, f),
      objs: parse(readFileSync(f, 'utf8')),
    })),
    ...readmeManifests(),
  ];
  assert.ok(sources.length >= 8, `found ${sources.length} example sources`);
  for (const { where, objs } of sources) {
    // namespaced objects move into this test's namespace (the examples use demo)
    const moved = objs.map((o) => (cluster.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: ns } }));
    await dryRun(moved).catch((err: Error) => assert.fail(`${where}: ${err.message}`));
  }
});
