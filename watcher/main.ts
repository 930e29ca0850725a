// The watcher process (`node dist/watcher/main.js`): config, clients, leader election, informers and reconcilers.
// SIGTERM/SIGINT stop it gracefully (queues stop, the lease is released so a standby takes over at once);
// losing the lease exits non-zero, as client-go's leader election does, and the Deployment restarts it.
// Serves /metrics, /healthz and /readyz (ready = leading with informers synced) on STASHFLOW_METRICS_ADDR.
import { ConfigError } from '../lib/config.js';
import { createKubeClients, loadKubeConfig } from '../lib/kube.js';
import { createLogger } from '../lib/log.js';
import { createRegistry, startMetricsServer, type MetricsServer } from '../lib/metrics-server.js';
import { connectClient } from '../lib/temporal.js';
import { createWatcherMetrics, instrumentClient } from '../lib/watcher-metrics.js';
import { loadWatcherConfig } from './config.js';
import { Watcher } from './watcher.js';

const log = createLogger('watcher');

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadWatcherConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error(`configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const kube = createKubeClients(loadKubeConfig(cfg.kubeconfig));
  const client = await connectClient(cfg);
  const registry = createRegistry('watcher');
  const metrics = createWatcherMetrics(registry);
  const watcher = new Watcher({
    cfg,
    kube,
    client: instrumentClient(client, metrics),
    log,
    metrics,
    onLostLeadership: () => {
      log.error('leadership lost; exiting');
      process.exit(1);
    },
  });
  metrics.bind(watcher);
  let server: MetricsServer | undefined;
  if (cfg.metricsAddress)
    server = await startMetricsServer({ registry, address: cfg.metricsAddress, ready: () => watcher.synced });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    watcher
      .stop()
      .then(() => client.connection.close())
      .then(() => server?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err: String(err) }, 'unclean stop');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  log.info(
    {
      identity: cfg.identity,
      lease: `${cfg.leaseNamespace}/${cfg.leaseName}`,
      taskQueue: cfg.taskQueue,
      temporal: cfg.temporalAddress,
      temporalNamespace: cfg.temporalNamespace,
      watchNamespace: cfg.watchNamespace ?? '(all)',
      metrics: server?.url,
    },
    'watcher starting',
  );
  watcher.start();
}

main().catch((err: unknown) => {
  log.error({ err: err instanceof Error ? err.message : String(err) }, 'watcher failed');
  process.exit(1);
});
