// How a function reaches Elasticsearch: URL, optional basic auth (inline, or Stash's auth.txt), optional CA PEM.
import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';

export interface EsConnection {
  url: string;
  username?: string;
  password?: string;
  /** Stash's auth file: `user=<u>` and `password=<Go %q-quoted p>` lines (used when username is not given) */
  authFile?: string;
  /** CA certificate(s), PEM text */
  caPem?: string;
  /** path to a PEM CA file (Stash: <scratch>/root.pem) */
  caFile?: string;
  /** skip TLS verification (Stash sets NODE_TLS_REJECT_UNAUTHORIZED=0); off unless asked */
  insecure?: boolean;
  requestTimeoutMs?: number;
}

/** Parses Stash's auth.txt. Go's %q quoting is JSON-compatible for the characters a password can hold. */
export function parseAuthFile(text: string): { username: string; password: string } {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    let v = m[2];
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    vars[m[1]] = v;
  }
  if (!vars.user || vars.password === undefined) throw new Error('auth file: expected user= and password= lines');
  return { username: vars.user, password: vars.password };
}

export function createClient(c: EsConnection): Client {
  let auth: { username: string; password: string } | undefined;
  if (c.username) auth = { username: c.username, password: c.password ?? '' };
  else if (c.authFile) auth = parseAuthFile(readFileSync(c.authFile, 'utf8'));
  const ca = c.caPem ?? (c.caFile ? readFileSync(c.caFile, 'utf8') : undefined);
  return new Client({
    node: c.url,
    ...(auth ? { auth } : {}),
    ...(ca || c.insecure ? { tls: { ...(ca ? { ca } : {}), rejectUnauthorized: !c.insecure } } : {}),
    // 429s are retried by our bulk loader with backoff; the transport retries connection errors only
    maxRetries: 3,
    requestTimeout: c.requestTimeoutMs ?? 120_000,
    compression: false,
  });
}
