// The Elasticsearch scenario (dev/demo/es-scenario.ts) as tests run it: the stack's addresses, a watcher limited to
// the scenario's namespace on the harness's task queue, and the teardown that lets the watcher remove its finalizer.
// newScenario() bundles them for a test file that runs the whole scenario once (names, clients, before/after).
import { Client as EsClient } from '@elastic/elasticsearch';
import {
  applyScenario,
  fromEnv,
  installCatalog,
  seedSource,
  type Scenario,
  type StackAddresses,
} from '../../dev/demo/es-scenario.js';
import type { BackupConfiguration } from '../../api/types.js';
import type { KubeClients } from '../../lib/kube.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { deleteObject, getObject } from '../../lib/objects.js';
import { Watcher } from '../../watcher/watcher.js';
import { ensureCrds } from './crds.js';
import { deletePrefixed } from './es-compare.js';
import { rand } from './sessions.js';
import { stackEnv } from './stack.js';
import { startHarness, type Harness } from './temporal.js';

const names = ['ES_SECURE_URL', 'ES_SECURE_CA', 'ES_CREDENTIALS_FILE', 'ES_SOURCE_URL', 'ES_TARGET_URL', 'RESTIC_REST_URL'];

/** The scenario's addresses from the stack (process env first, then .stack/env). */
export const scenarioAddresses = (): StackAddresses => fromEnv(Object.fromEntries(names.map((n) => [n, stackEnv(n)])));

/** Where a watcher runs other than by default: its clients (h.kube) and its Lease (stashflow-system/<identity>). */
export interface WatcherPlace {
  kube?: KubeClients;
  leaseNamespace?: string;
  leaseName?: string;
}

/** A watcher of the scenario's namespace only, with fast leader election; started. `lease` is its identity. */
export function startScenarioWatcher(
  h: Harness,
  s: Scenario,
  lease: string,
  log: Logger = createLogger(`watcher-${lease}`),
  place: WatcherPlace = {},
): Watcher {
  const watcher = new Watcher({
    cfg: {
      taskQueue: h.taskQueue,
      leaseNamespace: place.leaseNamespace ?? 'stashflow-system',
      leaseName: place.leaseName ?? lease,
      identity: lease,
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      watchNamespace: s.namespace,
      catchupWindowMs: 10_000,
      resyncMs: 60_000,
    },
    kube: place.kube ?? h.kube,
    client: h.client,
    log,
  });
  watcher.start();
  return watcher;
}

/** Deletes the BackupConfiguration while the watcher runs (so its Schedule and finalizer go), then everything else. */
export async function tearDownScenario(
  h: Harness,
  s: Scenario,
  watcher: Watcher | undefined,
  indexPrefix: string,
  clusters: EsClient[],
): Promise<void> {
  await deleteObject(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration).catch(() => undefined);
  for (let i = 0; i < 40 && (await getObject(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration)); i++)
    await new Promise((r) => setTimeout(r, 250));
  await watcher?.stop();
  await h.kube.core.deleteNamespace({ name: s.namespace }).catch(() => undefined);
  for (const c of clusters) {
    await deletePrefixed(c, indexPrefix).catch(() => undefined);
    await c.close();
  }
}

/** A harness whose cluster has the Stash CRDs and Stash's Elasticsearch Tasks and Functions installed. */
export async function startCatalogHarness(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(opts);
  await ensureCrds(h.kube.kc);
  await installCatalog(h.kube);
  return h;
}

/** One test file's run of the scenario: its names, the stack's addresses and a client for each Elasticsearch. */
export interface ScenarioFixture {
  /** random, in every name below */
  id: string;
  /** the indices' common stem: the scenario's indices are `${P}-products` and `${P}-empty` */
  P: string;
  s: Scenario;
  addr: StackAddresses;
  source: EsClient;
  target: EsClient;
  /**
   * The usual before(): a catalog harness, the scenario's watcher (identity `${prefix}-${id}`), `docs` documents seeded
   * in the source, then (after `beforeApply`, for objects the scenario must find in place) the scenario applied.
   */
  start(opts: {
    docs: number;
    log?: Logger;
    beforeApply?: (h: Harness) => Promise<void>;
  }): Promise<{ h: Harness; watcher: Watcher }>;
  /** The usual after(): tearDownScenario (both clusters' indices, the clients) and the harness closed. */
  stop(): Promise<void>;
}

/** Names a scenario after `prefix` (namespace `${prefix}-${id}`, indices `${prefix}${id}-*`), so test files never collide. */
export function newScenario(prefix: string): ScenarioFixture {
  const id = rand();
  const P = `${prefix}${id}`;
  const s: Scenario = {
    namespace: `${prefix}-${id}`,
    indexPrefix: `${P}-`,
    backupConfiguration: 'es-backup',
    repository: 'es-repo',
  };
  const addr = scenarioAddresses();
  const source = new EsClient({ node: addr.esSourceUrl });
  const target = new EsClient({ node: addr.esTargetUrl });
  let h: Harness | undefined;
  let watcher: Watcher | undefined;
  return {
    id,
    P,
    s,
    addr,
    source,
    target,
    async start({ docs, log, beforeApply }) {
      h = await startCatalogHarness();
      watcher = startScenarioWatcher(h, s, `${prefix}-${id}`, log);
      await seedSource(addr, s.indexPrefix, docs);
      await beforeApply?.(h);
      await applyScenario(h.kube, addr, s);
      return { h, watcher };
    },
    async stop() {
      if (h) await tearDownScenario(h, s, watcher, P, [source, target]);
      else await Promise.all([source.close(), target.close()]);
      await h?.close();
    },
  };
}

/** Whether the watcher reported the scenario's BackupConfiguration Ready (its Schedule made) within the time. */
export async function waitConfigReady(h: Harness, s: Scenario, timeoutMs = 30_000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const bc = await getObject<BackupConfiguration>(h.kube, 'BackupConfiguration', s.namespace, s.backupConfiguration);
    if (bc?.status?.phase === 'Ready') return true;
  }
  return false;
}
