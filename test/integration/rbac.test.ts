// deploy/rbac (issue 6): the watcher and the worker run a real Elasticsearch backup (Schedule → BackupSession → Job)
// and restore with ServiceAccount tokens (TokenRequest API) of exactly the rendered RBAC, not the admin's. Then
// SubjectAccessReviews (what `kubectl auth can-i --as=system:serviceaccount:...` asks; a sample goes through kubectl
// too) check what each account may do and, above all, what it may not: list/watch Secrets, namespaces, pods/exec,
// RBAC escalation, other Leases... The manifests are applied moved into a test namespace, cluster-scoped names
// suffixed with the test id, and removed afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { BackupSession } from '../../api/types.js';
import { createKubeClients, loadKubeConfig, type KubeClients } from '../../lib/kube.js';
import { createLogger } from '../../lib/log.js';
import type { Watcher } from '../../watcher/watcher.js';
import { scheduleId } from '../../workflows/contracts.js';
import { applyScenario, createRestore, seedSource, waitFinal, waitForSessionOf } from '../../dev/demo/es-scenario.js';
import { fingerprint } from '../helpers/es-compare.js';
import { newScenario, startCatalogHarness, startScenarioWatcher, tearDownScenario } from '../helpers/es-scenario.js';
import { kubectl, kubectlApply, kubectlDelete, kubectlOut } from '../helpers/kubectl.js';
import { repoRoot, stackEnv } from '../helpers/stack.js';
import type { Harness } from '../helpers/temporal.js';

const sc = newScenario('rbac-es');
const { id, s, P, addr, source, target } = sc;
const home = `rbac-${id}`; // where the accounts live (stashflow-system in deploy/), and the watcher's Lease
const sa = (name: string) => `system:serviceaccount:${home}:${name}`;
const admin = createKubeClients(loadKubeConfig(stackEnv('KUBECONFIG')));
const clusterScoped: Array<{ kind: string; name: string }> = [];

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

/** deploy/rbac rendered by kubectl kustomize, moved into `home`, cluster-scoped names suffixed with the test id. */
async function renderRbac(): Promise<Obj[]> {
  const rendered = await kubectlOut('kustomize', join(repoRoot, 'deploy', 'rbac'));
  const objs = parseAllDocuments(rendered.replaceAll('stashflow-system', home))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o);
  for (const o of objs) {
    if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') {
      o.metadata.name += `-${id}`;
      clusterScoped.push({ kind: o.kind, name: o.metadata.name });
    }
    if (o.roleRef?.kind === 'ClusterRole') o.roleRef.name += `-${id}`;
  }
  return objs;
}

/** Kubernetes clients authenticated as a ServiceAccount, with a short-lived token from the TokenRequest API. */
async function clientsAs(name: string): Promise<KubeClients> {
  const tr = await admin.core.createNamespacedServiceAccountToken({
    name,
    namespace: home,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  assert.ok(token, `a token for ${name}`);
  const cluster = admin.kc.getCurrentCluster();
  assert.ok(cluster);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token }],
    contexts: [{ name, cluster: cluster.name, user: name }],
    currentContext: name,
  });
  return createKubeClients(kc);
}

async function whoAmI(kube: KubeClients): Promise<string | undefined> {
  const r = await kube.kc.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  return r.status?.userInfo?.username;
}

let h: Harness;
let watcher: Watcher | undefined;
let workerKube: KubeClients;
let watcherKube: KubeClients;
let jobKube: KubeClients;

before(async () => {
  await admin.core.createNamespace({ body: { metadata: { name: home } } });
  const objs = await renderRbac();
  assert.deepEqual(
    objs.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name),
    ['stashflow-backup-job', 'stashflow-watcher', 'stashflow-worker'],
  );
  await kubectlApply(objs);
  workerKube = await clientsAs('stashflow-worker');
  watcherKube = await clientsAs('stashflow-watcher');
  jobKube = await clientsAs('stashflow-backup-job');
  h = await startCatalogHarness({ workerKube });
  await seedSource(addr, s.indexPrefix, 200);
  await applyScenario(admin, addr, s); // the user's objects, applied by the admin as a user would
  watcher = startScenarioWatcher(h, s, `rbac-${id}`, createLogger(`watcher-rbac-${id}`), {
    kube: watcherKube,
    leaseNamespace: home,
    leaseName: 'stashflow-watcher', // the one name its Role may get/update
  });
});

after(async () => {
  // the teardown runs with the admin's clients (h.kube); the watcher (its own account) releases the finalizer first
  if (h) await tearDownScenario(h, s, watcher, P, [source, target]);
  for (const o of clusterScoped) await kubectlDelete(o.kind.toLowerCase(), o.name);
  await admin.core.deleteNamespace({ name: home }).catch(() => undefined);
  await h?.close();
});

test('the clients really are the ServiceAccounts, and the backup Job account can read nothing', async () => {
  assert.equal(await whoAmI(workerKube), sa('stashflow-worker'));
  assert.equal(await whoAmI(watcherKube), sa('stashflow-watcher'));
  assert.equal(await whoAmI(jobKube), sa('stashflow-backup-job'));
  await assert.rejects(jobKube.core.listNamespacedPod({ namespace: s.namespace }), (e: Error) =>
    /403|forbidden/i.test(e.message),
  );
  await assert.rejects(workerKube.core.listNamespacedSecret({ namespace: s.namespace }), (e: Error) =>
    /403|forbidden/i.test(e.message),
  );
});

test('an Elasticsearch backup (Schedule → BackupSession → Job) and restore succeed with only deploy/rbac permissions', async () => {
  const handle = h.client.schedule.getHandle(scheduleId({ namespace: s.namespace, name: s.backupConfiguration }));
  let described = false;
  for (let i = 0; i < 120 && !described; i++)
    described = await handle.describe().then(
      () => true,
      () => new Promise<boolean>((r) => setTimeout(() => r(false), 250)),
    );
  assert.ok(described, 'the watcher (as stashflow-watcher) created the Schedule');
  await h.withWorker(async () => {
    await handle.trigger();
    const name = await waitForSessionOf(admin, s.namespace, s.backupConfiguration, 30_000);
    const bs = await waitFinal<BackupSession>(admin, 'BackupSession', s.namespace, name, 240_000);
    assert.equal(bs.status?.phase, 'Succeeded', JSON.stringify(bs.status));
    await createRestore(admin, s, 'restore');
    const rs = await waitFinal(admin, 'RestoreSession', s.namespace, 'restore', 240_000);
    assert.equal(rs.status?.phase, 'Succeeded', JSON.stringify(rs.status));
  });
  assert.equal((await fingerprint(target, `${P}-products`)).count, 200, 'the restore loaded the documents');
  // the watcher's reconcile (its conditions) and the worker's Events were written with those accounts too
  const bc = (await admin.custom.getNamespacedCustomObject({
    group: 'stash.appscode.com',
    version: 'v1beta1',
    namespace: s.namespace,
    plural: 'backupconfigurations',
    name: s.backupConfiguration,
  })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
  assert.ok(
    bc.status?.conditions?.some((c) => c.type === 'ScheduleCreated' && c.status === 'True'),
    JSON.stringify(bc.status),
  );
  const events = (await admin.core.listNamespacedEvent({ namespace: s.namespace })).items;
  assert.ok(
    events.some((e) => e.reason === 'BackupSessionSucceeded'),
    events.map((e) => e.reason).join(', '),
  );
  const lease = await admin.kc
    .makeApiClient(k8s.CoordinationV1Api)
    .readNamespacedLease({ namespace: home, name: 'stashflow-watcher' });
  assert.equal(lease.spec?.holderIdentity, `rbac-${id}`, 'the watcher took its Lease');
});

type Check = [verb: string, resource: string, ns?: string];

/** A check as a SubjectAccessReview's resource attributes: TYPE[.GROUP][/subresource|/name], ns '' = cluster. */
function attributes([verb, resource, ns]: Check): k8s.V1ResourceAttributes {
  const [typeGroup, tail] = resource.split('/') as [string, string | undefined];
  const isSub = tail !== undefined && ['status', 'log', 'exec', 'attach', 'portforward', 'finalizers', 'token'].includes(tail);
  const dot = typeGroup.indexOf('.');
  return {
    verb,
    resource: dot < 0 ? typeGroup : typeGroup.slice(0, dot),
    group: typeGroup === '*' ? '*' : dot < 0 ? '' : typeGroup.slice(dot + 1),
    ...(tail && isSub ? { subresource: tail } : {}),
    ...(tail && !isSub ? { name: tail } : {}),
    ...(ns === '' ? {} : { namespace: ns ?? s.namespace }),
  };
}

/**
 * The apiserver's decision for the ServiceAccount (with the groups a real token carries), by SubjectAccessReview:
 * what `kubectl auth can-i --as` asks, without a process per check (a few are asked through kubectl too, below).
 */
async function allowed(who: string, c: Check): Promise<boolean> {
  const r = await admin.kc.makeApiClient(k8s.AuthorizationV1Api).createSubjectAccessReview({
    body: {
      spec: {
        user: sa(who),
        groups: ['system:serviceaccounts', `system:serviceaccounts:${home}`, 'system:authenticated'],
        resourceAttributes: attributes(c),
      },
    },
  });
  return r.status?.allowed === true;
}

/** `kubectl auth can-i VERB TYPE[/NAME] [--subresource] --as=system:serviceaccount:...`: exit 0 yes, 1 no. */
async function kubectlCanI(who: string, c: Check): Promise<boolean> {
  const a = attributes(c);
  const type = a.group ? `${a.resource}.${a.group}` : a.resource!;
  const args = ['auth', 'can-i', c[0], a.name ? `${type}/${a.name}` : type, `--as=${sa(who)}`];
  if (a.subresource) args.push(`--subresource=${a.subresource}`);
  args.push(...(a.namespace ? ['-n', a.namespace] : []));
  const r = await kubectl(args);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.code === 0;
}

async function expectGrants(who: string, yes: Check[], no: Check[]): Promise<void> {
  const all = [...yes.map((c) => [c, true] as const), ...no.map((c) => [c, false] as const)];
  const wrong: string[] = [];
  await Promise.all(
    all.map(async ([c, want]) => {
      if ((await allowed(who, c)) !== want) wrong.push(`${want ? 'NOT allowed' : 'ALLOWED'}: ${c.join(' ')}`);
    }),
  );
  assert.deepEqual(wrong, [], `${who}: ${wrong.join('; ')}`);
  // kubectl auth can-i agrees, on the first allowed and the first few denied checks
  for (const [c, want] of [...all.filter(([, w]) => w).slice(0, 2), ...all.filter(([, w]) => !w).slice(0, 3)])
    assert.equal(await kubectlCanI(who, c), want, `kubectl auth can-i ${c.join(' ')} --as=${sa(who)}`);
}

// Things nobody of ours may do, anywhere
const never: Check[] = [
  ['list', 'secrets'],
  ['watch', 'secrets'],
  ['list', 'secrets', 'kube-system'],
  ['create', 'secrets'],
  ['update', 'secrets'],
  ['delete', 'namespaces', ''],
  ['create', 'namespaces', ''],
  ['create', 'pods'],
  ['create', 'pods/exec'],
  ['create', 'pods/attach'],
  ['create', 'pods/portforward'],
  ['delete', 'pods'],
  ['create', 'roles'],
  ['bind', 'clusterroles', ''],
  ['escalate', 'clusterroles', ''],
  ['create', 'clusterrolebindings', ''],
  ['create', 'rolebindings'],
  ['impersonate', 'users', ''],
  ['impersonate', 'serviceaccounts'],
  ['create', 'serviceaccounts/token'],
  ['patch', 'nodes', ''],
  ['create', 'deployments.apps'],
  ['update', 'customresourcedefinitions.apiextensions.k8s.io', ''],
  ['delete', 'tasks.stash.appscode.com', ''],
  ['delete', 'repositories.stash.appscode.com'],
  ['delete', 'backupconfigurations.stash.appscode.com'],
  ['update', 'appbindings.appcatalog.appscode.com'],
  ['*', '*', ''],
];

test('kubectl auth can-i: the worker may do what its activities do, and nothing of the rest', async () => {
  await expectGrants(
    'stashflow-worker',
    [
      ['create', 'jobs.batch'],
      ['delete', 'jobs.batch'],
      ['get', 'jobs.batch/status'],
      ['list', 'pods'],
      ['get', 'pods/log'],
      ['get', 'persistentvolumeclaims'],
      ['create', 'persistentvolumeclaims'],
      ['get', 'secrets'],
      ['get', 'secrets', 'other-namespace'],
      ['create', 'events'],
      ['update', 'events'],
      ['create', 'backupsessions.stash.appscode.com'],
      ['delete', 'backupsessions.stash.appscode.com'],
      ['patch', 'backupsessions.stash.appscode.com/status'],
      ['patch', 'restoresessions.stash.appscode.com/status'],
      ['patch', 'repositories.stash.appscode.com/status'],
      ['get', 'tasks.stash.appscode.com', ''],
      ['get', 'functions.stash.appscode.com', ''],
      ['get', 'appbindings.appcatalog.appscode.com'],
      ['update', 'backupsessions.stash.appscode.com/finalizers'],
    ],
    [
      ...never,
      ['watch', 'backupconfigurations.stash.appscode.com'],
      ['patch', 'backupconfigurations.stash.appscode.com'],
      ['patch', 'backupconfigurations.stash.appscode.com/status'],
      ['update', 'backupsessions.stash.appscode.com'],
      ['create', 'restoresessions.stash.appscode.com'],
      ['update', 'jobs.batch'],
      ['delete', 'persistentvolumeclaims'],
      ['get', 'pods'],
      ['get', 'leases.coordination.k8s.io', home],
      ['get', 'namespaces', ''],
    ],
  );
});

test('kubectl auth can-i: the watcher may reconcile and hold its Lease, and nothing of the rest', async () => {
  await expectGrants(
    'stashflow-watcher',
    [
      ['list', 'backupconfigurations.stash.appscode.com'],
      ['watch', 'backupsessions.stash.appscode.com'],
      ['watch', 'restoresessions.stash.appscode.com'],
      ['watch', 'repositories.stash.appscode.com'],
      // the dependency caches (watcher/dependencies.ts): Tasks and Functions are cluster-scoped, AppBindings namespaced
      ['list', 'tasks.stash.appscode.com', ''],
      ['watch', 'functions.stash.appscode.com', ''],
      ['watch', 'appbindings.appcatalog.appscode.com'],
      ['patch', 'backupconfigurations.stash.appscode.com'],
      ['patch', 'backupconfigurations.stash.appscode.com/status'],
      ['patch', 'backupsessions.stash.appscode.com/status'],
      ['get', 'secrets'],
      ['get', 'persistentvolumeclaims'],
      ['create', 'events'],
      ['create', 'leases.coordination.k8s.io', home],
      ['get', 'leases.coordination.k8s.io/stashflow-watcher', home],
      ['update', 'leases.coordination.k8s.io/stashflow-watcher', home],
      ['get', `namespaces/${home}`, ''],
    ],
    [
      ...never,
      ['create', 'jobs.batch'],
      ['create', 'backupsessions.stash.appscode.com'],
      ['delete', 'backupsessions.stash.appscode.com'],
      ['patch', 'repositories.stash.appscode.com/status'],
      ['create', 'persistentvolumeclaims'],
      ['list', 'pods'],
      ['update', 'leases.coordination.k8s.io/another-lease', home],
      ['get', 'leases.coordination.k8s.io', 'kube-system'],
      ['create', 'leases.coordination.k8s.io', s.namespace],
      ['get', 'namespaces/default', ''],
      ['list', 'namespaces', ''],
    ],
  );
});

test('kubectl auth can-i: the backup Job account may do nothing', async () => {
  await expectGrants(
    'stashflow-backup-job',
    [],
    [
      ...never,
      ['get', 'secrets'],
      ['list', 'pods'],
      ['create', 'events'],
      ['get', 'backupsessions.stash.appscode.com'],
      ['patch', 'backupsessions.stash.appscode.com/status'],
      ['get', 'jobs.batch'],
    ],
  );
  const sa = await admin.core.readNamespacedServiceAccount({ namespace: home, name: 'stashflow-backup-job' });
  assert.equal(sa.automountServiceAccountToken, false, 'no token is mounted into Job pods');
});
