// The Temporal connection, made once per entry point.
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config.js';

export async function connectClient(cfg: Pick<Config, 'temporalAddress' | 'temporalNamespace'>): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.temporalAddress });
  return new Client({ connection, namespace: cfg.temporalNamespace });
}
