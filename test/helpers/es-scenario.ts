// The Elasticsearch scenario (dev/demo/es-scenario.ts) as tests run it: the stack's addresses, a watcher limited to
// the scenario's namespace on the harness's task queue, and the teardown that lets the watcher remove its finalizer.
import type { Client as EsClient } from '@elastic/elasticsearch';
import { fromEnv, type Scenario, type StackAddresses } from '../../dev/demo/es-scenario.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { deleteObject, getObject } from '../../lib/objects.js';
import { Watcher } from '../../watcher/watcher.js';
import { deletePrefixed } from './es-compare.js';
import { stackEnv } from './stack.js';
import type { Harness } from './temporal.js';

const names = ['ES_SECURE_URL', 'ES_SECURE_CA', 'ES_CREDENTIALS_FILE', 'ES_SOURCE_URL', 'ES_TARGET_URL', 'RESTIC_REST_URL'];

/** The scenario's addresses from the stack (process env first, then .stack/env). */
export const scenarioAddresses = (): StackAddresses => fromEnv(Object.fromEntries(names.map((n) => [n, stackEnv(n)])));

/** A watcher of the scenario's namespace only, with fast leader election; started. */
export function startScenarioWatcher(
  h: Harness,
  s: Scenario,
  lease: string,
  log: Logger = createLogger(`watcher-${lease}`),
): Watcher {
  const watcher = new Watcher({
    cfg: {
      taskQueue: h.taskQueue,
      leaseNamespace: 'stashflow-system',
      leaseName: lease,
      identity: lease,
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      watchNamespace: s.namespace,
      catchupWindowMs: 10_000,
      resyncMs: 60_000,
    },
    kube: h.kube,
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
