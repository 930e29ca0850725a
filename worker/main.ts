// The worker process: hosts workflows + activities until SIGTERM/SIGINT, then drains (Worker's own shutdown).
// Serves /metrics, /healthz and /readyz (ready while the Worker polls) on STASHFLOW_METRICS_ADDR; every log line,
// the Temporal SDK's included, is pino JSON.
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../lib/config.js';
import { createKubeClients } from '../lib/kube.js';
import { createLogger } from '../lib/log.js';
import { createRegistry, startMetricsServer, type MetricsServer } from '../lib/metrics-server.js';
import { createWorkerMetrics } from '../lib/worker-metrics.js';
import { PinoTemporalLogger } from './runtime-logger.js';
import { createWorker } from './worker.js';

const log = createLogger('worker');

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error(`configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const concurrency = Number(process.env.STASHFLOW_MAX_ACTIVITIES ?? '50');
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    log.error('configuration: STASHFLOW_MAX_ACTIVITIES must be a positive integer');
    process.exit(2);
  }
  // before any connection: the SDK's and the native core's logs go through pino too
  Runtime.install({
    logger: new PinoTemporalLogger(log.child({ sdk: 'temporal' })),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });

  const registry = createRegistry('worker');
  const { worker, connection } = await createWorker({
    cfg,
    kube: createKubeClients(),
    maxConcurrentActivityTaskExecutions: concurrency,
    metrics: createWorkerMetrics(registry),
    log,
  });
  let metrics: MetricsServer | undefined;
  if (cfg.metricsAddress) {
    metrics = await startMetricsServer({
      registry,
      address: cfg.metricsAddress,
      ready: () => worker.getState() === 'RUNNING',
    });
  }
  log.info(
    { taskQueue: cfg.taskQueue, temporal: cfg.temporalAddress, temporalNamespace: cfg.temporalNamespace, metrics: metrics?.url },
    'worker started',
  );
  try {
    await worker.run(); // resolves after SIGTERM/SIGINT once in-flight tasks are done
  } finally {
    await connection.close();
    await metrics?.close();
    log.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  log.error({ err: err instanceof Error ? err.message : String(err) }, 'worker failed');
  process.exit(1);
});
