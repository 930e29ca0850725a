// The Elasticsearch scenario a Stash user would write, on the local stack: storage Secret + Repository (restic REST
// server), AppBindings for a source (TLS + basic auth) and a restore target (a Service name), Stash's catalog Tasks,
// a BackupConfiguration and a RestoreSession. Shared by the demo and the end-to-end test, so the demo is tested.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { Client as EsClient } from '@elastic/elasticsearch';
import { elasticsearchCatalog } from '../../api/catalog.js';
import type { AppBinding, BackupConfiguration, BackupSession, Repository, RestoreSession } from '../../api/types.js';
import { isAlreadyExists, type KubeClients } from '../../lib/kube.js';
import { createObject, getObject, listObjects } from '../../lib/objects.js';

export interface StackAddresses {
  esSourceSecureUrl: string; // https://127.0.0.1:9243 (nginx: TLS + basic auth)
  esSourceCa: string; // path of the CA that signed nginx's cert
  esCredentialsFile: string; // ES_USERNAME=… / ES_PASSWORD=…
  esSourceUrl: string; // direct, for seeding and checking
  esTargetUrl: string; // http://127.0.0.1:9201
  resticRestUrl: string;
}

export const fromEnv = (env: NodeJS.ProcessEnv = process.env): StackAddresses => {
  const need = (n: string) => {
    const v = env[n];
    if (!v) throw new Error(`${n} is not set: source .stack/env (bash dev/stack.sh up writes it)`);
    return v;
  };
  return {
    esSourceSecureUrl: need('ES_SECURE_URL'),
    esSourceCa: need('ES_SECURE_CA'),
    esCredentialsFile: need('ES_CREDENTIALS_FILE'),
    esSourceUrl: need('ES_SOURCE_URL'),
    esTargetUrl: need('ES_TARGET_URL'),
    resticRestUrl: need('RESTIC_REST_URL'),
  };
};

function readCredentials(file: string): { username: string; password: string } {
  const kv = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string])
      .filter(([k]) => k),
  );
  return { username: kv.ES_USERNAME ?? 'elastic', password: kv.ES_PASSWORD ?? '' };
}

async function apply(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Stash's catalog Tasks and Functions for Elasticsearch (cluster-scoped), created when missing. */
export async function installCatalog(kube: KubeClients): Promise<void> {
  for (const o of elasticsearchCatalog()) {
    const plural = o.kind === 'Task' ? 'tasks' : 'functions';
    await apply(() =>
      kube.custom.createClusterCustomObject({ group: 'stash.appscode.com', version: 'v1beta1', plural, body: o }),
    );
  }
}

export interface Scenario {
  namespace: string;
  indexPrefix: string;
  backupConfiguration: string;
  repository: string;
}

/** Seeds the source with a few realistic indices under a prefix. */
export async function seedSource(addr: StackAddresses, prefix: string, docs = 20_000): Promise<void> {
  const es = new EsClient({ node: addr.esSourceUrl });
  await es.indices.create({
    index: `${prefix}products`,
    settings: { number_of_shards: 2, number_of_replicas: 0 },
    mappings: {
      properties: {
        name: { type: 'text', fields: { raw: { type: 'keyword' } } },
        price: { type: 'double' },
        tags: { type: 'keyword' },
        created: { type: 'date' },
        location: { type: 'geo_point' },
        variants: { type: 'nested', properties: { sku: { type: 'keyword' }, stock: { type: 'integer' } } },
      },
    },
    aliases: { [`${prefix}catalog`]: {} },
  });
  await es.indices.create({ index: `${prefix}empty` });
  for (let start = 0; start < docs; start += 5000) {
    const operations: object[] = [];
    for (let i = start; i < Math.min(docs, start + 5000); i++) {
      operations.push({ index: { _index: `${prefix}products`, _id: `p-${i}-ü` } });
      operations.push({
        name: `product ${i} — ünïcode ✓`,
        price: (i % 1000) / 10,
        tags: [`t${i % 7}`, `t${i % 11}`],
        created: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        location: { lat: (i % 180) - 90, lon: (i % 360) - 180 },
        variants: [
          { sku: `s-${i}-a`, stock: i % 13 },
          { sku: `s-${i}-b`, stock: i % 17 },
        ],
      });
    }
    const r = await es.bulk({ operations, refresh: false });
    if (r.errors) throw new Error('seeding the source failed: bulk errors');
  }
  await es.indices.refresh({ index: `${prefix}*` });
  await es.close();
}

/** The Stash objects of the scenario, as a user would apply them. */
export async function applyScenario(kube: KubeClients, addr: StackAddresses, s: Scenario): Promise<void> {
  const ns = s.namespace;
  const core = kube.core;
  await apply(() => core.createNamespace({ body: { metadata: { name: ns } } }));
  // restic's password is generated here and only ever lives in this Secret
  await apply(() =>
    core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: `${s.repository}-secret` },
        stringData: { RESTIC_PASSWORD: randomBytes(24).toString('base64url') },
      },
    }),
  );
  const creds = readCredentials(addr.esCredentialsFile);
  await apply(() =>
    core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'es-source-auth' }, stringData: { username: creds.username, password: creds.password } },
    }),
  );
  // the restore target is reached by its Service name, as a KubeDB AppBinding names it
  const target = new URL(addr.esTargetUrl);
  await apply(() =>
    core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'es-target', annotations: { 'node-agent.stashflow.dev/address': target.hostname } },
        spec: {
          ports: [{ name: 'http', port: Number(target.port), targetPort: Number(target.port) as unknown as k8s.IntOrString }],
        },
      },
    }),
  );
  const appBinding = (name: string, spec: AppBinding['spec']): AppBinding => ({
    apiVersion: 'appcatalog.appscode.com/v1alpha1',
    kind: 'AppBinding',
    metadata: { name, namespace: ns },
    spec,
  });
  await apply(() =>
    createObject(
      kube,
      'AppBinding',
      ns,
      appBinding('es-source', {
        type: 'kubedb.com/elasticsearch',
        version: '8.2.0',
        clientConfig: { url: addr.esSourceSecureUrl, caBundle: readFileSync(addr.esSourceCa).toString('base64') },
        secret: { name: 'es-source-auth' },
      }),
    ),
  );
  await apply(() =>
    createObject(
      kube,
      'AppBinding',
      ns,
      appBinding('es-target', {
        type: 'kubedb.com/elasticsearch',
        version: '8.2.0',
        clientConfig: { service: { scheme: 'http', name: 'es-target', port: Number(target.port) } },
      }),
    ),
  );
  await apply(() =>
    createObject<Repository>(kube, 'Repository', ns, {
      apiVersion: 'stash.appscode.com/v1alpha1',
      kind: 'Repository',
      metadata: { name: s.repository, namespace: ns },
      spec: {
        backend: { rest: { url: `${addr.resticRestUrl}/${ns}-${s.repository}` }, storageSecretName: `${s.repository}-secret` },
      },
    }),
  );
  const interim = {
    metadata: { name: 'interim' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
  const args = { name: 'args', value: `--match=^${s.indexPrefix}` };
  await apply(() =>
    createObject<BackupConfiguration>(kube, 'BackupConfiguration', ns, {
      apiVersion: 'stash.appscode.com/v1beta1',
      kind: 'BackupConfiguration',
      metadata: { name: s.backupConfiguration, namespace: ns },
      spec: {
        schedule: '*/30 * * * *',
        task: { name: 'elasticsearch-backup-8.2.0', params: [args] },
        repository: { name: s.repository },
        target: { ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es-source' } },
        interimVolumeTemplate: interim,
        retentionPolicy: { name: 'keep-last-5', keepLast: 5, prune: true },
      },
    }),
  );
}

export async function createRestore(kube: KubeClients, s: Scenario, name: string): Promise<string> {
  const body: RestoreSession = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'RestoreSession',
    metadata: { name, namespace: s.namespace },
    spec: {
      task: { name: 'elasticsearch-restore-8.2.0', params: [{ name: 'args', value: `--match=^${s.indexPrefix}` }] },
      repository: { name: s.repository },
      target: {
        ref: { apiVersion: 'appcatalog.appscode.com/v1alpha1', kind: 'AppBinding', name: 'es-target' },
        rules: [{ snapshots: ['latest'] }],
      },
      interimVolumeTemplate: {
        metadata: { name: 'interim' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    },
  };
  await createObject(kube, 'RestoreSession', s.namespace, body);
  return name;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a final phase; returns the object. */
export async function waitFinal<T extends BackupSession | RestoreSession>(
  kube: KubeClients,
  kind: 'BackupSession' | 'RestoreSession',
  namespace: string,
  name: string,
  timeoutMs: number,
  onProgress?: (phase: string | undefined) => void,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    const o = await getObject<T>(kube, kind, namespace, name);
    const phase = o?.status?.phase;
    if (phase !== last) onProgress?.((last = phase));
    if (o && phase && ['Succeeded', 'Failed', 'Skipped', 'Invalid'].includes(phase)) return o;
    if (Date.now() > deadline)
      throw new Error(`${kind} ${namespace}/${name} not final after ${timeoutMs} ms (phase ${phase ?? 'none'})`);
    await sleep(500);
  }
}

/** The newest BackupSession a configuration created, once one exists. */
export async function waitForSessionOf(kube: KubeClients, namespace: string, config: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await listObjects<BackupSession>(kube, 'BackupSession', namespace);
    const mine = list
      .filter((b) => b.spec.invoker.name === config)
      .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    if (mine[0]) return mine[0].metadata.name;
    if (Date.now() > deadline) throw new Error(`no BackupSession for ${namespace}/${config} after ${timeoutMs} ms`);
    await sleep(250);
  }
}
