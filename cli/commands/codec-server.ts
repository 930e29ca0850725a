// `stashflow codec-server`: Temporal's remote codec protocol over HTTP, so the Temporal UI (and `temporal` CLI with
// --codec-endpoint) can show payloads that workers encrypt (lib/payload-codec.ts). POST /decode and /encode take and
// return {"payloads":[{"metadata":{k: base64},"data": base64}]}; CORS lets the UI's origin call it from the browser.
// Optional bearer token: the UI forwards the user's access token when its codec "pass access token" is on.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { AesGcmPayloadCodec, KEY_FILE_ENV, PayloadKeyError, payloadCodecFromEnv } from '../../lib/payload-codec.js';
import { createLogger } from '../../lib/log.js';
import { EXIT, UsageError, parseCommandArgs, stdio, type CommandIO } from './common.js';

export const codecServerUsage = `usage: stashflow codec-server [--listen HOST:PORT] [--ui-origin URL]... [--key-file FILE] [--token-file FILE]

Serves Temporal's remote codec protocol (POST /decode, POST /encode) with the payload key, so the Temporal UI
shows decrypted payloads. Point the UI's codec endpoint (Settings → Codec Server, or the ui-server's
codec.endpoint) at http://HOST:PORT.

  --listen HOST:PORT   where to listen (default 127.0.0.1:8888)
  --ui-origin URL      browser origin allowed by CORS (repeatable; default http://127.0.0.1:8233)
  --key-file FILE      the payload key (default: $${KEY_FILE_ENV}); earlier keys from $STASHFLOW_PAYLOAD_OLD_KEY_FILES
  --token-file FILE    require "Authorization: Bearer <token>" with this token
`;

const MAX_BODY = 16 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  host: string;
  port: number;
  origins: string[];
  token?: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toPayload = (j: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(j.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(j.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const got = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Starts the server; resolves once it listens. */
export async function startCodecServer(
  o: CodecServerOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && o.origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
    if (path !== '/decode' && path !== '/encode') throw new HttpError(404, 'not found: POST /decode or /encode');
    if (req.method !== 'POST') throw new HttpError(405, 'use POST');
    if (!authorized(req, o.token)) throw new HttpError(401, 'missing or wrong bearer token');
    const body = (await readBody(req)) as { payloads?: unknown };
    if (!Array.isArray(body?.payloads)) throw new HttpError(400, 'body must be {"payloads":[...]}');
    const payloads = (body.payloads as JsonPayload[]).map(toPayload);
    const out = path === '/decode' ? await o.codec.decode(payloads) : await o.codec.encode(payloads);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // codec errors name key ids only, never key bytes
      const status = err instanceof HttpError ? err.status : err instanceof PayloadKeyError ? 422 : 500;
      if (!res.headersSent)
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(err instanceof Error ? err.message : 'error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    server,
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function parseListen(v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m?.[1] || port > 65535) throw new UsageError(`--listen must be HOST:PORT, not '${v}'`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** The command: runs until SIGINT/SIGTERM. */
export async function codecServer(argv: string[], io: CommandIO = stdio): Promise<number> {
  let opts: CodecServerOptions;
  try {
    const { values, positionals } = parseCommandArgs(argv, {
      listen: { type: 'string', default: '127.0.0.1:8888' },
      'ui-origin': { type: 'string', multiple: true },
      'key-file': { type: 'string' },
      'token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(codecServerUsage);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const keyFile = values['key-file'];
    const codec = payloadCodecFromEnv(keyFile ? { ...process.env, [KEY_FILE_ENV]: keyFile } : process.env);
    if (!codec) throw new UsageError(`no payload key: pass --key-file or set ${KEY_FILE_ENV}`);
    const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined;
    if (values['token-file'] && !token) throw new UsageError(`--token-file ${values['token-file']} is empty`);
    opts = {
      codec,
      ...parseListen(values.listen),
      origins: values['ui-origin'] ?? ['http://127.0.0.1:8233'],
      ...(token ? { token } : {}),
    };
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`stashflow codec-server: ${err.message}\n${codecServerUsage}`);
      return EXIT.usage;
    }
    io.err(`stashflow codec-server: ${(err as Error).message}\n`);
    return EXIT.failure;
  }
  const log = createLogger('codec-server');
  const srv = await startCodecServer(opts);
  log.info(
    { url: srv.url, origins: opts.origins, keyId: (opts.codec as AesGcmPayloadCodec).keyId, auth: !!opts.token },
    'codec server listening',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await srv.close();
  return EXIT.ok;
}
