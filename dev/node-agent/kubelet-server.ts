// The kubelet API subset the apiserver proxies to: GET /containerLogs/{namespace}/{pod}/{container}
// (follow, tailLines, timestamps, previous, sinceSeconds, sinceTime, limitBytes) and /healthz, over HTTPS with the
// node's serving certificate. Clients must present a certificate signed by the cluster CA, and only the apiserver's
// kubelet client (CN=kube-apiserver-kubelet-client) or a system:masters user is allowed: a static stand-in for the
// kubelet's SubjectAccessReview on nodes/proxy (which would need a ClusterRoleBinding for that client in dev/kube).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { AgentConfig } from './config.js';
import { formatRecord, type LogRecord, logPath, readRecords } from './container-logs.js';
import { ApiError, isNotFound, type KubeApi, sleep } from './kube-api.js';
import { errMsg, log } from './log.js';
import type { PodManager } from './pod-manager.js';

export class KubeletServer {
  private server: https.Server | undefined;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly pods: PodManager,
    private readonly api: KubeApi,
  ) {}

  start(): Promise<void> {
    const opts: https.ServerOptions = {
      cert: readFileSync(this.cfg.servingCert),
      key: readFileSync(this.cfg.servingKey),
    };
    if (this.cfg.clientCA) {
      opts.ca = readFileSync(this.cfg.clientCA);
      opts.requestCert = true;
      opts.rejectUnauthorized = true;
    }
    this.server = https.createServer(opts, (req, res) => {
      this.route(req, res).catch((err) => {
        log('kubelet API error', { url: req.url, err: errMsg(err) });
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(errMsg(err));
      });
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.cfg.port, '127.0.0.1', () => {
        log('kubelet API listening', { port: this.cfg.port, clientCA: this.cfg.clientCA ?? 'none (any client refused)' });
        resolve();
      });
    });
  }

  stop(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.cfg.clientCA) return text(res, 401, 'Unauthorized: the node agent has no client CA configured');
    const url = new URL(req.url ?? '/', 'https://node');
    if (url.pathname === '/healthz') return text(res, 200, 'ok');
    const who = clientIdentity(req);
    if (!ALLOWED_USERS.has(who.user) && !who.groups.includes('system:masters')) {
      return text(res, 403, `Forbidden (user=${who.user}, verb=get, resource=nodes, subresource=proxy)`);
    }
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return text(res, 404, `404 page not found: ${url.pathname}`);
    const [ns, pod, container] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), decodeURIComponent(m[3]!)];
    const q = url.searchParams;
    const bool = (k: string): boolean => q.get(k) === 'true' || q.get(k) === '1';
    const previous = bool('previous');
    const follow = bool('follow');
    const timestamps = bool('timestamps');
    const tailLines = q.has('tailLines') ? Number(q.get('tailLines')) : undefined;
    const limitBytes = q.has('limitBytes') ? Number(q.get('limitBytes')) : undefined;
    let since: number | undefined;
    if (q.has('sinceSeconds')) since = Date.now() - Number(q.get('sinceSeconds')) * 1000;
    if (q.has('sinceTime')) since = Date.parse(q.get('sinceTime')!);

    const worker = this.pods.find(ns, pod);
    const file = worker ? worker.logFile(container, previous) : await this.fileWithoutWorker(ns, pod, container, previous);
    if (!file || !existsSync(file)) {
      const what = previous ? `previous terminated container "${container}"` : `container "${container}"`;
      return text(res, previous ? 400 : 404, `${what} in pod "${pod}" not found`);
    }

    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    let budget = limitBytes ?? Infinity;
    const emit = (records: LogRecord[]): boolean => {
      for (const r of records) {
        if (since !== undefined && Date.parse(r.time) < since) continue;
        const chunk = Buffer.from(formatRecord(r, timestamps), 'utf8');
        if (chunk.length >= budget) {
          res.write(chunk.subarray(0, budget));
          budget = 0;
          return false;
        }
        budget -= chunk.length;
        res.write(chunk);
      }
      return true;
    };
    let { records, next } = readRecords(file, 0);
    if (tailLines !== undefined && tailLines >= 0) records = tailLines === 0 ? [] : records.slice(-tailLines);
    let more = emit(records);
    const live = (): boolean => !!worker && !previous && worker.isRunning(container) && worker.logFile(container, false) === file;
    let closed = false;
    req.on('close', () => (closed = true));
    while (more && follow && !closed) {
      const running = live();
      await sleep(250);
      const r = readRecords(file, next);
      next = r.next;
      more = emit(r.records);
      if (!running) break;
    }
    res.end();
  }

  /** Logs of a pod this agent instance did not run (e.g. finished before an agent restart). */
  private async fileWithoutWorker(ns: string, pod: string, container: string, previous: boolean): Promise<string | undefined> {
    let uid: string;
    try {
      uid = (await this.api.get(`/api/v1/namespaces/${ns}/pods/${pod}`)).metadata.uid as string;
    } catch (err) {
      // 403: the Node authorizer hides pods not bound to this node
      if (isNotFound(err) || (err instanceof ApiError && err.code === 403)) return undefined;
      throw err;
    }
    const dir = join(this.cfg.dataDir, 'pods', uid, 'logs', container);
    if (!existsSync(dir)) return undefined;
    const runs = readdirSync(dir)
      .map((f) => Number(f.replace(/\.log$/, '')))
      .filter((n) => Number.isInteger(n))
      .sort((a, b) => a - b);
    const n = runs[runs.length - (previous ? 2 : 1)];
    return n === undefined ? undefined : logPath(join(this.cfg.dataDir, 'pods', uid), container, n);
  }
}

const ALLOWED_USERS = new Set(['kube-apiserver-kubelet-client', 'system:kube-apiserver']);

function clientIdentity(req: IncomingMessage): { user: string; groups: string[] } {
  const cert = (req.socket as TLSSocket).getPeerCertificate?.();
  const subject = (cert?.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { user: list(subject.CN)[0] ?? '', groups: list(subject.O) };
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain' });
  res.end(body);
}
