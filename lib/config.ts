// One config module: every entry point reads its settings here and fails at start with a message naming the
// variable, instead of failing later in the middle of a backup.
export interface Config {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  kubeconfig: string | undefined;
  pushgatewayUrl: string | undefined;
  /** image our Jobs run (the node agent maps it to our CLI) */
  image: string;
  /**
   * STASHFLOW_METRICS_ADDR: where the process serves /metrics, /healthz and /readyz (lib/metrics-server.ts).
   * Default 127.0.0.1:0 (any free port, logged at start) so processes started by hand never collide; `off` = none.
   * dev/product.sh pins the watcher to 127.0.0.1:9464 and the worker to 127.0.0.1:9465 for the stack's Prometheus.
   */
  metricsAddress: ListenAddress | undefined;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export class ConfigError extends Error {}

function read(env: NodeJS.ProcessEnv, name: string, fallback?: string): string {
  const v = env[name]?.trim();
  if (v) return v;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`${name} is required`);
}

function checkHostPort(name: string, v: string): string {
  if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(v)) throw new ConfigError(`${name} must be host:port, got '${v}'`);
  return v;
}

function checkUrl(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got '${v}'`);
  }
  return v;
}

export function checkListenAddress(name: string, value: string | undefined): ListenAddress | undefined {
  const v = value?.trim() || '127.0.0.1:0';
  if (v === 'off') return undefined;
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${name} must be host:port (port 0 = any free port) or 'off', got '${v}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    temporalAddress: checkHostPort('TEMPORAL_ADDRESS', read(env, 'TEMPORAL_ADDRESS', '127.0.0.1:7233')),
    temporalNamespace: read(env, 'TEMPORAL_NAMESPACE', 'default'),
    taskQueue: read(env, 'STASHFLOW_TASK_QUEUE', 'stashflow'),
    kubeconfig: env.KUBECONFIG?.trim() || undefined,
    pushgatewayUrl: checkUrl('PUSHGATEWAY_URL', env.PUSHGATEWAY_URL?.trim() || undefined),
    image: read(env, 'STASHFLOW_IMAGE', 'stashflow/stashflow:latest'),
    metricsAddress: checkListenAddress('STASHFLOW_METRICS_ADDR', env.STASHFLOW_METRICS_ADDR),
  };
}
