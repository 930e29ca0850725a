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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    temporalAddress: checkHostPort('TEMPORAL_ADDRESS', read(env, 'TEMPORAL_ADDRESS', '127.0.0.1:7233')),
    temporalNamespace: read(env, 'TEMPORAL_NAMESPACE', 'default'),
    taskQueue: read(env, 'STASHFLOW_TASK_QUEUE', 'stashflow'),
    kubeconfig: env.KUBECONFIG?.trim() || undefined,
    pushgatewayUrl: checkUrl('PUSHGATEWAY_URL', env.PUSHGATEWAY_URL?.trim() || undefined),
    image: read(env, 'STASHFLOW_IMAGE', 'stashflow/stashflow:latest'),
  };
}
