// The worker process: hosts workflows + activities until SIGTERM/SIGINT, then drains (Worker's own shutdown).
import { loadConfig } from '../lib/config.js';
import { createKubeClients } from '../lib/kube.js';
import { createLogger } from '../lib/log.js';
import { createWorker } from './worker.js';

const log = createLogger('worker');
const cfg = loadConfig();
const concurrency = Number(process.env.STASHFLOW_MAX_ACTIVITIES ?? '50');
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('STASHFLOW_MAX_ACTIVITIES must be a positive integer');

const { worker, connection } = await createWorker({
  cfg,
  kube: createKubeClients(),
  maxConcurrentActivityTaskExecutions: concurrency,
});
log.info({ taskQueue: cfg.taskQueue, temporal: cfg.temporalAddress, namespace: cfg.temporalNamespace }, 'worker started');
try {
  await worker.run(); // resolves after SIGTERM/SIGINT once in-flight tasks are done
} finally {
  await connection.close();
  log.info('worker stopped');
}
