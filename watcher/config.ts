// The watcher's settings: the shared config (Temporal, task queue, kubeconfig) plus leader election, the watched
// namespace and the Schedule catch-up window. Checked at start, with errors naming the variable.
// The metrics/health address is the shared STASHFLOW_METRICS_ADDR (lib/config.ts metricsAddress): /metrics,
// /healthz, and /readyz, which answers 200 only while this watcher leads and its informers have synced.
import { hostname } from 'node:os';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { parseGoDuration } from './cron.js';

export interface WatcherConfig extends Config {
  /** namespace of the Lease; created when missing */
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** one namespace to watch; undefined = all namespaces */
  watchNamespace: string | undefined;
  /** how late a missed firing may still run (Temporal's minimum is 10 s) */
  catchupWindowMs: number;
  resyncMs: number;
}

function durationMs(env: NodeJS.ProcessEnv, name: string, fallback: string, minMs = 1): number {
  const raw = env[name]?.trim() || fallback;
  const ns = parseGoDuration(raw);
  if (ns === undefined || ns / 1e6 < minMs)
    throw new ConfigError(`${name} must be a duration such as 15s or 1m (>= ${minMs} ms), got '${raw}'`);
  return Math.round(ns / 1e6);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function loadWatcherConfig(env: NodeJS.ProcessEnv = process.env): WatcherConfig {
  const base = loadConfig(env);
  const leaseNamespace = env.STASHFLOW_LEASE_NAMESPACE?.trim() || 'stashflow-system';
  if (!DNS_LABEL.test(leaseNamespace))
    throw new ConfigError(`STASHFLOW_LEASE_NAMESPACE must be a DNS label, got '${leaseNamespace}'`);
  const watchNamespace = env.STASHFLOW_WATCH_NAMESPACE?.trim() || undefined;
  if (watchNamespace && !DNS_LABEL.test(watchNamespace))
    throw new ConfigError(`STASHFLOW_WATCH_NAMESPACE must be a DNS label, got '${watchNamespace}'`);
  const cfg: WatcherConfig = {
    ...base,
    leaseNamespace,
    leaseName: env.STASHFLOW_LEASE_NAME?.trim() || 'stashflow-watcher',
    identity: env.STASHFLOW_IDENTITY?.trim() || `${hostname()}_${process.pid}`,
    leaseDurationMs: durationMs(env, 'STASHFLOW_LEASE_DURATION', '15s', 1000),
    renewDeadlineMs: durationMs(env, 'STASHFLOW_LEASE_RENEW_DEADLINE', '10s', 500),
    retryPeriodMs: durationMs(env, 'STASHFLOW_LEASE_RETRY_PERIOD', '5s', 100),
    watchNamespace,
    catchupWindowMs: durationMs(env, 'STASHFLOW_SCHEDULE_CATCHUP_WINDOW', '1m', 10_000),
    resyncMs: durationMs(env, 'STASHFLOW_RESYNC_PERIOD', '5m', 1000),
  };
  if (!(cfg.retryPeriodMs < cfg.renewDeadlineMs && cfg.renewDeadlineMs < cfg.leaseDurationMs))
    throw new ConfigError('lease timing must satisfy retry period < renew deadline < lease duration');
  return cfg;
}
