// A small REST client over @kubernetes/client-node's KubeConfig (TLS client cert, CA) and Watch.
// Objects stay raw JSON (times as RFC 3339 strings), the same shape the watch delivers.
import https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { errMsg, log } from './log.js';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly body: string,
  ) {
    super(message);
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type PatchType = 'merge' | 'strategic' | 'json';
const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class KubeApi {
  readonly kc = new KubeConfig();
  private readonly server: URL;

  constructor(kubeconfigFile: string) {
    this.kc.loadFromFile(kubeconfigFile);
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error(`no current cluster in ${kubeconfigFile}`);
    this.server = new URL(cluster.server);
  }

  async request<T = Json>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const opts: https.RequestOptions = {
      method,
      hostname: this.server.hostname,
      port: this.server.port || 443,
      path,
      headers: { Accept: 'application/json' },
      timeout: 30_000,
    };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      opts.headers = { ...opts.headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) };
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) {
            try {
              resolve((text ? JSON.parse(text) : {}) as T);
            } catch (e) {
              reject(new ApiError(code, `bad JSON from ${method} ${path}: ${errMsg(e)}`, text));
            }
            return;
          }
          let message = text;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? text;
          } catch {
            /* plain text body */
          }
          reject(new ApiError(code, `${method} ${path}: ${code} ${message}`, text));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T = Json>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T = Json>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T = Json>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  patch<T = Json>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.request<T>('PATCH', path, body, patchContentType[type]);
  }
  delete<T = Json>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body);
  }

  /**
   * List then watch `path` forever (until stop()): relists after a watch ends or fails (e.g. 410 Gone).
   * onSync receives the full list after every (re)list; onEvent each watch event.
   */
  informer(
    path: string,
    query: Record<string, string>,
    onSync: (items: Json[]) => void | Promise<void>,
    onEvent: (type: string, obj: Json) => void,
  ): { stop: () => void } {
    let stopped = false;
    let abort: AbortController | undefined;
    const watch = new Watch(this.kc);
    const loop = async (): Promise<void> => {
      while (!stopped) {
        try {
          const qs = new URLSearchParams(query).toString();
          const list = await this.get<{ items: Json[]; metadata: { resourceVersion: string } }>(`${path}${qs ? '?' + qs : ''}`);
          await onSync(list.items);
          await new Promise<void>((resolve) => {
            watch
              .watch(
                path,
                { ...query, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
                (type, obj) => {
                  if (type === 'BOOKMARK') return;
                  if (type === 'ERROR') {
                    log('watch error event', { path, message: (obj as Json)?.message });
                    resolve();
                    abort?.abort();
                    return;
                  }
                  onEvent(type, obj as Json);
                },
                (err) => {
                  if (err && !stopped && (err as Error).name !== 'AbortError') log('watch ended', { path, err: errMsg(err) });
                  resolve();
                },
              )
              .then((a) => {
                abort = a;
                if (stopped) a.abort();
              })
              .catch((err) => {
                log('watch failed', { path, err: errMsg(err) });
                resolve();
              });
          });
        } catch (err) {
          if (!stopped) log('list failed', { path, err: errMsg(err) });
        }
        if (!stopped) await sleep(1000);
      }
    };
    void loop();
    return {
      stop: () => {
        stopped = true;
        abort?.abort();
      },
    };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RFC 3339 with seconds precision (metav1.Time). */
export const rfc3339 = (d: Date = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** RFC 3339 with microseconds (metav1.MicroTime). */
export const microTime = (d: Date = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
