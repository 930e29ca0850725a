// TLS / mTLS to the Temporal frontend, from env (the overlay deploy/overlays/external-temporal mounts a Secret):
// TEMPORAL_TLS=true for server TLS with the system roots; TEMPORAL_TLS_CERT_FILE + TEMPORAL_TLS_KEY_FILE for mTLS
// (Temporal Cloud); TEMPORAL_TLS_CA_FILE for a private CA; TEMPORAL_TLS_SERVER_NAME to override SNI. Unset = plaintext
// (the local stack). Files are read once at connect; errors name the variable, never the file's content.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError } from './config.js';

function file(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const path = env[name]?.trim();
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function temporalTlsFromEnv(env: NodeJS.ProcessEnv = process.env): TLSConfig | undefined {
  const crt = file(env, 'TEMPORAL_TLS_CERT_FILE');
  const key = file(env, 'TEMPORAL_TLS_KEY_FILE');
  if (!!crt !== !!key) throw new ConfigError('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE are set together (mTLS)');
  const ca = file(env, 'TEMPORAL_TLS_CA_FILE');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME?.trim() || undefined;
  const on = env.TEMPORAL_TLS?.trim().toLowerCase();
  if (on && on !== 'true' && on !== 'false') throw new ConfigError(`TEMPORAL_TLS must be true or false, got '${on}'`);
  if (!crt && !ca && !serverName && on !== 'true') return undefined;
  const tls: TLSConfig = {};
  if (crt && key) tls.clientCertPair = { crt, key };
  if (ca) tls.serverRootCACertificate = ca;
  if (serverName) tls.serverNameOverride = serverName;
  return tls;
}
