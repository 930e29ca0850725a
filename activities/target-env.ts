// An AppBinding as the Job sees it: the database URL and CA by value (not secret), the credentials by secretKeyRef
// to the AppBinding's Secret. So the Job's service account needs no API access to read AppBindings or Secrets.
import type * as k8s from '@kubernetes/client-node';
import type { AppBinding } from '../api/types.js';

export const TARGET_ENV = {
  url: 'STASHFLOW_TARGET_URL',
  username: 'STASHFLOW_TARGET_USERNAME',
  password: 'STASHFLOW_TARGET_PASSWORD',
  caCert: 'STASHFLOW_TARGET_CA_CERT',
  insecure: 'STASHFLOW_TARGET_INSECURE_SKIP_TLS_VERIFY',
  serverName: 'STASHFLOW_TARGET_SERVER_NAME',
} as const;

/** kmodules' AppBinding URL(): clientConfig.url, else scheme://service.namespace.svc:port/path?query. */
export function appBindingUrl(ab: AppBinding): string {
  const cc = ab.spec.clientConfig;
  if (cc.url) return cc.url;
  const svc = cc.service;
  if (!svc) throw new Error(`AppBinding ${ab.metadata.namespace}/${ab.metadata.name}: spec.clientConfig needs url or service`);
  const ns = svc.namespace || ab.metadata.namespace;
  const path = svc.path ? `/${svc.path.replace(/^\/+/, '')}` : '';
  return `${svc.scheme || 'http'}://${svc.name}.${ns}.svc:${svc.port}${path}${svc.query ? `?${svc.query}` : ''}`;
}

/**
 * Env for the Job. `secretKeys` are the keys present in the AppBinding's Secret (checked by the caller): Stash reads
 * `username`/`password`, else `ADMIN_USERNAME`/`ADMIN_PASSWORD`.
 */
export function appBindingEnv(ab: AppBinding, secretKeys: readonly string[]): k8s.V1EnvVar[] {
  const cc = ab.spec.clientConfig;
  const env: k8s.V1EnvVar[] = [{ name: TARGET_ENV.url, value: appBindingUrl(ab) }];
  if (cc.caBundle) env.push({ name: TARGET_ENV.caCert, value: Buffer.from(cc.caBundle, 'base64').toString('utf8') });
  if (cc.insecureSkipTLSVerify) env.push({ name: TARGET_ENV.insecure, value: 'true' });
  if (cc.serverName) env.push({ name: TARGET_ENV.serverName, value: cc.serverName });
  const secret = ab.spec.secret?.name;
  if (secret) {
    const pick = (a: string, b: string) => (secretKeys.includes(a) ? a : secretKeys.includes(b) ? b : undefined);
    const user = pick('username', 'ADMIN_USERNAME');
    const pass = pick('password', 'ADMIN_PASSWORD');
    if (user) env.push({ name: TARGET_ENV.username, valueFrom: { secretKeyRef: { name: secret, key: user } } });
    if (pass) env.push({ name: TARGET_ENV.password, valueFrom: { secretKeyRef: { name: secret, key: pass } } });
  }
  return env;
}
