// The Temporal connection, made once per entry point.
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Config } from './config.js';
import { dataConverterFromEnv } from './payload-codec.js';
import { temporalTlsFromEnv } from './temporal-tls.js';

/** dataConverter defaults to the environment's (payloads encrypted when STASHFLOW_PAYLOAD_KEY_FILE is set). */
export async function connectClient(
  cfg: Pick<Config, 'temporalAddress' | 'temporalNamespace'>,
  opts: { dataConverter?: DataConverter } = {},
): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.temporalAddress, tls: temporalTlsFromEnv() });
  return new Client({
    connection,
    namespace: cfg.temporalNamespace,
    dataConverter: opts.dataConverter ?? dataConverterFromEnv(),
  });
}
